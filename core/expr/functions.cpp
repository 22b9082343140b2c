// Function lookup and the argument helpers every family shares.

#include "core/expr/functions.hpp"

#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "core/expr/datetime_format.hpp"

namespace adxflow::expr {
namespace {

using Table = std::unordered_map<std::string, const FunctionSpec*>;

Table BuildTable() {
    Table table;
    for (auto family : {AccessFunctions(), StringFunctions(), CollectionFunctions(), LogicFunctions(),
                        MathFunctions(), ConversionFunctions(), DateTimeFunctions(), XmlFunctions()}) {
        for (const FunctionSpec& spec : family) table.emplace(ToLower(spec.name), &spec);
    }
    return table;
}

// Numbers as .NET prints them: integral doubles without ".0", others in shortest round-trip form.
std::string NumberText(const Json& v) {
    if (!v.is_number_float()) return v.dump();
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", d);
        return buf;
    }
    return v.dump();
}

}  // namespace

const FunctionSpec* FindFunction(std::string_view name) {
    static const Table table = BuildTable();
    auto it = table.find(ToLower(name));
    return it == table.end() ? nullptr : it->second;
}

Error FunctionError(const CallEnv& env, std::string_view problem) {
    return MakeError(ErrorKind::kInvalidInput, kFunctionOp,
                     "function '" + std::string(env.function) + "' " + std::string(problem));
}

std::string TypeName(const Json& v) {
    switch (v.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::boolean:
            return "boolean";
        case Json::value_t::string:
            return "string";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "integer";
        case Json::value_t::number_float:
            return "float";
        case Json::value_t::array:
            return "array";
        case Json::value_t::object:
            return "object";
        default:
            return "binary";
    }
}

std::string Show(const Json& v) {
    std::string text = v.is_string() ? "'" + v.get<std::string>() + "'" : NumberText(v);
    if (text.size() > 120) {
        text.resize(117);
        text += "...";
    }
    return text;
}

std::string ToText(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    // ADF inserts nothing for a null (e.g. "@{pipeline()?.TriggeredByPipelineName}" on a manual run).
    if (v.is_null()) return "";
    if (v.is_number()) return NumberText(v);
    // An XML value (xml(), xpath()) reads as its XML text, as string(xml(...)) does in ADF.
    if (v.is_object() && v.size() == 2 && v.value("$content-type", "").rfind("application/xml", 0) == 0)
        if (auto text = DecodeBase64(v.value("$content", ""))) return *text;
    return v.dump();
}

Result<std::string> StringArg(std::span<const Json> args, size_t i, const CallEnv& env) {
    if (!args[i].is_string())
        return FunctionError(env, "expects a string as argument " + std::to_string(i + 1) + ", got " +
                                      TypeName(args[i]) + " " + Show(args[i]));
    return args[i].get<std::string>();
}

Result<long long> IntArg(std::span<const Json> args, size_t i, const CallEnv& env) {
    const Json& v = args[i];
    if (v.is_number()) {
        if (auto n = AsInt(v)) return *n;
    }
    return FunctionError(env, "expects an integer as argument " + std::to_string(i + 1) + ", got " +
                                  TypeName(v) + " " + Show(v));
}

Result<double> NumberArg(std::span<const Json> args, size_t i, const CallEnv& env) {
    if (args[i].is_number()) return args[i].get<double>();
    return FunctionError(env, "expects a number as argument " + std::to_string(i + 1) + ", got " +
                                  TypeName(args[i]) + " " + Show(args[i]));
}

Result<TimePoint> TimestampArg(std::span<const Json> args, size_t i, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, i, env));
    if (auto t = ParseDateTimeLoose(text)) return *t;
    return FunctionError(env, "cannot read " + Show(args[i]) +
                                  " as a timestamp (expected ISO 8601 such as "
                                  "'2024-03-15T12:00:00Z')");
}

Result<std::string> FormatArg(std::span<const Json> args, size_t i, const CallEnv& env) {
    if (i >= args.size() || args[i].is_null()) return std::string("o");
    return StringArg(args, i, env);
}

bool LooseEquals(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
        return a == b;
    }
    // The documented oddity: equals(true, 1) is true.
    if (a.is_boolean() && b.is_number()) return a.get<bool>() == (b.get<double>() != 0);
    if (a.is_number() && b.is_boolean()) return LooseEquals(b, a);
    if (a.type() != b.type()) return false;
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!LooseEquals(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = a.begin(); it != a.end(); ++it) {
            auto other = b.find(it.key());
            if (other == b.end() || !LooseEquals(it.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

}  // namespace adxflow::expr
