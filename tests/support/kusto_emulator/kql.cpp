#include "tests/support/kusto_emulator/kql.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

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
        // set statements
        while (IsIdent("set")) {
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
        } else if (Peek().type == Token::Type::kIdent) {
            q.table = Next().text;
        } else {
            return SyntaxError("a query starts with a table name or 'print'");
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
        if (Peek().type != Token::Type::kNumber)
            return SyntaxError(std::string("'") + op + "' expects a row count");
        return static_cast<int64_t>(std::atoll(Next().text.c_str()));
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
            do {
                if (IsIdent("and")) Next();
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
            } while (IsIdent("and"));
            if (IsIdent("or")) return SemanticError("'or' is not supported in 'where' by this emulator");
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
        } else {
            return SemanticError("the operator '" + name + "' is not supported by this emulator");
        }
        return op;
    }

    std::vector<Token> t_;
    size_t i_ = 0;
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
                    bool all = true;
                    for (size_t k = 0; k < op.conditions.size() && all; ++k)
                        all = Matches(op.conditions[k], row[columns[k]]);
                    if (all) kept.insert(kept.end(), row, row + width);
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
        }
    }
    return std::make_pair(std::move(schema), std::move(rows));
}

}  // namespace adxflow::kusto_emulator
