#pragma once
// The local-file connector: ADF's FileServer linked service, with DelimitedText and Json datasets, confined
// to the daemon's file roots.

#include "core/contract.hpp"

namespace adxflow::file {

ConnectorDescriptor MakeFileConnector();

}  // namespace adxflow::file
