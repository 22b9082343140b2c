#include "core/expr/datetime_format.hpp"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace adxflow::expr {
namespace {

using Ticks = std::chrono::duration<long long, std::ratio<1, 10000000>>;
constexpr long long kTicksPerSecond = 10000000;
// DateTime.Ticks of 1970-01-01T00:00:00Z.
constexpr long long kUnixEpochTicks = 621355968000000000LL;

constexpr std::array<const char*, 12> kMonthNames = {"January",   "February", "March",    "April",
                                                     "May",       "June",     "July",     "August",
                                                     "September", "October",  "November", "December"};
constexpr std::array<const char*, 7> kDayNames = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                  "Thursday", "Friday", "Saturday"};

std::string Padded(long long value, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*lld", width, value);
    return buf;
}

// Standard format specifiers expand to custom patterns. Culture-dependent ones follow en-US, the culture
// ADF's documentation examples are written in.
std::optional<std::string_view> StandardPattern(char spec) {
    switch (spec) {
        case 'o':
        case 'O':
            return "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK";
        case 's':
            return "yyyy'-'MM'-'dd'T'HH':'mm':'ss";
        case 'u':
            return "yyyy'-'MM'-'dd HH':'mm':'ss'Z'";
        case 'R':
        case 'r':
            return "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'";
        case 'd':
            return "M/d/yyyy";
        case 'D':
            return "dddd, MMMM d, yyyy";
        case 't':
            return "h:mm tt";
        case 'T':
            return "h:mm:ss tt";
        case 'f':
            return "dddd, MMMM d, yyyy h:mm tt";
        case 'F':
        case 'U':
            return "dddd, MMMM d, yyyy h:mm:ss tt";
        case 'g':
            return "M/d/yyyy h:mm tt";
        case 'G':
            return "M/d/yyyy h:mm:ss tt";
        case 'M':
        case 'm':
            return "MMMM d";
        case 'Y':
        case 'y':
            return "MMMM yyyy";
        default:
            return std::nullopt;
    }
}

Result<std::string> FormatCustom(const CivilTime& c, std::string_view format, std::string_view original,
                                 bool utc) {
    auto bad = [&](std::string_view why) {
        return MakeError(
            ErrorKind::kInvalidInput, "expr.format",
            "'" + std::string(original) + "' is not a valid date/time format: " + std::string(why));
    };
    std::string out;
    size_t i = 0;
    while (i < format.size()) {
        char ch = format[i];
        if (ch == '\'' || ch == '"') {
            size_t close = format.find(ch, i + 1);
            if (close == std::string_view::npos) return bad("unterminated quoted text");
            out.append(format.substr(i + 1, close - i - 1));
            i = close + 1;
            continue;
        }
        if (ch == '\\') {
            if (i + 1 >= format.size()) return bad("'\\' at the end");
            out += format[i + 1];
            i += 2;
            continue;
        }
        if (ch == '%') {  // "%d": a one-letter custom pattern, not the standard specifier
            ++i;
            continue;
        }
        size_t run = 1;
        while (i + run < format.size() && format[i + run] == ch) ++run;
        int n = static_cast<int>(run);
        switch (ch) {
            case 'y':
                if (n == 1)
                    out += std::to_string(c.year % 100);
                else if (n == 2)
                    out += Padded(c.year % 100, 2);
                else
                    out += Padded(c.year, n);
                break;
            case 'M':
                if (n <= 2)
                    out += Padded(c.month, n);
                else if (n == 3)
                    out += std::string(kMonthNames[c.month - 1]).substr(0, 3);
                else
                    out += kMonthNames[c.month - 1];
                break;
            case 'd':
                if (n <= 2)
                    out += Padded(c.day, n);
                else if (n == 3)
                    out += std::string(kDayNames[c.day_of_week]).substr(0, 3);
                else
                    out += kDayNames[c.day_of_week];
                break;
            case 'h':
                out += Padded(c.hour % 12 == 0 ? 12 : c.hour % 12, n >= 2 ? 2 : 1);
                break;
            case 'H':
                out += Padded(c.hour, n >= 2 ? 2 : 1);
                break;
            case 'm':
                out += Padded(c.minute, n >= 2 ? 2 : 1);
                break;
            case 's':
                out += Padded(c.second, n >= 2 ? 2 : 1);
                break;
            case 'f':
            case 'F': {
                if (n > 7) return bad("more than seven fraction digits");
                std::string digits = Padded(c.ticks_of_second, 7).substr(0, n);
                if (ch == 'F') {
                    while (!digits.empty() && digits.back() == '0') digits.pop_back();
                    // .NET drops the separator too when an all-zero 'F' fraction prints nothing.
                    if (digits.empty() && !out.empty() && out.back() == '.') out.pop_back();
                }
                out += digits;
                break;
            }
            case 't':
                out += n == 1 ? (c.hour < 12 ? "A" : "P") : (c.hour < 12 ? "AM" : "PM");
                break;
            case 'K':
                out += utc ? std::string(n, 'Z') : std::string();
                break;
            case 'z':
                out += n == 1 ? "+0" : n == 2 ? "+00" : "+00:00";
                break;
            case 'g':
                out += "A.D.";
                break;
            default:
                out.append(run, ch);
                break;
        }
        i += run;
    }
    return out;
}

bool ReadNumber(std::string_view s, size_t& p, int min_digits, int max_digits, int& out) {
    int digits = 0, value = 0;
    while (p < s.size() && digits < max_digits && std::isdigit(static_cast<unsigned char>(s[p]))) {
        value = value * 10 + (s[p++] - '0');
        ++digits;
    }
    out = value;
    return digits >= min_digits;
}

// "M/d/yyyy[ h:mm[:ss][.fffffff][ AM|PM]]"
std::optional<TimePoint> ParseUsCulture(std::string_view s) {
    size_t p = 0;
    int month, day, year, hour = 0, minute = 0, second = 0;
    if (!ReadNumber(s, p, 1, 2, month) || p >= s.size() || s[p++] != '/') return std::nullopt;
    if (!ReadNumber(s, p, 1, 2, day) || p >= s.size() || s[p++] != '/') return std::nullopt;
    if (!ReadNumber(s, p, 4, 4, year)) return std::nullopt;
    long long ticks = 0;
    if (p < s.size()) {
        if (s[p++] != ' ') return std::nullopt;
        if (!ReadNumber(s, p, 1, 2, hour) || p >= s.size() || s[p++] != ':') return std::nullopt;
        if (!ReadNumber(s, p, 2, 2, minute)) return std::nullopt;
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!ReadNumber(s, p, 2, 2, second)) return std::nullopt;
        }
        if (p < s.size() && s[p] == '.') {
            ++p;
            long long scale = kTicksPerSecond / 10;
            size_t begin = p;
            for (; p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])); ++p) {
                ticks += (s[p] - '0') * scale;
                scale /= 10;
            }
            if (p == begin) return std::nullopt;
        }
        if (p < s.size()) {
            if (s[p++] != ' ' || p + 2 != s.size()) return std::nullopt;
            std::string_view marker = s.substr(p);
            bool pm = marker == "PM" || marker == "pm";
            if (!pm && marker != "AM" && marker != "am") return std::nullopt;
            if (hour < 1 || hour > 12) return std::nullopt;
            hour = hour % 12 + (pm ? 12 : 0);
        }
    }
    if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    using namespace std::chrono;
    year_month_day ymd{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
    if (!ymd.ok()) return std::nullopt;
    return FromCivil(year, month, day, hour, minute, second, ticks);
}

}  // namespace

CivilTime ToCivil(TimePoint t) {
    using namespace std::chrono;
    Ticks ticks = floor<Ticks>(t.time_since_epoch());
    auto days_since_epoch = floor<days>(ticks);
    sys_days date{days_since_epoch};
    year_month_day ymd{date};
    Ticks rest = ticks - days_since_epoch;
    long long total = rest.count();
    CivilTime c{};
    c.year = static_cast<int>(ymd.year());
    c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    c.ticks_of_second = total % kTicksPerSecond;
    long long secs = total / kTicksPerSecond;
    c.hour = static_cast<int>(secs / 3600);
    c.minute = static_cast<int>(secs / 60 % 60);
    c.second = static_cast<int>(secs % 60);
    c.day_of_week = static_cast<int>(weekday{date}.c_encoding());
    c.day_of_year = static_cast<int>((date - sys_days{ymd.year() / January / 1}).count()) + 1;
    return c;
}

TimePoint FromCivil(int year, int month, int day, int hour, int minute, int second,
                    long long ticks_of_second) {
    using namespace std::chrono;
    sys_days date{std::chrono::year(year) / std::chrono::month(month) / std::chrono::day(day)};
    Ticks ticks = duration_cast<Ticks>(date.time_since_epoch()) + hours(hour) + minutes(minute) +
                  seconds(second) + Ticks(ticks_of_second);
    // TimePoint counts nanoseconds in 64 bits (years 1678..2261): beyond, saturate as ParseTimestamp does
    // instead of overflowing (found by fuzz_expr: convertFromUtc of a 9999 date computes that year's DST
    // dates).
    constexpr Ticks kLimit = duration_cast<Ticks>(TimePoint::duration::max());
    if (ticks >= kLimit) return TimePoint::max();
    if (ticks <= -kLimit) return TimePoint::min();
    return TimePoint(duration_cast<TimePoint::duration>(ticks));
}

TimePoint AddTicks(TimePoint t, long long ticks) {
    long long nanos = 0, sum = 0;
    if (__builtin_mul_overflow(ticks, 100LL, &nanos) ||
        __builtin_add_overflow(static_cast<long long>(t.time_since_epoch().count()), nanos, &sum))
        return ticks > 0 ? TimePoint::max() : TimePoint::min();
    return TimePoint(TimePoint::duration(sum));
}

TimePoint AddMonths(TimePoint t, long long months) {
    using namespace std::chrono;
    // Past 1,000 years either way the result is out of TimePoint's range anyway; the bound keeps the year
    // arithmetic below within std::chrono::year.
    constexpr long long kMonthsBound = 12 * 1000;
    if (months > kMonthsBound) return TimePoint::max();
    if (months < -kMonthsBound) return TimePoint::min();
    CivilTime c = ToCivil(t);
    long long index = static_cast<long long>(c.year) * 12 + (c.month - 1) + months;
    int year = static_cast<int>(index / 12 - (index % 12 < 0 ? 1 : 0));
    int month = static_cast<int>((index % 12 + 12) % 12) + 1;
    auto last = year_month_day_last{std::chrono::year(year), month_day_last{std::chrono::month(month)}};
    int day = std::min<int>(c.day, static_cast<int>(static_cast<unsigned>(last.day())));
    return FromCivil(year, month, day, c.hour, c.minute, c.second, c.ticks_of_second);
}

long long DotNetTicks(TimePoint t) {
    return std::chrono::floor<Ticks>(t.time_since_epoch()).count() + kUnixEpochTicks;
}

Result<std::string> FormatDotNet(TimePoint t, std::string_view format, bool utc) {
    CivilTime civil = ToCivil(t);
    if (format.empty()) format = "o";
    if (format.size() == 1) {
        auto pattern = StandardPattern(format[0]);
        if (!pattern)
            return MakeError(ErrorKind::kInvalidInput, "expr.format",
                             "'" + std::string(format) + "' is not a standard date/time format specifier");
        return FormatCustom(civil, *pattern, format, utc);
    }
    return FormatCustom(civil, format, format, utc);
}

std::optional<TimePoint> ParseDateTimeLoose(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (auto iso = ParseTimestamp(text)) return iso;
    return ParseUsCulture(text);
}

}  // namespace adxflow::expr
