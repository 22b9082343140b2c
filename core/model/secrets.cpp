#include "core/model/secrets.hpp"

#include <algorithm>
#include <array>

#include "core/model/checker.hpp"

namespace adxflow::model {
namespace {

using detail::InvalidAt;

constexpr std::array<std::string_view, 9> kSecretFields = {"password",
                                                           "servicePrincipalKey",
                                                           "accountKey",
                                                           "sasToken",
                                                           "sasUri",
                                                           "connectionString",
                                                           "clientSecret",
                                                           "servicePrincipalCredential",
                                                           "encryptedCredential"};

// The members of a SecureString object that hold the secret, and where the sealed copy is kept:
// {"value"} for secret values, {"defaultValue"} for SecureString parameter declarations.
struct SecretMember {
    std::string_view plain;
    std::string_view sealed;
};
constexpr std::array<SecretMember, 2> kSecretMembers = {
    {{"value", "encryptedValue"}, {"defaultValue", "encryptedDefaultValue"}}};

constexpr std::string_view kOriginalForm = "originalForm";

bool HasType(const Json& value, std::string_view type) {
    if (!value.is_object()) return false;
    const Json* t = FindMember(value, "type");
    return t && t->is_string() && IEquals(t->get_ref<const std::string&>(), type);
}

bool WasPlainString(const Json& stored) {
    const Json* form = FindMember(stored, kOriginalForm);
    return form && form->is_string() && IEquals(form->get_ref<const std::string&>(), "String");
}

// The sealed value at `sealed_member` of the previous stored version of this secret, if any.
const std::string* PreviousSealed(const Json* previous, std::string_view sealed_member) {
    if (!previous || !previous->is_object()) return nullptr;
    const Json* sealed = FindMember(*previous, sealed_member);
    return sealed && sealed->is_string() ? &sealed->get_ref<const std::string&>() : nullptr;
}

Json WithoutSealedMembers(const Json& object) {
    Json out = object;
    for (const auto& m : kSecretMembers) out.erase(std::string(m.sealed));
    out.erase(std::string(kOriginalForm));
    return out;
}

class Sealer {
  public:
    explicit Sealer(const std::function<std::string(std::string_view)>& encrypt) : encrypt_(encrypt) {}

    Result<Json> Seal(const Json& node, const Json* previous, const std::string& path) {
        if (node.is_array()) {
            Json out = Json::array();
            for (size_t i = 0; i < node.size(); ++i) {
                const Json* prev =
                    previous && previous->is_array() && i < previous->size() ? &(*previous)[i] : nullptr;
                ADXFLOW_ASSIGN_OR_RETURN(Json item, Seal(node[i], prev, JoinIndex(path, i)));
                out.push_back(std::move(item));
            }
            return out;
        }
        if (!node.is_object()) return node;
        if (IsSecureString(node)) return SealSecureString(node, previous, path);
        if (IsKeyVaultSecret(node)) return node;
        Json out = Json::object();
        for (auto it = node.begin(); it != node.end(); ++it) {
            const Json* prev = previous && previous->is_object() ? FindMember(*previous, it.key()) : nullptr;
            std::string child_path = JoinPath(path, it.key());
            if (IsSecretFieldName(it.key()) && it.value().is_string()) {
                ADXFLOW_ASSIGN_OR_RETURN(
                    out[it.key()],
                    SealPlainString(it.value().get_ref<const std::string&>(), prev, child_path));
                continue;
            }
            ADXFLOW_ASSIGN_OR_RETURN(out[it.key()], Seal(it.value(), prev, child_path));
        }
        return out;
    }

  private:
    // The sealed form of one secret text, or the previous sealed form when the client sent the mask back.
    Result<std::string> SealText(const std::string& plain, const Json* previous,
                                 std::string_view sealed_member, const std::string& path) {
        if (plain == kSecretMask) {
            if (const std::string* kept = PreviousSealed(previous, sealed_member)) return *kept;
            return InvalidAt(path,
                             "is the mask \"**********\" but no stored secret exists at this path to keep; "
                             "send the secret itself");
        }
        return encrypt_(plain);
    }

    Result<Json> SealSecureString(const Json& node, const Json* previous, const std::string& path) {
        Json out = WithoutSealedMembers(node);  // a client never supplies ciphertext
        for (const auto& m : kSecretMembers) {
            const Json* plain = FindMember(node, m.plain);
            if (!plain || plain->is_null()) continue;
            std::string member_path = JoinPath(path, m.plain);
            if (!plain->is_string()) return InvalidAt(member_path, "a SecureString value must be a string");
            ADXFLOW_ASSIGN_OR_RETURN(std::string sealed, SealText(plain->get_ref<const std::string&>(),
                                                                  previous, m.sealed, member_path));
            out.erase(std::string(m.plain));  // the member may have been spelled in another case
            out[std::string(m.plain)] = std::string(kSecretMask);
            out[std::string(m.sealed)] = std::move(sealed);
        }
        return out;
    }

    Result<Json> SealPlainString(const std::string& plain, const Json* previous, const std::string& path) {
        ADXFLOW_ASSIGN_OR_RETURN(std::string sealed, SealText(plain, previous, "encryptedValue", path));
        return Json{{"type", "SecureString"},
                    {"value", std::string(kSecretMask)},
                    {"encryptedValue", std::move(sealed)},
                    {std::string(kOriginalForm), "String"}};
    }

    const std::function<std::string(std::string_view)>& encrypt_;
};

Json Mask(const Json& node) {
    if (node.is_array()) {
        Json out = Json::array();
        for (const auto& item : node) out.push_back(Mask(item));
        return out;
    }
    if (!node.is_object()) return node;
    if (IsSecureString(node)) {
        if (WasPlainString(node)) return Json(std::string(kSecretMask));
        Json out = WithoutSealedMembers(node);
        for (const auto& m : kSecretMembers)
            if (Json* v = FindMember(out, m.plain); v && !v->is_null()) *v = std::string(kSecretMask);
        return out;
    }
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
        // A plain secret string should never be stored, but if one is, it must still not leave.
        if (IsSecretFieldName(it.key()) && it.value().is_string())
            out[it.key()] = std::string(kSecretMask);
        else
            out[it.key()] = Mask(it.value());
    }
    return out;
}

Result<Json> Open(const Json& node, const std::function<Result<std::string>(std::string_view)>& decrypt,
                  const std::string& path) {
    if (node.is_array()) {
        Json out = Json::array();
        for (size_t i = 0; i < node.size(); ++i) {
            ADXFLOW_ASSIGN_OR_RETURN(Json item, Open(node[i], decrypt, JoinIndex(path, i)));
            out.push_back(std::move(item));
        }
        return out;
    }
    if (!node.is_object()) return node;
    if (IsSecureString(node)) {
        Json out = WithoutSealedMembers(node);
        for (const auto& m : kSecretMembers) {
            const Json* sealed = FindMember(node, m.sealed);
            if (!sealed || !sealed->is_string()) continue;
            auto plain = decrypt(sealed->get_ref<const std::string&>());
            if (!plain.ok()) {
                Error e = std::move(plain).error();
                std::string member_path = JoinPath(path, m.plain);
                e.message = member_path + ": cannot decrypt the stored secret: " + e.message;
                e.target = member_path;
                return e;
            }
            if (m.plain == "value" && WasPlainString(node)) return Json(std::move(*plain));
            out.erase(std::string(m.plain));
            out[std::string(m.plain)] = std::move(*plain);
        }
        return out;
    }
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
        ADXFLOW_ASSIGN_OR_RETURN(out[it.key()], Open(it.value(), decrypt, JoinPath(path, it.key())));
    }
    return out;
}

}  // namespace

bool IsSecureString(const Json& value) {
    return HasType(value, "SecureString");
}
bool IsKeyVaultSecret(const Json& value) {
    return HasType(value, "AzureKeyVaultSecret");
}

bool IsSecretFieldName(std::string_view member) {
    for (auto field : kSecretFields)
        if (IEquals(field, member)) return true;
    return false;
}

Result<Json> SealSecrets(const Json& body, const std::function<std::string(std::string_view)>& encrypt,
                         const Json* previous_stored) {
    Sealer sealer(encrypt);
    return sealer.Seal(body, previous_stored, "");
}

Json MaskSecrets(const Json& stored) {
    return Mask(stored);
}

Result<Json> OpenSecrets(const Json& stored,
                         const std::function<Result<std::string>(std::string_view)>& decrypt) {
    return Open(stored, decrypt, "");
}

bool IsSecureParameter(const Json& pipeline, const std::string& name) {
    const Json* declared = FindMember(pipeline, "parameters");
    if (!declared || !declared->is_object()) return false;
    const Json* decl = FindMember(*declared, name);
    if (!decl || !decl->is_object()) return false;
    const Json* type = FindMember(*decl, "type");
    return type && type->is_string() && IEquals(type->get<std::string>(), "SecureString");
}

std::vector<std::string> SecureParameterValues(const Json& pipeline, const Json& parameters) {
    std::vector<std::string> out;
    if (!parameters.is_object()) return out;
    for (auto it = parameters.begin(); it != parameters.end(); ++it)
        if (it.value().is_string() && IsSecureParameter(pipeline, it.key()))
            out.push_back(it.value().get<std::string>());
    std::sort(out.begin(), out.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return out;
}

namespace {
constexpr size_t kMinScrubLength = 4;
}  // namespace

std::string ScrubSecrets(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.size() < kMinScrubLength) continue;
        for (size_t pos = text.find(secret); pos != std::string::npos;
             pos = text.find(secret, pos + kSecretMask.size()))
            text.replace(pos, secret.size(), kSecretMask);
    }
    return text;
}

void ScrubSecrets(Json& value, const std::vector<std::string>& secrets) {
    if (secrets.empty()) return;
    if (value.is_string()) {
        value = ScrubSecrets(value.get<std::string>(), secrets);
    } else if (value.is_structured()) {
        for (auto& child : value) ScrubSecrets(child, secrets);
    }
}

}  // namespace adxflow::model
