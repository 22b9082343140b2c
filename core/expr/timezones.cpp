#include "core/expr/timezones.hpp"

#include "core/expr/datetime_format.hpp"
#include "core/json.hpp"

namespace adxflow::expr {

enum class DstRule { kNone, kUnitedStates, kEuropeanUnion };

struct TimeZone {
    const char* id;
    int standard_offset_minutes;
    DstRule rule;
};

namespace {

constexpr TimeZone kZones[] = {
    {"UTC", 0, DstRule::kNone},
    {"Coordinated Universal Time", 0, DstRule::kNone},
    {"GMT Standard Time", 0, DstRule::kEuropeanUnion},
    {"Greenwich Standard Time", 0, DstRule::kNone},
    {"W. Europe Standard Time", 60, DstRule::kEuropeanUnion},
    {"Romance Standard Time", 60, DstRule::kEuropeanUnion},
    {"Central Europe Standard Time", 60, DstRule::kEuropeanUnion},
    {"Central European Standard Time", 60, DstRule::kEuropeanUnion},
    {"GTB Standard Time", 120, DstRule::kEuropeanUnion},
    {"FLE Standard Time", 120, DstRule::kEuropeanUnion},
    {"E. Europe Standard Time", 120, DstRule::kEuropeanUnion},
    {"Eastern Standard Time", -300, DstRule::kUnitedStates},
    {"Central Standard Time", -360, DstRule::kUnitedStates},
    {"Mountain Standard Time", -420, DstRule::kUnitedStates},
    {"US Mountain Standard Time", -420, DstRule::kNone},
    {"Pacific Standard Time", -480, DstRule::kUnitedStates},
    {"Alaskan Standard Time", -540, DstRule::kUnitedStates},
    {"Hawaiian Standard Time", -600, DstRule::kNone},
    {"SA Pacific Standard Time", -300, DstRule::kNone},
    {"Arabian Standard Time", 240, DstRule::kNone},
    {"India Standard Time", 330, DstRule::kNone},
    {"SE Asia Standard Time", 420, DstRule::kNone},
    {"China Standard Time", 480, DstRule::kNone},
    {"Singapore Standard Time", 480, DstRule::kNone},
    {"Tokyo Standard Time", 540, DstRule::kNone},
    {"Korea Standard Time", 540, DstRule::kNone},
};

// Day of month of the n-th (1-based) Sunday of a month, or of the last one when n == 0.
int SundayOfMonth(int year, int month, int n) {
    if (n > 0) {
        int first_weekday = ToCivil(FromCivil(year, month, 1, 0, 0, 0, 0)).day_of_week;
        return 1 + (7 - first_weekday) % 7 + 7 * (n - 1);
    }
    TimePoint last = AddTicks(AddMonths(FromCivil(year, month, 1, 0, 0, 0, 0), 1), -24 * 36000000000LL);
    CivilTime c = ToCivil(last);
    return c.day - c.day_of_week;
}

bool InDaylightTime(const TimeZone& zone, TimePoint utc) {
    int year = ToCivil(utc).year;
    // Outside the years TimePoint holds whole (1678 and 2262 are cut), a time is a saturated out-of-range
    // value and its transition dates cannot be computed: no daylight time.
    if (year < 1679 || year > 2261) return false;
    switch (zone.rule) {
        case DstRule::kNone:
            return false;
        case DstRule::kUnitedStates: {
            // 02:00 local standard time on the second Sunday of March until 02:00 local daylight time on the
            // first Sunday of November.
            constexpr long long kTicksPerMinute = 600000000;
            TimePoint start = AddTicks(FromCivil(year, 3, SundayOfMonth(year, 3, 2), 2, 0, 0, 0),
                                       -zone.standard_offset_minutes * kTicksPerMinute);
            TimePoint end = AddTicks(FromCivil(year, 11, SundayOfMonth(year, 11, 1), 2, 0, 0, 0),
                                     -(zone.standard_offset_minutes + 60) * kTicksPerMinute);
            return utc >= start && utc < end;
        }
        case DstRule::kEuropeanUnion: {
            // 01:00 UTC on the last Sunday of March until 01:00 UTC on the last Sunday of October.
            TimePoint start = FromCivil(year, 3, SundayOfMonth(year, 3, 0), 1, 0, 0, 0);
            TimePoint end = FromCivil(year, 10, SundayOfMonth(year, 10, 0), 1, 0, 0, 0);
            return utc >= start && utc < end;
        }
    }
    return false;
}

}  // namespace

const TimeZone* FindTimeZone(std::string_view windows_id) {
    for (const TimeZone& zone : kZones)
        if (IEquals(zone.id, windows_id)) return &zone;
    return nullptr;
}

std::chrono::minutes UtcOffsetAt(const TimeZone& zone, TimePoint utc) {
    return std::chrono::minutes(zone.standard_offset_minutes + (InDaylightTime(zone, utc) ? 60 : 0));
}

TimePoint UtcToLocal(const TimeZone& zone, TimePoint utc) {
    return AddTicks(utc, UtcOffsetAt(zone, utc).count() * 600000000LL);
}

TimePoint LocalToUtc(const TimeZone& zone, TimePoint local) {
    TimePoint standard = AddTicks(local, -zone.standard_offset_minutes * 600000000LL);
    TimePoint daylight = AddTicks(standard, -36000000000LL);
    // Daylight time only when both readings agree it is in effect: in the autumn overlap the hour is
    // ambiguous and standard time is taken; in the spring gap the time does not exist and standard is taken.
    return InDaylightTime(zone, standard) && InDaylightTime(zone, daylight) ? daylight : standard;
}

}  // namespace adxflow::expr
