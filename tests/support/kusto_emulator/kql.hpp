#pragma once
// The KQL subset the Kusto emulator understands: a query is parsed into a source and a pipeline of operators
// whose scalar expressions are checked against the columns and typed as Kusto types them, then run. What
// is outside the subset is a syntax or semantic error naming the construct, in the shape the service
// uses, never a crash.
//
// Statements: `set notruncation;`, `set truncationmaxrecords=N;` (other options accepted and ignored),
// `let name = <scalar expression>;`. Sources: a table, `print [a =] expr, ...`, `range x from A to B step C`
// (longs, reals, or datetimes with a timespan step), `datatable(a:long, ...) [values]`. Operators: `where`,
// `project [a =] expr, ...`, `project-away`/`project-keep` (with wildcards), `project-rename new = old`,
// `extend [a =] expr, ...`, `take`/`limit`, `top N by expr [asc|desc] [nulls first|last]`, `sort by`/`order
// by` (several keys), `count`, `summarize [a =] agg, ... [by [k =] expr, ...]` with count(), countif(),
// dcount(), sum(), min(), max(), avg(), take_any() (also inside expressions: `sum(x) / count()`), `distinct
// a, b` / `distinct *`.
// Expressions: literals (long, real, string, bool, datetime(...), timespan 1d/2h/30m/10s/100ms or
// time(...)/timespan(...), guid(...), dynamic(...), typed nulls like long(null)); + - * / % with Kusto's
// datetime/timespan arithmetic; == != < > <= >=; =~ !~ and the string operators has, contains,
// startswith, endswith (case-insensitive), their _cs forms and their negations (!has, ...), matches regex;
// in, !in, in~, !in~, has_any; between / !between (a .. b); and, or, not(); member access on dynamic
// (d.key, d['key'], d[0]); functions in kql_functions.cpp (isnull, isempty, ago, now, bin, iff, case,
// coalesce, strlen, tolower, strcat, substring, the to* conversions, ...).
//
// kql_types: value representation and conversions; kql_lexer: tokens; kql_parser: statements, sources and
// operators into a Query; kql_expr / kql_functions: expression trees, binding and evaluation; kql_exec:
// the operators, streamed row by row where Kusto's semantics allow.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/rows.hpp"

namespace adxflow::kusto_emulator {

struct Expr;  // kql_expr.hpp: a parsed scalar expression
using ExprPtr = std::shared_ptr<const Expr>;

struct NamedExpr {
    std::string name;  // empty: derived (a column keeps its name, bin(c, ...) is c, aggregations count_,
                       // sum_x; anything else Column1, Column2, ...)
    ExprPtr expr;
};

struct SortKey {
    ExprPtr expr;
    bool descending = true;           // Kusto's default order
    std::optional<bool> nulls_first;  // default: nulls first ascending, last descending
};

struct Operator {
    enum class Kind {
        kTake,
        kCount,
        kWhere,
        kProject,
        kProjectAway,
        kProjectKeep,
        kProjectRename,
        kExtend,
        kSort,
        kTop,
        kSummarize,
        kDistinct
    };
    Kind kind = Kind::kTake;
    int64_t count = 0;                 // take / top
    ExprPtr predicate;                 // where
    std::vector<NamedExpr> items;      // project, extend; summarize: the aggregations
    std::vector<NamedExpr> by;         // summarize ... by
    std::vector<std::string> columns;  // project-away / project-keep (wildcards), distinct ("*": all)
    std::vector<std::pair<std::string, std::string>> renames;  // project-rename new = old
    std::vector<SortKey> sort;                                 // sort / top
};

struct Query {
    bool no_truncation = false;
    std::optional<int64_t> truncation_max_records;
    std::string table;  // the source table; empty when the source is print, range or datatable
    // print and datatable: their rows, evaluated when parsed (their values are constants).
    std::optional<Schema> literal_schema;
    std::vector<Value> literal_rows;
    // range COLUMN from A to B step C: values in the evaluation form of `type` (long, real, datetime).
    struct Range {
        std::string column;
        ColumnType type = ColumnType::kLong;
        Value from, to, step;
        int64_t rows = 0;
    };
    std::optional<Range> range;
    std::vector<Operator> operators;
};

// Errors are kInvalidInput with code "SyntaxError" or "SemanticError" and a message in Kusto's words.
Result<Query> ParseQuery(std::string_view text);

// Runs the operators over a table's rows (row-major, schema.size() cells a row), or over the query's own
// source (print, range, datatable) when query.table is empty. Semantic errors (unknown columns, type
// mismatches) are found before any row is read.
Result<std::pair<Schema, std::vector<Value>>> Execute(const Query& query, const Schema& schema,
                                                      std::vector<Value> rows);

// The same over a table whose rows are produced on demand (a synthetic table): each row is made, filtered,
// projected and aggregated one at a time, and production stops as soon as a `take` is satisfied or
// `max_result_rows` result rows exist, so a 10M-row source is never held whole.
using RowGenerator = std::function<void(int64_t index, Value* row)>;
Result<std::pair<Schema, std::vector<Value>>> ExecuteGenerated(
    const Query& query, const Schema& schema, int64_t rows, const RowGenerator& row,
    int64_t max_result_rows = std::numeric_limits<int64_t>::max());

}  // namespace adxflow::kusto_emulator
