#pragma once
// The engine's view of stored definitions: read from the Store, secrets opened with the SecretBox.
// Plaintext exists only in memory for the activity that needs it.

#include "core/runs/records.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"

namespace adxflow::app {

class StoreDefinitions final : public engine::DefinitionSource {
public:
    StoreDefinitions(storage::Store& store, const SecretBox& box) : store_(store), box_(box) {}
    Result<Json> GetLinkedService(const std::string& name) override { return Get("linkedservices", "linked service", name); }
    Result<Json> GetDataset(const std::string& name) override { return Get("datasets", "dataset", name); }
    Result<Json> GetPipeline(const std::string& name) override { return Get("pipelines", "pipeline", name); }
    Result<Json> GetGlobalParameters() override { return store_.GetGlobalParameters(); }
    Result<Json> GetCredential(const std::string& name) override { return Get("credentials", "credential", name); }

private:
    Result<Json> Get(std::string_view kind, std::string_view display, const std::string& name);
    storage::Store& store_;
    const SecretBox& box_;
};

}  // namespace adxflow::app
