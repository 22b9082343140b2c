#pragma once
// Bearer-token authentication for the API. Tokens are configured as ROLE:TOKEN or ROLE:sha256:HEX and only
// their SHA-256 is kept in memory; a presented token is hashed and compared against every entry in
// constant time, so neither the comparison's timing nor a memory dump gives a usable token away.
//
// Roles: `reader` may GET (and POST the run queries, which are reads that ADF happens to route as POST);
// `admin` may do everything. /healthz and /readyz are always open (probes carry no credentials); /metrics
// is open only when configured. With no token configured at all the API is open (loopback use), which the
// daemon refuses for a non-loopback listen address unless told otherwise.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "daemon/http/api_types.hpp"
#include "daemon/http/server.hpp"

namespace adxflow::api {

enum class Role { kReader, kAdmin };

using TokenHash = std::array<uint8_t, 32>;

TokenHash HashToken(std::string_view token);
std::string HexHash(const TokenHash& hash);

struct TokenEntry {
    Role role = Role::kReader;
    TokenHash hash{};
};

// Parses one ROLE:TOKEN / ROLE:sha256:HEX entry. Errors name `where` (a file and line, or a config key and
// index), never the entry itself, which may be a secret.
Result<TokenEntry> ParseTokenEntry(std::string_view text, const std::string& where);
// One entry per line; blank lines and '#' comments skipped.
Result<std::vector<TokenEntry>> ParseTokenFile(std::string_view content, const std::string& where);
Result<std::vector<TokenEntry>> LoadTokenFile(const std::filesystem::path& path);

enum class AuthDecision { kAllowed, kUnauthenticated, kForbidden };

struct AuthPolicy {
    std::vector<TokenEntry> tokens;
    bool metrics_open = false;
};

class Authenticator {
  public:
    explicit Authenticator(AuthPolicy policy)
        : policy_(std::make_shared<const AuthPolicy>(std::move(policy))) {}
    bool enabled() const { return !Snapshot()->tokens.empty(); }
    AuthDecision Decide(const Request& request) const;
    // The role of a bearer token in an Authorization header value, or nullopt when it matches none.
    std::optional<Role> RoleOf(std::string_view authorization) const;
    // Swaps the token list (SIGHUP re-reads api_tokens_file); requests already deciding finish with the
    // old list. Refused when it would leave an API that had tokens with none, which would open it.
    Status ReplaceTokens(std::vector<TokenEntry> tokens);

  private:
    std::shared_ptr<const AuthPolicy> Snapshot() const;
    mutable std::mutex mu_;
    std::shared_ptr<const AuthPolicy> policy_;  // guarded by mu_; the pointee is immutable
};

// True for requests a reader may make.
bool IsReadOnly(const Request& request);

// Wraps `inner` so that it only sees authorised requests; 401 (with WWW-Authenticate: Bearer) and 403
// answers are CloudErrors as ARM sends them. `on_denied` (may be empty) is told the status, for metrics.
Handler WithAuthentication(std::shared_ptr<const Authenticator> auth, Handler inner,
                           std::function<void(const Request&, int status)> on_denied = {});

}  // namespace adxflow::api
