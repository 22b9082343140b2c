#pragma once
// Error construction shared by the parser and the evaluator, so every expression error has the same shape:
// kInvalidInput, op "expr.parse" or "expr.evaluate", and a message that quotes the expression.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow::expr {

// The expression as it appears in messages; very long expressions are cut so one bad 8 KB expression does
// not flood a run record.
std::string QuoteExpression(std::string_view text);

Error ParseError(std::string_view text, size_t position, std::string_view problem);
Error EvalError(std::string_view text, std::string_view problem);

}  // namespace adxflow::expr
