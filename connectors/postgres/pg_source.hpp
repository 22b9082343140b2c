#pragma once
// PostgreSqlV2Source: the query's column names and types come from describing it (PQprepare +
// PQdescribePrepared, no rows run), then the rows stream with COPY (query) TO STDOUT in text format, one row
// per PQgetCopyData call: memory stays bounded by the batch whatever the result size, and a Lookup that
// needs one row stops reading (the connection is closed, the server stops the COPY).

#include <memory>
#include <vector>

#include "connectors/postgres/pg_connection.hpp"
#include "connectors/postgres/pg_options.hpp"
#include "core/contract.hpp"

namespace adxflow::postgres {

// How a PostgreSQL column (by type OID) becomes a cell: the Kusto-named column type it reports and the
// conversion applied to its text form.
enum class PgDecode { kText, kBool, kInt, kReal, kTimestamp, kDate, kBytea };
struct PgColumnMap {
    ColumnType type = ColumnType::kString;
    PgDecode decode = PgDecode::kText;
};
PgColumnMap MapPgType(unsigned int oid);

// One field of COPY's text format (backslash escapes undone) converted to a cell. False when the text is
// not what the type promises.
bool DecodePgText(std::string_view text, PgDecode decode, Value& out);
// Splits one COPY text row (without its newline) into fields; null fields are nullopt.
void SplitCopyRow(std::string_view row, std::vector<std::optional<std::string>>& fields);

class PgSource final : public Source {
  public:
    PgSource(PgLinkedService ls, PgSourceSettings settings)
        : ls_(std::move(ls)), settings_(std::move(settings)) {}
    Result<Schema> Open(const OpContext& ctx) override;
    Result<bool> Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) override;
    SourceStats stats() const override { return stats_; }

  private:
    PgLinkedService ls_;
    PgSourceSettings settings_;
    std::unique_ptr<PgConnection> conn_;
    std::vector<PgColumnMap> columns_;
    std::vector<std::optional<std::string>> fields_;
    bool done_ = false;
    SourceStats stats_;
};

}  // namespace adxflow::postgres
