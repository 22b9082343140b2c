// Logical and comparison functions. if/and/or/coalesce evaluate their arguments lazily, so
// "@if(empty(x), 'none', x[0])" does not fail on the branch that is not taken.

#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

Result<bool> BoolValue(const Json& v, size_t i, const CallEnv& env) {
    if (v.is_boolean()) return v.get<bool>();
    return FunctionError(env, "expects a boolean as argument " + std::to_string(i + 1) + ", got " +
                                  TypeName(v) + " " + Show(v));
}

Result<Json> If(size_t, const ArgEvaluator& arg, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(Json condition, arg(0));
    ADXFLOW_ASSIGN_OR_RETURN(bool yes, BoolValue(condition, 0, env));
    return arg(yes ? 1 : 2);
}

Result<Json> And(size_t count, const ArgEvaluator& arg, const CallEnv& env) {
    for (size_t i = 0; i < count; ++i) {
        ADXFLOW_ASSIGN_OR_RETURN(Json v, arg(i));
        ADXFLOW_ASSIGN_OR_RETURN(bool b, BoolValue(v, i, env));
        if (!b) return Json(false);
    }
    return Json(true);
}

Result<Json> Or(size_t count, const ArgEvaluator& arg, const CallEnv& env) {
    for (size_t i = 0; i < count; ++i) {
        ADXFLOW_ASSIGN_OR_RETURN(Json v, arg(i));
        ADXFLOW_ASSIGN_OR_RETURN(bool b, BoolValue(v, i, env));
        if (b) return Json(true);
    }
    return Json(false);
}

// First non-null argument; empty strings, arrays and objects count as values.
Result<Json> Coalesce(size_t count, const ArgEvaluator& arg, const CallEnv&) {
    for (size_t i = 0; i < count; ++i) {
        ADXFLOW_ASSIGN_OR_RETURN(Json v, arg(i));
        if (!v.is_null()) return v;
    }
    return Json();
}

Result<Json> Not(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(bool b, BoolValue(args[0], 0, env));
    return Json(!b);
}

Result<Json> Equals(std::span<const Json> args, const CallEnv&) {
    return Json(LooseEquals(args[0], args[1]));
}

// Numbers compare numerically, strings ordinally; anything else (or a mix) is an error.
Result<int> Compare(std::span<const Json> args, const CallEnv& env) {
    const Json& a = args[0];
    const Json& b = args[1];
    if (a.is_number() && b.is_number()) {
        if (a.is_number_float() || b.is_number_float()) {
            double x = a.get<double>(), y = b.get<double>();
            return x < y ? -1 : x > y ? 1 : 0;
        }
        long long x = a.get<long long>(), y = b.get<long long>();
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_string() && b.is_string()) {
        int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return FunctionError(env, "compares two numbers or two strings, got " + TypeName(a) + " " + Show(a) +
                                  " and " + TypeName(b) + " " + Show(b));
}

Result<Json> Greater(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(int c, Compare(args, env));
    return Json(c > 0);
}
Result<Json> GreaterOrEquals(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(int c, Compare(args, env));
    return Json(c >= 0);
}
Result<Json> Less(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(int c, Compare(args, env));
    return Json(c < 0);
}
Result<Json> LessOrEquals(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(int c, Compare(args, env));
    return Json(c <= 0);
}

constexpr FunctionSpec kFunctions[] = {
    {"if", 3, 3, nullptr, If},
    {"and", 2, kUnbounded, nullptr, And},
    {"or", 2, kUnbounded, nullptr, Or},
    {"coalesce", 1, kUnbounded, nullptr, Coalesce},
    {"not", 1, 1, Not},
    {"equals", 2, 2, Equals},
    {"greater", 2, 2, Greater},
    {"greaterOrEquals", 2, 2, GreaterOrEquals},
    {"less", 2, 2, Less},
    {"lessOrEquals", 2, 2, LessOrEquals},
};

}  // namespace

std::span<const FunctionSpec> LogicFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
