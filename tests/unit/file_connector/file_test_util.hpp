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

// Drives a source and a sink as the Copy activity does (no mapping): batches of `batch_rows`, a commit
// every `chunk_rows` rows, PrepareFinish and Finish.
inline void CopyThroughConnectors(const EndpointSpec& in, const EndpointSpec& out, const ConnectorEnv& env,
                                  size_t batch_rows, uint64_t chunk_rows) {
    auto source = FileConnector().make_source(in, env);
    ASSERT_TRUE(source.ok()) << source.error().message;
    auto sink = FileConnector().make_sink(out, env);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    OpContext ctx;
    auto schema = (*source)->Open(ctx);
    ASSERT_TRUE(schema.ok()) << schema.error().message;
    ASSERT_TRUE((*sink)->Open(*schema, nullptr, ctx).ok());
    RowBatch batch;
    uint64_t chunk = 0, since_commit = 0;
    for (bool more = true; more;) {
        auto next = (*source)->Next(batch, batch_rows, ctx);
        ASSERT_TRUE(next.ok()) << next.error().message;
        more = *next;
        if (batch.rows() == 0) continue;
        Status written = (*sink)->Write(batch, ctx);
        ASSERT_TRUE(written.ok()) << written.error().message;
        since_commit += batch.rows();
        if (since_commit >= chunk_rows) {
            ASSERT_TRUE((*sink)->CommitChunk({"run-1", "Copy data", chunk++}, ctx).ok());
            since_commit = 0;
        }
    }
    ASSERT_TRUE((*sink)->CommitChunk({"run-1", "Copy data", chunk++}, ctx).ok());
    auto prepared = (*sink)->PrepareFinish(ctx);
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    Status finished = (*sink)->Finish(ctx);
    ASSERT_TRUE(finished.ok()) << finished.error().message;
}

}  // namespace adxflow::testing
