#pragma once
// A self-signed certificate for loopback TLS tests, made with OpenSSL at run time (no files in the repo, no
// openssl binary needed): EC P-256, valid for a day, subjectAltName localhost, 127.0.0.1 and ::1. The
// certificate is its own CA, so clients trust it by adding the certificate file as a CA file.

#include <filesystem>
#include <string>

namespace adxflow::testing {

struct TestCertificate {
    std::filesystem::path cert_file;  // PEM certificate (also the CA file clients should trust)
    std::filesystem::path key_file;   // PEM private key, mode 0600
};

// Writes cert.pem and key.pem into `dir`; throws std::runtime_error when OpenSSL fails.
TestCertificate MakeSelfSignedCertificate(const std::filesystem::path& dir,
                                          const std::string& common_name = "localhost");

}  // namespace adxflow::testing
