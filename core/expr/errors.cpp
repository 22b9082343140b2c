#include "core/expr/errors.hpp"

namespace adxflow::expr {

std::string QuoteExpression(std::string_view text) {
    constexpr size_t kShown = 300;
    if (text.size() <= kShown) return "\"" + std::string(text) + "\"";
    return "\"" + std::string(text.substr(0, kShown)) + "...\" (" + std::to_string(text.size()) +
           " characters)";
}

Error ParseError(std::string_view text, size_t position, std::string_view problem) {
    return MakeError(ErrorKind::kInvalidInput, "expr.parse",
                     "expression " + QuoteExpression(text) + " is not valid: " + std::string(problem) +
                         " (at position " + std::to_string(position + 1) + ")",
                     "InvalidTemplate");
}

Error EvalError(std::string_view text, std::string_view problem) {
    return MakeError(ErrorKind::kInvalidInput, "expr.evaluate",
                     "expression " + QuoteExpression(text) + " cannot be evaluated: " + std::string(problem),
                     "InvalidTemplate");
}

}  // namespace adxflow::expr
