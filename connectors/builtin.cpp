#include "connectors/builtin.hpp"

#include "connectors/file/file_connector.hpp"

namespace adxflow {

void RegisterBuiltinConnectors(ConnectorRegistry& registry) {
    registry.Register(file::MakeFileConnector());
}

}  // namespace adxflow
