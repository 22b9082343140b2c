#include "core/engine/graph.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/json.hpp"

namespace adxflow::engine {

namespace {

bool Satisfies(std::string_view status, Condition c) {
    switch (c) {
        case Condition::kSucceeded:
            return status == "Succeeded";
        case Condition::kFailed:
            return status == "Failed";
        case Condition::kSkipped:
            return status == "Skipped";
        case Condition::kCompleted:
            return status == "Succeeded" || status == "Failed";
    }
    return false;
}

const Node* Find(const std::vector<Node>& nodes, std::string_view name) {
    for (const auto& n : nodes)
        if (IEquals(n.name, name)) return &n;
    return nullptr;
}

}  // namespace

Readiness EvaluateDependencies(const Node& node, const StatusLookup& status_of) {
    bool all_satisfied = true;
    for (const auto& edge : node.depends_on) {
        auto status = status_of(edge.upstream);
        if (!status) return Readiness::kWait;
        bool ok = false;
        for (auto c : edge.conditions) ok = ok || Satisfies(*status, c);
        all_satisfied = all_satisfied && ok;
    }
    return all_satisfied ? Readiness::kRun : Readiness::kSkip;
}

LeafVerdict EvaluateLeafRule(const std::vector<Node>& nodes, const StatusLookup& status_of) {
    std::set<std::string> has_dependents;
    for (const auto& n : nodes)
        for (const auto& e : n.depends_on) has_dependents.insert(ToLower(e.upstream));

    LeafVerdict verdict;
    std::set<std::string> visited;
    std::function<void(const Node&)> evaluate = [&](const Node& n) {
        if (!visited.insert(ToLower(n.name)).second) return;
        auto status = status_of(n.name).value_or("Failed");
        if (status == "Skipped") {
            // A skipped leaf says nothing by itself: the outcome is decided by what caused the skip.
            for (const auto& e : n.depends_on)
                if (const Node* parent = Find(nodes, e.upstream)) evaluate(*parent);
            return;
        }
        if (status != "Succeeded") {
            verdict.succeeded = false;
            verdict.failed.push_back(n.name);
        }
    };
    for (const auto& n : nodes)
        if (!has_dependents.count(ToLower(n.name))) evaluate(n);
    // Leaves are visited leaf-first, so a skipped leaf can reach its parents after a later leaf: report the
    // culprits in definition order, as they read in the pipeline JSON.
    std::map<std::string, size_t> position;
    for (size_t i = 0; i < nodes.size(); ++i) position[ToLower(nodes[i].name)] = i;
    std::sort(verdict.failed.begin(), verdict.failed.end(),
              [&position](const std::string& a, const std::string& b) {
                  return position[ToLower(a)] < position[ToLower(b)];
              });
    return verdict;
}

Condition ToCondition(model::DependencyCondition c) {
    switch (c) {
        case model::DependencyCondition::kSucceeded:
            return Condition::kSucceeded;
        case model::DependencyCondition::kFailed:
            return Condition::kFailed;
        case model::DependencyCondition::kSkipped:
            return Condition::kSkipped;
        case model::DependencyCondition::kCompleted:
            return Condition::kCompleted;
    }
    return Condition::kSucceeded;
}

}  // namespace adxflow::engine
