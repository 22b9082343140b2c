#pragma once
// ADF's dependency rules, as pure functions over activity statuses:
// - an activity waits until every upstream activity it depends on has a final status;
// - each dependsOn entry is satisfied when the upstream status is one of its conditions (Completed means
//   Succeeded or Failed, never Skipped); entries combine with AND;
// - an activity whose dependencies are final but not all satisfied is Skipped, and skipping propagates;
// - the pipeline's status follows the leaf rule: every leaf (no dependents) is evaluated, a Skipped leaf
//   is replaced by its parents (recursively), and the pipeline succeeds iff every evaluated node succeeded.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/pipeline_spec.hpp"

namespace adxflow::engine {

enum class Condition { kSucceeded, kFailed, kSkipped, kCompleted };

// The graph's condition for a parsed dependsOn condition.
Condition ToCondition(model::DependencyCondition c);

struct Edge {
    std::string upstream;  // activity name
    std::vector<Condition> conditions;
};

struct Node {
    std::string name;
    std::vector<Edge> depends_on;
};

enum class Readiness { kWait, kRun, kSkip };

// `status_of(name)` returns the final status of an upstream activity ("Succeeded", "Failed", "Skipped",
// "Cancelled") or nullopt while it has none.
using StatusLookup = std::function<std::optional<std::string>(std::string_view name)>;

Readiness EvaluateDependencies(const Node& node, const StatusLookup& status_of);

struct LeafVerdict {
    bool succeeded = true;
    std::vector<std::string> failed;  // evaluated nodes that did not succeed, in definition order
};

// Applies the leaf rule to a finished pipeline (every node has a final status).
LeafVerdict EvaluateLeafRule(const std::vector<Node>& nodes, const StatusLookup& status_of);

}  // namespace adxflow::engine
