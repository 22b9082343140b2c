#pragma once
// Secrets inside resource definitions. ADF marks them as {"type": "SecureString", "value": "..."}; real
// definitions also carry credentials as plain strings in well-known fields (password, accountKey,
// connectionString, ...), which are treated as secrets too. Key Vault references
// ({"type": "AzureKeyVaultSecret", ...}) only name a secret and are stored as written.
//
// Three forms of the same definition:
//   stored (SealSecrets): {"type":"SecureString","value":"**********","encryptedValue":"<sealed>"}; a field
//       that was a plain string also carries "originalForm":"String" so it can be restored as a string.
//       Parameter declarations of type SecureString seal `defaultValue` as "encryptedDefaultValue".
//   API (MaskSecrets): what GET returns; no ciphertext, every secret is the mask (plain-string fields
//       become the mask string).
//   open (OpenSecrets): plaintext, for execution only; never stored or returned.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace adxflow::model {

inline constexpr std::string_view kSecretMask = "**********";

// {"type": "SecureString", ...} (case-insensitive type).
bool IsSecureString(const Json& value);
// {"type": "AzureKeyVaultSecret", ...}.
bool IsKeyVaultSecret(const Json& value);
// password, servicePrincipalKey, accountKey, sasToken, sasUri, connectionString, clientSecret,
// servicePrincipalCredential, encryptedCredential (case-insensitive).
bool IsSecretFieldName(std::string_view member);

// The form to store. `encrypt` seals one plaintext. A secret whose incoming value is exactly kSecretMask
// (a client that GOT and PUT back the definition) keeps the encrypted value found at the same path of
// `previous_stored` (the stored form of the previous version; may be null); a mask with nothing to keep
// is kInvalidInput naming the path. Incoming "encryptedValue" members are ignored, so a client cannot
// transplant a sealed secret from another resource.
Result<Json> SealSecrets(const Json& body, const std::function<std::string(std::string_view)>& encrypt,
                         const Json* previous_stored);

// The API form of a stored definition.
Json MaskSecrets(const Json& stored);

// The plaintext form of a stored definition, for execution. Decryption errors name the path, never the
// secret.
Result<Json> OpenSecrets(const Json& stored,
                         const std::function<Result<std::string>(std::string_view)>& decrypt);

// Plaintexts of a run's SecureString parameters (declared in `pipeline`.parameters), longest first so that a
// secret containing another is replaced whole.
std::vector<std::string> SecureParameterValues(const Json& pipeline, const Json& parameters);
// True when `pipeline` declares parameter `name` with type SecureString.
bool IsSecureParameter(const Json& pipeline, const std::string& name);

// Replaces every occurrence of each secret inside the strings of `value` (or in `text`) with the mask.
// Secrets shorter than 4 characters are ignored: masking "a" would mangle every record and hide nothing.
void ScrubSecrets(Json& value, const std::vector<std::string>& secrets);
std::string ScrubSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace adxflow::model
