#pragma once
// The connector contract: what a source and a sink promise the engine, and what the engine gives them.
//
// Sources stream: Next() fills a bounded batch and the engine never asks for the whole result. Sinks write
// batches, and make them durable in chunks: CommitChunk() returns an opaque checkpoint that the engine
// persists with the activity run before asking for more. Every chunk carries a stable idempotency key
// (run id + activity + chunk number), so that an attempt resumed after a crash continues from the last
// checkpoint and never writes a committed chunk twice.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/row_errors.hpp"
#include "core/rows.hpp"
#include "core/time.hpp"

namespace adxflow {

class ConnectorSlots;  // core/connector_slots.hpp

// Per-call context: cancellation (user cancel, activity timeout, daemon shutdown) and the clock.
struct OpContext {
    CancellationToken cancel;
    Clock* clock = &SystemClock::Instance();
    std::string run_id;
    std::string activity_name;
    // Set by Copy with enableSkipIncompatibleRow: where rows that cannot be copied go instead of failing.
    IncompatibleRowHandler* incompatible_rows = nullptr;

    Status CheckCancelled() const { return cancel.cancelled() ? Status(cancel.reason()) : Ok(); }
};

struct SourceStats {
    uint64_t rows_read = 0;
    uint64_t bytes_read = 0;
    uint64_t files_read = 0;
    uint64_t peak_connections = 1;  // ADF's sourcePeakConnections
    Json details = Json::object();  // store-specific fields merged into the Copy output (request ids, ...)
};

struct SinkStats {
    uint64_t rows_written = 0;
    uint64_t bytes_written = 0;
    uint64_t files_written = 0;
    uint64_t peak_connections = 1;  // ADF's sinkPeakConnections
    Json details = Json::object();  // store-specific fields merged into the Copy output
};

class Source {
  public:
    virtual ~Source() = default;
    // Opens the source and reports its schema: column names, and types where the store knows them.
    virtual Result<Schema> Open(const OpContext& ctx) = 0;
    // Clears `batch` and fills it with at most `max_rows` rows; false once the source is exhausted (the
    // batch may still hold the last rows). Memory stays bounded by the batch, whatever the data size.
    virtual Result<bool> Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) = 0;
    // Called once the sink has published every row (file stores: deleteFilesAfterCompletion). Default:
    // nothing.
    virtual Status Complete(const OpContext& ctx) {
        (void)ctx;
        return Ok();
    }
    virtual SourceStats stats() const = 0;
};

// Stable identity of one committed chunk of one activity run, whatever attempt writes it.
struct ChunkKey {
    std::string run_id;
    std::string activity_name;
    uint64_t chunk = 0;
    std::string ToString() const { return run_id + "/" + activity_name + "/" + std::to_string(chunk); }
};

class Sink {
  public:
    virtual ~Sink() = default;
    // Prepares to receive rows of `schema`. `checkpoint` is null for a fresh start, or the last value this
    // sink returned from CommitChunk in an earlier attempt: the sink resumes right after that chunk and
    // discards whatever was written but not committed since.
    virtual Status Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) = 0;
    virtual Status Write(const RowBatch& batch, const OpContext& ctx) = 0;
    // Makes every row written since the previous commit durable, once per key, and returns the checkpoint
    // to persist. A sink that cannot resume returns null; the engine then restarts it from scratch.
    virtual Result<Json> CommitChunk(const ChunkKey& key, const OpContext& ctx) = 0;
    // Two-phase publish, for sinks whose publication must not be repeated with different content (ADX
    // queued ingestion). Called once every row is committed, before Finish; a non-null result is persisted
    // as the checkpoint with the source marked done, so that an attempt resumed after a crash skips the
    // source altogether, calls Open with that checkpoint and goes straight to Finish. Default: nothing.
    virtual Result<Json> PrepareFinish(const OpContext& ctx) {
        (void)ctx;
        return Json(nullptr);
    }
    // Publishes the output (for files: the rename that makes them visible). Called after the last commit.
    virtual Status Finish(const OpContext& ctx) = 0;
    // Drops uncommitted work; committed chunks stay in place for a resume. Must not throw.
    virtual void Abort() noexcept {}
    virtual SinkStats stats() const = 0;
};

// Opens an AzureKeyVaultSecret reference (its `store` inlined by the engine) and returns the secret; the
// daemon wires it to the ADX connector's Key Vault client. `path` names the referencing field in errors.
using SecretFetcher = std::function<Result<std::string>(const Json& reference, const std::string& path,
                                                        const CancellationToken*)>;

// What the daemon lends to connectors.
struct ConnectorEnv {
    // Local file access is confined to these folders (config `file_roots`, `--file-root`).
    std::vector<std::filesystem::path> file_roots;
    // Per-connector concurrency (core/connector_slots.hpp); null: no limits.
    std::shared_ptr<ConnectorSlots> slots;
};

// Fully resolved configuration of one side of a Copy, or of a Lookup: expressions evaluated, references
// followed, secrets decrypted. Connectors never see unevaluated expressions.
struct EndpointSpec {
    std::string linked_service_type;
    Json linked_service = Json::object();  // the linked service's typeProperties
    std::string dataset_type;
    Json dataset = Json::object();   // the dataset's typeProperties
    Schema dataset_schema;           // from the dataset's "schema"/"structure", when given
    Json settings = Json::object();  // the Copy activity's source or sink object (type, storeSettings, ...)
    std::string run_id;
    std::string activity_name;
};

using SourceFactory =
    std::function<Result<std::unique_ptr<Source>>(const EndpointSpec&, const ConnectorEnv&)>;
using SinkFactory = std::function<Result<std::unique_ptr<Sink>>(const EndpointSpec&, const ConnectorEnv&)>;

// One store (files, ADX, blob, PostgreSQL), keyed by its linked-service type(s).
struct ConnectorDescriptor {
    std::string name;                               // "file", "adx", ...
    std::vector<std::string> linked_service_types;  // "FileServer"
    std::vector<std::string> dataset_types;         // "DelimitedText", "Json"
    std::vector<std::string> source_types;          // "DelimitedTextSource", "JsonSource"
    std::vector<std::string> sink_types;            // "DelimitedTextSink", "JsonSink"
    SourceFactory make_source;                      // null when the store cannot be read
    SinkFactory make_sink;                          // null when the store cannot be written
    // Activities the connector runs itself (e.g. "AzureDataExplorerCommand"): given the resolved linked
    // service the activity names in linkedServiceName and its evaluated typeProperties, returns the activity
    // output.
    std::vector<std::string> activity_types;
    std::function<Result<Json>(const EndpointSpec& linked_service, const Json& type_properties,
                               const OpContext& ctx)>
        run_activity;
    // "Test connection": checks a resolved linked service step by step and reports each step as
    // {"name", "status": "Succeeded"|"Failed"|"Skipped", "message"}; the steps are the connector's own
    // (ADX: token, reach, database, role). Null when the connector has no such check.
    std::function<Json(const EndpointSpec& linked_service, const OpContext& ctx)> test_connection;

    bool KnowsLinkedService(std::string_view type) const {
        for (const auto& t : linked_service_types)
            if (IEquals(t, type)) return true;
        return false;
    }
};

// Connectors known to this daemon. Filled once at start-up by RegisterBuiltinConnectors(); read-only after.
// Type names compare case-insensitively, as ADF's discriminators do.
class ConnectorRegistry {
  public:
    void Register(ConnectorDescriptor descriptor);
    const ConnectorDescriptor* ForLinkedService(std::string_view type) const;
    bool KnowsLinkedServiceType(std::string_view type) const { return ForLinkedService(type) != nullptr; }
    bool KnowsDatasetType(std::string_view type) const;
    bool KnowsSourceType(std::string_view type) const;
    bool KnowsSinkType(std::string_view type) const;
    const std::vector<ConnectorDescriptor>& all() const { return connectors_; }

  private:
    std::vector<ConnectorDescriptor> connectors_;
};

}  // namespace adxflow
