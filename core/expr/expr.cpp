// The string-level rules of ADF expressions: which JSON values are expressions at all, "@expr" (typed)
// versus "@{expr}" interpolation (always a string), the "@@" escape, and Expression objects.

#include "core/expr/expr.hpp"

#include "core/expr/ast.hpp"
#include "core/expr/errors.hpp"
#include "core/expr/evaluator.hpp"
#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// {"value": "...", "type": "Expression"}; the type is compared case-insensitively.
const Json* ExpressionObjectValue(const Json& value) {
    if (!value.is_object()) return nullptr;
    const Json* type = FindMember(value, "type");
    if (!type || !type->is_string() || !IEquals(type->get_ref<const std::string&>(), "Expression"))
        return nullptr;
    return FindMember(value, "value");
}

Status CheckLength(std::string_view text, size_t begin, size_t end) {
    if (end - begin > kMaxExpressionLength)
        return ParseError(text, begin,
                          "the expression is " + std::to_string(end - begin) +
                              " characters long; the limit is " + std::to_string(kMaxExpressionLength));
    return Ok();
}

// Parses (and, when `ctx` is given, evaluates) one string value. Without a context only the syntax is
// checked and the result is null.
Result<Json> ProcessString(const std::string& text, const EvalContext* ctx) {
    // "@@..." is a literal that starts with '@'.
    if (StartsWith(text, "@@")) return Json(text.substr(1));
    if (StartsWith(text, "@") && !StartsWith(text, "@{")) {
        size_t stop = 0;
        ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, ParseExpression(text, 1, &stop));
        if (stop != text.size())
            return ParseError(text, stop, "unexpected text after the end of the expression");
        ADXFLOW_TRY(CheckLength(text, 1, stop));
        if (!ctx) return Json();
        return EvaluateNode(*node, text, *ctx);
    }
    if (text.find("@{") == std::string::npos) return Json(text);

    // Interpolation: literal text with embedded "@{expr}" parts; the result is always a string.
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 3, "@@{") == 0) {
            out += "@{";
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "@{") != 0) {
            out += text[i++];
            continue;
        }
        size_t stop = 0;
        ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, ParseExpression(text, i + 2, &stop));
        if (stop >= text.size() || text[stop] != '}')
            return ParseError(text, stop,
                              "expected '}' to close the '@{' opened at position " + std::to_string(i + 1));
        ADXFLOW_TRY(CheckLength(text, i + 2, stop));
        if (ctx) {
            ADXFLOW_ASSIGN_OR_RETURN(Json value, EvaluateNode(*node, text, *ctx));
            out += ToText(value);
        }
        i = stop + 1;
    }
    if (!ctx) return Json();
    return Json(std::move(out));
}

Result<Json> ProcessValue(const Json& value, const EvalContext* ctx) {
    if (value.is_string()) return ProcessString(value.get_ref<const std::string&>(), ctx);
    if (const Json* inner = ExpressionObjectValue(value)) {
        if (!inner->is_string())
            return MakeError(ErrorKind::kInvalidInput, "expr.parse",
                             "the 'value' of an Expression object must be a string, got " + Show(*inner),
                             "InvalidTemplate");
        return ProcessString(inner->get_ref<const std::string&>(), ctx);
    }
    return value;
}

Result<Json> ProcessTree(const Json& tree, const EvalContext* ctx, const std::string& path) {
    auto located = [&](Error e) {
        if (e.target.empty()) e.target = path;
        return e;
    };
    if (tree.is_string() || ExpressionObjectValue(tree)) {
        auto r = ProcessValue(tree, ctx);
        if (!r.ok()) return located(std::move(r).error());
        return r;
    }
    if (tree.is_object()) {
        Json out = Json::object();
        for (auto it = tree.begin(); it != tree.end(); ++it) {
            ADXFLOW_ASSIGN_OR_RETURN(out[it.key()], ProcessTree(it.value(), ctx, JoinPath(path, it.key())));
        }
        return out;
    }
    if (tree.is_array()) {
        Json out = Json::array();
        for (size_t i = 0; i < tree.size(); ++i) {
            ADXFLOW_ASSIGN_OR_RETURN(Json v, ProcessTree(tree[i], ctx, JoinIndex(path, i)));
            out.push_back(std::move(v));
        }
        return out;
    }
    return tree;
}

}  // namespace

bool IsExpression(const Json& value) {
    if (ExpressionObjectValue(value)) return true;
    if (!value.is_string()) return false;
    const auto& text = value.get_ref<const std::string&>();
    return StartsWith(text, "@") || text.find("@{") != std::string::npos;
}

Result<Json> Evaluate(const Json& value, const EvalContext& ctx) {
    return ProcessValue(value, &ctx);
}

Result<Json> EvaluateTree(const Json& tree, const EvalContext& ctx) {
    return ProcessTree(tree, &ctx, "");
}

Status CheckSyntax(const Json& value) {
    ADXFLOW_TRY(ProcessValue(value, nullptr));
    return Ok();
}

Status CheckTreeSyntax(const Json& tree) {
    ADXFLOW_TRY(ProcessTree(tree, nullptr, ""));
    return Ok();
}

}  // namespace adxflow::expr
