// Math functions. Two integers give an integer (div truncates, as div(11, 5) = 2); a float anywhere gives a
// float. Integer overflow and division by zero are errors rather than silent wrap-around or infinity.

#include <cmath>
#include <random>

#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

bool BothIntegers(const Json& a, const Json& b) {
    return a.is_number_integer() && b.is_number_integer();
}

Status CheckNumbers(std::span<const Json> args, const CallEnv& env) {
    for (size_t i = 0; i < args.size(); ++i) {
        auto r = NumberArg(args, i, env);
        if (!r.ok()) return std::move(r).error();
    }
    return Ok();
}

Error Overflow(const CallEnv& env, std::span<const Json> args) {
    return FunctionError(env, "overflows a 64-bit integer for " + Show(args[0]) + " and " + Show(args[1]));
}

Result<Json> Add(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(CheckNumbers(args, env));
    if (BothIntegers(args[0], args[1])) {
        long long out;
        if (__builtin_add_overflow(args[0].get<long long>(), args[1].get<long long>(), &out))
            return Overflow(env, args);
        return Json(out);
    }
    return Json(args[0].get<double>() + args[1].get<double>());
}

Result<Json> Sub(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(CheckNumbers(args, env));
    if (BothIntegers(args[0], args[1])) {
        long long out;
        if (__builtin_sub_overflow(args[0].get<long long>(), args[1].get<long long>(), &out))
            return Overflow(env, args);
        return Json(out);
    }
    return Json(args[0].get<double>() - args[1].get<double>());
}

Result<Json> Mul(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(CheckNumbers(args, env));
    if (BothIntegers(args[0], args[1])) {
        long long out;
        if (__builtin_mul_overflow(args[0].get<long long>(), args[1].get<long long>(), &out))
            return Overflow(env, args);
        return Json(out);
    }
    return Json(args[0].get<double>() * args[1].get<double>());
}

Result<Json> Div(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(CheckNumbers(args, env));
    if (args[1].get<double>() == 0) return FunctionError(env, "cannot divide by zero");
    if (BothIntegers(args[0], args[1])) {
        long long a = args[0].get<long long>(), b = args[1].get<long long>();
        if (b == -1 && a == std::numeric_limits<long long>::min()) return Overflow(env, args);
        return Json(a / b);
    }
    return Json(args[0].get<double>() / args[1].get<double>());
}

Result<Json> Mod(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(CheckNumbers(args, env));
    if (args[1].get<double>() == 0) return FunctionError(env, "cannot divide by zero");
    if (BothIntegers(args[0], args[1])) {
        long long a = args[0].get<long long>(), b = args[1].get<long long>();
        return Json(b == -1 ? 0LL : a % b);
    }
    return Json(std::fmod(args[0].get<double>(), args[1].get<double>()));
}

// max/min take numbers as separate arguments or one array of numbers.
Result<Json> Extreme(std::span<const Json> args, const CallEnv& env, bool want_max) {
    std::span<const Json> values = args;
    std::vector<Json> unpacked;
    if (args.size() == 1 && args[0].is_array()) {
        if (args[0].empty()) return FunctionError(env, "needs at least one number, got an empty array");
        unpacked.assign(args[0].begin(), args[0].end());
        values = unpacked;
    }
    ADXFLOW_TRY(CheckNumbers(values, env));
    const Json* best = &values[0];
    for (const Json& v : values) {
        if (want_max ? v.get<double>() > best->get<double>() : v.get<double>() < best->get<double>())
            best = &v;
    }
    return *best;
}

Result<Json> Max(std::span<const Json> args, const CallEnv& env) {
    return Extreme(args, env, true);
}
Result<Json> Min(std::span<const Json> args, const CallEnv& env) {
    return Extreme(args, env, false);
}

Result<Json> Rand(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(long long low, IntArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(long long high, IntArg(args, 1, env));
    if (low >= high)
        return FunctionError(env, "needs a minimum below the exclusive maximum, got " + std::to_string(low) +
                                      " and " + std::to_string(high));
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return Json(std::uniform_int_distribution<long long>(low, high - 1)(rng));
}

// range(start, count): count integers from start. Capped so a typo cannot allocate gigabytes.
Result<Json> Range(std::span<const Json> args, const CallEnv& env) {
    constexpr long long kMaxCount = 100000;
    ADXFLOW_ASSIGN_OR_RETURN(long long start, IntArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(long long count, IntArg(args, 1, env));
    if (count < 0 || count > kMaxCount)
        return FunctionError(env, "needs a count between 0 and " + std::to_string(kMaxCount) + ", got " +
                                      std::to_string(count));
    Json out = Json::array();
    for (long long i = 0; i < count; ++i) out.push_back(start + i);
    return out;
}

constexpr FunctionSpec kFunctions[] = {
    {"add", 2, 2, Add},          {"sub", 2, 2, Sub},   {"mul", 2, 2, Mul},
    {"div", 2, 2, Div},          {"mod", 2, 2, Mod},   {"max", 1, kUnbounded, Max},
    {"min", 1, kUnbounded, Min}, {"rand", 2, 2, Rand}, {"range", 2, 2, Range},
};

}  // namespace

std::span<const FunctionSpec> MathFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
