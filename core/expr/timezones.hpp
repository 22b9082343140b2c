#pragma once
// Windows time-zone ids (as convertFromUtc/convertToUtc/convertTimeZone take them) for the common zones,
// with the current US and EU daylight-saving rules. Not a full tz database: unknown ids are reported, and
// historical rule changes (e.g. US before 2007) are not modelled.

#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace adxflow::expr {

struct TimeZone;
const TimeZone* FindTimeZone(std::string_view windows_id);

// Offset of local time from UTC at the UTC instant `utc`.
std::chrono::minutes UtcOffsetAt(const TimeZone& zone, TimePoint utc);
// The local wall-clock time of `utc` in `zone`, expressed as a TimePoint whose fields read as local time.
TimePoint UtcToLocal(const TimeZone& zone, TimePoint utc);
// The UTC instant of a local wall-clock time (ambiguous times in the autumn overlap take standard time).
TimePoint LocalToUtc(const TimeZone& zone, TimePoint local);

}  // namespace adxflow::expr
