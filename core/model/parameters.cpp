#include "core/model/parameters.hpp"

#include <cmath>
#include <set>

#include "core/model/checker.hpp"
#include "core/model/validate.hpp"

namespace adxflow::model {
namespace {

struct TypeName {
    std::string_view name;
    ParameterType type;
};

constexpr TypeName kParameterTypes[] = {
    {"String", ParameterType::kString},
    {"Int", ParameterType::kInt},
    {"Float", ParameterType::kFloat},
    {"Bool", ParameterType::kBool},
    {"Array", ParameterType::kArray},
    {"Object", ParameterType::kObject},
    {"SecureString", ParameterType::kSecureString},
};

constexpr TypeName kVariableTypes[] = {
    {"String", ParameterType::kString}, {"Bool", ParameterType::kBool},   {"Boolean", ParameterType::kBool},
    {"Array", ParameterType::kArray},   {"Integer", ParameterType::kInt},
};

template <size_t N>
std::optional<ParameterType> Lookup(const TypeName (&table)[N], std::string_view type) {
    for (const auto& t : table)
        if (IEquals(t.name, type)) return t.type;
    return std::nullopt;
}

template <size_t N>
std::string TypeList(const TypeName (&table)[N], std::optional<ParameterType> skip = std::nullopt) {
    std::string out;
    for (const auto& t : table) {
        if (skip && t.type == *skip) continue;
        if (!out.empty()) out += ", ";
        out += t.name;
    }
    return out;
}

// Declared defaults must already have the declared type; only the string spellings of numbers and
// booleans are tolerated (ADF's own samples write "15" and "true").
bool DefaultMatches(const Json& value, ParameterType type) {
    if (value.is_null()) return true;
    if (type == ParameterType::kString || type == ParameterType::kSecureString) return value.is_string();
    if (type == ParameterType::kArray) return value.is_array();
    if (type == ParameterType::kObject) return value.is_object() || value.is_array();
    return ConvertToType(value, type).has_value();
}

}  // namespace

std::optional<ParameterType> ParseParameterType(std::string_view type) {
    return Lookup(kParameterTypes, type);
}
std::optional<ParameterType> ParseVariableType(std::string_view type) {
    return Lookup(kVariableTypes, type);
}
std::optional<ParameterType> ParseGlobalParameterType(std::string_view type) {
    auto t = Lookup(kParameterTypes, type);
    if (t == ParameterType::kSecureString) return std::nullopt;
    return t;
}

std::string_view ToString(ParameterType type) {
    for (const auto& t : kParameterTypes)
        if (t.type == type) return t.name;
    return "String";
}

std::optional<Json> ConvertToType(const Json& value, ParameterType type) {
    if (value.is_null()) return value;
    switch (type) {
        case ParameterType::kString:
        case ParameterType::kSecureString:
            if (value.is_string()) return value;
            if (value.is_number() || value.is_boolean()) return Json(value.dump());
            return std::nullopt;
        case ParameterType::kInt:
            if (auto i = AsInt(value)) return Json(*i);
            return std::nullopt;
        case ParameterType::kFloat:
            if (value.is_boolean()) return std::nullopt;
            if (auto d = AsNumber(value); d && std::isfinite(*d)) return value.is_number() ? value : Json(*d);
            return std::nullopt;
        case ParameterType::kBool:
            if (auto b = AsBool(value)) return Json(*b);
            return std::nullopt;
        case ParameterType::kArray:
        case ParameterType::kObject: {
            Json parsed = value;
            // Arrays and objects arrive as JSON text from trigger and ExecutePipeline parameters.
            if (value.is_string()) {
                parsed =
                    Json::parse(value.get_ref<const std::string&>(), nullptr, /*allow_exceptions=*/false);
                if (parsed.is_discarded()) return std::nullopt;
            }
            if (type == ParameterType::kArray ? parsed.is_array() : (parsed.is_object() || parsed.is_array()))
                return parsed;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

Result<Json> BindParameters(const Json& declared, const Json& given) {
    Json bound = Json::object();
    if (!given.is_null() && !given.is_object())
        return detail::InvalidAt("parameters", "run parameters must be a JSON object, got " +
                                                   std::string(detail::JsonTypeName(given)));
    const Json empty = Json::object();
    const Json& decls = declared.is_object() ? declared : empty;
    const Json& values = given.is_object() ? given : empty;

    for (auto it = values.begin(); it != values.end(); ++it) {
        if (!FindMember(decls, it.key()))
            return detail::InvalidAt(
                it.key(), "parameter " + detail::Quoted(it.key()) + " is not declared by the pipeline");
    }
    for (auto it = decls.begin(); it != decls.end(); ++it) {
        const std::string& name = it.key();
        std::optional<ParameterType> type;
        if (const Json* t = FindMember(it.value(), "type"); t && t->is_string())
            type = ParseParameterType(t->get_ref<const std::string&>());
        const Json* value = FindMember(values, name);
        bool from_default = false;
        if (!value) {
            value = FindMember(it.value(), "defaultValue");
            from_default = true;
            if (!value)
                return detail::InvalidAt(
                    name, "parameter " + detail::Quoted(name) + " has no default value and was not given");
        }
        if (!type) {
            bound[name] = *value;
            continue;
        }
        auto converted = ConvertToType(*value, *type);
        if (!converted)
            // The value is not echoed: it may be a SecureString parameter.
            return detail::InvalidAt(name, std::string(from_default ? "default value" : "value") +
                                               " of parameter " + detail::Quoted(name) + " is not a valid " +
                                               std::string(ToString(*type)));
        bound[name] = std::move(*converted);
    }
    return bound;
}

namespace detail {

Status CheckDeclarations(const Json& declarations, std::string_view path, bool variables) {
    if (declarations.is_null()) return Ok();
    if (!declarations.is_object())
        return InvalidAt(path, "must be an object of {name: {type, defaultValue}}, got " +
                                   std::string(JsonTypeName(declarations)));
    std::set<std::string> seen;
    for (auto it = declarations.begin(); it != declarations.end(); ++it) {
        std::string item_path = JoinPath(path, it.key());
        if (it.key().empty()) return InvalidAt(item_path, "names must not be empty");
        if (!seen.insert(ToLower(it.key())).second)
            return InvalidAt(item_path, "is declared twice (names are case-insensitive)");
        const Json& decl = it.value();
        if (!decl.is_object())
            return InvalidAt(
                item_path, "must be an object {type, defaultValue}, got " + std::string(JsonTypeName(decl)));
        const Json* type_json = FindMember(decl, "type");
        std::string type_path = JoinPath(item_path, "type");
        if (!type_json) return InvalidAt(type_path, "is required");
        if (!type_json->is_string()) return InvalidAt(type_path, "must be a string");
        const auto& type_text = type_json->get_ref<const std::string&>();
        auto type = variables ? ParseVariableType(type_text) : ParseParameterType(type_text);
        if (!type)
            return InvalidAt(type_path,
                             "unknown type " + Quoted(type_text) + "; expected one of " +
                                 (variables ? TypeList(kVariableTypes) : TypeList(kParameterTypes)));
        if (const Json* def = FindMember(decl, "defaultValue"); def && !DefaultMatches(*def, *type)) {
            // SecureString defaults are secrets: never quote them.
            std::string shown =
                *type == ParameterType::kSecureString ? std::string(JsonTypeName(*def)) : Quoted(*def);
            return InvalidAt(JoinPath(item_path, "defaultValue"),
                             shown + " is not a valid " + std::string(ToString(*type)));
        }
    }
    return Ok();
}

}  // namespace detail

Status ValidateGlobalParameters(const Json& global_parameters) {
    using detail::InvalidAt;
    if (global_parameters.is_null()) return Ok();
    if (!global_parameters.is_object())
        return InvalidAt("globalParameters", "global parameters must be an object of {name: {type, value}}");
    std::set<std::string> seen;
    for (auto it = global_parameters.begin(); it != global_parameters.end(); ++it) {
        const std::string& name = it.key();
        if (name.empty()) return InvalidAt(name, "global parameter names must not be empty");
        if (!seen.insert(ToLower(name)).second)
            return InvalidAt(name, "global parameter is declared twice (names are case-insensitive)");
        if (!it.value().is_object())
            return InvalidAt(name, "global parameter must be an object {type, value}");
        const Json* type_json = FindMember(it.value(), "type");
        std::string type_path = JoinPath(name, "type");
        if (!type_json || !type_json->is_string())
            return InvalidAt(type_path, "is required and must be a string");
        auto type = ParseGlobalParameterType(type_json->get_ref<const std::string&>());
        if (!type)
            return InvalidAt(type_path, "unknown type " + detail::Quoted(*type_json) + "; expected one of " +
                                            TypeList(kParameterTypes, ParameterType::kSecureString));
        const Json* value = FindMember(it.value(), "value");
        std::string value_path = JoinPath(name, "value");
        if (!value) return InvalidAt(value_path, "is required");
        if (!DefaultMatches(*value, *type))
            return InvalidAt(value_path,
                             detail::Quoted(*value) + " is not a valid " + std::string(ToString(*type)));
    }
    return Ok();
}

}  // namespace adxflow::model
