// libFuzzer target: the ADF expression language. The input is used as a string value ("@..." expressions,
// "@{...}" interpolations, "@@" escapes): syntax check, then evaluation against a context with parameters,
// variables, an activity output and a ForEach item. Any result or error is fine; a crash, a sanitizer
// report, a hang or runaway memory is not. CheckSyntax and Evaluate must agree that a syntax error is one.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/expr/expr.hpp"

namespace {

adxflow::expr::EvalContext MakeContext() {
    using adxflow::Json;
    adxflow::expr::EvalContext ctx;
    ctx.pipeline = {{"DataFactory", "adxflow"},
                    {"Pipeline", "P"},
                    {"RunId", "5b0c1f36-0d9e-4a2b-9f8e-0c1d2e3f4a5b"},
                    {"TriggerType", "Manual"},
                    {"parameters", {{"table", "Events"}, {"n", 3}, {"list", Json::array({1, "two", 3.5})}}},
                    {"globalParameters", {{"env", "test"}}}};
    ctx.variables = {{"acc", Json::array({"a"})}, {"flag", true}, {"count", 7}};
    ctx.activity = [](std::string_view name) -> std::optional<Json> {
        if (name != "Lookup1") return std::nullopt;
        return Json{{"output", {{"firstRow", {{"Count", 42}, {"Name", "x"}}}, {"count", 1}}},
                    {"Status", "Succeeded"}};
    };
    ctx.item = Json{{"name", "item"}, {"value", 1}};
    return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace adxflow;
    static const expr::EvalContext ctx = MakeContext();
    const Json value = std::string(reinterpret_cast<const char*>(data), size);
    // Expressions reach the evaluator from parsed JSON, which only holds valid UTF-8.
    try {
        (void)value.dump();
    } catch (const Json::type_error&) {
        return 0;
    }
    (void)expr::IsExpression(value);
    const Status syntax = expr::CheckSyntax(value);
    auto result = expr::Evaluate(value, ctx);
    if (!syntax.ok() && result.ok()) std::abort();  // evaluation accepted what the syntax check refused
    if (result.ok()) (void)result->dump(-1, ' ', false, Json::error_handler_t::replace);
    return 0;
}
