#pragma once
// Builds FileServer endpoints the way the engine would hand them over, through the real registry.

#include <gtest/gtest.h>

#include "connectors/builtin.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/formats/format_test_util.hpp"

namespace adxflow::testing {

inline const ConnectorDescriptor& FileConnector() {
    static ConnectorRegistry registry = [] {
        ConnectorRegistry r;
        RegisterBuiltinConnectors(r);
        return r;
    }();
    const ConnectorDescriptor* d = registry.ForLinkedService("FileServer");
    EXPECT_NE(d, nullptr);
    return *d;
}

inline EndpointSpec FileSpec(const std::filesystem::path& host, const std::string& dataset_type,
                             Json location, Json dataset_props = Json::object(),
                             Json settings = Json::object()) {
    EndpointSpec spec;
    spec.linked_service_type = "FileServer";
    spec.linked_service = Json{{"host", host.string()}};
    spec.dataset_type = dataset_type;
    spec.dataset = std::move(dataset_props);
    location["type"] = "FileServerLocation";
    spec.dataset["location"] = std::move(location);
    spec.settings = std::move(settings);
    spec.run_id = "run-1";
    spec.activity_name = "Copy data";
    return spec;
}

inline ConnectorEnv EnvWithRoot(const std::filesystem::path& root) {
    ConnectorEnv env;
    env.file_roots.push_back(root);
    return env;
}

// Everything a source yields.
struct SourceOutput {
    Schema schema;
    Json rows = Json::array();
    SourceStats stats;
};

inline Result<SourceOutput> ReadSource(const EndpointSpec& spec, const ConnectorEnv& env,
                                       size_t batch_rows = 2) {
    ADXFLOW_ASSIGN_OR_RETURN(auto source, FileConnector().make_source(spec, env));
    OpContext ctx;
    SourceOutput out;
    ADXFLOW_ASSIGN_OR_RETURN(out.schema, source->Open(ctx));
    RowBatch batch;
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool more, source->Next(batch, batch_rows, ctx));
        for (auto& row : BatchToJson(batch)) out.rows.push_back(row);
        if (!more) break;
    }
    out.stats = source->stats();
    return out;
}

}  // namespace adxflow::testing
