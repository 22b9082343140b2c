#pragma once
// ADF's AzureBlobStorage linked service and AzureBlobStorageLocation, resolved.
//
// Authentication, as in ADF, from whichever fields are present:
// - connectionString (string or SecureString): AccountName + AccountKey, or SharedAccessSignature, with
//   explicit BlobEndpoint= endpoints (path-style ones such as Azurite's included), or
//   UseDevelopmentStorage=true;
// - sasUri (+ optional sasToken): an account or container URL with a SAS;
// - serviceEndpoint: with servicePrincipalId/servicePrincipalKey/tenant a service principal, with
//   `credential` a user-assigned managed identity, with accountKey Shared Key, with authenticationType
//   Anonymous nothing, otherwise the system-assigned managed identity; tokens for https://storage.azure.com.

#include <string>

#include "connectors/adx/adx_linked_service.hpp"
#include "connectors/common/azure/account.hpp"
#include "core/contract.hpp"
#include "core/json.hpp"

namespace adxflow::blob {

inline constexpr const char* kStorageAudience = "https://storage.azure.com";

struct BlobLinkedService {
    azure::StorageAccount account;  // endpoint, and key or SAS when those are used
    std::string sas_container;      // the container a sasUri names, if any
    bool uses_identity = false;     // Azure AD: `auth` says which identity
    adx::AdxAuth auth;
};

// `tp` is the linked service's typeProperties; errors name "linkedService.typeProperties.<field>". The secret
// fields (connectionString, sasUri, sasToken, accountKey) may be AzureKeyVaultSecret references, opened
// with `fetch` (without one they are refused).
Result<BlobLinkedService> ParseBlobLinkedService(const Json& tp, const SecretFetcher& fetch = {},
                                                 const CancellationToken* cancel = nullptr);

struct BlobLocation {
    std::string container;
    std::string folder_path;
    std::string file_name;
};

// dataset.typeProperties.location; the container may come from the linked service's sasUri instead.
Result<BlobLocation> ParseBlobLocation(const Json& dataset_props, const BlobLinkedService& ls);

}  // namespace adxflow::blob
