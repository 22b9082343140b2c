#include "tests/support/kusto_emulator/kql.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "core/json.hpp"

namespace adxflow::kusto_emulator {

namespace {

Error SyntaxError(const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "kql.parse", "Syntax error: " + message, "SyntaxError");
}
Error SemanticError(const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "kql.parse", "Semantic error: " + message, "SemanticError");
}

struct Token {
    enum class Type { kIdent, kNumber, kString, kPunct, kEnd } type = Type::kEnd;
    std::string text;
};

class Lexer {
  public:
    explicit Lexer(std::string_view s) : s_(s) {}

    Result<std::vector<Token>> All() {
        std::vector<Token> out;
        while (true) {
            SkipSpace();
            if (p_ >= s_.size()) break;
            char c = s_[p_];
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                size_t start = p_;
                while (p_ < s_.size() &&
                       (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_' || s_[p_] == '-'))
                    ++p_;
                // "project-away" and friends keep their dash; a trailing dash belongs to the next token.
                while (p_ > start && s_[p_ - 1] == '-') --p_;
                out.push_back({Token::Type::kIdent, std::string(s_.substr(start, p_ - start))});
            } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                       (c == '-' && p_ + 1 < s_.size() &&
                        std::isdigit(static_cast<unsigned char>(s_[p_ + 1])))) {
                size_t start = p_++;
                while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' ||
                                          s_[p_] == 'e' || s_[p_] == 'E'))
                    ++p_;
                out.push_back({Token::Type::kNumber, std::string(s_.substr(start, p_ - start))});
            } else if (c == '\'' || c == '"') {
                ADXFLOW_ASSIGN_OR_RETURN(std::string text, Quoted(c));
                out.push_back({Token::Type::kString, std::move(text)});
            } else {
                static const char* kTwo[] = {"==", "!=", "<=", ">=", "=~"};
                std::string punct(1, c);
                for (const char* two : kTwo)
                    if (s_.substr(p_, 2) == two) punct = two;
                p_ += punct.size();
                out.push_back({Token::Type::kPunct, punct});
            }
        }
        out.push_back({Token::Type::kEnd, ""});
        return out;
    }

  private:
    void SkipSpace() {
        while (p_ < s_.size()) {
            if (std::isspace(static_cast<unsigned char>(s_[p_]))) {
                ++p_;
            } else if (s_.substr(p_, 2) == "//") {
                while (p_ < s_.size() && s_[p_] != '\n') ++p_;
            } else {
                break;
            }
        }
    }
    Result<std::string> Quoted(char quote) {
        std::string out;
        ++p_;
        while (p_ < s_.size() && s_[p_] != quote) {
            if (s_[p_] == '\\' && p_ + 1 < s_.size()) {
                char e = s_[++p_];
                out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
            } else {
                out += s_[p_];
            }
            ++p_;
        }
        if (p_ >= s_.size()) return SyntaxError("unterminated string literal");
        ++p_;
        return out;
    }
    std::string_view s_;
    size_t p_ = 0;
};

class Parser {
  public:
    explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

    Result<Query> Parse() {
        Query q;
        // set and let statements, in any order
        while (IsIdent("set") || IsIdent("let")) {
            if (IsIdent("let")) {
                Next();
                if (Peek().type != Token::Type::kIdent) return SyntaxError("expected a name after 'let'");
                std::string name = Next().text;
                if (!IsPunct("=")) return SyntaxError("expected '=' after 'let " + name + "'");
                Next();
                ADXFLOW_ASSIGN_OR_RETURN(Value v, Literal());
                lets_[name] = std::move(v);
                if (!IsPunct(";")) return SyntaxError("expected ';' after the let statement");
                Next();
                continue;
            }
            Next();
            if (Peek().type != Token::Type::kIdent) return SyntaxError("expected an option name after 'set'");
            std::string option = ToLower(Next().text);
            std::string value = "true";
            if (IsPunct("=")) {
                Next();
                value = Next().text;
            }
            if (option == "notruncation")
                q.no_truncation = ToLower(value) != "false";
            else if (option == "truncationmaxrecords")
                q.truncation_max_records = std::atoll(value.c_str());
            // other options (servertimeout, ...) are accepted and ignored here
            if (!IsPunct(";")) return SyntaxError("expected ';' after the set statement");
            Next();
        }
        if (IsIdent("print")) {
            Next();
            int unnamed = 0;
            do {
                if (IsPunct(",")) Next();
                std::string name = "print_" + std::to_string(unnamed);
                if (Peek().type == Token::Type::kIdent && t_[i_ + 1].type == Token::Type::kPunct &&
                    t_[i_ + 1].text == "=") {
                    name = Next().text;
                    Next();
                } else {
                    ++unnamed;
                }
                ADXFLOW_ASSIGN_OR_RETURN(Value v, Literal());
                q.print.emplace_back(std::move(name), std::move(v));
            } while (IsPunct(","));
        } else if (IsIdent("range")) {
            Next();
            if (Peek().type != Token::Type::kIdent) return SyntaxError("'range' expects a column name");
            q.range_column = Next().text;
            auto bound = [&](const char* word, int64_t& out) -> Status {
                if (!IsIdent(word)) return SyntaxError(std::string("'range' expects '") + word + "'");
                Next();
                ADXFLOW_ASSIGN_OR_RETURN(Value v, Literal());
                if (!std::holds_alternative<int64_t>(v))
                    return SemanticError("'range' bounds must be integers here");
                out = std::get<int64_t>(v);
                return Ok();
            };
            ADXFLOW_TRY(bound("from", q.range_from));
            ADXFLOW_TRY(bound("to", q.range_to));
            ADXFLOW_TRY(bound("step", q.range_step));
            if (q.range_step <= 0) return SemanticError("'range' step must be positive");
            if ((q.range_to - q.range_from) / q.range_step > 10000000)
                return SemanticError(
                    "'range' of more than 10,000,000 rows is not supported by this emulator");
        } else if (IsIdent("datatable")) {
            Next();
            if (!IsPunct("(")) return SyntaxError("'datatable' expects '(' and a schema");
            Next();
            Schema schema;
            while (!IsPunct(")")) {
                if (IsPunct(",")) Next();
                if (Peek().type != Token::Type::kIdent)
                    return SyntaxError("'datatable' schema expects name:type");
                std::string name = Next().text;
                if (!IsPunct(":")) return SyntaxError("'datatable' schema expects name:type");
                Next();
                auto type = ParseColumnType(Next().text);
                if (!type) return SemanticError("unknown type in the datatable schema for '" + name + "'");
                schema.push_back({name, *type});
            }
            Next();
            if (!IsPunct("[")) return SyntaxError("'datatable' expects '[' and values");
            Next();
            size_t n = 0;
            while (!IsPunct("]")) {
                if (IsPunct(",")) Next();
                if (IsPunct("]")) break;
                ADXFLOW_ASSIGN_OR_RETURN(Value v, Literal());
                q.datatable_rows.push_back(std::move(v));
                ++n;
                if (Peek().type == Token::Type::kEnd)
                    return SyntaxError("'datatable' values are not closed with ']'");
            }
            Next();
            if (schema.empty() || n % schema.size() != 0)
                return SemanticError("'datatable' has " + std::to_string(n) + " values for " +
                                     std::to_string(schema.size()) + " columns");
            q.datatable_schema = std::move(schema);
        } else if (Peek().type == Token::Type::kIdent) {
            q.table = Next().text;
        } else {
            return SyntaxError("a query starts with a table name, 'print', 'range' or 'datatable'");
        }
        while (IsPunct("|")) {
            Next();
            ADXFLOW_ASSIGN_OR_RETURN(Operator op, ParseOperator());
            q.operators.push_back(std::move(op));
        }
        if (IsPunct(";")) Next();
        if (Peek().type != Token::Type::kEnd) return SyntaxError("unexpected '" + Peek().text + "'");
        return q;
    }

  private:
    const Token& Peek() const { return t_[i_]; }
    const Token& Next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
    bool IsIdent(const char* word) const {
        return Peek().type == Token::Type::kIdent && ToLower(Peek().text) == word;
    }
    bool IsPunct(const char* p) const { return Peek().type == Token::Type::kPunct && Peek().text == p; }

    Result<int64_t> Count(const char* op) {
        // A number, or a name bound by `let`.
        if (Peek().type != Token::Type::kNumber &&
            !(Peek().type == Token::Type::kIdent && lets_.count(Peek().text)))
            return SyntaxError(std::string("'") + op + "' expects a row count");
        ADXFLOW_ASSIGN_OR_RETURN(Value v, Literal());
        if (!std::holds_alternative<int64_t>(v))
            return SemanticError(std::string("'") + op + "' expects an integer");
        return std::get<int64_t>(v);
    }

    Result<Value> Literal() {
        const Token& tok = Peek();
        if (tok.type == Token::Type::kString) return Value{Next().text};
        if (tok.type == Token::Type::kNumber) {
            std::string text = Next().text;
            if (text.find_first_of(".eE") != std::string::npos)
                return Value{std::strtod(text.c_str(), nullptr)};
            return Value{static_cast<int64_t>(std::atoll(text.c_str()))};
        }
        if (tok.type == Token::Type::kIdent) {
            if (auto let = lets_.find(tok.text); let != lets_.end()) {
                Next();
                return let->second;
            }
            std::string word = ToLower(tok.text);
            if (word == "true" || word == "false") {
                Next();
                return Value{word == "true"};
            }
            if (word == "datetime" || word == "timespan" || word == "guid" || word == "dynamic") {
                Next();
                if (!IsPunct("(")) return SyntaxError(word + " literal needs parentheses");
                Next();
                std::string inner;
                while (!IsPunct(")") && Peek().type != Token::Type::kEnd) inner += Next().text;
                if (!IsPunct(")")) return SyntaxError("unterminated " + word + " literal");
                Next();
                return Value{inner};
            }
            return SemanticError("'" + tok.text + "' is not a literal this emulator evaluates");
        }
        return SyntaxError("expected a literal, got '" + tok.text + "'");
    }

    Result<Operator> ParseOperator() {
        if (Peek().type != Token::Type::kIdent) return SyntaxError("expected an operator after '|'");
        const std::string name = ToLower(Next().text);
        Operator op;
        if (name == "take" || name == "limit") {
            op.kind = Operator::Kind::kTake;
            ADXFLOW_ASSIGN_OR_RETURN(op.count, Count("take"));
        } else if (name == "count") {
            op.kind = Operator::Kind::kCount;
        } else if (name == "where" || name == "filter") {
            op.kind = Operator::Kind::kWhere;
            int group = 0;
            do {
                if (IsIdent("and")) Next();
                if (IsIdent("or")) {
                    Next();
                    ++group;
                }
                if (Peek().type != Token::Type::kIdent) return SyntaxError("'where' expects a column name");
                Comparison c;
                c.column = Next().text;
                const Token& o = Next();
                const std::string text = ToLower(o.text);
                if (text == "==")
                    c.op = CompareOp::kEq;
                else if (text == "!=")
                    c.op = CompareOp::kNe;
                else if (text == "<")
                    c.op = CompareOp::kLt;
                else if (text == ">")
                    c.op = CompareOp::kGt;
                else if (text == "<=")
                    c.op = CompareOp::kLe;
                else if (text == ">=")
                    c.op = CompareOp::kGe;
                else if (text == "=~")
                    c.op = CompareOp::kEqNoCase;
                else if (text == "has")
                    c.op = CompareOp::kHas;
                else if (text == "contains")
                    c.op = CompareOp::kContains;
                else if (text == "startswith")
                    c.op = CompareOp::kStartsWith;
                else
                    return SemanticError("the operator '" + o.text +
                                         "' is not supported in 'where' by this emulator");
                ADXFLOW_ASSIGN_OR_RETURN(c.literal, Literal());
                op.conditions.push_back(std::move(c));
                op.groups.push_back(group);
            } while (IsIdent("and") || IsIdent("or"));
        } else if (name == "project") {
            op.kind = Operator::Kind::kProject;
            do {
                if (IsPunct(",")) Next();
                if (Peek().type != Token::Type::kIdent) return SyntaxError("'project' expects column names");
                op.columns.push_back(Next().text);
            } while (IsPunct(","));
        } else if (name == "sort" || name == "order" || name == "top") {
            op.kind = name == "top" ? Operator::Kind::kTop : Operator::Kind::kSort;
            if (op.kind == Operator::Kind::kTop) {
                ADXFLOW_ASSIGN_OR_RETURN(op.count, Count("top"));
            }
            if (!IsIdent("by")) return SyntaxError("'" + name + "' expects 'by'");
            Next();
            if (Peek().type != Token::Type::kIdent) return SyntaxError("'" + name + " by' expects a column");
            op.sort_column = Next().text;
            if (IsIdent("asc") || IsIdent("desc")) op.descending = ToLower(Next().text) == "desc";
        } else if (name == "extend") {
            op.kind = Operator::Kind::kExtend;
            do {
                if (IsPunct(",")) Next();
                if (Peek().type != Token::Type::kIdent || t_[i_ + 1].text != "=")
                    return SemanticError("'extend' needs 'name = expression' in this emulator");
                std::string column = Next().text;
                Next();
                Expr expr;
                char join = '+';
                while (true) {
                    Expr::Term term;
                    term.op = join;
                    if (Peek().type == Token::Type::kIdent && !lets_.count(Peek().text) &&
                        ToLower(Peek().text) != "true" && ToLower(Peek().text) != "false" &&
                        t_[i_ + 1].text != "(") {
                        term.column = Next().text;
                    } else {
                        ADXFLOW_ASSIGN_OR_RETURN(term.literal, Literal());
                    }
                    expr.terms.push_back(std::move(term));
                    if (Peek().type == Token::Type::kPunct && Peek().text.size() == 1 &&
                        std::string("+-*/").find(Peek().text[0]) != std::string::npos) {
                        join = Next().text[0];
                        continue;
                    }
                    break;
                }
                op.extend.emplace_back(std::move(column), std::move(expr));
            } while (IsPunct(","));
        } else if (name == "summarize") {
            op.kind = Operator::Kind::kSummarize;
            while (!IsIdent("by") && Peek().type != Token::Type::kEnd && !IsPunct("|")) {
                if (IsPunct(",")) Next();
                Aggregate agg;
                if (Peek().type == Token::Type::kIdent && t_[i_ + 1].text == "=") {
                    agg.name = Next().text;
                    Next();
                }
                if (Peek().type != Token::Type::kIdent)
                    return SyntaxError("'summarize' expects an aggregation");
                agg.function = ToLower(Next().text);
                if (agg.function != "count" && agg.function != "sum" && agg.function != "min" &&
                    agg.function != "max" && agg.function != "avg")
                    return SemanticError("the aggregation '" + agg.function +
                                         "' is not supported by this emulator");
                if (!IsPunct("(")) return SyntaxError("'" + agg.function + "' expects '('");
                Next();
                if (!IsPunct(")")) {
                    if (Peek().type != Token::Type::kIdent)
                        return SyntaxError("'" + agg.function + "' expects a column");
                    agg.column = Next().text;
                }
                if (!IsPunct(")")) return SyntaxError("'" + agg.function + "' expects ')'");
                Next();
                if (agg.function != "count" && agg.column.empty())
                    return SemanticError("'" + agg.function + "' needs a column");
                if (agg.name.empty())
                    agg.name = agg.function == "count" ? "count_" : agg.function + "_" + agg.column;
                op.aggregates.push_back(std::move(agg));
            }
            if (IsIdent("by")) {
                Next();
                do {
                    if (IsPunct(",")) Next();
                    GroupKey key;
                    if (IsIdent("bin")) {
                        Next();
                        if (!IsPunct("(")) return SyntaxError("'bin' expects '('");
                        Next();
                        key.column = Next().text;
                        if (!IsPunct(",")) return SyntaxError("'bin' expects a size");
                        Next();
                        ADXFLOW_ASSIGN_OR_RETURN(Value size, Literal());
                        if (auto* i = std::get_if<int64_t>(&size))
                            key.bin = static_cast<double>(*i);
                        else if (auto* d = std::get_if<double>(&size))
                            key.bin = *d;
                        else
                            return SemanticError("'bin' sizes are numbers in this emulator");
                        if (!IsPunct(")")) return SyntaxError("'bin' expects ')'");
                        Next();
                    } else {
                        if (Peek().type != Token::Type::kIdent) return SyntaxError("'by' expects columns");
                        key.column = Next().text;
                    }
                    op.by.push_back(std::move(key));
                } while (IsPunct(","));
            }
            if (op.aggregates.empty() && op.by.empty())
                return SyntaxError("'summarize' expects aggregations or 'by'");
        } else if (name == "distinct") {
            op.kind = Operator::Kind::kDistinct;
            do {
                if (IsPunct(",")) Next();
                if (Peek().type != Token::Type::kIdent) return SyntaxError("'distinct' expects column names");
                op.columns.push_back(Next().text);
            } while (IsPunct(","));
        } else {
            return SemanticError("the operator '" + name + "' is not supported by this emulator");
        }
        return op;
    }

    std::vector<Token> t_;
    size_t i_ = 0;
    std::map<std::string, Value> lets_;
};

int FindColumn(const Schema& schema, const std::string& name) {
    for (size_t i = 0; i < schema.size(); ++i)
        if (schema[i].name == name) return static_cast<int>(i);
    return -1;
}

// Orders values of one column: nulls first, then by the natural order of the stored representation.
int CompareValues(const Value& a, const Value& b) {
    if (a.index() != b.index()) {
        // Numbers compare across int64/double; anything else orders by type index.
        auto num = [](const Value& v) -> std::optional<double> {
            if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
            if (auto* d = std::get_if<double>(&v)) return *d;
            return std::nullopt;
        };
        auto x = num(a), y = num(b);
        if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
        return a.index() < b.index() ? -1 : 1;
    }
    if (a < b) return -1;
    if (b < a) return 1;
    return 0;
}

bool Matches(const Comparison& c, const Value& cell) {
    if (IsNull(cell)) return c.op == CompareOp::kNe && !IsNull(c.literal);
    auto text = [](const Value& v) { return ValueToText(v); };
    switch (c.op) {
        case CompareOp::kEq:
            return CompareValues(cell, c.literal) == 0;
        case CompareOp::kNe:
            return CompareValues(cell, c.literal) != 0;
        case CompareOp::kLt:
            return CompareValues(cell, c.literal) < 0;
        case CompareOp::kGt:
            return CompareValues(cell, c.literal) > 0;
        case CompareOp::kLe:
            return CompareValues(cell, c.literal) <= 0;
        case CompareOp::kGe:
            return CompareValues(cell, c.literal) >= 0;
        case CompareOp::kEqNoCase:
            return ToLower(text(cell)) == ToLower(text(c.literal));
        case CompareOp::kContains:
            return ToLower(text(cell)).find(ToLower(text(c.literal))) != std::string::npos;
        case CompareOp::kStartsWith:
            return ToLower(text(cell)).rfind(ToLower(text(c.literal)), 0) == 0;
        case CompareOp::kHas: {
            // A whole term: the match must not touch letters or digits on either side.
            const std::string hay = ToLower(text(cell)), term = ToLower(text(c.literal));
            for (size_t p = hay.find(term); p != std::string::npos; p = hay.find(term, p + 1)) {
                bool left = p == 0 || !std::isalnum(static_cast<unsigned char>(hay[p - 1]));
                size_t end = p + term.size();
                bool right = end >= hay.size() || !std::isalnum(static_cast<unsigned char>(hay[end]));
                if (left && right) return true;
            }
            return false;
        }
    }
    return false;
}

std::optional<double> AsNumber(const Value& v) {
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
}

// + - * / over numbers (long stays long unless a real is involved or a division is inexact); null propagates.
Value Arith(char op, const Value& a, const Value& b) {
    if (IsNull(a) || IsNull(b)) return Value{};
    auto* ai = std::get_if<int64_t>(&a);
    auto* bi = std::get_if<int64_t>(&b);
    if (ai && bi) {
        switch (op) {
            case '+':
                return Value{*ai + *bi};
            case '-':
                return Value{*ai - *bi};
            case '*':
                return Value{*ai * *bi};
            default:
                return *bi == 0 ? Value{} : Value{*ai / *bi};
        }
    }
    auto x = AsNumber(a), y = AsNumber(b);
    if (!x || !y) return Value{};
    switch (op) {
        case '+':
            return Value{*x + *y};
        case '-':
            return Value{*x - *y};
        case '*':
            return Value{*x * *y};
        default:
            return Value{*x / *y};
    }
}

ColumnType TypeOf(const Value& v, ColumnType fallback) {
    if (std::holds_alternative<bool>(v)) return ColumnType::kBool;
    if (std::holds_alternative<int64_t>(v)) return ColumnType::kLong;
    if (std::holds_alternative<double>(v)) return ColumnType::kReal;
    if (std::holds_alternative<std::string>(v)) return ColumnType::kString;
    return fallback;
}

}  // namespace

Result<Query> ParseQuery(std::string_view text) {
    Lexer lexer(text);
    ADXFLOW_ASSIGN_OR_RETURN(auto tokens, lexer.All());
    Parser parser(std::move(tokens));
    return parser.Parse();
}

Result<std::pair<Schema, std::vector<Value>>> Execute(const Query& query, const Schema& input_schema,
                                                      std::vector<Value> rows) {
    Schema schema = input_schema;
    for (const auto& op : query.operators) {
        const size_t width = schema.size();
        const size_t count = width ? rows.size() / width : 0;
        switch (op.kind) {
            case Operator::Kind::kTake:
                if (static_cast<int64_t>(count) > op.count)
                    rows.resize(static_cast<size_t>(op.count) * width);
                break;
            case Operator::Kind::kCount:
                schema = {{"Count", ColumnType::kLong}};
                rows = {Value{static_cast<int64_t>(count)}};
                break;
            case Operator::Kind::kWhere: {
                std::vector<int> columns;
                for (const auto& c : op.conditions) {
                    int i = FindColumn(schema, c.column);
                    if (i < 0)
                        return SemanticError("'where' operator: Failed to resolve column named '" + c.column +
                                             "'");
                    columns.push_back(i);
                }
                std::vector<Value> kept;
                for (size_t r = 0; r < count; ++r) {
                    const Value* row = rows.data() + r * width;
                    // OR over groups of ANDed comparisons.
                    bool any = false;
                    for (size_t k = 0; k < op.conditions.size() && !any;) {
                        const int g = op.groups[k];
                        bool all = true;
                        for (; k < op.conditions.size() && op.groups[k] == g; ++k)
                            all = all && Matches(op.conditions[k], row[columns[k]]);
                        any = all;
                    }
                    if (any) kept.insert(kept.end(), row, row + width);
                }
                rows = std::move(kept);
                break;
            }
            case Operator::Kind::kProject: {
                std::vector<int> columns;
                Schema projected;
                for (const auto& name : op.columns) {
                    int i = FindColumn(schema, name);
                    if (i < 0)
                        return SemanticError(
                            "'project' operator: Failed to resolve scalar expression named '" + name + "'");
                    columns.push_back(i);
                    projected.push_back(schema[static_cast<size_t>(i)]);
                }
                std::vector<Value> out;
                out.reserve(count * columns.size());
                for (size_t r = 0; r < count; ++r)
                    for (int i : columns) out.push_back(std::move(rows[r * width + static_cast<size_t>(i)]));
                schema = std::move(projected);
                rows = std::move(out);
                break;
            }
            case Operator::Kind::kSort:
            case Operator::Kind::kTop: {
                int column = FindColumn(schema, op.sort_column);
                if (column < 0)
                    return SemanticError("'" + std::string(op.kind == Operator::Kind::kTop ? "top" : "sort") +
                                         "' operator: Failed to resolve column named '" + op.sort_column +
                                         "'");
                std::vector<size_t> order(count);
                for (size_t r = 0; r < count; ++r) order[r] = r;
                std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                    int c = CompareValues(rows[a * width + column], rows[b * width + column]);
                    return op.descending ? c > 0 : c < 0;
                });
                if (op.kind == Operator::Kind::kTop && static_cast<int64_t>(order.size()) > op.count)
                    order.resize(static_cast<size_t>(op.count));
                std::vector<Value> out;
                out.reserve(order.size() * width);
                for (size_t r : order)
                    for (size_t c = 0; c < width; ++c) out.push_back(std::move(rows[r * width + c]));
                rows = std::move(out);
                break;
            }
            case Operator::Kind::kExtend: {
                for (const auto& [name, expr] : op.extend) {
                    std::vector<int> columns;
                    for (const auto& term : expr.terms) {
                        int i = term.column ? FindColumn(schema, *term.column) : -1;
                        if (term.column && i < 0)
                            return SemanticError(
                                "'extend' operator: Failed to resolve scalar expression named '" +
                                *term.column + "'");
                        columns.push_back(i);
                    }
                    const size_t w = schema.size(), n = w ? rows.size() / w : (rows.empty() ? 0 : 1);
                    std::vector<Value> computed(n);
                    for (size_t r = 0; r < n; ++r) {
                        auto operand = [&](size_t k) {
                            return columns[k] >= 0 ? rows[r * w + columns[k]] : expr.terms[k].literal;
                        };
                        // Two precedence levels: fold * and / into a term, then add the terms up.
                        Value sum, product = operand(0);
                        char pending = '+';
                        bool first = true;
                        for (size_t k = 1; k <= expr.terms.size(); ++k) {
                            const char op_k = k < expr.terms.size() ? expr.terms[k].op : '+';
                            if (k < expr.terms.size() && (op_k == '*' || op_k == '/')) {
                                product = Arith(op_k, product, operand(k));
                                continue;
                            }
                            sum = first ? product : Arith(pending, sum, product);
                            first = false;
                            if (k < expr.terms.size()) {
                                pending = op_k;
                                product = operand(k);
                            }
                        }
                        computed[r] = std::move(sum);
                    }
                    ColumnType type = ColumnType::kString;
                    for (const auto& v : computed)
                        if (!IsNull(v)) {
                            type = TypeOf(v, type);
                            break;
                        }
                    std::vector<Value> out;
                    out.reserve(n * (w + 1));
                    for (size_t r = 0; r < n; ++r) {
                        for (size_t c = 0; c < w; ++c) out.push_back(std::move(rows[r * w + c]));
                        out.push_back(std::move(computed[r]));
                    }
                    schema.push_back({name, type});
                    rows = std::move(out);
                }
                break;
            }
            case Operator::Kind::kDistinct:
            case Operator::Kind::kSummarize: {
                // Group keys (distinct: the listed columns), then one output row per group in first-seen
                // order.
                std::vector<GroupKey> keys = op.by;
                if (op.kind == Operator::Kind::kDistinct)
                    for (const auto& c : op.columns) keys.push_back({c, std::nullopt});
                std::vector<int> key_columns, agg_columns;
                Schema out_schema;
                for (const auto& k : keys) {
                    int i = FindColumn(schema, k.column);
                    if (i < 0)
                        return SemanticError("'summarize' operator: Failed to resolve column named '" +
                                             k.column + "'");
                    key_columns.push_back(i);
                    out_schema.push_back({k.column, k.bin ? (schema[i].type == ColumnType::kLong ||
                                                                     schema[i].type == ColumnType::kInt
                                                                 ? ColumnType::kLong
                                                                 : ColumnType::kReal)
                                                          : schema[i].type});
                }
                for (const auto& a : op.aggregates) {
                    int i = a.column.empty() ? -1 : FindColumn(schema, a.column);
                    if (!a.column.empty() && i < 0)
                        return SemanticError("'" + a.function + "': Failed to resolve column named '" +
                                             a.column + "'");
                    agg_columns.push_back(i);
                    ColumnType t = a.function == "count" ? ColumnType::kLong
                                   : a.function == "avg" ? ColumnType::kReal
                                                         : schema[static_cast<size_t>(i)].type;
                    out_schema.push_back({a.name, t});
                }
                struct Group {
                    std::vector<Value> key;
                    int64_t count = 0;
                    std::vector<Value> acc;
                    std::vector<int64_t> non_null;
                };
                std::map<std::vector<Value>, size_t> index;
                std::vector<Group> groups;
                for (size_t r = 0; r < count; ++r) {
                    const Value* row = rows.data() + r * width;
                    std::vector<Value> key;
                    for (size_t k = 0; k < keys.size(); ++k) {
                        Value v = row[key_columns[k]];
                        if (keys[k].bin) {
                            if (auto x = AsNumber(v)) {
                                double b = std::floor(*x / *keys[k].bin) * *keys[k].bin;
                                v = out_schema[k].type == ColumnType::kLong ? Value{static_cast<int64_t>(b)}
                                                                            : Value{b};
                            } else {
                                v = Value{};
                            }
                        }
                        key.push_back(std::move(v));
                    }
                    auto [it, inserted] = index.emplace(key, groups.size());
                    if (inserted)
                        groups.push_back({key, 0, std::vector<Value>(op.aggregates.size()),
                                          std::vector<int64_t>(op.aggregates.size(), 0)});
                    Group& g = groups[it->second];
                    ++g.count;
                    for (size_t a = 0; a < op.aggregates.size(); ++a) {
                        if (agg_columns[a] < 0) continue;
                        const Value& v = row[agg_columns[a]];
                        if (IsNull(v)) continue;
                        ++g.non_null[a];
                        const std::string& f = op.aggregates[a].function;
                        Value& acc = g.acc[a];
                        if (IsNull(acc))
                            acc = (f == "avg") ? Value{AsNumber(v).value_or(0)} : v;
                        else if (f == "sum")
                            acc = Arith('+', acc, v);
                        else if (f == "avg")
                            acc = Value{std::get<double>(acc) + AsNumber(v).value_or(0)};
                        else if (f == "min" && CompareValues(v, acc) < 0)
                            acc = v;
                        else if (f == "max" && CompareValues(v, acc) > 0)
                            acc = v;
                    }
                }
                // summarize without `by` over no rows still answers one row (count 0), as Kusto does.
                if (groups.empty() && keys.empty() && !op.aggregates.empty())
                    groups.push_back({{},
                                      0,
                                      std::vector<Value>(op.aggregates.size()),
                                      std::vector<int64_t>(op.aggregates.size(), 0)});
                std::vector<Value> out;
                for (auto& g : groups) {
                    for (auto& k : g.key) out.push_back(std::move(k));
                    for (size_t a = 0; a < op.aggregates.size(); ++a) {
                        const std::string& f = op.aggregates[a].function;
                        if (f == "count")
                            out.push_back(Value{g.count});
                        else if (f == "avg")
                            out.push_back(g.non_null[a] ? Value{std::get<double>(g.acc[a]) /
                                                                static_cast<double>(g.non_null[a])}
                                                        : Value{});
                        else
                            out.push_back(g.acc[a]);
                    }
                }
                schema = std::move(out_schema);
                rows = std::move(out);
                break;
            }
        }
    }
    return std::make_pair(std::move(schema), std::move(rows));
}

}  // namespace adxflow::kusto_emulator
