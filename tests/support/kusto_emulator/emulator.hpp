#pragma once
// adxflow-kusto-emulator: a Kusto (Azure Data Explorer) engine endpoint for local development and tests,
// the way Azurite serves Azure Storage. This first slice answers the cloud metadata, v1 and v2 queries over
// the KQL subset of kql.hpp, and the management commands that create, fill, list and drop tables; data is
// kept in memory. See docs/kusto-emulator.md for what is and is not there yet.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/rows.hpp"
#include "daemon/http/api_types.hpp"
#include "tests/support/kusto_emulator/auth.hpp"
#include "tests/support/kusto_emulator/faults.hpp"
#include "tests/support/kusto_emulator/persistence.hpp"
#include "tests/support/kusto_emulator/queued_ingest.hpp"
#include "tests/support/kusto_emulator/responses.hpp"

namespace adxflow::kusto_emulator {

struct EmulatorOptions {
    std::vector<std::string> databases = {"NetDefaultDB"};
    int64_t default_truncation_max_records = 500000;  // the service's default result limit
    // Tables generated on the fly, present in every database: 8 columns of mixed types whose values follow
    // from the row number, so that benchmarks can read millions of rows that are never stored.
    std::vector<std::pair<std::string, int64_t>> synthetic_tables;
    size_t stream_piece_bytes = 256 * 1024;  // size of the chunks a streamed result is written in
    AuthOptions auth;
    size_t streaming_ingest_limit_bytes = 4 * 1024 * 1024;  // per request, as the service documents
    std::vector<Fault> faults;                              // armed at start (config file "faults")
    std::string data_dir;  // empty: in memory; else kept in <data_dir>/kusto-emulator.db across restarts
    // Key Vault secrets served at GET /secrets/{name}[/{version}]?api-version=7.4 (tokens for
    // https://vault.azure.net when authentication is on): name -> value.
    std::map<std::string, std::string> key_vault_secrets;
    bool gzip_responses = true;   // honour Accept-Encoding: gzip (off for benchmarks that measure the client)
    std::string scheme = "http";  // "https" when served over TLS (token issuers, discovery)
    // Queued ingestion through Azure Storage (Azurite): off while the connection string is empty.
    StorageOptions storage;
    // Ingestion acknowledged and reported without keeping the rows (client benchmarks):
    // --ingest-sink=discard.
    bool discard_ingested_rows = false;
};

// The schema of a synthetic table, and its row `i` (deterministic).
Schema SyntheticSchema();
void SyntheticRow(int64_t i, Value* row);

// Privately an IngestionTarget: the queued-ingestion worker hands it the data it downloads.
class Emulator : private IngestionTarget {
  public:
    explicit Emulator(EmulatorOptions options);
    ~Emulator() override;
    // Opening or loading the data dir failed (the emulator then serves nothing useful; main exits).
    const Status& init_status() const { return init_status_; }

    // The whole HTTP surface (transport-neutral, so tests and the Beast server share it).
    api::Response Handle(const api::Request& request);

  private:
    struct Mapping {
        std::string kind;  // "csv" or "json" (lower case)
        Json columns;      // the mapping JSON array as given
    };
    // One ingestion's rows: they arrive, carry tags and are dropped together.
    struct Extent {
        std::string id;
        std::vector<std::string> tags;
        std::string created;
        std::vector<Value> rows;  // row-major
    };
    struct Table {
        std::string name;
        Schema schema;
        std::vector<Extent> extents;
        std::map<std::string, Mapping> mappings;  // by "kind/name"
        bool streaming_policy = false;
        std::vector<Value> AllRows() const;
        int64_t RowCount() const;
    };
    struct Database {
        std::map<std::string, Table> tables;  // by name (Kusto names are case-sensitive)
        bool streaming_policy = false;
    };

    api::Response Query(const api::Request& request, bool v2);
    api::Response Management(const api::Request& request);
    api::Response StreamingIngest(const api::Request& request);
    api::Response Admin(const api::Request& request);
    api::Response KeyVault(const api::Request& request, const std::string& base_url);
    api::Response Engine(const api::Request& request);
    // Write-through to the data dir (no-ops in memory); the caller holds mu_.
    Status PersistTable(const std::string& db, const Table& table, bool with_extents);
    Status PersistExtent(const std::string& db, const Table& table, const Extent& extent);
    Status AddExtent(const std::string& db, Table& table, std::vector<Value> rows,
                     std::vector<std::string> tags, std::string* extent_id, std::string created = {});
    // Queued ingestion (queued_management.cpp): the management commands and the IngestionTarget side.
    std::optional<api::Response> QueuedManagement(const api::Request& request, const std::string& db,
                                                  const std::string& csl);
    std::optional<IngestionOutcome> Precheck(const IngestionMessage& message) override;
    IngestionOutcome Commit(const IngestionMessage& message, std::string_view data) override;
    void RecordFailure(IngestionFailureRecord record) override;
    // .set / .append / .set-or-append / .set-or-replace T [with (tags=...)] <| query (management.cpp).
    api::Response SetOrAppend(const api::Request& request, const std::string& db, const std::string& csl);
    static api::Response SchemaResponse(const Table& table, const std::string& db, bool csl_form);
    Status Load();
    static StoredTable Stored(const std::string& db, const Table& table, bool with_extents);

    EmulatorOptions options_;
    Auth auth_;
    FaultPlan faults_;
    std::unique_ptr<EmulatorStore> store_;
    Status init_status_ = Ok();
    std::mutex mu_;
    std::map<std::string, Database> databases_;
    // Queries streaming their results, for `.cancel query` (query.cpp).
    std::shared_ptr<detail::RunningQueries> running_queries_ = std::make_shared<detail::RunningQueries>();
    std::vector<IngestionFailureRecord> ingestion_failures_;  // guarded by mu_
    // Declared last: its worker calls back into the members above, so it stops (~Emulator) first.
    std::unique_ptr<QueuedIngestor> queued_;
};

}  // namespace adxflow::kusto_emulator
