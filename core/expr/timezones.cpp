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
    TimePoint last = AddMonths(FromCivil(year, month, 1, 0, 0, 0, 0), 1) - std::chrono::hours(24);
    CivilTime c = ToCivil(last);
    return c.day - c.day_of_week;
}

bool InDaylightTime(const TimeZone& zone, TimePoint utc) {
    using std::chrono::minutes;
    int year = ToCivil(utc).year;
    switch (zone.rule) {
        case DstRule::kNone:
            return false;
        case DstRule::kUnitedStates: {
            // 02:00 local standard time on the second Sunday of March until 02:00 local daylight time on the
            // first Sunday of November.
            TimePoint start = FromCivil(year, 3, SundayOfMonth(year, 3, 2), 2, 0, 0, 0) -
                              minutes(zone.standard_offset_minutes);
            TimePoint end = FromCivil(year, 11, SundayOfMonth(year, 11, 1), 2, 0, 0, 0) -
                            minutes(zone.standard_offset_minutes + 60);
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
    return utc + UtcOffsetAt(zone, utc);
}

TimePoint LocalToUtc(const TimeZone& zone, TimePoint local) {
    TimePoint standard = local - std::chrono::minutes(zone.standard_offset_minutes);
    TimePoint daylight = standard - std::chrono::hours(1);
    // Daylight time only when both readings agree it is in effect: in the autumn overlap the hour is
    // ambiguous and standard time is taken; in the spring gap the time does not exist and standard is taken.
    return InDaylightTime(zone, standard) && InDaylightTime(zone, daylight) ? daylight : standard;
}

}  // namespace adxflow::expr
