#pragma once
// What a test reads back from the Kusto emulator: the primary table of an answer, every cell as text (the
// first table of a v1 management answer, the PrimaryResult of a v2 query).

#include <optional>
#include <string>
#include <vector>

#include "connectors/common/kusto/response.hpp"
#include "tests/support/emulator_process.hpp"

namespace adxflow::testing {

class KustoTextTable final : public kusto::ResponseHandler {
  public:
    explicit KustoTextTable(bool v1 = false) : v1_(v1) {}

    Status OnTableStart(const kusto::TableInfo& t) override;
    Status OnRows(const kusto::TableInfo& t, const RowBatch& b) override;
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<kusto::KustoError>&) override {
        return Ok();
    }

    // The index of the column named `name`, or -1.
    int Column(const std::string& name) const;

    Schema schema;
    std::vector<std::vector<std::string>> rows;

  private:
    bool v1_;
    std::optional<int> primary_;
};

// Runs `csl` against `database` (a management command when it starts with '.') with `token` and returns
// its primary table; a failed request or an unparsable answer is a test failure (and an empty table).
KustoTextTable QueryKusto(EmulatorProcess& emulator, const std::string& database, const std::string& csl,
                          const std::string& token);

// `query | count`, or -1 when it fails.
int64_t CountKusto(EmulatorProcess& emulator, const std::string& database, const std::string& query,
                   const std::string& token);

}  // namespace adxflow::testing
