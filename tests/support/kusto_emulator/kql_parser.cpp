// ParseQuery: statements (set, let), the source and the operators of a query, by recursive descent over
// kql_lexer's tokens. Scalar expressions are parsed here into kql_expr trees but typed only when the
// operators are bound to their input (kql_exec), because a table's columns are known only then. What the
// parser must know at once is folded here: let values, take/top counts, print, range and datatable values
// are all constants, evaluated through the same binder.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include "core/json.hpp"
#include "tests/support/kusto_emulator/kql.hpp"
#include "tests/support/kusto_emulator/kql_expr.hpp"
#include "tests/support/kusto_emulator/kql_lexer.hpp"
#include "tests/support/kusto_emulator/kql_types.hpp"

namespace adxflow::kusto_emulator {

namespace {

using kql::SemanticError;
using kql::SyntaxError;
using kql::Token;

constexpr int64_t kMaxRangeRows = 10'000'000;
// Expressions nest at most this deep (parentheses, unary operators, chains of binary operators): the parser,
// the binder and the evaluator recurse over them, and a query must not be able to exhaust the stack.
constexpr int kMaxDepth = 100;

// Kusto operators and aggregations that exist but are outside the emulator's subset: named in the error so
// that the user knows it is the emulator, not the query, that falls short.
bool IsKnownUnsupportedOperator(const std::string& name) {
    static const char* kNames[] = {"join",         "union",       "lookup",
                                   "mv-expand",    "mv-apply",    "parse",
                                   "parse-where",  "parse-kv",    "render",
                                   "evaluate",     "as",          "invoke",
                                   "serialize",    "sample",      "sample-distinct",
                                   "getschema",    "make-series", "project-reorder",
                                   "top-nested",   "top-hitters", "fork",
                                   "facet",        "find",        "search",
                                   "partition",    "scan",        "reduce",
                                   "externaldata", "consume",     "project-smart",
                                   "extend-smart", "range",       "print",
                                   "datatable",    "materialize"};
    for (const char* n : kNames)
        if (name == n) return true;
    return false;
}

class Parser {
  public:
    Parser(std::vector<Token> tokens, int64_t now) : t_(std::move(tokens)) {
        now_ = MakeLiteral(ColumnType::kDateTime, Value{now});
    }

    Result<Query> Parse() {
        Query q;
        while (IsIdent("set") || IsIdent("let") || IsIdent("declare") || IsIdent("alias") ||
               IsIdent("restrict") || IsIdent("pattern")) {
            if (IsIdent("set")) {
                ADXFLOW_TRY(SetStatement(q));
            } else if (IsIdent("let")) {
                ADXFLOW_TRY(LetStatement());
            } else {
                return SemanticError("the '" + Peek().text + "' statement is not supported by this emulator");
            }
        }
        ADXFLOW_TRY(Source(q));
        while (IsPunct("|")) {
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(Operator op, ParseOperator());
            q.operators.push_back(std::move(op));
        }
        if (IsPunct(";")) Next();
        if (Peek().type != Token::Type::kEnd) {
            if (t_[i_ - 1].text == ";")
                return SemanticError("this emulator runs one tabular expression per query; more follows ';'");
            return SyntaxError("unexpected '" + Peek().text + "' at offset " + std::to_string(Peek().pos));
        }
        return q;
    }

  private:
    const Token& Peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
    const Token& Next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
    bool IsIdent(const char* word, size_t ahead = 0) const {
        const Token& t = Peek(ahead);
        return t.type == Token::Type::kIdent && kql::Fold(t.text) == word;
    }
    bool IsPunct(const char* p, size_t ahead = 0) const {
        const Token& t = Peek(ahead);
        return t.type == Token::Type::kPunct && t.text == p;
    }
    bool AtEnd() const { return Peek().type == Token::Type::kEnd || IsPunct("|") || IsPunct(";"); }
    Status Expect(const char* punct, const std::string& where) {
        if (!IsPunct(punct))
            return SyntaxError(where + " expects '" + punct + "', got '" + Describe(Peek()) + "'");
        Next();
        return Ok();
    }
    static std::string Describe(const Token& t) {
        return t.type == Token::Type::kEnd ? "end of query" : t.text;
    }

    // ---- statements ------------------------------------------------------------------------------------

    Status SetStatement(Query& q) {
        Next();
        if (Peek().type != Token::Type::kIdent) return SyntaxError("expected an option name after 'set'");
        const std::string option = kql::Fold(Next().text);
        std::string value = "true";
        if (IsPunct("=")) {
            Next();
            if (AtEnd()) return SyntaxError("'set " + option + "=' expects a value");
            value = Next().text;
        }
        if (option == "notruncation") {
            q.no_truncation = kql::Fold(value) != "false";
        } else if (option == "truncationmaxrecords") {
            int64_t n = 0;
            auto r = std::from_chars(value.data(), value.data() + value.size(), n);
            if (r.ec != std::errc() || r.ptr != value.data() + value.size() || n < 0)
                return SyntaxError("'set truncationmaxrecords' expects a non-negative integer, got '" +
                                   value + "'");
            q.truncation_max_records = n;
        }
        // Other options (servertimeout, query_now, ...) are accepted and ignored.
        return Expect(";", "the set statement");
    }

    Status LetStatement() {
        Next();
        if (Peek().type != Token::Type::kIdent) return SyntaxError("expected a name after 'let'");
        const std::string name = Next().text;
        ADXFLOW_TRY(Expect("=", "'let " + name + "'"));
        const std::string unsupported = "the 'let' statement '" + name +
                                        "' binds a tabular expression or a function; this emulator supports "
                                        "scalar lets only";
        if (IsPunct("(") && (Peek(1).type == Token::Type::kIdent && IsPunct(":", 2)))
            return SemanticError(unsupported);
        if (IsPunct("(") && IsPunct(")", 1)) return SemanticError(unsupported);
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr e, Expression());
        if (IsPunct("|")) return SemanticError(unsupported);
        auto value = kql::EvalConstant(*e, "let");
        if (!value.ok()) {
            if (e->kind == Expr::Kind::kName) return SemanticError(unsupported);
            return std::move(value).error();
        }
        lets_[name] = MakeLiteral(value->first, std::move(value->second));
        return Expect(";", "the let statement");
    }

    // ---- sources ---------------------------------------------------------------------------------------

    Status Source(Query& q) {
        if (IsIdent("print")) return Print(q);
        if (IsIdent("range")) return Range(q);
        if (Peek().type == Token::Type::kIdent && kql::Fold(Peek().text) == "datatable" && IsPunct("(", 1))
            return Datatable(q);
        if (IsIdent("table") && IsPunct("(", 1)) {
            Next();
            Next();
            if (Peek().type != Token::Type::kString)
                return SyntaxError("table() expects a table name string");
            q.table = Next().text;
            return Expect(")", "table(...)");
        }
        if (Peek().type == Token::Type::kIdent) {
            const std::string word = kql::Fold(Peek().text);
            if (word == "union" || word == "find" || word == "search" || word == "externaldata" ||
                word == "evaluate" || word == "database" || word == "cluster" || word == "materialize")
                return SemanticError("'" + word + "' is not supported by this emulator");
            if (lets_.count(Peek().text))
                return SemanticError("'" + Peek().text + "' is a scalar let, not a table");
            q.table = Next().text;
            if (IsPunct("("))
                return SemanticError("'" + q.table +
                                     "(...)': stored functions are not supported by this emulator");
            return Ok();
        }
        if (Peek().type == Token::Type::kPunct && Peek().text == "[" &&
            Peek(1).type == Token::Type::kString && IsPunct("]", 2)) {
            Next();
            q.table = Next().text;
            Next();
            return Ok();
        }
        return SyntaxError("a query starts with a table name, 'print', 'range' or 'datatable'");
    }

    Status Print(Query& q) {
        Next();
        Schema schema;
        std::vector<Value> row;
        int unnamed = 0;
        do {
            if (IsPunct(",")) Next();
            if (AtEnd()) break;
            ADXFLOW_ASSIGN_OR_RETURN(NamedExpr item, Named());
            ADXFLOW_ASSIGN_OR_RETURN(auto value, kql::EvalConstant(*item.expr, "print"));
            std::string name = item.name.empty() ? "print_" + std::to_string(unnamed++) : item.name;
            schema.push_back({std::move(name), value.first});
            row.push_back(kql::ToCell(value.first, std::move(value.second)));
        } while (IsPunct(","));
        q.literal_schema = std::move(schema);
        q.literal_rows = std::move(row);
        return Ok();
    }

    Status Range(Query& q) {
        Next();
        if (Peek().type != Token::Type::kIdent) return SyntaxError("'range' expects a column name");
        Query::Range r;
        r.column = Next().text;
        ColumnType types[3];
        Value* values[3] = {&r.from, &r.to, &r.step};
        const char* words[3] = {"from", "to", "step"};
        for (int k = 0; k < 3; ++k) {
            if (!IsIdent(words[k])) return SyntaxError(std::string("'range' expects '") + words[k] + "'");
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr e, Additive());
            ADXFLOW_ASSIGN_OR_RETURN(auto value, kql::EvalConstant(*e, "range"));
            if (IsNull(value.second))
                return SemanticError(std::string("'range': the '") + words[k] + "' value is null");
            types[k] = value.first;
            *values[k] = std::move(value.second);
        }
        auto number = [](const Value& v) {
            if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
            return std::get<double>(v);
        };
        double span = 0, step = 0;
        if (kql::IsNumeric(types[0]) && kql::IsNumeric(types[1]) && kql::IsNumeric(types[2])) {
            const bool integral =
                kql::IsIntegral(types[0]) && kql::IsIntegral(types[1]) && kql::IsIntegral(types[2]);
            r.type = integral ? ColumnType::kLong : ColumnType::kReal;
            if (!integral)
                for (Value* v : values) *v = number(*v);
            span = number(r.to) - number(r.from);
            step = number(r.step);
        } else if ((types[0] == ColumnType::kDateTime || types[0] == ColumnType::kTimeSpan) &&
                   types[1] == types[0] && types[2] == ColumnType::kTimeSpan) {
            r.type = types[0];
            span = static_cast<double>(std::get<int64_t>(r.to) - std::get<int64_t>(r.from));
            step = static_cast<double>(std::get<int64_t>(r.step));
        } else {
            return SemanticError(
                std::string("'range' expects numbers, or datetimes (or timespans) with a timespan ") +
                "step; got " + kql::TypeName(types[0]) + " to " + kql::TypeName(types[1]) + " step " +
                kql::TypeName(types[2]));
        }
        if (step == 0) return SemanticError("'range' step must not be zero");
        const double rows = span / step < 0 ? 0 : std::floor(span / step + 1e-9) + 1;
        if (rows > kMaxRangeRows)
            return SemanticError("'range' of more than 10,000,000 rows is not supported by this emulator");
        r.rows = static_cast<int64_t>(rows);
        q.range = std::move(r);
        return Ok();
    }

    Status Datatable(Query& q) {
        Next();
        ADXFLOW_TRY(Expect("(", "'datatable'"));
        Schema schema;
        while (!IsPunct(")")) {
            if (IsPunct(",")) Next();
            if (Peek().type != Token::Type::kIdent)
                return SyntaxError("'datatable' schema expects name:type");
            std::string name = Next().text;
            ADXFLOW_TRY(Expect(":", "'datatable' schema"));
            const Token& type_token = Next();
            auto type = ParseColumnType(type_token.text);
            if (type_token.type != Token::Type::kIdent || !type)
                return SemanticError("unknown type '" + type_token.text + "' in the datatable schema for '" +
                                     name + "'");
            schema.push_back({std::move(name), *type});
        }
        Next();
        ADXFLOW_TRY(Expect("[", "'datatable'"));
        std::vector<Value> cells;
        while (!IsPunct("]")) {
            if (IsPunct(",")) Next();
            if (IsPunct("]")) break;
            if (Peek().type == Token::Type::kEnd)
                return SyntaxError("'datatable' values are not closed with ']'");
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr e, Expression());
            ADXFLOW_ASSIGN_OR_RETURN(auto value, kql::EvalConstant(*e, "datatable"));
            if (schema.empty()) return SemanticError("'datatable' has values but no columns");
            const Column& column = schema[cells.size() % schema.size()];
            ADXFLOW_ASSIGN_OR_RETURN(Value cell, DatatableCell(column, value.first, std::move(value.second)));
            cells.push_back(std::move(cell));
            if (!IsPunct(",") && !IsPunct("]"))
                return SyntaxError("'datatable' values are separated by ',', got '" + Describe(Peek()) + "'");
        }
        Next();
        if (schema.empty() || cells.size() % schema.size() != 0)
            return SemanticError("'datatable' has " + std::to_string(cells.size()) + " values for " +
                                 std::to_string(schema.size()) + " columns");
        q.literal_schema = std::move(schema);
        q.literal_rows = std::move(cells);
        return Ok();
    }

    // A datatable value must be of its column's type; numbers widen, anything becomes dynamic.
    static Result<Value> DatatableCell(const Column& column, ColumnType type, Value v) {
        if (IsNull(v)) return Value{};
        if (column.type == ColumnType::kDynamic) return Value{kql::ToJsonText(type, v)};
        if (type == column.type || (kql::IsIntegral(type) && kql::IsIntegral(column.type)))
            return kql::ToCell(column.type, std::move(v));
        if (kql::IsIntegral(type) &&
            (column.type == ColumnType::kReal || column.type == ColumnType::kDecimal))
            return kql::ToCell(column.type, kql::Coerce(std::move(v), type, column.type));
        if (type == ColumnType::kReal && column.type == ColumnType::kDecimal)
            return kql::ToCell(column.type, v);
        if (type == ColumnType::kString && column.type == ColumnType::kGuid)
            return Value{kql::Fold(std::get<std::string>(v))};
        return SemanticError("'datatable': a " + std::string(kql::TypeName(type)) + " value in column '" +
                             column.name + "' of type " + kql::TypeName(column.type));
    }

    // ---- operators -------------------------------------------------------------------------------------

    Result<int64_t> Count(const char* op) {
        if (AtEnd() || IsIdent("by")) return SyntaxError(std::string("'") + op + "' expects a row count");
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr e, Additive());
        ADXFLOW_ASSIGN_OR_RETURN(auto value, kql::EvalConstant(*e, op));
        if (!kql::IsIntegral(value.first) || IsNull(value.second))
            return SemanticError(std::string("'") + op + "' expects an integer row count, got " +
                                 kql::TypeName(value.first));
        if (std::get<int64_t>(value.second) < 0)
            return SemanticError(std::string("'") + op + "' expects a row count that is not negative");
        return std::get<int64_t>(value.second);
    }

    // `[name =] expression`
    Result<NamedExpr> Named() {
        NamedExpr item;
        if (Peek().type == Token::Type::kIdent && IsPunct("=", 1)) {
            item.name = Next().text;
            Next();
        } else if (IsPunct("[") && Peek(1).type == Token::Type::kString && IsPunct("]", 2) &&
                   IsPunct("=", 3)) {
            Next();
            item.name = Next().text;
            Next();
            Next();
        }
        ADXFLOW_ASSIGN_OR_RETURN(item.expr, Expression());
        return item;
    }

    Result<std::vector<NamedExpr>> NamedList(const std::string& op, bool stop_at_by) {
        std::vector<NamedExpr> items;
        do {
            if (IsPunct(",")) Next();
            if (AtEnd() || (stop_at_by && IsIdent("by")))
                return SyntaxError("'" + op + "' expects an expression");
            ADXFLOW_ASSIGN_OR_RETURN(NamedExpr item, Named());
            items.push_back(std::move(item));
        } while (IsPunct(","));
        return items;
    }

    // Column names, or patterns with '*' (project-away, project-keep, distinct).
    Result<std::vector<std::string>> Patterns(const std::string& op) {
        std::vector<std::string> out;
        do {
            if (IsPunct(",")) Next();
            std::string pattern;
            size_t end = 0;
            // Adjacent identifier and '*' tokens make one pattern ("Col*", "*Name").
            while ((Peek().type == Token::Type::kIdent || IsPunct("*")) &&
                   (pattern.empty() || Peek().pos == end)) {
                end = Peek().pos + Peek().text.size();
                pattern += Next().text;
            }
            if (pattern.empty() && IsPunct("[") && Peek(1).type == Token::Type::kString && IsPunct("]", 2)) {
                Next();
                pattern = Next().text;
                Next();
            }
            if (pattern.empty()) return SyntaxError("'" + op + "' expects column names");
            out.push_back(std::move(pattern));
        } while (IsPunct(","));
        return out;
    }

    Result<std::vector<SortKey>> SortKeys(const std::string& op, bool one) {
        if (!IsIdent("by")) return SyntaxError("'" + op + "' expects 'by'");
        Next();
        std::vector<SortKey> keys;
        do {
            if (IsPunct(",")) Next();
            SortKey key;
            ADXFLOW_ASSIGN_OR_RETURN(key.expr, Expression());
            if (IsIdent("asc") || IsIdent("desc")) key.descending = kql::Fold(Next().text) == "desc";
            if (IsIdent("nulls")) {
                Next();
                if (!IsIdent("first") && !IsIdent("last"))
                    return SyntaxError("'nulls' expects 'first' or 'last'");
                key.nulls_first = kql::Fold(Next().text) == "first";
            }
            keys.push_back(std::move(key));
        } while (IsPunct(",") && !one);
        return keys;
    }

    Result<Operator> ParseOperator() {
        if (Peek().type != Token::Type::kIdent) return SyntaxError("expected an operator after '|'");
        const std::string name = kql::Fold(Next().text);
        Operator op;
        if (name == "take" || name == "limit") {
            op.kind = Operator::Kind::kTake;
            ADXFLOW_ASSIGN_OR_RETURN(op.count, Count(name.c_str()));
        } else if (name == "count") {
            op.kind = Operator::Kind::kCount;
        } else if (name == "where" || name == "filter") {
            op.kind = Operator::Kind::kWhere;
            if (AtEnd()) return SyntaxError("'where' expects a predicate");
            ADXFLOW_ASSIGN_OR_RETURN(op.predicate, Expression());
        } else if (name == "project" || name == "extend") {
            op.kind = name == "project" ? Operator::Kind::kProject : Operator::Kind::kExtend;
            ADXFLOW_ASSIGN_OR_RETURN(op.items, NamedList(name, false));
        } else if (name == "project-away" || name == "project-keep") {
            op.kind = name == "project-away" ? Operator::Kind::kProjectAway : Operator::Kind::kProjectKeep;
            ADXFLOW_ASSIGN_OR_RETURN(op.columns, Patterns(name));
        } else if (name == "project-rename") {
            op.kind = Operator::Kind::kProjectRename;
            do {
                if (IsPunct(",")) Next();
                if (Peek().type != Token::Type::kIdent || !IsPunct("=", 1) ||
                    Peek(2).type != Token::Type::kIdent)
                    return SyntaxError("'project-rename' expects new_name = old_name");
                std::string to = Next().text;
                Next();
                op.renames.emplace_back(std::move(to), Next().text);
            } while (IsPunct(","));
        } else if (name == "sort" || name == "order") {
            op.kind = Operator::Kind::kSort;
            ADXFLOW_ASSIGN_OR_RETURN(op.sort, SortKeys(name, false));
        } else if (name == "top") {
            op.kind = Operator::Kind::kTop;
            ADXFLOW_ASSIGN_OR_RETURN(op.count, Count("top"));
            ADXFLOW_ASSIGN_OR_RETURN(op.sort, SortKeys("top", true));
        } else if (name == "summarize") {
            op.kind = Operator::Kind::kSummarize;
            if (!IsIdent("by") && !AtEnd()) {
                ADXFLOW_ASSIGN_OR_RETURN(op.items, NamedList(name, true));
            }
            if (IsIdent("by")) {
                Next();
                ADXFLOW_ASSIGN_OR_RETURN(op.by, NamedList("summarize by", false));
            }
            if (op.items.empty() && op.by.empty())
                return SyntaxError("'summarize' expects aggregations or 'by'");
        } else if (name == "distinct") {
            op.kind = Operator::Kind::kDistinct;
            ADXFLOW_ASSIGN_OR_RETURN(op.columns, Patterns(name));
        } else if (IsKnownUnsupportedOperator(name)) {
            return SemanticError("the operator '" + name + "' is not supported by this emulator");
        } else {
            return SyntaxError("'" + name + "' is not a query operator");
        }
        return op;
    }

    // ---- expressions -----------------------------------------------------------------------------------
    // or < and < comparisons and string operators < + - < * / % < unary - < postfix (.x, [i]) < primary.

    // Counts the parser's own recursion (parentheses, calls, lists, unary operators).
    struct Nesting {
        explicit Nesting(int& n) : n_(++n) {}
        ~Nesting() { --n_; }
        int& n_;
    };
    Status CheckDepth(const ExprPtr& e) const {
        if (nesting_ > kMaxDepth || (e && e->depth > kMaxDepth))
            return SyntaxError("the expression is nested too deeply (more than " + std::to_string(kMaxDepth) +
                               " levels)");
        return Ok();
    }

    Result<ExprPtr> Expression() {
        Nesting nesting(nesting_);
        ADXFLOW_TRY(CheckDepth(nullptr));
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr left, AndExpr());
        while (IsIdent("or")) {
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, AndExpr());
            left = MakeExpr(Expr::Kind::kBinary, "or", {left, right});
            ADXFLOW_TRY(CheckDepth(left));
        }
        return left;
    }

    Result<ExprPtr> AndExpr() {
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr left, Comparison());
        while (IsIdent("and")) {
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Comparison());
            left = MakeExpr(Expr::Kind::kBinary, "and", {left, right});
            ADXFLOW_TRY(CheckDepth(left));
        }
        return left;
    }

    static bool IsStringOperatorWord(const std::string& w) {
        static const char* kWords[] = {"has",    "contains",    "startswith",    "endswith",
                                       "has_cs", "contains_cs", "startswith_cs", "endswith_cs"};
        for (const char* k : kWords)
            if (w == k) return true;
        return false;
    }
    static bool IsUnsupportedStringOperator(const std::string& w) {
        static const char* kWords[] = {"has_all",      "hasprefix",  "hassuffix",  "hasprefix_cs",
                                       "hassuffix_cs", "in_cs",      "has_any_cs", "like",
                                       "notcontains",  "notbetween", "matches"};
        for (const char* k : kWords)
            if (w == k) return true;
        return false;
    }

    Result<ExprPtr> Comparison() {
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr left, Additive());
        const Token& t = Peek();
        if (t.type == Token::Type::kPunct) {
            static const char* kOps[] = {"==", "!=", "<", ">", "<=", ">=", "=~", "!~"};
            for (const char* o : kOps)
                if (t.text == o) {
                    Next();
                    ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Additive());
                    return MakeExpr(Expr::Kind::kBinary, o, {left, right});
                }
            if (t.text == "!" && Peek(1).type == Token::Type::kIdent && Peek(1).pos == t.pos + 1) {
                const std::string word = kql::Fold(Peek(1).text);
                if (IsStringOperatorWord(word)) {
                    Next();
                    Next();
                    ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Additive());
                    return MakeExpr(Expr::Kind::kBinary, "!" + word, {left, right});
                }
                if (word == "in" || word == "between") {
                    Next();
                    return Membership(left, true);
                }
                return SemanticError("the operator '!" + word + "' is not supported by this emulator");
            }
            return left;
        }
        if (t.type != Token::Type::kIdent) return left;
        const std::string word = kql::Fold(t.text);
        if (IsStringOperatorWord(word)) {
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Additive());
            return MakeExpr(Expr::Kind::kBinary, word, {left, right});
        }
        if (word == "matches" && IsIdent("regex", 1)) {
            Next();
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Additive());
            return MakeExpr(Expr::Kind::kBinary, "matches regex", {left, right});
        }
        if (word == "in" || word == "between" || word == "has_any") return Membership(left, false);
        if (IsUnsupportedStringOperator(word))
            return SemanticError("the operator '" + word + "' is not supported by this emulator");
        return left;
    }

    // in (...), in~ (...), has_any (...), between (a .. b); `negated` after a '!'.
    Result<ExprPtr> Membership(ExprPtr left, bool negated) {
        std::string word = kql::Fold(Next().text);
        if (word == "between") {
            ADXFLOW_TRY(Expect("(", "'between'"));
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr low, Additive());
            ADXFLOW_TRY(Expect("..", "'between'"));
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr high, Additive());
            ADXFLOW_TRY(Expect(")", "'between'"));
            return MakeExpr(Expr::Kind::kBetween, negated ? "!between" : "between", {left, low, high});
        }
        if (word == "in" && IsPunct("~")) {
            Next();
            word = "in~";
        }
        std::vector<ExprPtr> args{left};
        ADXFLOW_TRY(Expect("(", "'" + word + "'"));
        while (!IsPunct(")")) {
            if (IsPunct(",")) Next();
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr item, Expression());
            if (IsPunct("|"))
                return SemanticError("'" + word +
                                     "' with a tabular subquery is not supported by this emulator");
            args.push_back(std::move(item));
            if (!IsPunct(",") && !IsPunct(")"))
                return SyntaxError("'" + word + "' expects a list in parentheses, got '" + Describe(Peek()) +
                                   "'");
        }
        Next();
        if (args.size() == 1) return SyntaxError("'" + word + "' expects at least one value");
        return MakeExpr(Expr::Kind::kIn, (negated ? "!" : "") + word, std::move(args));
    }

    Result<ExprPtr> Additive() {
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr left, Multiplicative());
        while (IsPunct("+") || IsPunct("-")) {
            std::string op = Next().text;
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Multiplicative());
            left = MakeExpr(Expr::Kind::kBinary, op, {left, right});
            ADXFLOW_TRY(CheckDepth(left));
        }
        return left;
    }

    Result<ExprPtr> Multiplicative() {
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr left, Unary());
        while (IsPunct("*") || IsPunct("/") || IsPunct("%")) {
            std::string op = Next().text;
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr right, Unary());
            left = MakeExpr(Expr::Kind::kBinary, op, {left, right});
            ADXFLOW_TRY(CheckDepth(left));
        }
        return left;
    }

    Result<ExprPtr> Unary() {
        if (IsPunct("-") || IsPunct("+")) {
            Nesting nesting(nesting_);
            ADXFLOW_TRY(CheckDepth(nullptr));
            std::string op = Next().text;
            ADXFLOW_ASSIGN_OR_RETURN(ExprPtr arg, Unary());
            // Fold a negative number literal at once, so that -9223372036854775808 and datatable values stay
            // literals.
            if (op == "-" && arg->kind == Expr::Kind::kLiteral) {
                if (auto* i = std::get_if<int64_t>(&arg->value))
                    return MakeLiteral(arg->type, Value{static_cast<int64_t>(0 - static_cast<uint64_t>(*i))});
                if (auto* d = std::get_if<double>(&arg->value)) return MakeLiteral(arg->type, Value{-*d});
            }
            return MakeExpr(Expr::Kind::kUnary, op, {arg});
        }
        return Postfix();
    }

    Result<ExprPtr> Postfix() {
        ADXFLOW_ASSIGN_OR_RETURN(ExprPtr e, Primary());
        while (true) {
            if (IsPunct(".") && Peek(1).type == Token::Type::kIdent) {
                Next();
                auto member = MakeExpr(Expr::Kind::kMember, Next().text, {e});
                e = member;
                ADXFLOW_TRY(CheckDepth(e));
            } else if (IsPunct("[")) {
                Next();
                ADXFLOW_ASSIGN_OR_RETURN(ExprPtr index, Expression());
                ADXFLOW_TRY(Expect("]", "an index"));
                e = MakeExpr(Expr::Kind::kIndex, "", {e, index});
                ADXFLOW_TRY(CheckDepth(e));
            } else {
                return e;
            }
        }
    }

    Result<ExprPtr> Primary() {
        const Token t = Peek();
        switch (t.type) {
            case Token::Type::kNumber: {
                Next();
                int64_t i = 0;
                auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), i);
                if (r.ec == std::errc() && r.ptr == t.text.data() + t.text.size())
                    return MakeLiteral(ColumnType::kLong, Value{i});
                return MakeLiteral(ColumnType::kReal, Value{std::strtod(t.text.c_str(), nullptr)});
            }
            case Token::Type::kTimeSpan:
                Next();
                return MakeLiteral(ColumnType::kTimeSpan, Value{t.ticks});
            case Token::Type::kString:
                Next();
                return MakeLiteral(ColumnType::kString, Value{t.text});
            case Token::Type::kTyped:
                Next();
                return TypedLiteral(t);
            case Token::Type::kPunct:
                if (t.text == "(") {
                    Next();
                    ADXFLOW_ASSIGN_OR_RETURN(ExprPtr inner, Expression());
                    if (IsPunct(","))
                        return SemanticError("tuples '(a, b)' are not supported by this emulator");
                    ADXFLOW_TRY(Expect(")", "a parenthesised expression"));
                    return inner;
                }
                if (t.text == "[" && Peek(1).type == Token::Type::kString && IsPunct("]", 2)) {
                    Next();
                    std::string name = Next().text;
                    Next();
                    return MakeExpr(Expr::Kind::kName, std::move(name), {});
                }
                return SyntaxError("expected an expression, got '" + t.text + "' at offset " +
                                   std::to_string(t.pos));
            case Token::Type::kIdent:
                return Identifier();
            case Token::Type::kEnd:
                break;
        }
        return SyntaxError("expected an expression, got the end of the query");
    }

    Result<ExprPtr> Identifier() {
        const Token t = Next();
        const std::string lower = kql::Fold(t.text);
        if (IsPunct("(")) {
            // Their arguments may not even parse here (arg_max(x, *)): name them at once.
            if (kql::IsUnsupportedAggregateFunction(lower))
                return SemanticError("the aggregation function '" + lower +
                                     "' is not supported by this emulator");
            Next();
            std::vector<ExprPtr> args;
            while (!IsPunct(")")) {
                if (IsPunct(",")) Next();
                if (IsPunct("*") && IsPunct(")", 1)) {
                    Next();  // count(*) is count()
                    continue;
                }
                ADXFLOW_ASSIGN_OR_RETURN(ExprPtr arg, Expression());
                args.push_back(std::move(arg));
                if (!IsPunct(",") && !IsPunct(")"))
                    return SyntaxError(t.text + "() expects ',' or ')', got '" + Describe(Peek()) + "'");
            }
            Next();
            if (lower == "now" && args.empty()) return now_;
            if (lower == "now" || lower == "ago") args.push_back(now_);  // both read the query's one now()
            return MakeExpr(Expr::Kind::kCall, lower, std::move(args));
        }
        if (lower == "true" || lower == "false")
            return MakeLiteral(ColumnType::kBool, Value{lower == "true"});
        if (auto let = lets_.find(t.text); let != lets_.end()) return let->second;
        return MakeExpr(Expr::Kind::kName, t.text, {});
    }

    Result<ExprPtr> TypedLiteral(const Token& t) {
        const std::string& w = t.text;
        const std::string& raw = t.raw;
        ColumnType type = ColumnType::kString;
        if (w == "datetime")
            type = ColumnType::kDateTime;
        else if (w == "timespan" || w == "time")
            type = ColumnType::kTimeSpan;
        else if (w == "guid")
            type = ColumnType::kGuid;
        else if (w == "dynamic")
            type = ColumnType::kDynamic;
        else if (w == "long" || w == "int64")
            type = ColumnType::kLong;
        else if (w == "int" || w == "int32")
            type = ColumnType::kInt;
        else if (w == "real" || w == "double")
            type = ColumnType::kReal;
        else if (w == "decimal")
            type = ColumnType::kDecimal;
        else if (w == "bool" || w == "boolean")
            type = ColumnType::kBool;
        if (kql::Fold(raw) == "null") return MakeLiteral(type, Value{});
        const std::string bad = "invalid " + w + " literal '" + raw + "'";
        switch (type) {
            case ColumnType::kDateTime: {
                auto ticks = kql::ParseDateTime(raw);
                if (!ticks) return SyntaxError(bad);
                return MakeLiteral(type, Value{*ticks});
            }
            case ColumnType::kTimeSpan: {
                auto ticks = kql::ParseTimeSpan(raw);
                if (!ticks) return SyntaxError(bad);
                return MakeLiteral(type, Value{*ticks});
            }
            case ColumnType::kDynamic: {
                auto j = Json::parse(raw, nullptr, /*allow_exceptions=*/false);
                if (j.is_discarded())
                    return SyntaxError(bad + " (this emulator reads dynamic literals as JSON)");
                return MakeLiteral(type, Value{j.dump()});
            }
            case ColumnType::kGuid:
            case ColumnType::kLong:
            case ColumnType::kInt:
            case ColumnType::kReal:
            case ColumnType::kDecimal:
            case ColumnType::kBool: {
                Value v = kql::FromCell(type, Value{raw});
                if (IsNull(v) || (type == ColumnType::kGuid && !kql::IsGuidText(raw)))
                    return SyntaxError(bad);
                if (type == ColumnType::kGuid) v = kql::Fold(std::get<std::string>(v));
                return MakeLiteral(type, std::move(v));
            }
            default:
                return SyntaxError(bad);
        }
    }

    std::vector<Token> t_;
    size_t i_ = 0;
    std::map<std::string, ExprPtr> lets_;
    ExprPtr now_;
    int nesting_ = 0;
};

}  // namespace

Result<Query> ParseQuery(std::string_view text) {
    ADXFLOW_ASSIGN_OR_RETURN(auto tokens, kql::Lex(text));
    // One now() for the whole query, in ticks since 1970, as Kusto fixes it per query.
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100;
    Parser parser(std::move(tokens), now);
    return parser.Parse();
}

}  // namespace adxflow::kusto_emulator
