#pragma once
// Parameter and variable declarations ({"name": {"type": "Int", "defaultValue": 5}}) and binding of the
// values a run is started with. Type names are matched case-insensitively: real files contain "int".

#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"

namespace adxflow::model {

enum class ParameterType { kString, kInt, kFloat, kBool, kArray, kObject, kSecureString };

// Pipeline/dataset/linked-service parameter types: String, Int, Float, Bool, Array, Object, SecureString.
std::optional<ParameterType> ParseParameterType(std::string_view type);
// Variable types: String, Bool (also "Boolean", as ADF Studio writes), Array, Integer.
std::optional<ParameterType> ParseVariableType(std::string_view type);
// Global parameter types: as parameters but without SecureString.
std::optional<ParameterType> ParseGlobalParameterType(std::string_view type);
std::string_view ToString(ParameterType type);

// Convert `value` to `type` under ADF's lenient rules: "15" -> 15 for Int, "true" -> true for Bool,
// "1.5" -> 1.5 for Float, a JSON text -> array/object for Array/Object, scalars -> text for String.
// nullopt when it does not convert. null stays null.
std::optional<Json> ConvertToType(const Json& value, ParameterType type);

// Bind run parameters: every given name must be declared (matched case-insensitively; the result uses the
// declared spelling), undeclared ones are refused, missing ones take their defaultValue or are refused,
// and values are converted to the declared type. Errors are kInvalidInput with target = parameter name.
Result<Json> BindParameters(const Json& declared, const Json& given);

}  // namespace adxflow::model
