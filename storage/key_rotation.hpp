#pragma once
// Secrets-key rotation: every sealed value in the database (definitions, factory global parameters, the
// parameters and pipeline copies of runs, anything else a future table stores in the same form) is opened
// with the old key and sealed again with the new one, in one transaction. Run with the daemon stopped
// (`adxflowd --rotate-secrets-key NEW_KEY_FILE`, docs/operations.md).
//
// Re-running an interrupted rotation is safe: a value that already opens under the new key is left as it
// is, so the command can simply be repeated until the key files are in place. A value that opens under
// neither key fails the whole rotation and changes nothing.

#include <filesystem>

#include "core/error.hpp"
#include "storage/secret_box.hpp"

namespace adxflow::storage {

struct KeyRotationReport {
    size_t resealed = 0;      // values moved from the old key to the new one
    size_t already_new = 0;   // values that were already under the new key
    size_t rows_updated = 0;  // database rows written
};

Result<KeyRotationReport> ReencryptSecrets(const std::filesystem::path& database, const SecretBox& old_key,
                                           const SecretBox& new_key);

// The whole command. `new_key_file` is created (random key, mode 0600) when missing. After the database is
// re-encrypted, a key file the daemon owns is replaced: the old key is kept as `<key_file>.previous` (for
// restoring older backups) and the new file is moved onto `key_file`. A key from a systemd credential is
// read-only: `install_key` false leaves both files alone and the caller tells the operator what to swap.
struct KeyRotation {
    std::filesystem::path database;
    std::filesystem::path key_file;
    std::filesystem::path new_key_file;
    bool install_key = true;
};
struct KeyRotationOutcome {
    KeyRotationReport report;
    bool key_installed = false;
    std::filesystem::path previous_key_file;  // set when installed
};
Result<KeyRotationOutcome> RotateSecretsKey(const KeyRotation& rotation);

}  // namespace adxflow::storage
