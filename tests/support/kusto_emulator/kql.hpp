#pragma once
// The KQL subset the Kusto emulator understands, parsed into a pipeline of operators. What is outside the
// subset is a semantic error naming the construct, in the shape the service uses, never a crash.
//
// Supported (first slice): `set notruncation;`, `set truncationmaxrecords=N;`, a table name or
// `print a=1, b='x'`, then `| take N` / `limit N`, `| count`, `| where` (comparisons joined by `and`:
// == != < > <= >= =~ has contains startswith), `| project a, b`, `| sort by c [asc|desc]` / `order by`,
// `| top N by c [asc|desc]`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/rows.hpp"

namespace adxflow::kusto_emulator {

enum class CompareOp { kEq, kNe, kLt, kGt, kLe, kGe, kEqNoCase, kHas, kContains, kStartsWith };

struct Comparison {
    std::string column;
    CompareOp op = CompareOp::kEq;
    Value literal;
};

struct Operator {
    enum class Kind { kTake, kCount, kWhere, kProject, kSort, kTop };
    Kind kind = Kind::kTake;
    int64_t count = 0;                   // take / top
    std::vector<Comparison> conditions;  // where (AND)
    std::vector<std::string> columns;    // project
    std::string sort_column;             // sort / top
    bool descending = true;              // Kusto's default order is descending
};

struct Query {
    bool no_truncation = false;
    std::optional<int64_t> truncation_max_records;
    std::string table;  // empty for print
    std::vector<std::pair<std::string, Value>> print;
    std::vector<Operator> operators;
};

// kInvalidInput with code "SyntaxError" or "SemanticError" and a message in Kusto's words.
Result<Query> ParseQuery(std::string_view text);

// Runs the operators over a table's rows (row-major, schema.size() cells per row).
Result<std::pair<Schema, std::vector<Value>>> Execute(const Query& query, const Schema& schema,
                                                      std::vector<Value> rows);

}  // namespace adxflow::kusto_emulator
