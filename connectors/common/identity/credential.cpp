#include "connectors/common/identity/credential.hpp"

#include <openssl/evp.h>

#include <cstdlib>

#include "core/json.hpp"

namespace adxflow::identity {

namespace {

constexpr std::chrono::seconds kTokenRequestTimeout{30};

// A short fingerprint of a secret, so that two linked services with the same principal but different
// secrets never share a cached token (a wrong secret must fail, not ride on a good one's token).
std::string Fingerprint(std::string_view secret) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(secret.data(), secret.size(), digest, &size, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < 6 && i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::string EnvOr(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : std::move(fallback);
}

std::string TrimSlash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

std::string FormEncode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out += '&';
        out += http::PercentEncode(name);
        out += '=';
        out += http::PercentEncode(value);
    }
    return out;
}

// The token service's own words for a refusal: AAD's error/error_description, IMDS's error/message.
// Bodies never carry the secret back, but the description is still cut short.
std::string DescribeRefusal(const http::HttpResponse& response) {
    std::string detail;
    Json doc = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object()) {
        if (auto* e = FindMember(doc, "error"); e && e->is_string()) detail = e->get<std::string>();
        if (auto* e = FindMember(doc, "error"); e && e->is_object()) {
            if (auto* c = FindMember(*e, "code"); c && c->is_string()) detail = c->get<std::string>();
            if (auto* m = FindMember(*e, "message"); m && m->is_string())
                detail += ": " + m->get<std::string>();
        }
        if (auto* d = FindMember(doc, "error_description"); d && d->is_string())
            detail += ": " + d->get<std::string>();
        if (auto* m = FindMember(doc, "message"); m && m->is_string()) detail += ": " + m->get<std::string>();
    }
    if (detail.empty()) detail = response.body.substr(0, 200);
    if (detail.size() > 400) detail = detail.substr(0, 400) + "...";
    return "HTTP " + std::to_string(response.status) + (detail.empty() ? "" : " " + detail);
}

Result<AccessToken> Exchange(http::HttpClient& client, const http::HttpRequest& request, const char* what,
                             const CancellationToken* cancel) {
    http::RequestOptions options;
    options.timeout = kTokenRequestTimeout;
    options.max_body_bytes = 1 << 20;
    options.cancel = cancel;
    auto response = client.Send(request, options);
    if (!response.ok()) {
        Error e = std::move(response).error();
        e.message = std::string(what) + ": " + e.message;
        return e;
    }
    if (!response->is_success()) {
        // IMDS and AAD: 429, 5xx and IMDS's 404 (identity not visible yet) and 410 (updating) are worth a
        // retry.
        const int s = response->status;
        const bool transient = s == 429 || s >= 500 || s == 404 || s == 410 || s == 408;
        return MakeError(transient ? ErrorKind::kTransient : ErrorKind::kUnauthorized, "identity.token",
                         std::string(what) + " refused: " + DescribeRefusal(*response),
                         transient ? "TokenServiceUnavailable" : "TokenRequestRefused");
    }
    auto token = ParseTokenResponse(response->body, std::chrono::system_clock::now());
    if (!token.ok()) {
        Error e = std::move(token).error();
        e.message = std::string(what) + ": " + e.message;
        return e;
    }
    return token;
}

class ClientSecretCredential final : public TokenCredential {
  public:
    ClientSecretCredential(http::HttpClient& client, IdentityEndpoints endpoints, std::string tenant,
                           std::string client_id, std::string secret)
        : client_(client),
          endpoints_(std::move(endpoints)),
          tenant_(std::move(tenant)),
          client_id_(std::move(client_id)),
          secret_(std::move(secret)) {}

    Result<AccessToken> FetchToken(const std::string& resource, const CancellationToken* cancel) override {
        http::HttpRequest request;
        request.method = "POST";
        request.url =
            TrimSlash(endpoints_.authority_host) + "/" + http::PercentEncode(tenant_) + "/oauth2/v2.0/token";
        request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
        request.headers.Set("Accept", "application/json");
        request.body = FormEncode({{"grant_type", "client_credentials"},
                                   {"client_id", client_id_},
                                   {"client_secret", secret_},
                                   {"scope", TrimSlash(resource) + "/.default"}});
        return Exchange(client_, request, "service principal token request", cancel);
    }
    std::string Key() const override {
        return "sp:" + tenant_ + "/" + client_id_ + "#" + Fingerprint(secret_);
    }

  private:
    http::HttpClient& client_;
    IdentityEndpoints endpoints_;
    std::string tenant_;
    std::string client_id_;
    std::string secret_;
};

class ManagedIdentityCredential final : public TokenCredential {
  public:
    ManagedIdentityCredential(http::HttpClient& client, IdentityEndpoints endpoints,
                              ManagedIdentitySelector who)
        : client_(client), endpoints_(std::move(endpoints)), who_(std::move(who)) {}

    Result<AccessToken> FetchToken(const std::string& resource, const CancellationToken* cancel) override {
        http::HttpRequest request;
        std::string query;
        if (!endpoints_.identity_endpoint.empty()) {
            // App Service / Functions / Container Apps: note mi_res_id, not IMDS's msi_res_id.
            http::AppendQueryParam(query, "api-version", "2019-08-01");
            http::AppendQueryParam(query, "resource", resource);
            if (!who_.client_id.empty()) http::AppendQueryParam(query, "client_id", who_.client_id);
            if (!who_.resource_id.empty()) http::AppendQueryParam(query, "mi_res_id", who_.resource_id);
            request.url = endpoints_.identity_endpoint + "?" + query;
            request.headers.Set("X-IDENTITY-HEADER", endpoints_.identity_header);
        } else {
            http::AppendQueryParam(query, "api-version", "2018-02-01");
            http::AppendQueryParam(query, "resource", resource);
            if (!who_.client_id.empty()) http::AppendQueryParam(query, "client_id", who_.client_id);
            if (!who_.resource_id.empty()) http::AppendQueryParam(query, "msi_res_id", who_.resource_id);
            request.url = TrimSlash(endpoints_.imds_endpoint) + "/metadata/identity/oauth2/token?" + query;
            request.headers.Set("Metadata", "true");  // IMDS refuses requests without it (anti-SSRF)
        }
        request.headers.Set("Accept", "application/json");
        return Exchange(client_, request,
                        who_.is_system() ? "system-assigned managed identity token request"
                                         : "user-assigned managed identity token request",
                        cancel);
    }
    std::string Key() const override {
        if (who_.is_system()) return "mi:system";
        return "mi:" + (who_.client_id.empty() ? who_.resource_id : who_.client_id);
    }

  private:
    http::HttpClient& client_;
    IdentityEndpoints endpoints_;
    ManagedIdentitySelector who_;
};

std::optional<int64_t> NumberOrText(const Json* v) {
    if (!v) return std::nullopt;
    if (v->is_number_integer()) return v->get<int64_t>();
    if (v->is_number()) return static_cast<int64_t>(v->get<double>());
    if (v->is_string()) {
        const std::string& s = v->get_ref<const std::string&>();
        char* end = nullptr;
        long long n = std::strtoll(s.c_str(), &end, 10);
        if (end && *end == '\0' && !s.empty()) return n;
    }
    return std::nullopt;
}

}  // namespace

IdentityEndpoints WithEnvironmentDefaults(IdentityEndpoints e) {
    if (e.authority_host.empty())
        e.authority_host = EnvOr("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com");
    if (e.imds_endpoint.empty())
        e.imds_endpoint = EnvOr("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://169.254.169.254");
    if (e.identity_endpoint.empty()) {
        e.identity_endpoint = EnvOr("IDENTITY_ENDPOINT", "");
        if (e.identity_header.empty()) e.identity_header = EnvOr("IDENTITY_HEADER", "");
    }
    return e;
}

Result<AccessToken> ParseTokenResponse(std::string_view body, std::chrono::system_clock::time_point now) {
    Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object())
        return MakeError(ErrorKind::kTransient, "identity.token",
                         "the token endpoint answered with invalid JSON", "MalformedTokenResponse");
    const Json* token = FindMember(doc, "access_token");
    if (!token || !token->is_string() || token->get_ref<const std::string&>().empty())
        return MakeError(ErrorKind::kTransient, "identity.token",
                         "the token endpoint's answer has no access_token", "MalformedTokenResponse");
    AccessToken out;
    out.token = token->get<std::string>();
    if (auto on = NumberOrText(FindMember(doc, "expires_on")); on && *on > 0) {
        out.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(*on));
    } else if (auto in = NumberOrText(FindMember(doc, "expires_in")); in && *in > 0) {
        out.expires_on = now + std::chrono::seconds(*in);
    } else {
        out.expires_on = now + std::chrono::minutes(5);  // unknown lifetime: ask again soon
    }
    return out;
}

std::unique_ptr<TokenCredential> MakeClientSecretCredential(http::HttpClient& client,
                                                            IdentityEndpoints endpoints, std::string tenant,
                                                            std::string client_id,
                                                            std::string client_secret) {
    return std::make_unique<ClientSecretCredential>(client, WithEnvironmentDefaults(std::move(endpoints)),
                                                    std::move(tenant), std::move(client_id),
                                                    std::move(client_secret));
}

std::unique_ptr<TokenCredential> MakeManagedIdentityCredential(http::HttpClient& client,
                                                               IdentityEndpoints endpoints,
                                                               ManagedIdentitySelector selector) {
    return std::make_unique<ManagedIdentityCredential>(client, WithEnvironmentDefaults(std::move(endpoints)),
                                                       std::move(selector));
}

}  // namespace adxflow::identity
