#include "connectors/adx/adx_linked_service.hpp"

#include <cstdio>

#include <spdlog/spdlog.h>

namespace adxflow::adx {

namespace {

Error Invalid(std::string path, std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "adx.linked_service", path + ": " + message,
                     "InvalidLinkedService", path);
}

std::string Trim(std::string s) {
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r' || s.back() == '/'))
        s.pop_back();
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
}

Result<std::string> RequiredString(const Json& obj, const char* name, const std::string& path) {
    const Json* v = FindMember(obj, name);
    if (!v || v->is_null()) return Invalid(path + "." + name, "is required");
    if (!v->is_string()) return Invalid(path + "." + name, "must be a string");
    std::string s = Trim(v->get<std::string>());
    if (s.empty()) return Invalid(path + "." + name, "must not be empty");
    return s;
}

std::string OptionalString(const Json& obj, const char* name) {
    const Json* v = FindMember(obj, name);
    return v && v->is_string() ? Trim(v->get<std::string>()) : std::string();
}

bool IsType(const Json& v, std::string_view type) {
    const Json* t = v.is_object() ? FindMember(v, "type") : nullptr;
    return t && t->is_string() && IEquals(t->get_ref<const std::string&>(), type);
}

}  // namespace

// GET {vault}/secrets/{name}[/{version}]?api-version=7.4 with a token for the vault's audience.
Result<std::string> FetchKeyVaultSecret(const Json& reference, const std::string& path, AdxServices& services,
                                        const AdxEnvironment& env, const CancellationToken* cancel) {
    const Json* store = FindMember(reference, "store");
    if (!store || !store->is_object())
        return Invalid(path + ".store", "is required for an AzureKeyVaultSecret");
    const Json* vault = FindMember(*store, "resolvedLinkedService");
    if (!vault || !vault->is_object())
        return Invalid(path + ".store.referenceName", "does not name an AzureKeyVault linked service");
    const Json* vault_tp = FindMember(*vault, "typeProperties");
    if (!vault_tp) return Invalid(path + ".store", "the AzureKeyVault linked service has no typeProperties");
    ADXFLOW_ASSIGN_OR_RETURN(std::string base_url,
                             RequiredString(*vault_tp, "baseUrl", "AzureKeyVault.typeProperties"));
    ADXFLOW_ASSIGN_OR_RETURN(std::string name, RequiredString(reference, "secretName", path));
    const std::string version = OptionalString(reference, "secretVersion");

    // The vault is read with the factory's identity: its own credential reference, else system-assigned.
    identity::ManagedIdentitySelector who;
    if (const Json* cred = FindMember(*vault_tp, "credential"))
        if (const Json* resolved = FindMember(*cred, "resolvedCredential"))
            if (const Json* ctp = FindMember(*resolved, "typeProperties"))
                who.resource_id = OptionalString(*ctp, "resourceId");
    auto credential = identity::MakeManagedIdentityCredential(services.http(), env.identity, who);
    ADXFLOW_ASSIGN_OR_RETURN(std::string token,
                             services.tokens().Get(*credential, "https://vault.azure.net", cancel));
    http::HttpRequest request;
    request.url = base_url + "/secrets/" + http::PercentEncode(name) +
                  (version.empty() ? "" : "/" + http::PercentEncode(version)) + "?api-version=7.4";
    request.headers.Set("Authorization", "Bearer " + token);
    request.headers.Set("Accept", "application/json");
    http::RequestOptions options;
    options.timeout = std::chrono::seconds(30);
    options.max_body_bytes = 1 << 20;
    options.cancel = cancel;
    ADXFLOW_ASSIGN_OR_RETURN(http::HttpResponse response, services.http().Send(request, options));
    if (!response.is_success()) {
        Error e = ErrorFromResponse(response, "Key Vault secret '" + name + "'");
        e.op = "keyvault.get_secret";
        return e;
    }
    Json doc = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    const Json* value = doc.is_object() ? FindMember(doc, "value") : nullptr;
    if (!value || !value->is_string())
        return MakeError(ErrorKind::kTransient, "keyvault.get_secret",
                         "Key Vault answered for secret '" + name + "' without a value", "MalformedSecret");
    return value->get<std::string>();
}

SecretFetcher KeyVaultSecretFetcher(std::shared_ptr<AdxServices> services, AdxEnvironment env) {
    return [services = std::move(services), env = std::move(env)](
               const Json& reference, const std::string& path, const CancellationToken* cancel) {
        return FetchKeyVaultSecret(reference, path, *services, env, cancel);
    };
}

std::string AdxAuth::Describe() const {
    switch (kind) {
        case Kind::kServicePrincipal:
            return "service principal " + client_id + " (tenant " + tenant + ")";
        case Kind::kSystemManagedIdentity:
            return "system-assigned managed identity";
        case Kind::kUserManagedIdentity:
            return "user-assigned managed identity " +
                   (managed_identity_resource_id.empty() ? client_id : managed_identity_resource_id);
    }
    return "unknown";
}

Result<AdxLinkedService> ParseAdxLinkedService(const Json& tp) {
    const std::string base = "typeProperties";
    if (!tp.is_object()) return Invalid(base, "must be an object");
    AdxLinkedService ls;
    ADXFLOW_ASSIGN_OR_RETURN(ls.endpoint, RequiredString(tp, "endpoint", base));
    if (ls.endpoint.rfind("https://", 0) != 0 && ls.endpoint.rfind("http://", 0) != 0)
        return Invalid(base + ".endpoint",
                       "must be an https:// URL, such as https://mycluster.westeurope.kusto.windows.net");
    ADXFLOW_ASSIGN_OR_RETURN(ls.database, RequiredString(tp, "database", base));
    if (const Json* via = FindMember(tp, "connectVia"); via && !via->is_null())
        spdlog::info(
            "adx: connectVia is accepted and ignored (adxflowd runs the integration runtime itself)");

    const std::string principal = OptionalString(tp, "servicePrincipalId");
    const Json* key = FindMember(tp, "servicePrincipalKey");
    const Json* credential = FindMember(tp, "credential");
    if (!principal.empty() || (key && !key->is_null())) {
        if (principal.empty())
            return Invalid(base + ".servicePrincipalId", "is required with servicePrincipalKey");
        if (!key || key->is_null())
            return Invalid(base + ".servicePrincipalKey", "is required with servicePrincipalId");
        ls.auth.kind = AdxAuth::Kind::kServicePrincipal;
        ls.auth.client_id = principal;
        ADXFLOW_ASSIGN_OR_RETURN(ls.auth.tenant, RequiredString(tp, "tenant", base));
        if (!key->is_string() && !IsType(*key, "SecureString") && !IsType(*key, "AzureKeyVaultSecret"))
            return Invalid(base + ".servicePrincipalKey",
                           "must be a SecureString or an AzureKeyVaultSecret reference");
        ls.auth.secret = *key;
    } else if (credential && !credential->is_null()) {
        const Json* resolved =
            credential->is_object() ? FindMember(*credential, "resolvedCredential") : nullptr;
        if (!resolved)
            return Invalid(base + ".credential.referenceName", "does not name a stored credential");
        if (!IsType(*resolved, "ManagedIdentity"))
            return Invalid(base + ".credential", "must reference a credential of type ManagedIdentity");
        const Json* ctp = FindMember(*resolved, "typeProperties");
        ls.auth.kind = AdxAuth::Kind::kUserManagedIdentity;
        ls.auth.managed_identity_resource_id = ctp ? OptionalString(*ctp, "resourceId") : "";
        ls.auth.client_id = ctp ? OptionalString(*ctp, "clientId") : "";
        if (ls.auth.managed_identity_resource_id.empty() && ls.auth.client_id.empty())
            return Invalid(base + ".credential",
                           "the ManagedIdentity credential has no typeProperties.resourceId");
    } else {
        ls.auth.kind = AdxAuth::Kind::kSystemManagedIdentity;
    }
    return ls;
}

Result<std::shared_ptr<identity::TokenCredential>> MakeCredential(const AdxAuth& auth, AdxServices& services,
                                                                  const AdxEnvironment& env,
                                                                  const CancellationToken* cancel) {
    switch (auth.kind) {
        case AdxAuth::Kind::kServicePrincipal: {
            std::string secret;
            if (auth.secret.is_string()) {
                secret = auth.secret.get<std::string>();
            } else if (IsType(auth.secret, "SecureString")) {
                const Json* v = FindMember(auth.secret, "value");
                if (!v || !v->is_string())
                    return Invalid("typeProperties.servicePrincipalKey.value", "is required");
                secret = v->get<std::string>();
            } else {
                ADXFLOW_ASSIGN_OR_RETURN(
                    secret, FetchKeyVaultSecret(auth.secret, "typeProperties.servicePrincipalKey", services,
                                                env, cancel));
            }
            return std::shared_ptr<identity::TokenCredential>(identity::MakeClientSecretCredential(
                services.http(), env.identity, auth.tenant, auth.client_id, std::move(secret)));
        }
        case AdxAuth::Kind::kSystemManagedIdentity:
            return std::shared_ptr<identity::TokenCredential>(
                identity::MakeManagedIdentityCredential(services.http(), env.identity, {}));
        case AdxAuth::Kind::kUserManagedIdentity: {
            identity::ManagedIdentitySelector who;
            who.client_id = auth.client_id;
            who.resource_id = auth.managed_identity_resource_id;
            return std::shared_ptr<identity::TokenCredential>(
                identity::MakeManagedIdentityCredential(services.http(), env.identity, std::move(who)));
        }
    }
    return MakeError(ErrorKind::kInternal, "adx.credential", "unknown authentication kind");
}

Result<std::chrono::milliseconds> ParseTimespan(const Json& value, std::string_view path) {
    auto bad = [&] {
        return MakeError(ErrorKind::kInvalidInput, "adx.settings",
                         std::string(path) + ": expected a timespan such as \"00:10:00\" (hh:mm:ss)",
                         "InvalidTimespan", std::string(path));
    };
    if (!value.is_string()) return bad();
    const std::string& s = value.get_ref<const std::string&>();
    int days = 0, h = 0, m = 0;
    double sec = 0;
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%d.%d:%d:%lf%n", &days, &h, &m, &sec, &consumed) == 4 &&
        consumed == static_cast<int>(s.size())) {
    } else if (days = 0, std::sscanf(s.c_str(), "%d:%d:%lf%n", &h, &m, &sec, &consumed) == 3 &&
                             consumed == static_cast<int>(s.size())) {
    } else {
        return bad();
    }
    if (days < 0 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec >= 60) return bad();
    return std::chrono::milliseconds(static_cast<int64_t>(((days * 24.0 + h) * 60 + m) * 60000 + sec * 1000));
}

std::string FormatTimespan(std::chrono::milliseconds value) {
    const int64_t total = value.count() / 1000;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
    return buf;
}

}  // namespace adxflow::adx
