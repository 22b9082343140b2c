#pragma once
// Small handlers for the answers of control commands, whose tables are a few rows: one that ignores the
// answer (.cancel query, the connection test's probe) and one that keeps the first table as text
// (.get ingestion resources, .show table schema, .show extents).

#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/kusto/response.hpp"

namespace adxflow::adx {

class DiscardRows final : public kusto::ResponseHandler {
  public:
    Status OnTableStart(const kusto::TableInfo&) override { return Ok(); }
    Status OnRows(const kusto::TableInfo&, const RowBatch&) override { return Ok(); }
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<kusto::KustoError>&) override {
        return Ok();
    }
};

class FirstTableText final : public kusto::ResponseHandler {
  public:
    Status OnTableStart(const kusto::TableInfo& table) override {
        if (table.id == 0) schema = table.schema;
        return Ok();
    }
    Status OnRows(const kusto::TableInfo& table, const RowBatch& batch) override {
        if (table.id != 0) return Ok();
        for (size_t r = 0; r < batch.rows(); ++r) {
            std::vector<std::string> row;
            for (size_t c = 0; c < batch.width(); ++c) row.push_back(ValueToText(batch.Row(r)[c]));
            rows.push_back(std::move(row));
        }
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<kusto::KustoError>&) override {
        return Ok();
    }
    // The column's index, or -1.
    int Column(std::string_view name) const {
        for (size_t i = 0; i < schema.size(); ++i)
            if (IEquals(schema[i].name, name)) return static_cast<int>(i);
        return -1;
    }

    Schema schema;
    std::vector<std::vector<std::string>> rows;
};

}  // namespace adxflow::adx
