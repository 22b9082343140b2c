// Collection functions over strings, arrays and objects.

#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

Error NotCollection(const CallEnv& env, const Json& v, std::string_view accepted) {
    return FunctionError(env, "expects " + std::string(accepted) + ", got " + TypeName(v) + " " + Show(v));
}

bool ArrayHas(const Json& array, const Json& value) {
    for (const Json& e : array)
        if (LooseEquals(e, value)) return true;
    return false;
}

// contains: substring of a string (case-sensitive), element of an array, or key of an object.
Result<Json> Contains(std::span<const Json> args, const CallEnv& env) {
    const Json& c = args[0];
    const Json& v = args[1];
    if (c.is_string()) {
        if (!v.is_string()) return Json(c.get<std::string>().find(ToText(v)) != std::string::npos);
        return Json(c.get<std::string>().find(v.get<std::string>()) != std::string::npos);
    }
    if (c.is_array()) return Json(ArrayHas(c, v));
    if (c.is_object()) return Json(v.is_string() && c.contains(v.get<std::string>()));
    return NotCollection(env, c, "a string, array or object");
}

Result<Json> Empty(std::span<const Json> args, const CallEnv& env) {
    const Json& c = args[0];
    if (c.is_null()) return Json(true);
    if (c.is_string()) return Json(c.get<std::string>().empty());
    if (c.is_array() || c.is_object()) return Json(c.empty());
    return NotCollection(env, c, "a string, array or object");
}

Result<Json> Length(std::span<const Json> args, const CallEnv& env) {
    const Json& c = args[0];
    if (c.is_string()) return Json(static_cast<long long>(c.get<std::string>().size()));
    if (c.is_array() || c.is_object()) return Json(static_cast<long long>(c.size()));
    return NotCollection(env, c, "a string or an array");
}

Result<Json> First(std::span<const Json> args, const CallEnv& env) {
    const Json& c = args[0];
    if (c.is_string()) {
        const auto& s = c.get_ref<const std::string&>();
        return s.empty() ? Json() : Json(s.substr(0, 1));
    }
    if (c.is_array()) return c.empty() ? Json() : c.front();
    return NotCollection(env, c, "a string or an array");
}

Result<Json> Last(std::span<const Json> args, const CallEnv& env) {
    const Json& c = args[0];
    if (c.is_string()) {
        const auto& s = c.get_ref<const std::string&>();
        return s.empty() ? Json() : Json(s.substr(s.size() - 1));
    }
    if (c.is_array()) return c.empty() ? Json() : c.back();
    return NotCollection(env, c, "a string or an array");
}

Result<Json> CreateArray(std::span<const Json> args, const CallEnv&) {
    Json out = Json::array();
    for (const Json& a : args) out.push_back(a);
    return out;
}

// union/intersection take all arrays or all objects, never a mix.
Status SameKind(std::span<const Json> args, const CallEnv& env) {
    bool arrays = args[0].is_array();
    for (size_t i = 0; i < args.size(); ++i) {
        if (!args[i].is_array() && !args[i].is_object())
            return NotCollection(env, args[i], "arrays or objects");
        if (args[i].is_array() != arrays)
            return FunctionError(env,
                                 "cannot mix arrays and objects (argument " + std::to_string(i + 1) + ")");
    }
    return Ok();
}

Result<Json> Union(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(SameKind(args, env));
    if (args[0].is_object()) {
        Json out = Json::object();
        for (const Json& o : args)
            for (auto it = o.begin(); it != o.end(); ++it) out[it.key()] = it.value();  // last one wins
        return out;
    }
    Json out = Json::array();
    for (const Json& a : args)
        for (const Json& e : a)
            if (!ArrayHas(out, e)) out.push_back(e);
    return out;
}

Result<Json> Intersection(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_TRY(SameKind(args, env));
    if (args[0].is_object()) {
        Json out = Json::object();
        for (auto it = args[0].begin(); it != args[0].end(); ++it) {
            bool everywhere = true;
            for (size_t i = 1; i < args.size() && everywhere; ++i) {
                auto other = args[i].find(it.key());
                everywhere = other != args[i].end() && LooseEquals(*other, it.value());
            }
            if (everywhere) out[it.key()] = it.value();
        }
        return out;
    }
    Json out = Json::array();
    for (const Json& e : args[0]) {
        bool everywhere = true;
        for (size_t i = 1; i < args.size() && everywhere; ++i) everywhere = ArrayHas(args[i], e);
        if (everywhere && !ArrayHas(out, e)) out.push_back(e);
    }
    return out;
}

Result<Json> Join(std::span<const Json> args, const CallEnv& env) {
    if (!args[0].is_array()) return NotCollection(env, args[0], "an array");
    ADXFLOW_ASSIGN_OR_RETURN(std::string delimiter, StringArg(args, 1, env));
    std::string out;
    for (size_t i = 0; i < args[0].size(); ++i) {
        if (i) out += delimiter;
        out += ToText(args[0][i]);
    }
    return Json(std::move(out));
}

Result<long long> Count(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(long long n, IntArg(args, 1, env));
    if (n < 0) return FunctionError(env, "expects a count of zero or more, got " + std::to_string(n));
    return n;
}

Result<Json> Skip(std::span<const Json> args, const CallEnv& env) {
    if (!args[0].is_array()) return NotCollection(env, args[0], "an array");
    ADXFLOW_ASSIGN_OR_RETURN(long long n, Count(args, env));
    Json out = Json::array();
    for (size_t i = static_cast<size_t>(n); i < args[0].size(); ++i) out.push_back(args[0][i]);
    return out;
}

Result<Json> Take(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(long long n, Count(args, env));
    if (args[0].is_string()) return Json(args[0].get<std::string>().substr(0, static_cast<size_t>(n)));
    if (!args[0].is_array()) return NotCollection(env, args[0], "a string or an array");
    Json out = Json::array();
    for (size_t i = 0; i < args[0].size() && i < static_cast<size_t>(n); ++i) out.push_back(args[0][i]);
    return out;
}

constexpr FunctionSpec kFunctions[] = {
    {"contains", 2, 2, Contains},
    {"empty", 1, 1, Empty},
    {"length", 1, 1, Length},
    {"first", 1, 1, First},
    {"last", 1, 1, Last},
    {"createArray", 1, kUnbounded, CreateArray},
    {"union", 2, kUnbounded, Union},
    {"intersection", 2, kUnbounded, Intersection},
    {"join", 2, 2, Join},
    {"skip", 2, 2, Skip},
    {"take", 2, 2, Take},
};

}  // namespace

std::span<const FunctionSpec> CollectionFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
