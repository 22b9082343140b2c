#pragma once
// What this daemon can run. Validation consults it so that a definition naming an unknown linked-service,
// dataset, source, sink or activity type is refused at PUT time (400) instead of failing hours later in a
// run. The engine and the connector registry fill it; tests use small fake catalogs.

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "core/json.hpp"

namespace adxflow::model {

struct TypeCatalog {
    using Predicate = std::function<bool(std::string_view type)>;

    // Each predicate answers for one discriminator; matching must be case-insensitive (ADF's is).
    // An empty predicate accepts every type (for kinds nobody registered yet).
    Predicate linked_service;  // properties.type of a linked service, e.g. "AzureDataExplorer"
    Predicate dataset;         // properties.type of a dataset, e.g. "AzureDataExplorerTable"
    Predicate copy_source;  // typeProperties.source.type of Copy and Lookup, e.g. "AzureDataExplorerSource"
    Predicate copy_sink;    // typeProperties.sink.type of Copy, e.g. "AzureDataExplorerSink"
    Predicate trigger;      // properties.type of a trigger, e.g. "ScheduleTrigger"
    Predicate credential;   // properties.type of a credential, e.g. "ManagedIdentity"

    // Activity types the engine executes ("Copy", "Lookup", "Wait", ...); compared case-insensitively.
    std::set<std::string> activity_types;

    bool KnowsActivity(std::string_view type) const {
        for (const auto& t : activity_types)
            if (IEquals(t, type)) return true;
        return false;
    }
    static bool Accepts(const Predicate& p, std::string_view type) { return !p || p(type); }
};

}  // namespace adxflow::model
