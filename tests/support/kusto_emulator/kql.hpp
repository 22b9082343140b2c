#pragma once
// The KQL subset the Kusto emulator understands, parsed into a pipeline of operators. What is outside the
// subset is a semantic error naming the construct, in the shape the service uses, never a crash.
//
// Supported: `set notruncation;`, `set truncationmaxrecords=N;`, `let name = literal;`, a source (table
// name, `print a=1, b='x'`, `range x from 1 to 10 step 1`, `datatable(a:long, b:string) [1, 'x']`), then
// `| take N` / `limit N`, `| count`, `| where` (comparisons joined by `and` and `or`: == != < > <= >= =~
// has contains startswith), `| project a, b`, `| extend c = a * 2 + 1`, `| summarize count(), sum(a), min(a),
// max(a), avg(a) by b, bin(c, 10)`, `| distinct a, b`, `| sort by c [asc|desc]` / `order by`,
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

// A scalar expression of `extend`: operands (column, literal) joined by + - * / (usual precedence).
struct Expr {
    struct Term {
        char op = '+';  // how this term joins the previous one ('+' for the first)
        std::optional<std::string> column;
        Value literal;
    };
    std::vector<Term> terms;
};

struct Aggregate {
    std::string name;      // output column ("count_", "sum_x", or the given alias)
    std::string function;  // count, sum, min, max, avg
    std::string column;    // empty for count()
};

struct GroupKey {
    std::string column;
    std::optional<double> bin;  // bin(column, size) for numbers
};

struct Operator {
    enum class Kind { kTake, kCount, kWhere, kProject, kSort, kTop, kExtend, kSummarize, kDistinct };
    Kind kind = Kind::kTake;
    int64_t count = 0;                   // take / top
    std::vector<Comparison> conditions;  // where
    std::vector<int> groups;           // where: conditions[i] belongs to AND-group groups[i]; groups are ORed
                                       // (`and` binds tighter than `or`, as in KQL)
    std::vector<std::string> columns;  // project
    std::string sort_column;           // sort / top
    bool descending = true;            // Kusto's default order is descending
    std::vector<std::pair<std::string, Expr>> extend;  // extend name = expr, ...
    std::vector<Aggregate> aggregates;                 // summarize
    std::vector<GroupKey> by;                          // summarize ... by
};

struct Query {
    bool no_truncation = false;
    std::optional<int64_t> truncation_max_records;
    std::string table;  // empty for print, range and datatable
    std::vector<std::pair<std::string, Value>> print;
    // range NAME from A to B step C
    std::optional<std::string> range_column;
    int64_t range_from = 0, range_to = 0, range_step = 1;
    // datatable(a:long, b:string) [1, "x", ...]
    std::optional<Schema> datatable_schema;
    std::vector<Value> datatable_rows;
    std::vector<Operator> operators;
};

// kInvalidInput with code "SyntaxError" or "SemanticError" and a message in Kusto's words.
Result<Query> ParseQuery(std::string_view text);

// Runs the operators over a table's rows (row-major, schema.size() cells per row).
Result<std::pair<Schema, std::vector<Value>>> Execute(const Query& query, const Schema& schema,
                                                      std::vector<Value> rows);

}  // namespace adxflow::kusto_emulator
