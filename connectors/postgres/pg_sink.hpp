#pragma once
// AzurePostgreSqlSink: rows go to one table by CopyCommand (COPY ... FROM STDIN, text format), BulkInsert
// (multi-row INSERT with text parameters) or Upsert (the same INSERT ... ON CONFLICT (keys) DO UPDATE).
// Each chunk the engine commits (writeBatchSize rows) is one transaction: BEGIN on the chunk's first
// write, COMMIT in CommitChunk, and a failure or Abort rolls it back, so a failed batch leaves the table as
// it was. Values travel as text and PostgreSQL converts them to the column's type (dynamic -> jsonb,
// datetime with 7 digits -> timestamptz rounded to microseconds, decimal -> numeric exactly).
//
// Columns are matched to the table's by name (exact, then case-insensitive), so that Kusto's "Id" lands
// in PostgreSQL's folded "id". preCopyScript runs once, on a fresh start (not when resuming a checkpoint).
// A crash between a chunk's COMMIT and the engine saving its checkpoint repeats that chunk on resume
// (at-least-once; Upsert makes it idempotent).

#include <memory>
#include <string>
#include <vector>

#include "connectors/postgres/pg_connection.hpp"
#include "connectors/postgres/pg_options.hpp"
#include "core/contract.hpp"

namespace adxflow::postgres {

// Text of a cell for PostgreSQL; false for null. `pg_type` is the target column's type name
// (format_type), which decides bools as numbers and Kusto timespans as intervals.
bool CellToPgText(const Value& v, ColumnType type, const std::string& pg_type, std::string& out);
// Appends `text` escaped for COPY's text format.
void AppendCopyEscaped(std::string& out, std::string_view text);

class PgSink final : public Sink {
  public:
    PgSink(PgLinkedService ls, PgSinkSettings settings)
        : ls_(std::move(ls)), settings_(std::move(settings)) {}
    Status Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) override;
    Status Write(const RowBatch& batch, const OpContext& ctx) override;
    Result<Json> CommitChunk(const ChunkKey& key, const OpContext& ctx) override;
    Status Finish(const OpContext& ctx) override;
    void Abort() noexcept override;
    SinkStats stats() const override { return stats_; }

  private:
    Status Begin(const OpContext& ctx);
    Status FlushCopy(bool end, const OpContext& ctx);
    Status FlushInsert(const OpContext& ctx);

    PgLinkedService ls_;
    PgSinkSettings settings_;
    std::unique_ptr<PgConnection> conn_;
    Schema schema_;
    std::vector<std::string> target_names_;  // the table's spelling of each schema column
    std::vector<std::string> target_types_;  // format_type of each
    std::string column_list_;                // ("a", "b")
    std::string insert_suffix_;              // ON CONFLICT ... for Upsert
    size_t rows_per_insert_ = 1000;
    bool in_transaction_ = false;
    bool copying_ = false;
    std::string copy_buffer_;
    std::vector<std::optional<std::string>> params_;  // pending INSERT rows, row-major
    uint64_t pending_rows_ = 0;
    uint64_t pending_bytes_ = 0;
    uint64_t chunks_ = 0;
    SinkStats stats_;
};

}  // namespace adxflow::postgres
