#include "connectors/blob/blob_linked_service.hpp"

#include "connectors/common/http/url.hpp"

namespace adxflow::blob {

namespace {

const std::string kBase = "linkedService.typeProperties";

Error Invalid(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "blob.linked_service", path + ": " + message,
                     "InvalidLinkedService", path);
}

bool IsType(const Json& v, std::string_view type) {
    if (!v.is_object()) return false;
    const Json* t = FindMember(v, "type");
    return t && t->is_string() && IEquals(t->get<std::string>(), type);
}

// A plain string, a SecureString's value or a Key Vault secret; empty when absent.
Result<std::string> SecretText(const Json& tp, const char* name, const SecretFetcher& fetch,
                               const CancellationToken* cancel) {
    const Json* v = FindMember(tp, name);
    const std::string path = JoinPath(kBase, name);
    if (!v || v->is_null()) return std::string();
    if (v->is_string()) return v->get<std::string>();
    if (IsType(*v, "SecureString")) {
        const Json* value = FindMember(*v, "value");
        if (!value || !value->is_string()) return Invalid(path + ".value", "is required");
        return value->get<std::string>();
    }
    if (IsType(*v, "AzureKeyVaultSecret")) {
        if (!fetch)
            return MakeError(ErrorKind::kUnsupported, "blob.linked_service",
                             path + ": Key Vault references are not available here", "InvalidLinkedService",
                             path);
        return fetch(*v, path, cancel);
    }
    return Invalid(path, "must be a string, a SecureString or an AzureKeyVaultSecret reference");
}

std::string OptionalString(const Json& tp, const char* name) {
    const Json* v = FindMember(tp, name);
    return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

Result<BlobLinkedService> ParseBlobLinkedService(const Json& tp, const SecretFetcher& fetch,
                                                 const CancellationToken* cancel) {
    if (!tp.is_object()) return Invalid(kBase, "must be an object");
    BlobLinkedService ls;
    ADXFLOW_ASSIGN_OR_RETURN(std::string connection_string,
                             SecretText(tp, "connectionString", fetch, cancel));
    ADXFLOW_ASSIGN_OR_RETURN(std::string sas_uri, SecretText(tp, "sasUri", fetch, cancel));
    ADXFLOW_ASSIGN_OR_RETURN(std::string sas_token, SecretText(tp, "sasToken", fetch, cancel));
    ADXFLOW_ASSIGN_OR_RETURN(std::string account_key, SecretText(tp, "accountKey", fetch, cancel));
    const std::string service_endpoint = OptionalString(tp, "serviceEndpoint");
    const std::string auth_type = OptionalString(tp, "authenticationType");

    if (!connection_string.empty()) {
        // ADF lets the key or the SAS live beside the connection string (often as a Key Vault reference):
        // given there, they complete (or replace) the string's own.
        if (!account_key.empty()) connection_string += ";AccountKey=" + account_key;
        if (!sas_token.empty())
            connection_string +=
                ";SharedAccessSignature=" + (sas_token[0] == '?' ? sas_token.substr(1) : sas_token);
        auto parsed = azure::ParseConnectionString(connection_string);
        // The parser's messages never quote the key or the signature.
        if (!parsed.ok()) return Invalid(kBase + ".connectionString", parsed.error().message);
        ls.account = std::move(parsed).value();
        if (ls.account.blob_endpoint.empty())
            return Invalid(kBase + ".connectionString", "names no blob endpoint");
        return ls;
    }
    if (!sas_uri.empty()) {
        auto parsed = azure::ParseResourceUrl(sas_uri, azure::StorageService::kBlob);
        if (!parsed.ok())
            return Invalid(kBase + ".sasUri", "is not a storage URL: " + parsed.error().message);
        ls.account = parsed->account;
        ls.sas_container = parsed->container;
        if (!sas_token.empty()) ls.account.sas_token = sas_token[0] == '?' ? sas_token.substr(1) : sas_token;
        if (ls.account.sas_token.empty())
            return Invalid(kBase + ".sasUri",
                           "carries no shared access signature (and no sasToken is given)");
        return ls;
    }
    if (service_endpoint.empty()) return Invalid(kBase, "needs connectionString, sasUri or serviceEndpoint");
    auto url = http::ParseUrl(service_endpoint);
    if (!url.ok()) return Invalid(kBase + ".serviceEndpoint", "is not a URL");
    std::string endpoint = service_endpoint;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    ls.account.blob_endpoint = endpoint;
    auto parsed = azure::ParseResourceUrl(endpoint, azure::StorageService::kBlob);
    if (parsed.ok()) ls.account.account_name = parsed->account.account_name;
    if (!account_key.empty() || IEquals(auth_type, "AccountKey")) {
        if (account_key.empty())
            return Invalid(kBase + ".accountKey", "is required with authenticationType AccountKey");
        ls.account.account_key = account_key;
        return ls;
    }
    if (IEquals(auth_type, "Anonymous")) return ls;
    // Service principal or managed identity: the same fields, and the same rules, as the ADX linked service.
    Json identity = tp;
    identity["endpoint"] = endpoint;
    identity["database"] = "-";
    auto adx = adx::ParseAdxLinkedService(identity);
    if (!adx.ok()) {
        Error e = std::move(adx).error();
        e.message = "linkedService." + e.message;
        if (!e.target.empty()) e.target = "linkedService." + e.target;
        return e;
    }
    ls.uses_identity = true;
    ls.auth = adx->auth;
    return ls;
}

Result<BlobLocation> ParseBlobLocation(const Json& props, const BlobLinkedService& ls) {
    BlobLocation loc;
    const std::string path = "dataset.typeProperties.location";
    const Json* l = FindMember(props, "location");
    if (l && !l->is_null()) {
        if (!l->is_object()) return Invalid(path, "must be an object");
        const std::string type = OptionalString(*l, "type");
        if (!type.empty() && !IEquals(type, "AzureBlobStorageLocation"))
            return Invalid(path + ".type",
                           "must be AzureBlobStorageLocation for an AzureBlobStorage linked service, got \"" +
                               type + "\"");
        for (const char* field : {"container", "folderPath", "fileName"}) {
            const Json* v = FindMember(*l, field);
            if (v && !v->is_null() && !v->is_string())
                return Invalid(JoinPath(path, field), "must be a string");
        }
        loc.container = OptionalString(*l, "container");
        loc.folder_path = OptionalString(*l, "folderPath");
        loc.file_name = OptionalString(*l, "fileName");
    }
    if (loc.container.empty()) loc.container = ls.sas_container;
    if (loc.container.empty()) return Invalid(path + ".container", "is required");
    return loc;
}

}  // namespace adxflow::blob
