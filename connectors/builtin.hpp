#pragma once
// The connectors compiled into this daemon. One explicit call per connector (no static registrars: they
// are silently dropped from static libraries).

#include "core/contract.hpp"

namespace adxflow {

void RegisterBuiltinConnectors(ConnectorRegistry& registry);

}  // namespace adxflow
