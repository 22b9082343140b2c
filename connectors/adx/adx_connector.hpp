#pragma once
// The Azure Data Explorer connector: linked service AzureDataExplorer, dataset AzureDataExplorerTable,
// source AzureDataExplorerSource (Copy and Lookup). Also registers AzureKeyVault, which ADX linked services
// reference for their service principal's key.

#include <memory>

#include "connectors/adx/adx_linked_service.hpp"
#include "core/contract.hpp"

namespace adxflow::adx {

// `services` is shared by every activity (connection pool, token cache, audiences).
ConnectorDescriptor MakeAdxConnector(std::shared_ptr<AdxServices> services, AdxEnvironment env);
ConnectorDescriptor MakeKeyVaultDescriptor();
// The connection test behind POST linkedservices/{name}/testConnection (adx_test_connection.cpp).
Json TestAdxConnection(AdxServices& services, const AdxEnvironment& env, const EndpointSpec& spec,
                       const OpContext& ctx);

}  // namespace adxflow::adx
