#include "connectors/common/azure/account.hpp"

#include <map>

#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/http/url.hpp"
#include "core/json.hpp"

namespace adxflow::azure {
namespace {

Error ConnectionStringError(std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "storage.connection_string", std::move(message),
                     "InvalidConnectionString");
}

std::string TrimSlash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool IsPathStyleHost(const std::string& host) {
    if (http::IsLoopbackHost(host)) return true;
    // A bare IP address has no account sub-domain.
    return !host.empty() &&
           (std::isdigit(static_cast<unsigned char>(host.back())) || host.find(':') != std::string::npos);
}

}  // namespace

const char* ToString(StorageService service) {
    switch (service) {
        case StorageService::kBlob:
            return "blob";
        case StorageService::kQueue:
            return "queue";
        case StorageService::kTable:
            return "table";
    }
    return "?";
}

const std::string& StorageAccount::endpoint(StorageService service) const {
    switch (service) {
        case StorageService::kBlob:
            return blob_endpoint;
        case StorageService::kQueue:
            return queue_endpoint;
        case StorageService::kTable:
            return table_endpoint;
    }
    return blob_endpoint;
}

StorageAccount DevelopmentAccount(const DevelopmentStorage& dev) {
    StorageAccount account;
    account.account_name = std::string(kDevelopmentAccountName);
    account.account_key = std::string(kDevelopmentAccountKey);
    std::string host = dev.host.find(':') != std::string::npos ? "[" + dev.host + "]" : dev.host;
    auto endpoint = [&](int port) {
        return "http://" + host + ":" + std::to_string(port) + "/" + std::string(kDevelopmentAccountName);
    };
    account.blob_endpoint = endpoint(dev.blob_port);
    account.queue_endpoint = endpoint(dev.queue_port);
    account.table_endpoint = endpoint(dev.table_port);
    return account;
}

Result<StorageAccount> ParseConnectionString(std::string_view text, const DevelopmentStorage& dev) {
    std::map<std::string, std::string> fields;  // lower-case key -> value
    while (!text.empty()) {
        size_t semi = text.find(';');
        std::string_view part = Trim(text.substr(0, semi));
        text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
        if (part.empty()) continue;
        size_t eq = part.find('=');  // values (keys, signatures) contain '=' themselves: split at the first
        if (eq == std::string_view::npos || eq == 0)
            return ConnectionStringError("connection string segment without 'Key=Value' form");
        fields[ToLower(Trim(part.substr(0, eq)))] = std::string(Trim(part.substr(eq + 1)));
    }
    auto get = [&](const char* key) -> std::string {
        auto it = fields.find(key);
        return it == fields.end() ? std::string{} : it->second;
    };

    if (IEquals(get("usedevelopmentstorage"), "true")) return DevelopmentAccount(dev);

    StorageAccount account;
    account.account_name = get("accountname");
    account.account_key = get("accountkey");
    account.sas_token = get("sharedaccesssignature");
    if (!account.sas_token.empty() && account.sas_token.front() == '?') account.sas_token.erase(0, 1);
    if (!account.account_key.empty() && !Base64Decode(account.account_key))
        return ConnectionStringError("AccountKey is not valid base64");
    if (account.account_key.empty() && account.sas_token.empty())
        return ConnectionStringError("connection string has neither AccountKey nor SharedAccessSignature");
    if (!account.account_key.empty() && account.account_name.empty())
        return ConnectionStringError("connection string has an AccountKey but no AccountName");

    std::string protocol = get("defaultendpointsprotocol");
    if (protocol.empty()) protocol = "https";
    protocol = ToLower(protocol);
    if (protocol != "https" && protocol != "http")
        return ConnectionStringError("DefaultEndpointsProtocol must be https or http");
    std::string suffix = get("endpointsuffix");
    if (suffix.empty()) suffix = "core.windows.net";

    auto endpoint = [&](const char* explicit_key, const char* service) -> std::string {
        std::string explicit_value = get(explicit_key);
        if (!explicit_value.empty()) return TrimSlash(explicit_value);
        if (account.account_name.empty()) return {};
        return protocol + "://" + account.account_name + "." + service + "." + suffix;
    };
    account.blob_endpoint = endpoint("blobendpoint", "blob");
    account.queue_endpoint = endpoint("queueendpoint", "queue");
    account.table_endpoint = endpoint("tableendpoint", "table");
    if (account.blob_endpoint.empty() && account.queue_endpoint.empty() && account.table_endpoint.empty())
        return ConnectionStringError("connection string has no AccountName and no explicit endpoints");
    for (const std::string* e : {&account.blob_endpoint, &account.queue_endpoint, &account.table_endpoint}) {
        if (e->empty()) continue;
        auto parsed = http::ParseUrl(*e);
        if (!parsed.ok()) return ConnectionStringError("invalid endpoint URL: " + parsed.error().message);
    }
    if (account.account_name.empty()) {
        // SAS-only strings with explicit endpoints: the account is the first label of the host (or the first
        // path segment for the emulator).
        auto url = http::ParseUrl(!account.blob_endpoint.empty()    ? account.blob_endpoint
                                  : !account.queue_endpoint.empty() ? account.queue_endpoint
                                                                    : account.table_endpoint);
        if (url.ok()) {
            if (IsPathStyleHost(url->host)) {
                std::string_view path = std::string_view(url->path).substr(1);
                account.account_name = std::string(path.substr(0, path.find('/')));
            } else {
                account.account_name = url->host.substr(0, url->host.find('.'));
            }
        }
    }
    return account;
}

Result<ResourceUrl> ParseResourceUrl(std::string_view text, StorageService service) {
    ADXFLOW_ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(text));
    ResourceUrl out;
    std::string_view path = std::string_view(url.path).substr(1);  // drop the leading '/'
    std::string endpoint = url.scheme + "://" + url.Authority();
    if (IsPathStyleHost(url.host)) {
        size_t slash = path.find('/');
        out.account.account_name = http::PercentDecode(path.substr(0, slash));
        endpoint += "/" + std::string(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    } else {
        out.account.account_name = url.host.substr(0, url.host.find('.'));
    }
    if (out.account.account_name.empty())
        return MakeError(ErrorKind::kInvalidInput, "storage.url",
                         "storage URL names no account: " + url.Redacted());
    size_t slash = path.find('/');
    out.container = http::PercentDecode(path.substr(0, slash));
    if (slash != std::string_view::npos) out.blob_name = http::PercentDecode(path.substr(slash + 1));
    out.account.sas_token = url.query;
    switch (service) {
        case StorageService::kBlob:
            out.account.blob_endpoint = endpoint;
            break;
        case StorageService::kQueue:
            out.account.queue_endpoint = endpoint;
            break;
        case StorageService::kTable:
            out.account.table_endpoint = endpoint;
            break;
    }
    return out;
}

}  // namespace adxflow::azure
