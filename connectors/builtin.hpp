#pragma once
// The connectors compiled into this daemon. One explicit call per connector (no static registrars: they
// are silently dropped from static libraries).

#include <string>

#include "core/contract.hpp"

namespace adxflow {

// Where the Azure connectors find Azure AD, managed identity and extra trust anchors. Empty fields fall
// back to the Azure identity libraries' environment variables, then the public defaults.
struct AzureSettings {
    std::string authority_host;
    std::string imds_endpoint;
    std::string ca_file;
    std::string adx_ingest_endpoint;
    int adx_ingest_confirm_timeout_secs = 300;
};

void RegisterBuiltinConnectors(ConnectorRegistry& registry, const AzureSettings& azure = {});

}  // namespace adxflow
