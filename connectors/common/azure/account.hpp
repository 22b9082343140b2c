#pragma once
// Where a storage account lives and how to authenticate to it: parsed from a connection string (as in ADF
// AzureBlobStorage / AzureTableStorage linked services) or from a SAS URL (as Kusto hands out for queued
// ingestion). Endpoints are kept without a trailing slash; for the emulator they are path-style
// ("http://127.0.0.1:10000/devstoreaccount1") and requests append "/container/blob" to them.

#include <functional>
#include <string>
#include <string_view>

#include "core/cancel.hpp"
#include "core/error.hpp"

namespace adxflow::azure {

enum class StorageService { kBlob, kQueue, kTable };
const char* ToString(StorageService service);

struct StorageAccount {
    std::string account_name;
    std::string account_key;  // base64 as issued; empty unless Shared Key auth is used
    std::string sas_token;    // query string without the leading '?'; empty unless SAS auth is used
    std::string blob_endpoint;
    std::string queue_endpoint;
    std::string table_endpoint;
    // Azure AD authentication (service principal, managed identity): a bearer token for the storage audience
    // (https://storage.azure.com), fetched per request from the caller's token cache. Wins over key and SAS.
    std::function<Result<std::string>(const CancellationToken*)> bearer_token;

    const std::string& endpoint(StorageService service) const;
    bool uses_shared_key() const { return !account_key.empty(); }
    bool uses_sas() const { return !sas_token.empty(); }
    bool uses_bearer_token() const { return static_cast<bool>(bearer_token); }
};

// The emulator's public, well-known account (documented by Microsoft for Azurite; not a secret).
inline constexpr std::string_view kDevelopmentAccountName = "devstoreaccount1";
inline constexpr std::string_view kDevelopmentAccountKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// Where "UseDevelopmentStorage=true" points. Tests start Azurite on free ports and pass them here.
struct DevelopmentStorage {
    std::string host = "127.0.0.1";
    int blob_port = 10000;
    int queue_port = 10001;
    int table_port = 10002;
};

// Parses "Key=Value;..." connection strings: DefaultEndpointsProtocol, AccountName, AccountKey,
// EndpointSuffix, BlobEndpoint, QueueEndpoint, TableEndpoint, SharedAccessSignature,
// UseDevelopmentStorage. Keys are case-insensitive. Errors never quote the key or signature.
Result<StorageAccount> ParseConnectionString(std::string_view text, const DevelopmentStorage& dev = {});

// A SAS (or anonymous) URL of a container, blob or queue, e.g.
// "https://acct.blob.core.windows.net/container/dir/file.csv?sv=...&sig=...". Path-style URLs (IP or
// localhost hosts, as with Azurite) take the account from the first path segment.
struct ResourceUrl {
    StorageAccount account;  // endpoint of `service` and sas_token are set
    std::string container;   // container, queue or table name
    std::string blob_name;   // decoded; empty for a container or queue URL
};
Result<ResourceUrl> ParseResourceUrl(std::string_view url, StorageService service);

// The emulator account with the given ports (what "UseDevelopmentStorage=true" means).
StorageAccount DevelopmentAccount(const DevelopmentStorage& dev = {});

}  // namespace adxflow::azure
