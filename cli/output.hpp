#pragma once
// Text output helpers shared by the commands: durations, aligned tables, and reading fields of API JSON.

#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"

namespace adxflow::cli {

// "850 ms", "12.4 s", "3m 05s", "2h 07m".
std::string FormatDuration(long long ms);

// Columns separated by two spaces, padded by display width (UTF-8 code points), header underlined.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// A string member, or "" (also for null/absent/non-string).
std::string Str(const Json& object, const char* key);
// An integer member (numbers or numeric strings), or nullopt.
std::optional<long long> Int(const Json& object, const char* key);

// `-p name=value` values: JSON when the text parses as JSON, else the text as a string.
Json ValueFromText(const std::string& text);

// "2024-05-01T10:00:00.1234567Z" -> "2024-05-01 10:00:00" (UTC); "" for null.
std::string ShortTime(const Json& timestamp);

// The message of an ADF error object ({"message": ...}) or of a string; "" when there is none.
std::string ErrorMessage(const Json& error);

}  // namespace adxflow::cli
