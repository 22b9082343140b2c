#pragma once
// The function table. Each family (access, string, collection, logic, math, conversion, date/time) lives in
// its own file and exports a list of FunctionSpecs; FindFunction looks names up case-insensitively, as ADF
// does (`utcnow()` == `utcNow()`).
//
// Implementations report problems with FunctionError(); the evaluator adds the quoted expression.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/expr/expr.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace adxflow::expr {

struct CallEnv {
    const EvalContext& ctx;
    std::string_view function;  // canonical name, for messages
};

using EagerFunction = Result<Json> (*)(std::span<const Json> args, const CallEnv& env);
// For functions that must not evaluate every argument (if, and, or, coalesce): `arg(i)` evaluates one.
using ArgEvaluator = std::function<Result<Json>(size_t index)>;
using LazyFunction = Result<Json> (*)(size_t count, const ArgEvaluator& arg, const CallEnv& env);

inline constexpr int kUnbounded = -1;

struct FunctionSpec {
    const char* name;  // canonical spelling
    int min_args;
    int max_args;  // kUnbounded for variadic functions
    EagerFunction eager = nullptr;
    LazyFunction lazy = nullptr;
};

const FunctionSpec* FindFunction(std::string_view name);

std::span<const FunctionSpec> AccessFunctions();
std::span<const FunctionSpec> StringFunctions();
std::span<const FunctionSpec> CollectionFunctions();
std::span<const FunctionSpec> LogicFunctions();
std::span<const FunctionSpec> MathFunctions();
std::span<const FunctionSpec> ConversionFunctions();
std::span<const FunctionSpec> DateTimeFunctions();
std::span<const FunctionSpec> XmlFunctions();  // xml(), xpath()

// ---- helpers for implementations ----------------------------------------------------------------------

// An error raised by a function; op "expr.function" tells the evaluator to prefix the expression.
Error FunctionError(const CallEnv& env, std::string_view problem);
inline constexpr const char* kFunctionOp = "expr.function";

// "string", "integer", "float", "boolean", "array", "object", "null".
std::string TypeName(const Json& v);
// A value shown in a message: strings quoted, others as compact JSON, long values cut.
std::string Show(const Json& v);
// Text of a value as interpolation and concat() insert it: strings raw, everything else as JSON.
std::string ToText(const Json& v);

Result<std::string> StringArg(std::span<const Json> args, size_t i, const CallEnv& env);
Result<long long> IntArg(std::span<const Json> args, size_t i, const CallEnv& env);
Result<double> NumberArg(std::span<const Json> args, size_t i, const CallEnv& env);
Result<TimePoint> TimestampArg(std::span<const Json> args, size_t i, const CallEnv& env);
// Optional trailing format argument of the date/time functions ("o" when absent).
Result<std::string> FormatArg(std::span<const Json> args, size_t i, const CallEnv& env);

std::string EncodeBase64(std::string_view bytes);
std::optional<std::string> DecodeBase64(std::string_view text);

// Deep equality with ADF's loosenesses: 1 == 1.0 and true == 1.
bool LooseEquals(const Json& a, const Json& b);

}  // namespace adxflow::expr
