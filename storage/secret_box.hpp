#pragma once
// Encryption of secrets at rest (SecureString values in stored definitions). One 256-bit key lives in a
// key file beside the database; every value is sealed with AES-256-GCM under a fresh random nonce, so a
// stolen database alone reveals nothing and a modified ciphertext is detected on Open.
//
// Sealed format: "v1:" + base64(nonce[12] || ciphertext || tag[16]).
// Key file: the 32 key bytes as 64 lower-case hex characters and a newline, mode 0600.

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow {

class SecretBox {
  public:
    static constexpr size_t kKeyBytes = 32;

    // Loads the key from `key_file`. When the file is missing and `create_if_missing`, a random key is
    // written atomically (temporary file created O_EXCL with mode 0600, fsync, then linked into place, so
    // a crash never leaves a half-written key and two daemons starting together agree on one key).
    // A key file readable or writable by group or others is refused.
    static Result<SecretBox> LoadOrCreate(const std::filesystem::path& key_file, bool create_if_missing);

    // A key given as 64 hex characters (surrounding whitespace ignored).
    static Result<SecretBox> FromHex(std::string_view hex);

    std::string Seal(std::string_view plaintext) const;
    // kInvalidInput "SecretDecryptionFailed" when the value is malformed, was sealed under another key or
    // was modified.
    Result<std::string> Open(std::string_view sealed) const;

    SecretBox(const SecretBox&) = default;
    SecretBox& operator=(const SecretBox&) = default;
    ~SecretBox();

  private:
    explicit SecretBox(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
    std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace adxflow
