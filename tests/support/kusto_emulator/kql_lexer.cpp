#include "tests/support/kusto_emulator/kql_lexer.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "tests/support/kusto_emulator/kql_types.hpp"

namespace adxflow::kusto_emulator::kql {

namespace {

bool IsIdentStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsIdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsDigit(char c) {
    return std::isdigit(static_cast<unsigned char>(c));
}

// Words whose inside `(...)` is a literal's text, not KQL: the parser gets them whole.
bool IsTypedLiteralWord(const std::string& lower) {
    static const char* kWords[] = {"datetime", "timespan", "time", "guid",   "dynamic", "long", "int",
                                   "int64",    "int32",    "real", "double", "decimal", "bool", "boolean"};
    for (const char* w : kWords)
        if (lower == w) return true;
    return false;
}

// Operator names spelled with a dash: everywhere else a dash is a minus ("a-b").
const char* kDashedWords[] = {"project-away", "project-keep", "project-rename", "project-reorder",
                              "mv-expand",    "mv-apply",     "make-series",    "top-nested",
                              "top-hitters",  "parse-where",  "parse-kv",       "project-smart"};

class Lexer {
  public:
    explicit Lexer(std::string_view s) : s_(s) {}

    Result<std::vector<Token>> All() {
        std::vector<Token> out;
        while (true) {
            SkipSpace();
            if (p_ >= s_.size()) break;
            const size_t start = p_;
            const char c = s_[p_];
            Token t;
            t.pos = start;
            if ((c == '@' || c == 'h' || c == 'H') && Quoted(start)) {
                // @'verbatim', h'hidden', h@'hidden verbatim': the prefixes change escaping, not the value.
                bool verbatim = false;
                while (s_[p_] != '\'' && s_[p_] != '"') verbatim |= s_[p_++] == '@';
                t.type = Token::Type::kString;
                ADXFLOW_ASSIGN_OR_RETURN(t.text, String(verbatim));
            } else if (IsIdentStart(c)) {
                while (p_ < s_.size() && IsIdentChar(s_[p_])) ++p_;
                for (const char* dashed : kDashedWords) {
                    const std::string_view w(dashed);
                    if (Fold(s_.substr(start, w.size())) == w &&
                        (start + w.size() >= s_.size() || !IsIdentChar(s_[start + w.size()])))
                        p_ = start + w.size();
                }
                t.type = Token::Type::kIdent;
                t.text = std::string(s_.substr(start, p_ - start));
                const std::string lower = Fold(t.text);
                if (IsTypedLiteralWord(lower)) {
                    size_t q = p_;
                    while (q < s_.size() && std::isspace(static_cast<unsigned char>(s_[q]))) ++q;
                    if (q < s_.size() && s_[q] == '(') {
                        p_ = q;
                        t.type = Token::Type::kTyped;
                        t.text = lower;
                        ADXFLOW_ASSIGN_OR_RETURN(t.raw, Parenthesised(lower));
                    }
                }
            } else if (IsDigit(c) || (c == '.' && p_ + 1 < s_.size() && IsDigit(s_[p_ + 1]))) {
                ADXFLOW_TRY(NumberToken(t));
            } else if (c == '\'' || c == '"') {
                t.type = Token::Type::kString;
                ADXFLOW_ASSIGN_OR_RETURN(t.text, String(false));
            } else {
                static const char* kTwo[] = {"==", "!=", "<=", ">=", "=~", "!~", "..", "<>", "=>"};
                t.type = Token::Type::kPunct;
                t.text = std::string(1, c);
                for (const char* two : kTwo)
                    if (s_.substr(p_, 2) == two) t.text = two;
                if (t.text == "<>") t.text = "!=";
                p_ += t.text.size();
                static const std::string_view kSingles = "|()[]{},;=<>+-*/%!:.~@?";
                if (t.text.size() == 1 && kSingles.find(c) == std::string_view::npos)
                    return SyntaxError("unexpected character '" + t.text + "' at offset " +
                                       std::to_string(start));
            }
            out.push_back(std::move(t));
        }
        Token end;
        end.pos = s_.size();
        out.push_back(std::move(end));
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

    // At `start`: one of @' @" h' h" h@' H@" ... (a string prefix followed by its quote)?
    bool Quoted(size_t start) const {
        size_t q = start;
        if (s_[q] == 'h' || s_[q] == 'H') ++q;
        if (q < s_.size() && s_[q] == '@') ++q;
        return q > start && q < s_.size() && (s_[q] == '\'' || s_[q] == '"');
    }

    Result<std::string> String(bool verbatim) {
        const char quote = s_[p_++];
        std::string out;
        while (p_ < s_.size()) {
            const char c = s_[p_++];
            if (c == quote) {
                // In verbatim strings a doubled quote is one quote.
                if (verbatim && p_ < s_.size() && s_[p_] == quote) {
                    out += quote;
                    ++p_;
                    continue;
                }
                return out;
            }
            if (c == '\\' && !verbatim && p_ < s_.size()) {
                const char e = s_[p_++];
                switch (e) {
                    case 'n':
                        out += '\n';
                        break;
                    case 't':
                        out += '\t';
                        break;
                    case 'r':
                        out += '\r';
                        break;
                    case '0':
                        out += '\0';
                        break;
                    default:
                        out += e;  // \\ \' \" and anything else: the character itself
                }
                continue;
            }
            out += c;
        }
        return SyntaxError("unterminated string literal");
    }

    // `(` ... `)` with nesting and quoted text (dynamic JSON may hold parentheses in strings).
    Result<std::string> Parenthesised(const std::string& word) {
        const size_t open = p_++;
        int depth = 1;
        while (p_ < s_.size() && depth > 0) {
            const char c = s_[p_];
            if (c == '\'' || c == '"') {
                const char quote = c;
                for (++p_; p_ < s_.size() && s_[p_] != quote; ++p_)
                    if (s_[p_] == '\\') ++p_;
            } else if (c == '(') {
                ++depth;
            } else if (c == ')') {
                --depth;
            }
            ++p_;
        }
        if (depth > 0) return SyntaxError("unterminated " + word + "(...) literal");
        std::string_view inner = s_.substr(open + 1, p_ - open - 2);
        while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.front())))
            inner.remove_prefix(1);
        while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back())))
            inner.remove_suffix(1);
        return std::string(inner);
    }

    Status NumberToken(Token& t) {
        const size_t start = p_;
        if (s_.substr(p_, 2) == "0x" || s_.substr(p_, 2) == "0X") {
            p_ += 2;
            while (p_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[p_]))) ++p_;
            t.type = Token::Type::kNumber;
            t.text = std::to_string(
                std::strtoll(std::string(s_.substr(start + 2, p_ - start - 2)).c_str(), nullptr, 16));
            return Ok();
        }
        while (p_ < s_.size() && IsDigit(s_[p_])) ++p_;
        // A dot is a decimal point only before a digit: `1..5` is 1, `..`, 5.
        if (p_ + 1 < s_.size() && s_[p_] == '.' && IsDigit(s_[p_ + 1])) {
            ++p_;
            while (p_ < s_.size() && IsDigit(s_[p_])) ++p_;
        }
        if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
            size_t q = p_ + 1;
            if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
            if (q < s_.size() && IsDigit(s_[q])) {
                p_ = q;
                while (p_ < s_.size() && IsDigit(s_[p_])) ++p_;
            }
        }
        const std::string number(s_.substr(start, p_ - start));
        if (p_ < s_.size() && IsIdentStart(s_[p_])) {
            // A timespan literal: the unit follows the number with no space.
            const size_t unit_start = p_;
            while (p_ < s_.size() && IsIdentChar(s_[p_])) ++p_;
            const std::string_view unit = s_.substr(unit_start, p_ - unit_start);
            auto ticks = TimeSpanUnit(unit);
            if (!ticks)
                return SyntaxError(
                    "'" + number + std::string(unit) +
                    "' is not a number or a timespan (units: d, h, m, s, ms, microsecond, tick)");
            t.type = Token::Type::kTimeSpan;
            t.text = number + std::string(unit);
            t.ticks = static_cast<int64_t>(
                std::llround(std::strtod(number.c_str(), nullptr) * static_cast<double>(*ticks)));
            return Ok();
        }
        t.type = Token::Type::kNumber;
        t.text = number;
        return Ok();
    }

    std::string_view s_;
    size_t p_ = 0;
};

}  // namespace

Result<std::vector<Token>> Lex(std::string_view text) {
    return Lexer(text).All();
}

}  // namespace adxflow::kusto_emulator::kql
