#include "tests/support/kusto_emulator/auth.hpp"

#include <chrono>

#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/kusto/writer.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace adxflow::kusto_emulator {

namespace {

int64_t NowSecs() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string Base64Url(std::string_view bytes) {
    std::string s = azure::Base64Encode(bytes);
    for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

std::optional<std::string> FromBase64Url(std::string s) {
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    return azure::Base64Decode(s);
}

// application/x-www-form-urlencoded
std::map<std::string, std::string> ParseForm(std::string_view body) {
    std::map<std::string, std::string> out;
    size_t start = 0;
    while (start < body.size()) {
        size_t amp = body.find('&', start);
        if (amp == std::string_view::npos) amp = body.size();
        std::string_view pair = body.substr(start, amp - start);
        size_t eq = pair.find('=');
        if (eq != std::string_view::npos)
            out[api::PercentDecode(pair.substr(0, eq), true)] = api::PercentDecode(pair.substr(eq + 1), true);
        start = amp + 1;
    }
    return out;
}

// The resource a token is for: "https://x/.default" scopes (v2) or a plain resource (v1, IMDS).
std::string ResourceFrom(std::string scope) {
    const std::string suffix = "/.default";
    if (scope.size() > suffix.size() &&
        scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) == 0)
        scope.resize(scope.size() - suffix.size());
    return scope;
}

api::Response JsonResponse(int status, const Json& body) {
    api::Response r;
    r.status = status;
    r.body = body.dump();
    return r;
}

// Azure AD's error body for the token endpoints: the AADSTS code leads the description and is repeated
// in error_codes, the description ends with the trace lines, as MSAL shows them.
api::Response AadError(int status, const std::string& error, int aadsts, const std::string& text) {
    const std::string trace = NewUuid(), correlation = NewUuid();
    const std::string timestamp = FormatTimestamp(std::chrono::system_clock::now());
    return JsonResponse(
        status,
        {{"error", error},
         {"error_description", "AADSTS" + std::to_string(aadsts) + ": " + text + " Trace ID: " + trace +
                                   " Correlation ID: " + correlation + " Timestamp: " + timestamp},
         {"error_codes", Json::array({aadsts})},
         {"timestamp", timestamp},
         {"trace_id", trace},
         {"correlation_id", correlation},
         {"error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(aadsts)}});
}

std::vector<std::string> Split(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 1;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (slash > start) parts.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

Result<Role> ParseRole(const std::string& text, const std::string& path) {
    std::string t = ToLower(text);
    if (t == "viewer") return Role::kViewer;
    if (t == "ingestor") return Role::kIngestor;
    if (t == "admin") return Role::kAdmin;
    return MakeError(ErrorKind::kInvalidInput, "emulator.config",
                     path + ": expected viewer, ingestor or admin");
}

}  // namespace

Result<AuthOptions> ParseAuthOptions(const Json& config) {
    AuthOptions options;
    if (!config.is_object()) return options;
    if (config.contains("identityHeader"))
        options.identity_header = config["identityHeader"].get<std::string>();
    const Json* identities = FindMember(config, "identities");
    if (!identities) return options;
    if (!identities->is_array())
        return MakeError(ErrorKind::kInvalidInput, "emulator.config", "identities: expected an array");
    for (size_t i = 0; i < identities->size(); ++i) {
        const Json& id = (*identities)[i];
        const std::string path = "identities[" + std::to_string(i) + "]";
        if (!id.is_object())
            return MakeError(ErrorKind::kInvalidInput, "emulator.config", path + ": expected an object");
        Principal p;
        const std::string type = id.value("type", "servicePrincipal");
        if (type == "servicePrincipal")
            p.kind = Principal::Kind::kServicePrincipal;
        else if (type == "systemManagedIdentity")
            p.kind = Principal::Kind::kSystemManagedIdentity;
        else if (type == "userManagedIdentity")
            p.kind = Principal::Kind::kUserManagedIdentity;
        else
            return MakeError(
                ErrorKind::kInvalidInput, "emulator.config",
                path + ".type: expected servicePrincipal, systemManagedIdentity or userManagedIdentity");
        p.tenant = id.value("tenant", "");
        p.client_id = id.value("clientId", "");
        p.client_secret = id.value("clientSecret", "");
        p.object_id = id.value("objectId", NewUuid());
        p.resource_id = id.value("resourceId", "");
        if (p.kind == Principal::Kind::kServicePrincipal &&
            (p.tenant.empty() || p.client_id.empty() || p.client_secret.empty()))
            return MakeError(ErrorKind::kInvalidInput, "emulator.config",
                             path + ": a service principal needs tenant, clientId and clientSecret");
        if (p.kind == Principal::Kind::kUserManagedIdentity && p.client_id.empty() && p.resource_id.empty())
            return MakeError(ErrorKind::kInvalidInput, "emulator.config",
                             path + ": a user-assigned identity needs clientId or resourceId");
        if (const Json* roles = FindMember(id, "roles"); roles && roles->is_object()) {
            for (auto it = roles->begin(); it != roles->end(); ++it) {
                ADXFLOW_ASSIGN_OR_RETURN(
                    Role role, ParseRole(it.value().is_string() ? it.value().get<std::string>() : "",
                                         path + ".roles." + it.key()));
                p.roles[it.key()] = role;
            }
        }
        options.principals.push_back(std::move(p));
    }
    options.required = !options.principals.empty();
    return options;
}

Auth::Auth(AuthOptions options) : options_(std::move(options)) {}

const Principal* Auth::FindByClient(const std::string& client_id) const {
    for (const auto& p : options_.principals)
        if (!client_id.empty() && p.client_id == client_id) return &p;
    return nullptr;
}

std::string Auth::IssueToken(const Principal& principal, const std::string& audience,
                             const std::string& issuer) const {
    const int64_t now = NowSecs();
    Json claims = {{"aud", audience},
                   {"iss", issuer},
                   {"iat", now},
                   {"nbf", now},
                   {"exp", now + options_.token_lifetime_secs},
                   {"oid", principal.object_id},
                   {"tid", principal.tenant.empty() ? "emulator" : principal.tenant},
                   {"sub", principal.object_id}};
    if (!principal.client_id.empty()) claims["appid"] = principal.client_id;
    return Base64Url(R"({"alg":"none","typ":"JWT"})") + "." + Base64Url(claims.dump()) + ".";
}

std::optional<Json> DecodeTokenClaims(const std::string& token) {
    auto first = token.find('.');
    auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
    if (second == std::string::npos) return std::nullopt;
    auto payload = FromBase64Url(token.substr(first + 1, second - first - 1));
    if (!payload) return std::nullopt;
    auto claims = Json::parse(*payload, nullptr, false);
    if (claims.is_discarded() || !claims.is_object()) return std::nullopt;
    return claims;
}

std::optional<api::Response> Auth::HandleTokenRequest(const api::Request& request,
                                                      const std::string& base_url) {
    // MSAL canonicalizes the endpoints it is given: lower case and a trailing slash
    // (AZURE_POD_IDENTITY_AUTHORITY_HOST becomes ".../metadata/identity/oauth2/token/"), which Azure's
    // endpoints accept; so do these.
    std::string path = request.path;
    if (path.size() > 1 && path.back() == '/') path.pop_back();
    const auto parts = Split(path);
    const int64_t now = NowSecs();
    const std::string lifetime = std::to_string(options_.token_lifetime_secs);

    // Azure AD: /{tenant}/oauth2/v2.0/token and /{tenant}/oauth2/token (client credentials).
    const bool v2 = parts.size() == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token";
    const bool v1 = parts.size() == 3 && parts[1] == "oauth2" && parts[2] == "token";
    if ((v1 || v2) && request.method == "POST") {
        auto form = ParseForm(request.body);
        if (form["grant_type"] != "client_credentials")
            return AadError(400, "unsupported_grant_type", 70003,
                            "The app requested an unsupported grant type '" + form["grant_type"] + "'.");
        // As Azure AD: the tenant first, then the application in it, then its secret.
        bool tenant_known = false;
        for (const auto& candidate : options_.principals)
            tenant_known |= candidate.kind == Principal::Kind::kServicePrincipal &&
                            ToLower(candidate.tenant) == ToLower(parts[0]);  // tenants are case-insensitive
        if (!tenant_known)
            return AadError(
                400, "invalid_request", 90002,
                "Tenant '" + parts[0] + "' not found. Check to make sure you have the correct tenant ID.");
        const Principal* p = FindByClient(form["client_id"]);
        if (!p || p->kind != Principal::Kind::kServicePrincipal || ToLower(p->tenant) != ToLower(parts[0]))
            return AadError(400, "unauthorized_client", 700016,
                            "Application with identifier '" + form["client_id"] +
                                "' was not found in the directory '" + parts[0] + "'.");
        if (p->client_secret != form["client_secret"])
            return AadError(
                401, "invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the "
                "client secret value, not the client secret ID, for a secret added to app '" +
                    p->client_id + "'.");
        const std::string resource = ResourceFrom(v2 ? form["scope"] : form["resource"]);
        if (resource.empty())
            return AadError(400, "invalid_request", 900144,
                            "The request body must contain the following parameter: '" +
                                std::string(v2 ? "scope" : "resource") + "'.");
        const std::string token = IssueToken(*p, resource, base_url + "/" + p->tenant + "/v2.0");
        Json body = {{"token_type", "Bearer"},
                     {"expires_in", options_.token_lifetime_secs},
                     {"ext_expires_in", options_.token_lifetime_secs},
                     {"access_token", token}};
        if (v1) {
            body["expires_in"] = lifetime;
            body["expires_on"] = std::to_string(now + options_.token_lifetime_secs);
            body["resource"] = resource;
        }
        return JsonResponse(200, body);
    }
    // Authority discovery, as MSAL and other OIDC clients read it: the v2.0 and v1 openid-configuration,
    // the (empty) signing keys, and Azure AD's instance discovery naming this host as its own cloud.
    const bool openid_v2 = parts.size() == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" &&
                           parts[3] == "openid-configuration";
    const bool openid_v1 =
        parts.size() == 3 && parts[1] == ".well-known" && parts[2] == "openid-configuration";
    if ((openid_v2 || openid_v1) && request.method == "GET") {
        const std::string tenant_url = base_url + "/" + parts[0];
        const std::string issuer =
            openid_v2 ? tenant_url + "/v2.0" : base_url + "/" + parts[0] + "/";  // v1 issuers end with '/'
        const std::string oauth = tenant_url + (openid_v2 ? "/oauth2/v2.0" : "/oauth2");
        return JsonResponse(200,
                            {{"token_endpoint", oauth + "/token"},
                             {"token_endpoint_auth_methods_supported",
                              Json::array({"client_secret_post", "private_key_jwt", "client_secret_basic"})},
                             {"jwks_uri", tenant_url + "/discovery/" + (openid_v2 ? "v2.0/" : "") + "keys"},
                             {"response_types_supported",
                              Json::array({"code", "id_token", "code id_token", "id_token token"})},
                             {"subject_types_supported", Json::array({"pairwise"})},
                             {"id_token_signing_alg_values_supported", Json::array({"RS256"})},
                             {"issuer", issuer},
                             {"authorization_endpoint", oauth + "/authorize"},
                             {"end_session_endpoint", oauth + "/logout"},
                             {"tenant_region_scope", "WW"},
                             {"cloud_instance_name", "adxflow-kusto-emulator"}});
    }
    if (parts.size() >= 3 && parts[1] == "discovery" && parts.back() == "keys" && request.method == "GET")
        return JsonResponse(200, {{"keys", Json::array()}});  // tokens here are unsigned
    if (parts.size() == 3 && parts[1] == "discovery" && parts[2] == "instance" && request.method == "GET") {
        const std::string host = base_url.substr(base_url.find("://") + 3);
        const std::string tenant = parts[0] == "common" ? "common" : parts[0];
        return JsonResponse(200, {{"tenant_discovery_endpoint",
                                   base_url + "/" + tenant + "/v2.0/.well-known/openid-configuration"},
                                  {"api-version", "1.1"},
                                  {"metadata", Json::array({{{"preferred_network", host},
                                                             {"preferred_cache", host},
                                                             {"aliases", Json::array({host})}}})}});
    }

    // Managed identity: IMDS (/metadata/identity/oauth2/token, header Metadata: true) and App Service
    // (/msi/token, header X-IDENTITY-HEADER). client_id / msi_res_id / object_id pick a user-assigned one.
    const bool imds = path == "/metadata/identity/oauth2/token";
    const bool app_service = path == "/msi/token";
    if ((imds || app_service) && request.method == "GET") {
        if (imds) {
            const std::string* metadata = request.Header("metadata");
            if (!metadata || ToLower(*metadata) != "true")
                return JsonResponse(400, {{"error", "invalid_request"},
                                          {"error_description", "Required metadata header not specified"}});
        } else {
            const std::string* secret = request.Header("x-identity-header");
            if (!secret || *secret != options_.identity_header)
                return JsonResponse(
                    401, {{"statusCode", 401}, {"message", "X-IDENTITY-HEADER is missing or wrong"}});
        }
        auto query = [&](const char* name) {
            const std::string* v = request.Query(name);
            return v ? *v : std::string();
        };
        const std::string resource = ResourceFrom(query("resource"));
        if (resource.empty())
            return JsonResponse(400,
                                {{"error", "invalid_request"},
                                 {"error_description", "Required query variable 'resource' is missing"}});
        const std::string client_id = query("client_id"), res_id = query(imds ? "msi_res_id" : "mi_res_id"),
                          object_id = query("object_id");
        const Principal* chosen = nullptr;
        for (const auto& p : options_.principals) {
            if (client_id.empty() && res_id.empty() && object_id.empty()) {
                if (p.kind == Principal::Kind::kSystemManagedIdentity) chosen = &p;
            } else if (p.kind == Principal::Kind::kUserManagedIdentity &&
                       ((!client_id.empty() && p.client_id == client_id) ||
                        (!res_id.empty() && ToLower(p.resource_id) == ToLower(res_id)) ||
                        (!object_id.empty() && p.object_id == object_id))) {
                chosen = &p;
            }
            if (chosen) break;
        }
        if (!chosen)
            return JsonResponse(400,
                                {{"error", "invalid_request"}, {"error_description", "Identity not found"}});
        const std::string token = IssueToken(*chosen, resource, base_url + "/managed-identity");
        Json body = {{"access_token", token},
                     {"expires_on", std::to_string(now + options_.token_lifetime_secs)},
                     {"resource", resource},
                     {"token_type", "Bearer"},
                     {"client_id", chosen->client_id.empty() ? chosen->object_id : chosen->client_id}};
        if (imds) {
            body["expires_in"] = lifetime;
            body["ext_expires_in"] = lifetime;
            body["not_before"] = std::to_string(now);
        }
        return JsonResponse(200, body);
    }
    return std::nullopt;
}

bool Auth::Grant(const std::string& database, Role role, const std::string& fqn) {
    std::string id = fqn;
    const std::string lower = ToLower(fqn);
    for (const char* prefix : {"aadapp=", "aaduser=", "aadgroup="})
        if (lower.rfind(prefix, 0) == 0) id = fqn.substr(std::string(prefix).size());
    if (auto semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);
    std::lock_guard g(mu_);
    for (auto& p : options_.principals)
        if (!id.empty() && (p.client_id == id || p.object_id == id)) {
            Role& current = p.roles[database];
            current = std::max(current, role);
            return true;
        }
    return false;
}

std::vector<std::pair<std::string, std::string>> Auth::Principals(const std::string& database) const {
    static const char* kNames[] = {"", "Database Viewer", "Database Ingestor", "Database Admin"};
    std::lock_guard g(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& p : options_.principals)
        for (const auto& [db, role] : p.roles)
            if ((db == database || db == "*") && role != Role::kNone)
                out.emplace_back(kNames[static_cast<int>(role)],
                                 "aadapp=" + (p.client_id.empty() ? p.object_id : p.client_id) +
                                     (p.tenant.empty() ? "" : ";" + p.tenant));
    return out;
}

const Principal* Auth::Authenticate(const api::Request& request, const std::string& audience_prefix) const {
    const std::string* header = request.Header("authorization");
    if (!header || header->rfind("Bearer ", 0) != 0) return nullptr;
    auto claims = DecodeTokenClaims(header->substr(7));
    if (!claims || claims->value("exp", int64_t{0}) <= NowSecs()) return nullptr;
    if (claims->value("aud", "").rfind(audience_prefix, 0) != 0) return nullptr;
    const std::string oid = claims->value("oid", "");
    for (const auto& p : options_.principals)
        if (p.object_id == oid) return &p;
    return nullptr;
}

std::optional<api::Response> Auth::Authorize(const api::Request& request, const std::string& database,
                                             Role needed) const {
    if (!options_.required) return std::nullopt;
    auto unauthorized = [](const std::string& why) {
        // ADX answers 401 with an empty body more often than not; the header says why.
        api::Response r;
        r.status = 401;
        r.body.clear();
        r.headers.emplace_back("WWW-Authenticate",
                               "Bearer error=\"invalid_token\", error_description=\"" + why + "\"");
        return r;
    };
    const std::string* header = request.Header("authorization");
    if (!header || header->rfind("Bearer ", 0) != 0) return unauthorized("no bearer token");
    auto claims = DecodeTokenClaims(header->substr(7));
    if (!claims) return unauthorized("the token is not a JWT");
    if (claims->value("exp", int64_t{0}) <= NowSecs()) return unauthorized("the token has expired");
    const std::string aud = claims->value("aud", "");
    // Audiences ADX accepts: the generic Kusto resources and the cluster's own URL (whatever its host).
    const bool aud_ok = aud == "https://kusto.kusto.windows.net" || aud == "https://api.kusto.windows.net" ||
                        aud == "https://help.kusto.windows.net" || aud.rfind("http://", 0) == 0 ||
                        aud.rfind("https://", 0) == 0;
    if (!aud_ok) return unauthorized("the token audience '" + aud + "' is not a Kusto resource");
    const std::string oid = claims->value("oid", "");
    const Principal* principal = nullptr;
    for (const auto& p : options_.principals)
        if (p.object_id == oid) principal = &p;
    if (!principal) return unauthorized("the token's principal is unknown to this emulator");
    Role granted = Role::kNone;
    std::lock_guard g(mu_);
    for (const auto& [db, role] : principal->roles)
        if (db == "*" || db == database) granted = std::max(granted, role);
    if (granted < needed) {
        api::Response r;
        r.status = 403;
        r.body = kusto::OneApiError(
                     kusto::KustoError{"Forbidden",
                                       "Principal '" +
                                           (principal->client_id.empty() ? oid : principal->client_id) +
                                           "' is not authorized to access database '" + database + "'",
                                       "Kusto.DataNode.Exceptions.UnauthorizedDatabaseAccessException", true})
                     .dump();
        return r;
    }
    return std::nullopt;
}

}  // namespace adxflow::kusto_emulator
