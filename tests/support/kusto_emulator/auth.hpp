#pragma once
// Identity for the Kusto emulator: the token endpoints that Azure AD, IMDS and App Service offer (enough of
// them for client-credential and managed-identity clients), and the engine-side check of the bearer token
// with ADX's answers (401 without a valid token, 403 without a role on the database).
//
// Tokens are unsigned JWTs ({"alg":"none"}) carrying aud, iss, oid, appid, tid, iat, nbf and exp: clients
// treat access tokens as opaque, and tests can read the claims. Nothing here is a security boundary; it
// exists so that the daemon's auth code runs against the real wire shapes.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "daemon/http/api_types.hpp"

namespace adxflow::kusto_emulator {

enum class Role { kNone = 0, kViewer = 1, kIngestor = 2, kAdmin = 3 };

struct Principal {
    enum class Kind { kServicePrincipal, kSystemManagedIdentity, kUserManagedIdentity };
    Kind kind = Kind::kServicePrincipal;
    std::string tenant;                 // service principals: the tenant id in the token URL
    std::string client_id;              // service principals and user-assigned identities
    std::string client_secret;          // service principals
    std::string object_id;              // the oid claim; generated when not configured
    std::string resource_id;            // user-assigned identities: the ARM resource id (msi_res_id)
    std::map<std::string, Role> roles;  // database ("*" for all) -> role
};

struct AuthOptions {
    // Whether the engine endpoints demand a valid token. Off unless identities are configured (a config file
    // with "identities" turns it on; --no-auth turns it off again).
    bool required = false;
    std::vector<Principal> principals;
    std::string identity_header = "adxflow-emulator-identity-header";  // App Service X-IDENTITY-HEADER
    int token_lifetime_secs = 3600;
};

// Reads {"identities": [{"type": "servicePrincipal"|"systemManagedIdentity"|"userManagedIdentity",
// "tenant", "clientId", "clientSecret", "objectId", "resourceId", "roles": {"Sales": "admin", "*":
// "viewer"}}], "identityHeader": "..."} from the emulator's config file. Errors name the field.
Result<AuthOptions> ParseAuthOptions(const Json& config);

class Auth {
  public:
    explicit Auth(AuthOptions options);

    // Answers the token endpoints: POST /{tenant}/oauth2/v2.0/token, POST /{tenant}/oauth2/token,
    // GET /{tenant}/v2.0/.well-known/openid-configuration, GET /metadata/identity/oauth2/token (IMDS),
    // GET /msi/token (App Service). nullopt when the path is none of them.
    std::optional<api::Response> HandleTokenRequest(const api::Request& request, const std::string& base_url);

    // nullopt when the request may proceed on `database` with `needed`; else the 401/403 response.
    std::optional<api::Response> Authorize(const api::Request& request, const std::string& database,
                                           Role needed) const;

    // The principal a request's bearer token names, when the token is valid and unexpired and its audience
    // starts with `audience_prefix`; nullptr otherwise.
    const Principal* Authenticate(const api::Request& request, const std::string& audience_prefix) const;
    bool required() const { return options_.required; }

    // `.add database D viewers|ingestors|admins ('aadapp=<client or object id>[;tenant]')`: grants the role
    // to the configured principal the FQN names. False when no principal matches.
    bool Grant(const std::string& database, Role role, const std::string& fqn);
    // (database role, principal FQN) pairs for `.show database D principals`.
    std::vector<std::pair<std::string, std::string>> Principals(const std::string& database) const;

    // An unsigned JWT for `principal` and `audience` (also used by tests that need a token directly).
    std::string IssueToken(const Principal& principal, const std::string& audience,
                           const std::string& issuer) const;

  private:
    const Principal* FindByClient(const std::string& client_id) const;
    AuthOptions options_;
    mutable std::mutex mu_;  // guards the roles that Grant changes
};

// The claims of a token issued above; nullopt when it is not a JWT.
std::optional<Json> DecodeTokenClaims(const std::string& token);

}  // namespace adxflow::kusto_emulator
