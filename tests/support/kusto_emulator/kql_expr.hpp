#pragma once
// Scalar expressions: the tree the parser builds (Expr), and its bound form (Node), checked against the
// columns of the operator's input and typed statically, as Kusto types queries before running them. Binding
// is where unknown columns, unknown functions and type mismatches become semantic errors; evaluation then
// cannot fail, it only yields nulls (Kusto's answer to a conversion or an arithmetic that has no value).
//
// Nodes evaluate one row at a time over cells in the stored form and answer values in the evaluation form
// (kql_types.hpp); the named functions live in kql_functions.cpp.

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rows.hpp"
#include "tests/support/kusto_emulator/kql.hpp"

namespace adxflow::kusto_emulator {

// A parsed scalar expression.
struct Expr {
    enum class Kind {
        kLiteral,  // type + value (evaluation form)
        kName,     // a column
        kCall,     // name(args): a function, or an aggregation inside summarize
        kUnary,    // name is "-" or "+"; args[0]
        kBinary,   // name is the operator as written, lower case ("+", "==", "and", "has", "!contains", ...);
                   // args[0], args[1]
        kIn,       // name is "in", "!in", "in~", "!in~", "has_any"; args[0] then the list
        kBetween,  // name is "between" or "!between"; args: value, low, high
        kMember,   // args[0].name (dynamic)
        kIndex,    // args[0][args[1]] (dynamic)
    };
    Kind kind = Kind::kLiteral;
    std::string name;
    ColumnType type = ColumnType::kString;
    Value value;
    std::vector<ExprPtr> args;
    int depth = 1;  // of the tree below (the parser bounds it: binding and evaluation recurse over it)
};

ExprPtr MakeLiteral(ColumnType type, Value value);
ExprPtr MakeExpr(Expr::Kind kind, std::string name, std::vector<ExprPtr> args);

// The column name Kusto gives an unnamed expression: a column keeps its name, bin(col, ...) and floor(col,
// ...) too; aggregations are "count_", "sum_x"; anything else has none (the operator numbers it, Column1...).
std::string DerivedName(const Expr& e);

namespace kql {

class Node {
  public:
    explicit Node(ColumnType type) : type_(type) {}
    virtual ~Node() = default;
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    // `row` holds the operator's input cells (stored form); the answer is in the evaluation form.
    virtual Value Eval(const Value* row) const = 0;
    ColumnType type() const { return type_; }
    // A bare column reference: operators copy its cell as stored instead of converting it back and forth.
    virtual int column() const { return -1; }
    // No column in it: the parser folds constants (let, take counts, datatable values) through this.
    bool constant() const { return constant_; }
    void set_constant(bool c) { constant_ = c; }

  private:
    ColumnType type_;
    bool constant_ = false;
};
using NodePtr = std::unique_ptr<Node>;

// An aggregation met while binding a summarize item: kql_exec accumulates it per group, and the item's
// node reads the result back as slot `index` of the row it is given after the groups are complete.
struct AggregateCall {
    std::string function;  // count, countif, dcount, sum, min, max, avg, take_any
    NodePtr arg;           // null for count()
    ColumnType type = ColumnType::kLong;
};

struct Scope {
    const Schema* schema = nullptr;
    std::string op;  // the operator, for messages ("where", "extend", ...)
    // Inside summarize's aggregation list: aggregations are collected here. Elsewhere (nullptr) they are an
    // error, as are column references when `columns_allowed` is false (an item outside any aggregation).
    std::vector<AggregateCall>* aggregates = nullptr;
    bool columns_allowed = true;
};

Result<NodePtr> Bind(const Expr& e, const Scope& scope);
// Binds and evaluates an expression that references no column (let values, counts, datatable cells).
Result<std::pair<ColumnType, Value>> EvalConstant(const Expr& e, const std::string& what);

// Implemented in kql_functions.cpp: a call to a named scalar function, its arguments already bound.
Result<NodePtr> BindFunction(const std::string& name, std::vector<NodePtr> args, const Scope& scope);
bool IsAggregateFunction(const std::string& name);
// Kusto aggregations the emulator does not have (arg_max, percentile, make_list, ...): named in the error.
bool IsUnsupportedAggregateFunction(const std::string& name);

// Shared by the expression and function nodes.
// The type two branches or operands meet in (numbers widen to real), or none.
std::optional<ColumnType> Unify(ColumnType a, ColumnType b);
// An evaluation-form value of type `from` as type `to` (only numeric widening is needed after Unify).
Value Coerce(Value v, ColumnType from, ColumnType to);
// A node that evaluates `arg` and converts it with `fn`; null in, null out.
NodePtr MakeUnaryNode(ColumnType type, NodePtr arg, std::function<Value(Value)> fn);
// A node of any arity whose arguments are all evaluated first; `nulls` lets the function see nulls.
NodePtr MakeCallNode(ColumnType type, std::vector<NodePtr> args, std::function<Value(std::vector<Value>&)> fn,
                     bool nulls = false);

}  // namespace kql
}  // namespace adxflow::kusto_emulator
