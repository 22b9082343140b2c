#include "connectors/builtin.hpp"

#include <spdlog/spdlog.h>

#include "connectors/adx/adx_connector.hpp"
#include "connectors/blob/blob_connector.hpp"
#include "connectors/file/file_connector.hpp"
#include "connectors/postgres/pg_connector.hpp"

namespace adxflow {

void RegisterBuiltinConnectors(ConnectorRegistry& registry, const AzureSettings& azure) {
    registry.Register(file::MakeFileConnector());

    http::HttpClientOptions http;
    http.ca_file = azure.ca_file;
    auto services = std::make_shared<adx::AdxServices>(http);
    adx::AdxEnvironment env;
    env.identity.authority_host = azure.authority_host;
    env.identity.imds_endpoint = azure.imds_endpoint;
    env.identity = identity::WithEnvironmentDefaults(env.identity);
    env.ingest_endpoint = azure.adx_ingest_endpoint;
    env.ingest_confirm_timeout = std::chrono::seconds(azure.adx_ingest_confirm_timeout_secs);
    for (const std::string* url :
         {&env.identity.authority_host, &env.identity.imds_endpoint, &env.identity.identity_endpoint})
        if (url->rfind("http://", 0) == 0)
            spdlog::warn(
                "azure: {} is plain http (accepted for loopback hosts only; tokens travel unencrypted)",
                *url);
    registry.Register(blob::MakeBlobConnector(services, env));
    // PostgreSQL passwords and Blob credentials may live in Key Vault, read with the same client and identity
    // as ADX's secrets.
    registry.Register(postgres::MakePostgresConnector(adx::KeyVaultSecretFetcher(services, env)));
    registry.Register(adx::MakeAdxConnector(std::move(services), std::move(env)));
    registry.Register(adx::MakeKeyVaultDescriptor());
}

}  // namespace adxflow
