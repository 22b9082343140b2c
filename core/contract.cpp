#include "core/contract.hpp"

#include <algorithm>

namespace adxflow {

namespace {
bool Contains(const std::vector<std::string>& names, std::string_view type) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return IEquals(n, type); });
}
}  // namespace

void ConnectorRegistry::Register(ConnectorDescriptor descriptor) { connectors_.push_back(std::move(descriptor)); }

const ConnectorDescriptor* ConnectorRegistry::ForLinkedService(std::string_view type) const {
    for (const auto& c : connectors_)
        if (Contains(c.linked_service_types, type)) return &c;
    return nullptr;
}

bool ConnectorRegistry::KnowsDatasetType(std::string_view type) const {
    return std::any_of(connectors_.begin(), connectors_.end(),
                       [&](const auto& c) { return Contains(c.dataset_types, type); });
}

bool ConnectorRegistry::KnowsSourceType(std::string_view type) const {
    return std::any_of(connectors_.begin(), connectors_.end(),
                       [&](const auto& c) { return Contains(c.source_types, type); });
}

bool ConnectorRegistry::KnowsSinkType(std::string_view type) const {
    return std::any_of(connectors_.begin(), connectors_.end(),
                       [&](const auto& c) { return Contains(c.sink_types, type); });
}

}  // namespace adxflow
