#pragma once
// The Azure Blob Storage connector: linked service AzureBlobStorage, datasets DelimitedText / Json / Binary
// with AzureBlobStorageLocation, Copy source and sink, Lookup. The file handling (selection, formats, exactly
// once output) is the one every file-like store shares (connectors/common/format/store*.hpp); this folder
// only adds the linked service and the container as a store.

#include <memory>

#include "connectors/adx/adx_linked_service.hpp"
#include "connectors/adx/kusto_client.hpp"
#include "core/contract.hpp"

namespace adxflow::blob {

// `services` lends its HTTP client and token cache (shared with the ADX connector); `env` the identity
// endpoints for service principals and managed identities.
ConnectorDescriptor MakeBlobConnector(std::shared_ptr<adx::AdxServices> services, adx::AdxEnvironment env);

}  // namespace adxflow::blob
