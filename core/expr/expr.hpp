#pragma once
// The ADF expression language: "@expr" (typed result), "@{expr}" interpolation (string result), "@@" escape,
// and the {"value": "...", "type": "Expression"} object form. Evaluated at activity start against an
// EvalContext describing what the expression may see.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace adxflow::expr {

struct EvalContext {
    // pipeline(): an object with DataFactory, Pipeline, RunId, TriggerType, TriggerId, TriggerName,
    // TriggerTime, GroupId, TriggeredByPipelineName, TriggeredByPipelineRunId, parameters{},
    // globalParameters{}.
    Json pipeline = Json::object();
    // variables('name'); looked up case-insensitively.
    Json variables = Json::object();
    // activity('name') -> {"output": ..., "error": ..., "Status": ...}; nullopt when no such activity ran.
    std::function<std::optional<Json>(std::string_view name)> activity;
    std::optional<Json> item;            // item() inside ForEach / Filter
    std::optional<Json> dataset;         // dataset() parameters, inside dataset definitions
    std::optional<Json> linked_service;  // linkedService() parameters, inside linked-service definitions
    std::optional<Json> trigger;         // trigger(), inside trigger definitions
    Clock* clock = nullptr;              // utcNow(); SystemClock when null
};

// True when `value` would be evaluated (a string starting with '@' or containing "@{", or an Expression
// object), false for plain literals.
bool IsExpression(const Json& value);

// Evaluate one JSON value under ADF's rules: strings may be expressions or contain interpolations,
// {"value","type":"Expression"} objects are unwrapped, anything else is returned unchanged.
// Errors are kInvalidInput with a message naming the expression and the problem.
Result<Json> Evaluate(const Json& value, const EvalContext& ctx);

// Evaluate every string and Expression object inside `tree` (objects and arrays recursively). An error's
// `target` is the JSON path of the failing value, e.g. "source.query".
Result<Json> EvaluateTree(const Json& tree, const EvalContext& ctx);

// Parse without evaluating, for validation at submission time; the error names the offending position.
Status CheckSyntax(const Json& value);
// CheckSyntax over every string and Expression object in `tree`; the error's target is the JSON path.
Status CheckTreeSyntax(const Json& tree);

}  // namespace adxflow::expr
