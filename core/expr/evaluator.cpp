#include "core/expr/evaluator.hpp"

#include <vector>

#include "core/expr/errors.hpp"
#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

class Evaluator {
  public:
    Evaluator(std::string_view text, const EvalContext& ctx) : text_(text), ctx_(ctx) {}

    Result<Json> Eval(const Node& node) {
        switch (node.kind) {
            case Node::Kind::kLiteral:
                return node.literal;
            case Node::Kind::kCall:
                return Call(node);
            case Node::Kind::kMember: {
                ADXFLOW_ASSIGN_OR_RETURN(Json base, Eval(*node.children[0]));
                return Member(base, node.name, node);
            }
            case Node::Kind::kIndex: {
                ADXFLOW_ASSIGN_OR_RETURN(Json base, Eval(*node.children[0]));
                ADXFLOW_ASSIGN_OR_RETURN(Json index, Eval(*node.children[1]));
                return Index(base, index, node);
            }
        }
        return Fail("unknown syntax node");
    }

  private:
    Error Fail(std::string_view problem) const { return EvalError(text_, problem); }
    std::string_view Source(const Node& node) const {
        return text_.substr(node.begin, node.end - node.begin);
    }

    Result<Json> Call(const Node& node) {
        const FunctionSpec* spec = FindFunction(node.name);
        if (!spec) return Fail("'" + node.name + "' is not a known function");
        int count = static_cast<int>(node.children.size());
        if (count < spec->min_args || (spec->max_args != kUnbounded && count > spec->max_args))
            return Fail(ArityMessage(*spec, count));
        CallEnv env{ctx_, spec->name};
        Result<Json> result = Json();
        if (spec->lazy) {
            ArgEvaluator arg = [&](size_t i) { return Eval(*node.children[i]); };
            result = spec->lazy(node.children.size(), arg, env);
        } else {
            std::vector<Json> args;
            args.reserve(node.children.size());
            for (const auto& child : node.children) {
                ADXFLOW_ASSIGN_OR_RETURN(Json v, Eval(*child));
                args.push_back(std::move(v));
            }
            result = spec->eager(args, env);
        }
        // Errors from nested evaluation already quote the expression; only the function's own need it.
        if (!result.ok() && result.error().op == kFunctionOp) return Fail(result.error().message);
        return result;
    }

    static std::string ArityMessage(const FunctionSpec& spec, int got) {
        auto plural = [](int n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); };
        std::string expected;
        if (spec.min_args == spec.max_args)
            expected = "exactly " + plural(spec.min_args);
        else if (spec.max_args == kUnbounded)
            expected = "at least " + plural(spec.min_args);
        else
            expected = "between " + std::to_string(spec.min_args) + " and " + std::to_string(spec.max_args) +
                       " arguments";
        return "function '" + std::string(spec.name) + "' expects " + expected + ", got " +
               std::to_string(got);
    }

    Result<Json> Member(const Json& base, const std::string& name, const Node& node) {
        const Node& object = *node.children[0];
        if (base.is_null()) {
            if (node.null_safe) return Json();
            return Fail("cannot read property '" + name + "' because " + std::string(Source(object)) +
                        " is null (use '?." + name + "' to allow a missing value)");
        }
        if (!base.is_object())
            return Fail("cannot read property '" + name + "' of " + std::string(Source(object)) +
                        ", which is " + Article(base) + ", not an object");
        if (const Json* found = FindMember(base, name)) return *found;
        if (node.null_safe) return Json();
        return Fail("property '" + name + "' does not exist on " + std::string(Source(object)) +
                    AvailableProperties(base));
    }

    Result<Json> Index(const Json& base, const Json& index, const Node& node) {
        const Node& object = *node.children[0];
        if (index.is_string()) return Member(base, index.get<std::string>(), node);
        if (base.is_null()) {
            if (node.null_safe) return Json();
            return Fail("cannot index " + std::string(Source(object)) + " because it is null");
        }
        auto position = AsInt(index);
        if (!index.is_number() || !position)
            return Fail("index " + Show(index) + " used on " + std::string(Source(object)) +
                        " is not an integer or a property name");
        if (!base.is_array())
            return Fail("cannot index " + std::string(Source(object)) + " with " + std::to_string(*position) +
                        ": it is " + Article(base) + ", not an array");
        if (*position < 0 || static_cast<size_t>(*position) >= base.size()) {
            if (node.null_safe) return Json();
            return Fail("index " + std::to_string(*position) + " is out of range for " +
                        std::string(Source(object)) + ", which has " + std::to_string(base.size()) +
                        (base.size() == 1 ? " element" : " elements"));
        }
        return base[static_cast<size_t>(*position)];
    }

    static std::string Article(const Json& v) {
        std::string type = TypeName(v);
        bool vowel = !type.empty() && std::string_view("aeiou").find(type[0]) != std::string_view::npos;
        return (vowel ? "an " : "a ") + type;
    }

    // ADF lists the properties that do exist; it is the fastest way to spot a wrong name.
    static std::string AvailableProperties(const Json& object) {
        if (object.empty()) return " (the object is empty)";
        std::string names;
        size_t shown = 0;
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (shown == 20) {
                names += ", ...";
                break;
            }
            names += (shown++ ? ", " : "") + it.key();
        }
        return "; available properties: " + names;
    }

    std::string_view text_;
    const EvalContext& ctx_;
};

}  // namespace

Result<Json> EvaluateNode(const Node& node, std::string_view text, const EvalContext& ctx) {
    return Evaluator(text, ctx).Eval(node);
}

}  // namespace adxflow::expr
