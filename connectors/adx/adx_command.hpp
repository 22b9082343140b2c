#pragma once
// ADF's AzureDataExplorerCommand activity: runs one control command (`command`, with `commandTimeout`
// default 00:20:00, at most 01:00:00) against the linked service's database and reports the first table
// of the answer as ADF does: {"count": N, "value": [{column: value, ...}, ...]}.

#include "connectors/adx/adx_linked_service.hpp"
#include "core/contract.hpp"

namespace adxflow::adx {

Result<Json> RunAdxCommand(AdxServices& services, const AdxEnvironment& env,
                           const EndpointSpec& linked_service, const Json& type_properties,
                           const OpContext& ctx);

}  // namespace adxflow::adx
