#include "core/model/checker.hpp"

#include "core/expr/expr.hpp"
#include "core/model/secrets.hpp"

namespace adxflow::model::detail {
namespace {

constexpr size_t kMaxQuotedLength = 80;

// Members whose strings ADF never evaluates; checking them would reject e-mail-like descriptions.
bool IsFreeTextMember(std::string_view key) {
    return IEquals(key, "description") || IEquals(key, "annotations") || IEquals(key, "folder");
}

bool HasTypeValue(const Json& object, std::string_view type) {
    const Json* t = FindMember(object, "type");
    return t && t->is_string() && IEquals(t->get_ref<const std::string&>(), type);
}

Status CheckExpressionSyntax(const Json& value, std::string_view path) {
    auto status = expr::CheckSyntax(value);
    if (status.ok()) return status;
    return InvalidAt(path, "invalid expression: " + status.error().message);
}

Status CheckKeyVaultSecret(Checker& checker, const Json& node, const std::string& path) {
    const Json* store = FindMember(node, "store");
    std::string store_path = JoinPath(path, "store");
    if (!store) return InvalidAt(store_path, "is required in an AzureKeyVaultSecret reference");
    ADXFLOW_TRY(checker.CheckReference(store, ResourceKind::kLinkedService, store_path));
    const Json* secret_name = FindMember(node, "secretName");
    std::string name_path = JoinPath(path, "secretName");
    if (!secret_name) return InvalidAt(name_path, "is required in an AzureKeyVaultSecret reference");
    if (IsExpressionValue(*secret_name)) return CheckExpressionSyntax(*secret_name, name_path);
    if (!secret_name->is_string() || secret_name->get_ref<const std::string&>().empty())
        return InvalidAt(name_path, "must be a non-empty string or an expression");
    if (const Json* version = FindMember(node, "secretVersion"); version && !version->is_null()) {
        std::string version_path = JoinPath(path, "secretVersion");
        if (IsExpressionValue(*version)) return CheckExpressionSyntax(*version, version_path);
        if (!version->is_string()) return InvalidAt(version_path, "must be a string or an expression");
    }
    return Ok();
}

Status Walk(Checker& checker, const Json& node, const std::string& path) {
    if (node.is_string()) {
        if (expr::IsExpression(node)) return CheckExpressionSyntax(node, path);
        return Ok();
    }
    if (node.is_array()) {
        for (size_t i = 0; i < node.size(); ++i) ADXFLOW_TRY(Walk(checker, node[i], JoinIndex(path, i)));
        return Ok();
    }
    if (!node.is_object()) return Ok();

    if (IsSecureString(node)) {
        // The value is a secret: check its shape only, never its content (errors must not echo it).
        const Json* value = FindMember(node, "value");
        if (!value || !value->is_string())
            return InvalidAt(JoinPath(path, "value"), "a SecureString needs a string 'value'");
        return Ok();
    }
    if (IsKeyVaultSecret(node)) return CheckKeyVaultSecret(checker, node, path);
    if (HasTypeValue(node, "Expression")) {
        const Json* value = FindMember(node, "value");
        if (value) {
            if (!value->is_string())
                return InvalidAt(JoinPath(path, "value"), "an Expression object needs a string 'value'");
            return CheckExpressionSyntax(node, path);
        }
        // SetVariable's pipelineReturnValue entries spell the member "content".
        const Json* content = FindMember(node, "content");
        if (!content || !content->is_string())
            return InvalidAt(JoinPath(path, "value"), "an Expression object needs a string 'value'");
        return CheckExpressionSyntax(*content, JoinPath(path, "content"));
    }
    if (FindMember(node, "referenceName")) {
        if (const Json* type = FindMember(node, "type"); type && type->is_string()) {
            if (auto kind = ParseReferenceType(type->get_ref<const std::string&>()))
                ADXFLOW_TRY(checker.CheckReference(&node, *kind, path));
        }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (IsFreeTextMember(it.key())) continue;
        if (IsSecretFieldName(it.key()) && it.value().is_string()) continue;
        ADXFLOW_TRY(Walk(checker, it.value(), JoinPath(path, it.key())));
    }
    return Ok();
}

}  // namespace

Error InvalidAt(std::string_view path, std::string_view message) {
    std::string text = path.empty() ? std::string(message) : std::string(path) + ": " + std::string(message);
    return MakeError(ErrorKind::kInvalidInput, "model.validate", std::move(text), "BadRequest",
                     std::string(path));
}

std::string Quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text.substr(0, kMaxQuotedLength)) out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    if (text.size() > kMaxQuotedLength) out += "...";
    return out + "'";
}

std::string Quoted(const Json& value) {
    if (value.is_string()) return Quoted(value.get_ref<const std::string&>());
    std::string text = value.dump();
    if (text.size() > kMaxQuotedLength) {
        text.resize(kMaxQuotedLength);
        text += "...";
    }
    return text;
}

std::string_view JsonTypeName(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::object:
            return "an object";
        case Json::value_t::array:
            return "an array";
        case Json::value_t::string:
            return "a string";
        case Json::value_t::boolean:
            return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
            return "an integer";
        case Json::value_t::number_float:
            return "a number";
        default:
            return "an unsupported value";
    }
}

bool IsExpressionValue(const Json& value) {
    if (value.is_object()) return HasTypeValue(value, "Expression");
    return expr::IsExpression(value);
}

void Checker::AddReference(ResourceKind kind, std::string name, std::string path) {
    for (const auto& r : references_)
        if (r.path == path) return;
    references_.push_back({kind, std::move(name), std::move(path)});
}

Status Checker::CheckReference(const Json* ref, ResourceKind expected, std::string_view path) {
    std::string expected_type(ReferenceType(expected));
    if (!ref || !ref->is_object())
        return InvalidAt(
            path, "must be a reference object {\"referenceName\": ..., \"type\": \"" + expected_type + "\"}");
    const Json* type = FindMember(*ref, "type");
    if (type && (!type->is_string() || !IEquals(type->get_ref<const std::string&>(), expected_type)))
        return InvalidAt(JoinPath(path, "type"),
                         "must be " + Quoted(expected_type) + ", got " + Quoted(*type));
    const Json* name = FindMember(*ref, "referenceName");
    std::string name_path = JoinPath(path, "referenceName");
    if (!name) return InvalidAt(name_path, "is required");
    if (!name->is_string() || name->get_ref<const std::string&>().empty())
        return InvalidAt(name_path, "must be a non-empty string");
    if (expr::IsExpression(*name))
        return InvalidAt(name_path, "must name a " + std::string(DisplayName(expected)) +
                                        "; expressions are not allowed here");
    AddReference(expected, name->get<std::string>(), std::string(path));
    return Ok();
}

Result<const Json*> Checker::ObjectMember(const Json& parent, std::string_view member,
                                          std::string_view parent_path, bool required) {
    const Json* value = FindMember(parent, member);
    std::string path = JoinPath(parent_path, member);
    if (!value) {
        if (required) return InvalidAt(path, "is required");
        return static_cast<const Json*>(nullptr);
    }
    if (!value->is_object())
        return InvalidAt(path, "must be an object, got " + std::string(JsonTypeName(*value)));
    return value;
}

Result<std::string> Checker::StringMember(const Json& parent, std::string_view member,
                                          std::string_view parent_path) {
    const Json* value = FindMember(parent, member);
    std::string path = JoinPath(parent_path, member);
    if (!value) return InvalidAt(path, "is required");
    if (!value->is_string() || value->get_ref<const std::string&>().empty())
        return InvalidAt(path, "must be a non-empty string, got " + std::string(JsonTypeName(*value)));
    return value->get<std::string>();
}

Result<std::optional<long long>> Checker::IntOrExpression(const Json& value, std::string_view path,
                                                          long long min, long long max) {
    if (IsExpressionValue(value)) return std::optional<long long>();
    auto number = AsInt(value);
    if (!number) return InvalidAt(path, "must be an integer or an expression, got " + Quoted(value));
    if (*number < min || *number > max)
        return InvalidAt(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                   ", got " + std::to_string(*number));
    return std::optional<long long>(*number);
}

Status Checker::BoolOrExpression(const Json& value, std::string_view path) {
    if (IsExpressionValue(value) || AsBool(value)) return Ok();
    return InvalidAt(path, "must be true, false or an expression, got " + Quoted(value));
}

Status CheckTree(Checker& checker, const Json& properties, std::string_view path) {
    if (!properties.is_object()) return Ok();
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        // Declarations hold literal defaults, never evaluated; CheckDeclarations covers them.
        if (IsFreeTextMember(it.key()) || IEquals(it.key(), "parameters") || IEquals(it.key(), "variables"))
            continue;
        if (IsSecretFieldName(it.key()) && it.value().is_string()) continue;
        ADXFLOW_TRY(Walk(checker, it.value(), JoinPath(path, it.key())));
    }
    return Ok();
}

}  // namespace adxflow::model::detail
