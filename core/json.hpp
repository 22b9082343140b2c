#pragma once
// JSON helpers shared by every layer. ADF names are case-insensitive, and ADF accepts numbers and booleans
// written as strings; these helpers encode both rules once.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow {

using Json = nlohmann::json;

// Parse text as JSON; a syntax error becomes kInvalidInput naming the line and column.
Result<Json> ParseJson(std::string_view text, std::string_view what = "request body");

// ASCII case-insensitive comparison (ADF names are ASCII in practice).
bool IEquals(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

// Member lookup: exact key first, then a case-insensitive match. Returns nullptr when absent.
const Json* FindMember(const Json& object, std::string_view key);
Json* FindMember(Json& object, std::string_view key);

// A JSON pointer-like path for error messages, e.g. "properties.activities[2].typeProperties.source".
std::string JoinPath(std::string_view base, std::string_view member);
std::string JoinIndex(std::string_view base, size_t index);

// Literal readers that accept ADF's string spellings ("true", "15"). nullopt when absent or not convertible.
std::optional<bool> AsBool(const Json& v);
std::optional<long long> AsInt(const Json& v);
std::optional<double> AsNumber(const Json& v);
std::optional<std::string> AsString(const Json& v);

}  // namespace adxflow
