#pragma once
// .NET date/time format strings, as ADF's formatDateTime/utcNow/addDays use them, and the loose timestamp
// parsing those functions accept. All values are UTC: ADF's date functions work on UTC instants and
// print 'Z' for K.

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/time.hpp"

namespace adxflow::expr {

// Formats `t` with a standard specifier (one character: o O s u d D t T f F g G M m Y y R r U) or a custom
// pattern (yyyy MM dd HH hh mm ss fffffff FFFFFFF tt K zzz MMMM dddd, quoted literals, '\' escapes, ...).
// Unknown standard specifiers are an error, like .NET's FormatException. `utc` false formats a local
// wall-clock time (after a time-zone conversion): K then prints nothing, as for .NET's unspecified kind.
Result<std::string> FormatDotNet(TimePoint t, std::string_view format, bool utc = true);

// ISO 8601 (via ParseTimestamp) plus the US-culture forms ADF also accepts, e.g. "03/15/2018 12:00:00",
// "3/15/2018 1:05 PM", "03/15/2018".
std::optional<TimePoint> ParseDateTimeLoose(std::string_view text);

// Calendar helpers on UTC instants.
struct CivilTime {
    int year, month, day, hour, minute, second;
    long long ticks_of_second;  // 0..9,999,999 (100 ns units)
    int day_of_week;            // Sunday = 0
    int day_of_year;            // 1-based
};
CivilTime ToCivil(TimePoint t);
TimePoint FromCivil(int year, int month, int day, int hour, int minute, int second,
                    long long ticks_of_second);
// .NET DateTime.AddMonths: keeps the time of day, clamps the day to the target month's length.
TimePoint AddMonths(TimePoint t, long long months);
// t + `ticks` (100 ns units). TimePoint holds years 1678..2261 only: a sum outside saturates to
// TimePoint::max()/min(), as ParseTimestamp does, instead of overflowing (fuzz_expr found the overflows).
TimePoint AddTicks(TimePoint t, long long ticks);
// 100-ns ticks since 0001-01-01T00:00:00Z, as .NET DateTime.Ticks.
long long DotNetTicks(TimePoint t);

}  // namespace adxflow::expr
