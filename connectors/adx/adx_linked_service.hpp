#pragma once
// ADF's AzureDataExplorer linked service, its dataset and its source/sink settings, read from the resolved
// JSON the engine hands over (expressions evaluated, SecureStrings opened, Key Vault and credential
// references inlined). Errors name the JSON path of the offending field.
//
// Authentication, as in ADF: servicePrincipalId + servicePrincipalKey (SecureString or AzureKeyVaultSecret)
// is a service principal; `credential` (a CredentialReference to a ManagedIdentity credential holding a
// user-assigned identity's resourceId) is that identity; neither means the system-assigned identity.

#include <chrono>
#include <memory>
#include <string>

#include "connectors/adx/kusto_client.hpp"
#include "connectors/common/identity/credential.hpp"
#include "core/contract.hpp"
#include "core/json.hpp"

namespace adxflow::adx {

struct AdxAuth {
    enum class Kind { kServicePrincipal, kSystemManagedIdentity, kUserManagedIdentity };
    Kind kind = Kind::kSystemManagedIdentity;
    std::string tenant;
    std::string client_id;  // service principal, or user-assigned identity by client id
    Json secret = nullptr;  // servicePrincipalKey as given (string, SecureString, Key Vault)
    std::string managed_identity_resource_id;  // user-assigned identity by ARM resource id
    std::string Describe() const;              // for logs: kind and ids, never the secret
};

struct AdxLinkedService {
    std::string endpoint;  // https://cluster.region.kusto.windows.net (trailing spaces and slashes removed)
    std::string database;
    AdxAuth auth;
};

// Where tokens and Key Vault secrets come from: the daemon's settings (empty fields fall back to the Azure
// identity libraries' environment variables).
struct AdxEnvironment {
    identity::IdentityEndpoints identity;
    std::string ingest_endpoint;  // overrides the ingestion endpoint derived from the cluster URL
    std::chrono::seconds ingest_confirm_timeout{300};
};

Result<AdxLinkedService> ParseAdxLinkedService(const Json& type_properties);

// The credential for `auth`; service-principal secrets held in Key Vault are fetched here (GET
// {baseUrl}/secrets/{name}[/{version}]?api-version=7.4 with the Key Vault linked service's identity).
Result<std::shared_ptr<identity::TokenCredential>> MakeCredential(const AdxAuth& auth, AdxServices& services,
                                                                  const AdxEnvironment& env,
                                                                  const CancellationToken* cancel);

// The value of an AzureKeyVaultSecret reference (`store` inlined by the engine as resolvedLinkedService),
// read with the vault's identity; `path` names the referencing field in errors. Also used by PostgreSQL.
Result<std::string> FetchKeyVaultSecret(const Json& reference, const std::string& path, AdxServices& services,
                                        const AdxEnvironment& env, const CancellationToken* cancel);
// FetchKeyVaultSecret as the SecretFetcher other connectors (PostgreSQL, Blob) are given.
SecretFetcher KeyVaultSecretFetcher(std::shared_ptr<AdxServices> services, AdxEnvironment env);

// "hh:mm:ss", "d.hh:mm:ss" (ADF timespans); kInvalidInput naming `path` otherwise.
Result<std::chrono::milliseconds> ParseTimespan(const Json& value, std::string_view path);
// Kusto's wire form of a timespan, "hh:mm:ss".
std::string FormatTimespan(std::chrono::milliseconds value);

}  // namespace adxflow::adx
