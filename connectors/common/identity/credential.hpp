#pragma once
// Azure AD access tokens for the connectors: a service principal's client credentials, and managed
// identities (system- or user-assigned) through IMDS or the App Service identity endpoint. Every endpoint is
// configurable, so that tests and private clouds redirect them; nothing here knows a token's contents.
//
// Wire shapes: shared/reference/adx-protocol.md §11. Secrets (client secrets, the identity header, tokens)
// never appear in errors or logs: errors quote the service's error code and description only.

#include <chrono>
#include <memory>
#include <string>

#include "connectors/common/http/http_client.hpp"
#include "core/cancel.hpp"
#include "core/error.hpp"

namespace adxflow::identity {

struct AccessToken {
    std::string token;
    std::chrono::system_clock::time_point expires_on;
};

// Where tokens come from. Empty fields take the Azure identity libraries' environment conventions
// (AZURE_AUTHORITY_HOST, AZURE_POD_IDENTITY_AUTHORITY_HOST, IDENTITY_ENDPOINT + IDENTITY_HEADER), then the
// public defaults; see WithEnvironmentDefaults().
struct IdentityEndpoints {
    std::string authority_host;     // e.g. https://login.microsoftonline.com
    std::string imds_endpoint;      // e.g. http://169.254.169.254 (path /metadata/identity/oauth2/token)
    std::string identity_endpoint;  // App Service: full URL of the token endpoint
    std::string identity_header;    // App Service: the X-IDENTITY-HEADER secret
};

// Fills empty fields from the environment, then the public defaults. The App Service endpoint wins over
// IMDS when both are known, as in the Azure identity libraries.
IdentityEndpoints WithEnvironmentDefaults(IdentityEndpoints endpoints);

class TokenCredential {
  public:
    virtual ~TokenCredential() = default;
    // A fresh token for `resource` (an audience such as https://kusto.kusto.windows.net, without /.default).
    // kUnauthorized for refused credentials, kTransient/kTimeout for what a retry may fix.
    virtual Result<AccessToken> FetchToken(const std::string& resource, const CancellationToken* cancel) = 0;
    // Names the identity for cache keys and logs: "sp:<tenant>/<client id>", "mi:system", "mi:<id>"; no
    // secret.
    virtual std::string Key() const = 0;
};

std::unique_ptr<TokenCredential> MakeClientSecretCredential(http::HttpClient& client,
                                                            IdentityEndpoints endpoints, std::string tenant,
                                                            std::string client_id, std::string client_secret);

// A user-assigned identity is selected by client id or by ARM resource id; both empty means system-assigned.
struct ManagedIdentitySelector {
    std::string client_id;
    std::string resource_id;
    bool is_system() const { return client_id.empty() && resource_id.empty(); }
};
std::unique_ptr<TokenCredential> MakeManagedIdentityCredential(http::HttpClient& client,
                                                               IdentityEndpoints endpoints,
                                                               ManagedIdentitySelector selector);

// Reads a token endpoint's JSON answer: access_token plus expires_on (epoch seconds, number or string) or
// expires_in (seconds from `now`). Exposed for tests.
Result<AccessToken> ParseTokenResponse(std::string_view body, std::chrono::system_clock::time_point now);

}  // namespace adxflow::identity
