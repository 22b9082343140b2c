// The .NET format helper and calendar arithmetic, directly (the case files cover them through functions).

#include <gtest/gtest.h>

#include "core/expr/datetime_format.hpp"

namespace adxflow::expr {
namespace {

TimePoint At(const char* iso) {
    auto t = ParseTimestamp(iso);
    EXPECT_TRUE(t.has_value()) << iso;
    return t.value_or(TimePoint{});
}

TEST(FormatDotNet, StandardAndCustomPatterns) {
    TimePoint t = At("2018-03-05T07:08:09.0123456Z");  // a Monday
    struct Row {
        const char* format;
        const char* expected;
    } rows[] = {
        {"o", "2018-03-05T07:08:09.0123456Z"},
        {"", "2018-03-05T07:08:09.0123456Z"},
        {"s", "2018-03-05T07:08:09"},
        {"u", "2018-03-05 07:08:09Z"},
        {"R", "Mon, 05 Mar 2018 07:08:09 GMT"},
        {"d", "3/5/2018"},
        {"D", "Monday, March 5, 2018"},
        {"T", "7:08:09 AM"},
        {"g", "3/5/2018 7:08 AM"},
        {"yyyy-MM-dd", "2018-03-05"},
        {"yy M d H m s", "18 3 5 7 8 9"},
        {"HH:mm:ss.fff", "07:08:09.012"},
        {"fffffff FFFFFFF", "0123456 0123456"},
        {"hh tt", "07 AM"},
        {"dddd ddd MMMM MMM", "Monday Mon March Mar"},
        {"yyyy'T'HH 'literal' \"q\" \\y", "2018T07 literal q y"},
        {"%d", "5"},
        {"zzz K", "+00:00 Z"},
        {"yyyyMMddHHmmss", "20180305070809"},
    };
    for (const auto& row : rows) {
        auto r = FormatDotNet(t, row.format);
        ASSERT_TRUE(r.ok()) << row.format << ": " << r.error().message;
        EXPECT_EQ(*r, row.expected) << "format '" << row.format << "'";
    }
}

TEST(FormatDotNet, UppercaseFDropsZeroFractionAndItsDot) {
    auto r = FormatDotNet(At("2018-03-05T07:08:09Z"), "HH:mm:ss.FFF");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "07:08:09");
}

TEST(FormatDotNet, AfternoonTwelveHourClock) {
    auto r = FormatDotNet(At("2018-03-05T00:30:00Z"), "h:mm tt");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "12:30 AM");
    r = FormatDotNet(At("2018-03-05T13:30:00Z"), "h:mm t");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "1:30 P");
}

TEST(FormatDotNet, RejectsBadFormats) {
    EXPECT_FALSE(FormatDotNet(At("2018-03-05T00:00:00Z"), "q").ok());
    EXPECT_FALSE(FormatDotNet(At("2018-03-05T00:00:00Z"), "ffffffff").ok());
    EXPECT_FALSE(FormatDotNet(At("2018-03-05T00:00:00Z"), "yyyy 'open").ok());
}

TEST(ParseDateTimeLoose, AcceptsIsoAndUsForms) {
    EXPECT_EQ(ParseDateTimeLoose("03/15/2018 12:00:00"), At("2018-03-15T12:00:00Z"));
    EXPECT_EQ(ParseDateTimeLoose("3/5/2018 1:05 PM"), At("2018-03-05T13:05:00Z"));
    EXPECT_EQ(ParseDateTimeLoose("03/15/2018"), At("2018-03-15T00:00:00Z"));
    EXPECT_EQ(ParseDateTimeLoose(" 2018-03-15T12:00:00+02:00 "), At("2018-03-15T10:00:00Z"));
    EXPECT_FALSE(ParseDateTimeLoose("02/30/2018").has_value());
    EXPECT_FALSE(ParseDateTimeLoose("13/01/2018").has_value());
    EXPECT_FALSE(ParseDateTimeLoose("yesterday").has_value());
}

TEST(Calendar, AddMonthsClampsTheDay) {
    EXPECT_EQ(AddMonths(At("2024-01-31T10:00:00Z"), 1), At("2024-02-29T10:00:00Z"));
    EXPECT_EQ(AddMonths(At("2023-01-31T10:00:00Z"), 1), At("2023-02-28T10:00:00Z"));
    EXPECT_EQ(AddMonths(At("2024-03-15T00:00:00Z"), -15), At("2022-12-15T00:00:00Z"));
    EXPECT_EQ(AddMonths(At("2024-02-29T00:00:00Z"), 12), At("2025-02-28T00:00:00Z"));
}

TEST(Calendar, TicksAndCivilFields) {
    EXPECT_EQ(DotNetTicks(At("1970-01-01T00:00:00Z")), 621355968000000000LL);
    EXPECT_EQ(DotNetTicks(At("2018-03-15T13:00:00Z")), 636567156000000000LL);
    CivilTime c = ToCivil(At("2024-12-31T23:59:59.9999999Z"));
    EXPECT_EQ(c.day_of_year, 366);
    EXPECT_EQ(c.day_of_week, 2);  // Tuesday
    EXPECT_EQ(c.ticks_of_second, 9999999);
}

}  // namespace
}  // namespace adxflow::expr
