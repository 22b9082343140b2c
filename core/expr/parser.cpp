// Recursive-descent parser for ADF expressions:
//   expression := primary postfix*
//   primary    := string | number | true | false | null | name '(' [expression (',' expression)*] ')'
//   postfix    := ('.' | '?.') name | ('[' | '?[') expression ']'
// Strings are single-quoted with '' as the escaped quote. There are no operators.

#include <cctype>
#include <charconv>

#include "core/expr/ast.hpp"
#include "core/expr/errors.hpp"

namespace adxflow::expr {
namespace {

bool IsNameStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

class Parser {
  public:
    Parser(std::string_view text, size_t start) : text_(text), pos_(start) {}

    Result<NodePtr> Expression() {
        if (++depth_ > kMaxDepth) return Fail(pos_, "expression nests too deeply");
        SkipBlanks();
        ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, Primary());
        for (;;) {
            SkipBlanks();
            bool null_safe = false;
            size_t at = pos_;
            if (Peek() == '?') {
                if (Peek(1) != '.' && Peek(1) != '[') return Fail(at, "expected '.' or '[' after '?'");
                null_safe = true;
                ++pos_;
            }
            if (Peek() == '.') {
                ++pos_;
                SkipBlanks();
                if (!IsNameStart(Peek()) && !IsDigit(Peek()))
                    return Fail(pos_, "expected a property name after '.'");
                size_t name_begin = pos_;
                while (IsNameChar(Peek())) ++pos_;
                auto member = std::make_unique<Node>();
                member->kind = Node::Kind::kMember;
                member->name = std::string(text_.substr(name_begin, pos_ - name_begin));
                member->null_safe = null_safe;
                member->begin = node->begin;
                member->end = pos_;
                member->children.push_back(std::move(node));
                node = std::move(member);
            } else if (Peek() == '[') {
                ++pos_;
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr index, Expression());
                SkipBlanks();
                if (Peek() != ']') return Fail(pos_, "expected ']'");
                ++pos_;
                auto access = std::make_unique<Node>();
                access->kind = Node::Kind::kIndex;
                access->null_safe = null_safe;
                access->begin = node->begin;
                access->end = pos_;
                access->children.push_back(std::move(node));
                access->children.push_back(std::move(index));
                node = std::move(access);
            } else {
                break;
            }
        }
        --depth_;
        return node;
    }

    size_t position() const { return pos_; }

  private:
    // Deep nesting is legal but a runaway one would exhaust the stack; 8 KB of text allows ~4,000 levels.
    static constexpr int kMaxDepth = 256;

    char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
    bool AtEnd() const { return pos_ >= text_.size(); }
    void SkipBlanks() {
        while (!AtEnd() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    Error Fail(size_t at, std::string_view problem) const { return ParseError(text_, at, problem); }

    Result<NodePtr> Primary() {
        auto node = std::make_unique<Node>();
        node->begin = pos_;
        char c = Peek();
        if (AtEnd()) return Fail(pos_, "expected a value or a function call but the expression ended");
        if (c == '\'') {
            ADXFLOW_ASSIGN_OR_RETURN(node->literal, StringLiteral());
        } else if (IsDigit(c) || ((c == '-' || c == '+') && IsDigit(Peek(1))) ||
                   (c == '.' && IsDigit(Peek(1)))) {
            ADXFLOW_ASSIGN_OR_RETURN(node->literal, NumberLiteral());
        } else if (IsNameStart(c)) {
            size_t name_begin = pos_;
            while (IsNameChar(Peek())) ++pos_;
            std::string name(text_.substr(name_begin, pos_ - name_begin));
            SkipBlanks();
            if (Peek() == '(') {
                ++pos_;
                node->kind = Node::Kind::kCall;
                node->name = std::move(name);
                ADXFLOW_TRY(Arguments(*node));
            } else if (IEquals(name, "true") || IEquals(name, "false")) {
                node->literal = IEquals(name, "true");
                pos_ = name_begin + name.size();
            } else if (IEquals(name, "null")) {
                node->literal = nullptr;
                pos_ = name_begin + name.size();
            } else {
                return Fail(name_begin, "'" + name + "' is not a function call or literal (missing '(')");
            }
        } else {
            return Fail(pos_, std::string("expected a value or a function call, found '") + c + "'");
        }
        node->end = pos_;
        return node;
    }

    Status Arguments(Node& call) {
        SkipBlanks();
        if (Peek() == ')') {
            ++pos_;
            return Ok();
        }
        for (;;) {
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr arg, Expression());
            call.children.push_back(std::move(arg));
            SkipBlanks();
            if (Peek() == ',') {
                ++pos_;
                continue;
            }
            if (Peek() == ')') {
                ++pos_;
                return Ok();
            }
            if (AtEnd())
                return Fail(pos_, "expected ')' to close " + call.name + "( but the expression ended");
            return Fail(pos_, "expected ',' or ')' in the arguments of " + call.name);
        }
    }

    Result<Json> StringLiteral() {
        size_t open = pos_++;
        std::string out;
        for (;;) {
            if (AtEnd()) return Fail(open, "string literal is not terminated (missing closing ')");
            char c = text_[pos_++];
            if (c != '\'') {
                out += c;
            } else if (Peek() == '\'') {
                out += '\'';
                ++pos_;
            } else {
                return Json(std::move(out));
            }
        }
    }

    Result<Json> NumberLiteral() {
        size_t begin = pos_;
        if (Peek() == '-' || Peek() == '+') ++pos_;
        while (IsDigit(Peek())) ++pos_;
        bool is_float = false;
        if (Peek() == '.' && IsDigit(Peek(1))) {
            is_float = true;
            ++pos_;
            while (IsDigit(Peek())) ++pos_;
        }
        if ((Peek() == 'e' || Peek() == 'E') &&
            (IsDigit(Peek(1)) || ((Peek(1) == '-' || Peek(1) == '+') && IsDigit(Peek(2))))) {
            is_float = true;
            pos_ += 2;
            while (IsDigit(Peek())) ++pos_;
        }
        if (IsNameChar(Peek())) return Fail(pos_, "unexpected character after a number");
        std::string_view digits = text_.substr(begin, pos_ - begin);
        if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
        if (!is_float) {
            long long value = 0;
            auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec == std::errc() && p == digits.data() + digits.size()) return Json(value);
            // Beyond 64 bits: fall through and keep the value as a double rather than reject it.
        }
        double value = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || p != digits.data() + digits.size())
            return Fail(begin, "'" + std::string(digits) + "' is not a valid number");
        return Json(value);
    }

    std::string_view text_;
    size_t pos_;
    int depth_ = 0;
};

}  // namespace

Result<NodePtr> ParseExpression(std::string_view text, size_t start, size_t* stop) {
    Parser parser(text, start);
    ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, parser.Expression());
    *stop = parser.position();
    return node;
}

}  // namespace adxflow::expr
