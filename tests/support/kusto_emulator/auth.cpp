#include "tests/support/kusto_emulator/auth.hpp"

#include <chrono>

#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/kusto/writer.hpp"
#include "core/ids.hpp"

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

// Azure AD's error shape for the token endpoints.
api::Response AadError(int status, const std::string& error, const std::string& description) {
    return JsonResponse(status, {{"error", error},
                                 {"error_description", description},
                                 {"error_codes", Json::array({status == 401 ? 7000215 : 900144})},
                                 {"timestamp", std::to_string(NowSecs())},
                                 {"trace_id", NewUuid()},
                                 {"correlation_id", NewUuid()}});
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
    const auto parts = Split(request.path);
    const int64_t now = NowSecs();
    const std::string lifetime = std::to_string(options_.token_lifetime_secs);

    // Azure AD: /{tenant}/oauth2/v2.0/token and /{tenant}/oauth2/token (client credentials).
    const bool v2 = parts.size() == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token";
    const bool v1 = parts.size() == 3 && parts[1] == "oauth2" && parts[2] == "token";
    if ((v1 || v2) && request.method == "POST") {
        auto form = ParseForm(request.body);
        if (form["grant_type"] != "client_credentials")
            return AadError(400, "unsupported_grant_type",
                            "AADSTS70003: only client_credentials is supported here");
        const Principal* p = FindByClient(form["client_id"]);
        if (!p || p->kind != Principal::Kind::kServicePrincipal)
            return AadError(
                400, "unauthorized_client",
                "AADSTS700016: Application with identifier '" + form["client_id"] + "' was not found");
        if (p->tenant != parts[0])
            return AadError(400, "invalid_request", "AADSTS90002: Tenant '" + parts[0] + "' not found");
        if (p->client_secret != form["client_secret"])
            return AadError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
        const std::string resource = ResourceFrom(v2 ? form["scope"] : form["resource"]);
        if (resource.empty())
            return AadError(400, "invalid_request", "AADSTS900144: scope or resource is required");
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
    if (parts.size() == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" &&
        parts[3] == "openid-configuration") {
        const std::string tenant_url = base_url + "/" + parts[0];
        return JsonResponse(200, {{"issuer", tenant_url + "/v2.0"},
                                  {"token_endpoint", tenant_url + "/oauth2/v2.0/token"},
                                  {"authorization_endpoint", tenant_url + "/oauth2/v2.0/authorize"},
                                  {"jwks_uri", tenant_url + "/discovery/v2.0/keys"},
                                  {"response_types_supported", Json::array({"code", "token"})},
                                  {"subject_types_supported", Json::array({"pairwise"})},
                                  {"id_token_signing_alg_values_supported", Json::array({"RS256"})},
                                  {"tenant_region_scope", "WW"}});
    }

    // Managed identity: IMDS (/metadata/identity/oauth2/token, header Metadata: true) and App Service
    // (/msi/token, header X-IDENTITY-HEADER). client_id / msi_res_id / object_id pick a user-assigned one.
    const bool imds = request.path == "/metadata/identity/oauth2/token";
    const bool app_service = request.path == "/msi/token";
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
