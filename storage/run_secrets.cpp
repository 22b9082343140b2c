#include "storage/run_secrets.hpp"

#include <algorithm>

#include "core/model/secrets.hpp"

namespace adxflow::storage {

namespace {

bool IsSealedParameter(const Json& v) {
    return v.is_object() && v.contains("encryptedValue") && model::IsSecureString(v);
}

}  // namespace

Json SealRunParameters(const Json& pipeline, const Json& parameters, const SecretBox& box) {
    if (!parameters.is_object()) return parameters;
    Json out = parameters;
    for (auto it = out.begin(); it != out.end(); ++it)
        if (it.value().is_string() && model::IsSecureParameter(pipeline, it.key()))
            it.value() =
                Json{{"type", "SecureString"}, {"encryptedValue", box.Seal(it.value().get<std::string>())}};
    return out;
}

Result<Json> OpenRunParameters(const Json& stored, const SecretBox& box) {
    if (!stored.is_object()) return stored;
    Json out = stored;
    for (auto it = out.begin(); it != out.end(); ++it) {
        if (!IsSealedParameter(it.value())) continue;
        const Json& sealed = it.value()["encryptedValue"];
        if (!sealed.is_string())
            return MakeError(ErrorKind::kInternal, "store.run_secrets",
                             "parameter '" + it.key() + "' has a malformed encrypted value",
                             "SecretDecryptionFailed");
        auto plain = box.Open(sealed.get<std::string>());
        if (!plain.ok())
            return MakeError(ErrorKind::kInternal, "store.run_secrets",
                             "parameter '" + it.key() + "' cannot be decrypted with this daemon's key",
                             "SecretDecryptionFailed");
        it.value() = std::move(plain).value();
    }
    return out;
}

}  // namespace adxflow::storage
