#include "daemon/app/rotate_key.hpp"

#include <cstdio>
#include <cstdlib>

#include "storage/key_rotation.hpp"

namespace adxflow::app {

int RotateSecretsKeyCommand(const config::Settings& settings) {
    storage::KeyRotation rotation;
    rotation.database = settings.database_path;
    rotation.key_file = settings.secrets_key_file;
    rotation.new_key_file = settings.rotate_secrets_key_to;
    // A key passed by systemd (LoadCredential=) lives in a read-only directory the daemon does not own.
    const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
    std::error_code ec;
    rotation.install_key =
        !(creds && *creds && std::filesystem::equivalent(settings.secrets_key_file.parent_path(), creds, ec));
    auto done = storage::RotateSecretsKey(rotation);
    if (!done.ok()) {
        std::fprintf(stderr, "adxflowd: key rotation failed: %s\n", done.error().message.c_str());
        return 1;
    }
    std::printf("adxflowd: %zu secret(s) re-encrypted (%zu already under the new key) in %zu row(s) of %s\n",
                done->report.resealed, done->report.already_new, done->report.rows_updated,
                settings.database_path.c_str());
    if (done->key_installed) {
        std::printf("adxflowd: the new key is now %s; the old one is kept as %s for older backups\n",
                    settings.secrets_key_file.c_str(), done->previous_key_file.c_str());
    } else {
        std::printf(
            "adxflowd: the key comes from a systemd credential (%s): install %s as its source (the file "
            "named by "
            "LoadCredential=), remove the old one, then start the daemon\n",
            settings.secrets_key_file.c_str(), settings.rotate_secrets_key_to.c_str());
    }
    return 0;
}

}  // namespace adxflow::app
