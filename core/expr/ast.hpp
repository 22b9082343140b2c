#pragma once
// Syntax tree of one ADF expression. The language has no operators, so a tree is only literals, function
// calls and property/index access. Every node remembers its span in the source text so that runtime errors
// can quote the exact sub-expression a property was looked up on.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace adxflow::expr {

struct Node {
    enum class Kind {
        kLiteral,  // 'text', 12, 1.5, true, false, null
        kCall,     // name(args...)
        kMember,   // object.name or object?.name
        kIndex,    // object[index] or object?[index]
    };
    Kind kind = Kind::kLiteral;
    size_t begin = 0;  // span in the source text, [begin, end)
    size_t end = 0;
    Json literal;      // kLiteral
    std::string name;  // kCall: function name as written; kMember: property
    std::vector<std::unique_ptr<Node>>
        children;            // kCall: arguments; kMember: {object}; kIndex: {object, index}
    bool null_safe = false;  // kMember / kIndex written with '?'
};

using NodePtr = std::unique_ptr<Node>;

// ADF caps the length of one expression.
inline constexpr size_t kMaxExpressionLength = 8192;

// Parses one expression starting at `start` in `text`, stopping before the first character that cannot
// continue it (trailing blanks are consumed). `*stop` receives that position. Errors are kInvalidInput,
// op "expr.parse", naming the 1-based character position within `text`.
Result<NodePtr> ParseExpression(std::string_view text, size_t start, size_t* stop);

}  // namespace adxflow::expr
