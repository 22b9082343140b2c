#pragma once
// The adxflow-kusto-emulator binary as a child process on a free loopback port, waited for until it
// answers (bounded), with an HTTP client that trusts it (plain or TLS). For the tests that need the real
// binary rather than the in-process Emulator: the SDK conformance suite, socket-level behaviour, and the
// ADX connector's tests to come.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/http/http_client.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/tls_cert.hpp"

namespace adxflow::testing {

class EmulatorProcess {
  public:
    // `flags` are extra emulator flags (--database, --config, ...). With `tls`, a fresh self-signed
    // certificate is generated in `dir` and the emulator serves HTTPS.
    static Result<std::unique_ptr<EmulatorProcess>> Start(const std::filesystem::path& dir,
                                                          std::vector<std::string> flags = {},
                                                          bool tls = false);
    // The integration tests' cluster: TLS, one database, and one identity, a service principal that is
    // admin everywhere. With `storage` (Azurite's connection string) queued ingestion is on, polled every
    // 50 ms. With `key_vault_secrets` ({"name": "value"}) its Key Vault holds them, readable by the
    // system-assigned identity it then also serves.
    static Result<std::unique_ptr<EmulatorProcess>> StartWithAdminPrincipal(
        const std::filesystem::path& dir, const std::string& database, const std::string& tenant,
        const std::string& client_id, const std::string& secret, const std::string& storage = {},
        const Json& key_vault_secrets = nullptr);
    ~EmulatorProcess();

    const std::string& url() const { return url_; }  // http(s)://127.0.0.1:PORT
    http::HttpClient& client() { return *client_; }
    const std::optional<TestCertificate>& certificate() const { return cert_; }
    std::string LogTail(size_t max_bytes = 4000) const;
    int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) { return process_->Stop(grace); }

    // One request with a JSON body (POST) or none (GET), on the shared client.
    Result<http::HttpResponse> Post(const std::string& path, const std::string& body,
                                    const std::string& content_type = "application/json");
    Result<http::HttpResponse> Get(const std::string& path);
    // A service principal's token for the Kusto audience from the emulator's Azure AD endpoint ("" when
    // refused), and a control command or query (by its leading dot) run with it in `database`.
    std::string ClientToken(const std::string& tenant, const std::string& client_id,
                            const std::string& secret);
    Result<http::HttpResponse> Kusto(const std::string& database, const std::string& csl,
                                     const std::string& token);

  private:
    EmulatorProcess() = default;
    std::unique_ptr<ChildProcess> process_;
    std::unique_ptr<http::HttpClient> client_;
    std::optional<TestCertificate> cert_;
    std::filesystem::path log_;
    std::string url_;
};

}  // namespace adxflow::testing
