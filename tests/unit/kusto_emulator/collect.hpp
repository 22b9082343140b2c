#pragma once
// Keeps everything the protocol parser reports about an emulator response: the tables with their rows and
// in-band errors, and whether the dataset completed with errors. Shared by the emulator tests.

#include <vector>

#include "connectors/common/kusto/response.hpp"

namespace adxflow::kusto_emulator {

struct Table {
    kusto::TableInfo info;
    std::vector<std::vector<Value>> rows;
    std::vector<kusto::KustoError> errors;
};

class Collect : public kusto::ResponseHandler {
  public:
    Status OnTableStart(const kusto::TableInfo& t) override {
        tables.push_back({t, {}, {}});
        return Ok();
    }
    Status OnRows(const kusto::TableInfo&, const RowBatch& rows) override {
        for (size_t r = 0; r < rows.rows(); ++r)
            tables.back().rows.emplace_back(rows.Row(r), rows.Row(r) + rows.width());
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<kusto::KustoError>& errors) override {
        tables.back().errors = errors;
        return Ok();
    }
    void OnCompletion(bool errors, bool, const std::vector<kusto::KustoError>&) override {
        has_errors = errors;
    }
    // The primary result, or the only table of a v1 (management) response.
    const Table* Primary() const {
        for (const auto& t : tables)
            if (t.info.is_primary()) return &t;
        return tables.size() == 1 ? &tables[0] : nullptr;
    }
    std::vector<Table> tables;
    bool has_errors = false;
};

}  // namespace adxflow::kusto_emulator
