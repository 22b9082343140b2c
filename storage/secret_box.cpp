#include "storage/secret_box.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace adxflow {
namespace {

constexpr std::string_view kVersionPrefix = "v1:";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

Error KeyError(ErrorKind kind, std::string message) {
    return MakeError(kind, "secret_box.load_key", std::move(message), "SecretKeyUnusable");
}

Error OpenError(std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "secret_box.open", std::move(message),
                     "SecretDecryptionFailed");
}

std::string SystemMessage(int err) {
    return std::strerror(err);
}

std::string Base64Encode(const std::vector<unsigned char>& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::optional<std::vector<unsigned char>> Base64Decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::vector<unsigned char> out(text.size() / 4 * 3);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
    size_t padding = 0;
    for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 2; --i) ++padding;
    out.resize(static_cast<size_t>(n) - padding);
    return out;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Closes a descriptor on every path out of a function.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Status WriteAll(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return KeyError(ErrorKind::kInternal, "writing the key file failed: " + SystemMessage(errno));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok();
}

Result<SecretBox> ReadKeyFile(const std::filesystem::path& key_file) {
    Fd file{::open(key_file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (file.fd < 0) {
        int err = errno;
        return KeyError(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kInvalidInput,
                        "cannot open secret key file " + key_file.string() + ": " + SystemMessage(err));
    }
    struct stat st {};
    if (::fstat(file.fd, &st) != 0)
        return KeyError(ErrorKind::kInternal,
                        "cannot stat secret key file " + key_file.string() + ": " + SystemMessage(errno));
    if (!S_ISREG(st.st_mode))
        return KeyError(ErrorKind::kInvalidInput,
                        "secret key file " + key_file.string() + " is not a regular file");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return KeyError(ErrorKind::kInvalidInput,
                        "secret key file " + key_file.string() + " has mode " + mode +
                            " and is accessible by group or others; refusing to use it "
                            "(run: chmod 600 " +
                            key_file.string() + ")");
    }
    std::string content(256, '\0');
    size_t used = 0;
    while (used < content.size()) {
        ssize_t n = ::read(file.fd, content.data() + used, content.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return KeyError(ErrorKind::kInternal, "reading secret key file " + key_file.string() +
                                                      " failed: " + SystemMessage(errno));
        if (n == 0) break;
        used += static_cast<size_t>(n);
    }
    content.resize(used);
    auto box = SecretBox::FromHex(content);
    OPENSSL_cleanse(content.data(), content.size());
    if (!box.ok())
        return KeyError(ErrorKind::kInvalidInput,
                        "secret key file " + key_file.string() + " is malformed: " + box.error().message);
    return box;
}

Status FsyncDirectory(const std::filesystem::path& dir) {
    Fd d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0 || ::fsync(d.fd) != 0)
        return KeyError(ErrorKind::kInternal,
                        "cannot sync directory " + dir.string() + ": " + SystemMessage(errno));
    return Ok();
}

Result<SecretBox> CreateKeyFile(const std::filesystem::path& key_file) {
    std::array<unsigned char, SecretBox::kKeyBytes> key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        return KeyError(ErrorKind::kInternal, "the random number generator failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (unsigned char b : key) {
        text += kHex[b >> 4];
        text += kHex[b & 0xf];
    }
    text += '\n';
    OPENSSL_cleanse(key.data(), key.size());

    // Write a private temporary file, then link it into place: link() fails if the key file appeared
    // meanwhile, so a concurrent creator's key wins and is never overwritten.
    unsigned char suffix_bytes[6];
    RAND_bytes(suffix_bytes, sizeof suffix_bytes);
    std::string suffix = ".tmp-" + std::to_string(::getpid()) + "-";
    for (unsigned char b : suffix_bytes) suffix += kHex[b & 0xf];
    std::filesystem::path temp = key_file;
    temp += suffix;
    {
        Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
        if (file.fd < 0) {
            OPENSSL_cleanse(text.data(), text.size());
            return KeyError(ErrorKind::kInvalidInput, "cannot create secret key file in " +
                                                          key_file.parent_path().string() + ": " +
                                                          SystemMessage(errno));
        }
        Status written = ::fchmod(file.fd, 0600) == 0 ? WriteAll(file.fd, text)
                                                      : KeyError(ErrorKind::kInternal, "fchmod failed");
        OPENSSL_cleanse(text.data(), text.size());
        if (written.ok() && ::fsync(file.fd) != 0)
            written = KeyError(ErrorKind::kInternal, "fsync of the key file failed: " + SystemMessage(errno));
        if (!written.ok()) {
            ::unlink(temp.c_str());
            return std::move(written).error();
        }
    }
    int linked = ::link(temp.c_str(), key_file.c_str());
    int link_errno = errno;
    ::unlink(temp.c_str());
    if (linked != 0 && link_errno != EEXIST)
        return KeyError(ErrorKind::kInternal, "cannot create secret key file " + key_file.string() + ": " +
                                                  SystemMessage(link_errno));
    ADXFLOW_TRY(FsyncDirectory(key_file.parent_path()));
    return ReadKeyFile(key_file);
}

}  // namespace

SecretBox::~SecretBox() {
    OPENSSL_cleanse(key_.data(), key_.size());
}

Result<SecretBox> SecretBox::LoadOrCreate(const std::filesystem::path& key_file, bool create_if_missing) {
    auto loaded = ReadKeyFile(key_file);
    if (loaded.ok() || loaded.error().kind != ErrorKind::kNotFound || !create_if_missing) return loaded;
    return CreateKeyFile(key_file);
}

Result<SecretBox> SecretBox::FromHex(std::string_view hex) {
    hex = Trim(hex);
    // The message never repeats the input: it is key material.
    if (hex.size() != 2 * kKeyBytes)
        return MakeError(ErrorKind::kInvalidInput, "secret_box.key",
                         "the key must be 64 hexadecimal characters", "SecretKeyUnusable");
    std::array<unsigned char, kKeyBytes> key{};
    for (size_t i = 0; i < kKeyBytes; ++i) {
        int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key.data(), key.size());
            return MakeError(ErrorKind::kInvalidInput, "secret_box.key",
                             "the key must be 64 hexadecimal characters", "SecretKeyUnusable");
        }
        key[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    SecretBox box(key);
    OPENSSL_cleanse(key.data(), key.size());
    return box;
}

std::string SecretBox::Seal(std::string_view plaintext) const {
    std::vector<unsigned char> out(kNonceBytes + plaintext.size() + kTagBytes);
    // A failing RNG or cipher here means a broken OpenSSL installation: a programmer-level fault.
    if (RAND_bytes(out.data(), kNonceBytes) != 1) throw std::runtime_error("RAND_bytes failed");
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
              EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), out.data()) == 1 &&
              EVP_EncryptUpdate(ctx.get(), out.data() + kNonceBytes, &len,
                                reinterpret_cast<const unsigned char*>(plaintext.data()),
                                static_cast<int>(plaintext.size())) == 1 &&
              EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonceBytes + len, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                  out.data() + kNonceBytes + plaintext.size()) == 1;
    if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
    return std::string(kVersionPrefix) + Base64Encode(out);
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
    if (sealed.substr(0, kVersionPrefix.size()) != kVersionPrefix)
        return OpenError("sealed secret has an unknown format (expected \"v1:...\")");
    auto bytes = Base64Decode(sealed.substr(kVersionPrefix.size()));
    if (!bytes || bytes->size() < kNonceBytes + kTagBytes) return OpenError("sealed secret is malformed");
    size_t cipher_len = bytes->size() - kNonceBytes - kTagBytes;
    std::string plain(cipher_len, '\0');
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    unsigned char* tag = bytes->data() + kNonceBytes + cipher_len;
    bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), bytes->data()) == 1 &&
              EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                                bytes->data() + kNonceBytes, static_cast<int>(cipher_len)) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
    if (!ok) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return OpenError("sealed secret failed authentication: it was modified or sealed under another key");
    }
    return plain;
}

}  // namespace adxflow
