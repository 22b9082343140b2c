#pragma once
// `adxflowd --rotate-secrets-key NEW_KEY_FILE`: re-encrypts the stored secrets and installs the new key
// (storage/key_rotation.hpp). Prints what it did; the exit code for main().

#include "config/settings.hpp"

namespace adxflow::app {

int RotateSecretsKeyCommand(const config::Settings& settings);

}  // namespace adxflow::app
