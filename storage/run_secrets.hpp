#pragma once
// SecureString pipeline parameters at rest. A run's parameter values are stored sealed (as definitions
// are), the copy of the pipeline kept with the run is stored in its sealed form, and the plaintext of every
// SecureString value is scrubbed from what the run writes later (activity input, output and error, the
// run's message), so that a value passed to createRun never reaches the database file in clear.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/model/secrets.hpp"
#include "storage/secret_box.hpp"

namespace adxflow::storage {

// Parameters as stored: each SecureString value becomes {"type":"SecureString","encryptedValue":"v1:..."}.
Json SealRunParameters(const Json& pipeline, const Json& parameters, const SecretBox& box);
// The inverse; a value that fails to decrypt is an error naming the parameter, never the value.
Result<Json> OpenRunParameters(const Json& stored, const SecretBox& box);

// SecureParameterValues and ScrubSecrets (core/model/secrets.hpp) find and mask the plaintexts.

}  // namespace adxflow::storage
