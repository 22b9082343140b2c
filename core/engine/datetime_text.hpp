#pragma once
// Date/time and timespan text for the translator's conversions: ISO 8601 and .NET custom format strings
// (the subset ADF users write: yyyy yy MM M dd d HH H hh h mm m ss s f..fffffff F..FFFFFFF tt zzz zz K,
// 'quoted' and "quoted" literals, \c escapes; timespans d.. hh h mm m ss s f.. F..). Datetimes come out in
// the cells' canonical form: ISO 8601 UTC with 'Z' and the fraction's trailing zeros trimmed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace adxflow::engine {

// Date, then optionally [T| ]hh:mm[:ss[.f...]] and Z or +hh[:mm] (converted to UTC).
std::optional<std::string> ParseIsoDateTime(std::string_view text);
// `text` read with a .NET custom `format`; nullopt when it does not match or is not a valid date.
std::optional<std::string> ParseDateTimeWithFormat(std::string_view text, std::string_view format);
// A canonical datetime written with `format` (UTC: zzz is +00:00, K is Z).
std::optional<std::string> FormatDateTimeWithFormat(std::string_view canonical, std::string_view format);
// "[-][d.]hh:mm:ss[.f...]" -> 100-ns ticks.
std::optional<int64_t> ParseTimespanTicks(std::string_view text);
std::optional<int64_t> ParseTimespanWithFormat(std::string_view text, std::string_view format);
// Kusto's timespan text: "[-][d.]hh:mm:ss[.fffffff]".
std::string TimespanText(int64_t ticks);

}  // namespace adxflow::engine
