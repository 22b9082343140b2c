// Runs tests/cases/triggers/schedule.test: ScheduleTrigger occurrences (DST in non-UTC zones, schedules,
// endTime, discarded past occurrences) as exact UTC instants, and the definitions refused at PUT.

#include <gtest/gtest.h>

#include "core/triggers/schedule.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::triggers {
namespace {

using adxflow::testing::Case;

class ScheduleCases : public ::testing::TestWithParam<Case> {};

std::string Where(const Case& c) {
    return c.file + ":" + std::to_string(c.line) + " (" + (c.Get("name") ? *c.Get("name") : "") + ")";
}

TEST_P(ScheduleCases, Occurrences) {
    const Case& c = GetParam();
    auto recurrence = ParseJson(*c.Get("recurrence"), "recurrence");
    ASSERT_TRUE(recurrence.ok()) << Where(c) << ": " << recurrence.error().message;
    Json properties = {{"type", "ScheduleTrigger"}, {"typeProperties", {{"recurrence", *recurrence}}}};
    auto spec = ParseTrigger(properties);
    if (const std::string* error = c.Get("error")) {
        ASSERT_FALSE(spec.ok()) << Where(c) << ": expected an error";
        EXPECT_NE(spec.error().message.find(*error), std::string::npos)
            << Where(c) << ": " << spec.error().message;
        if (const std::string* target = c.Get("target")) {
            EXPECT_EQ(spec.error().target, *target) << Where(c);
        }
        return;
    }
    ASSERT_TRUE(spec.ok()) << Where(c) << ": " << spec.error().message;
    auto expect = ParseJson(*c.Get("expect"), "expect");
    ASSERT_TRUE(expect.ok() && expect->is_array()) << Where(c);
    auto from = ParseTimestamp(*c.Get("from"));
    ASSERT_TRUE(from) << Where(c);
    std::vector<std::string> got;
    TimePoint t = *from;
    for (size_t i = 0; i < expect->size() + 1; ++i) {
        auto next = FirstOccurrenceAtOrAfter(*spec->schedule, t);
        if (!next) break;
        got.push_back(FormatTimestamp(*next));
        t = *next + std::chrono::milliseconds(1);
    }
    std::vector<std::string> want;
    for (const auto& e : *expect) want.push_back(FormatTimestamp(*ParseTimestamp(e.get<std::string>())));
    // One more than expected is computed: a list that should stop (endTime) must stop.
    if (got.size() > want.size() && !c.Get("open")) {
        if (const Json* end = FindMember(*recurrence, "endTime"); end) {
            EXPECT_EQ(got, want) << Where(c);
            return;
        }
        got.resize(want.size());
    }
    EXPECT_EQ(got, want) << Where(c);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScheduleCases,
    ::testing::ValuesIn(adxflow::testing::ReadCases(std::filesystem::path(ADXFLOW_SOURCE_DIR) /
                                                    "tests/cases/triggers/schedule.test")),
    [](const ::testing::TestParamInfo<Case>& info) { return "line_" + std::to_string(info.param.line); });

TEST(TimeZone, WindowsIdsMapToIanaZones) {
    auto pst = Zone::FromWindowsId("Pacific Standard Time");
    ASSERT_TRUE(pst.ok());
    EXPECT_EQ((*pst)->iana_id(), "America/Los_Angeles");
    auto romance = Zone::FromWindowsId("Romance Standard Time");
    ASSERT_TRUE(romance.ok());
    EXPECT_EQ((*romance)->iana_id(), "Europe/Paris");
    // The offsets of both seasons come from the zone's rules.
    EXPECT_EQ((*pst)->OffsetAt(*ParseTimestamp("2024-01-15T12:00:00Z")), std::chrono::hours(-8));
    EXPECT_EQ((*pst)->OffsetAt(*ParseTimestamp("2024-07-15T12:00:00Z")), std::chrono::hours(-7));
    EXPECT_FALSE(Zone::FromWindowsId("America/Los_Angeles").ok());
}

}  // namespace
}  // namespace adxflow::triggers
