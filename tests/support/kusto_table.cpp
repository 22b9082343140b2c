#include "tests/support/kusto_table.hpp"

#include <gtest/gtest.h>

namespace adxflow::testing {

Status KustoTextTable::OnTableStart(const kusto::TableInfo& t) {
    if (!primary_ && (v1_ ? t.id == 0 : t.is_primary())) {
        primary_ = t.id;
        schema = t.schema;
    }
    return Ok();
}

Status KustoTextTable::OnRows(const kusto::TableInfo& t, const RowBatch& b) {
    if (!primary_ || t.id != *primary_) return Ok();
    for (size_t r = 0; r < b.rows(); ++r) {
        std::vector<std::string> row;
        row.reserve(b.width());
        for (size_t c = 0; c < b.width(); ++c) row.push_back(ValueToText(b.Row(r)[c]));
        rows.push_back(std::move(row));
    }
    return Ok();
}

int KustoTextTable::Column(const std::string& name) const {
    for (size_t i = 0; i < schema.size(); ++i)
        if (schema[i].name == name) return static_cast<int>(i);
    return -1;
}

KustoTextTable QueryKusto(EmulatorProcess& emulator, const std::string& database, const std::string& csl,
                          const std::string& token) {
    const bool command = !csl.empty() && csl[0] == '.';
    KustoTextTable table(command);
    auto r = emulator.Kusto(database, csl, token);
    EXPECT_TRUE(r.ok() && r->status == 200) << csl << ": " << (r.ok() ? r->body : r.error().message);
    if (!r.ok() || r->status != 200) return table;
    Status parsed = command ? kusto::ParseV1(r->body, table) : kusto::ParseV2(r->body, table);
    EXPECT_TRUE(parsed.ok()) << csl << ": " << (parsed.ok() ? "" : parsed.error().Describe());
    return table;
}

int64_t CountKusto(EmulatorProcess& emulator, const std::string& database, const std::string& query,
                   const std::string& token) {
    KustoTextTable t = QueryKusto(emulator, database, query + " | count", token);
    return t.rows.empty() ? -1 : std::stoll(t.rows[0][0]);
}

}  // namespace adxflow::testing
