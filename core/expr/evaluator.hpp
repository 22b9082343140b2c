#pragma once
// Evaluates a parsed expression tree. `text` is the whole string value the tree was parsed from; node
// spans index into it, and errors quote it.

#include <string_view>

#include "core/error.hpp"
#include "core/expr/ast.hpp"
#include "core/expr/expr.hpp"

namespace adxflow::expr {

Result<Json> EvaluateNode(const Node& node, std::string_view text, const EvalContext& ctx);

}  // namespace adxflow::expr
