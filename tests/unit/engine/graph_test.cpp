// The pure dependency functions (core/engine/graph.hpp) against the case table: a tiny driver executes
// the graph the way the engine does (decide what is ready, run it with the case's outcome, repeat), then
// the leaf rule decides the pipeline.

#include "core/engine/graph.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/json.hpp"
#include "core/model/pipeline_spec.hpp"
#include "tests/unit/engine/dependency_cases.hpp"

namespace adxflow::engine {
namespace {

using testing::DependencyCase;

Condition ConditionFrom(const std::string& text) {
    auto c = model::ParseDependencyCondition(text);
    if (!c) throw std::runtime_error("unknown condition " + text);
    return ToCondition(*c);
}

std::vector<Node> NodesOf(const DependencyCase& c) {
    std::vector<Node> nodes;
    for (const auto& a : c.activities) {
        Node n{a.name, {}};
        for (const auto& d : a.depends_on) {
            Edge e{d.upstream, {}};
            for (const auto& cond : d.conditions) e.conditions.push_back(ConditionFrom(cond));
            n.depends_on.push_back(std::move(e));
        }
        nodes.push_back(std::move(n));
    }
    return nodes;
}

StatusLookup LookupIn(const std::map<std::string, std::string>& statuses) {
    return [&statuses](std::string_view name) -> std::optional<std::string> {
        for (const auto& [k, v] : statuses)
            if (IEquals(k, name)) return v;
        return std::nullopt;
    };
}

TEST(GraphCases, DependencyTable) {
    auto cases = testing::LoadDependencyCases();
    ASSERT_GE(cases.size(), 30u);
    for (const auto& c : cases) {
        SCOPED_TRACE(c.where);
        std::vector<Node> nodes = NodesOf(c);
        std::map<std::string, std::string> status;
        auto lookup = LookupIn(status);
        // One "wave" at a time, as the scheduler would see activities finish.
        for (size_t wave = 0; status.size() < nodes.size(); ++wave) {
            ASSERT_LT(wave, nodes.size() + 1) << "graph never settles";
            std::map<std::string, std::string> decided;
            for (size_t i = 0; i < nodes.size(); ++i) {
                const auto& act = c.activities[i];
                if (status.count(act.name)) continue;
                Readiness r = EvaluateDependencies(nodes[i], lookup);
                if (r == Readiness::kWait) continue;
                if (r == Readiness::kSkip)
                    decided[act.name] = "Skipped";
                else if (act.inactive_mark)
                    decided[act.name] = *act.inactive_mark;
                else
                    decided[act.name] = c.failing.count(act.name) ? "Failed" : "Succeeded";
            }
            ASSERT_FALSE(decided.empty()) << "no activity became decidable";
            status.insert(decided.begin(), decided.end());
        }
        EXPECT_EQ(status, c.expected);
        LeafVerdict verdict = EvaluateLeafRule(nodes, lookup);
        EXPECT_EQ(verdict.succeeded ? "Succeeded" : "Failed", c.pipeline);
        EXPECT_EQ(verdict.failed, c.blame);
    }
}

TEST(Graph, WaitsUntilEveryUpstreamIsFinal) {
    Node n{"C", {{"A", {Condition::kSucceeded}}, {"B", {Condition::kSucceeded}}}};
    std::map<std::string, std::string> status{{"A", "Failed"}};
    // A alone already rules C out, but C is still decided only when B is final too.
    EXPECT_EQ(EvaluateDependencies(n, LookupIn(status)), Readiness::kWait);
    status["B"] = "Succeeded";
    EXPECT_EQ(EvaluateDependencies(n, LookupIn(status)), Readiness::kSkip);
}

TEST(Graph, NoDependenciesRunsAtOnce) {
    std::map<std::string, std::string> status;
    EXPECT_EQ(EvaluateDependencies(Node{"A", {}}, LookupIn(status)), Readiness::kRun);
}

TEST(Graph, CancelledSatisfiesNoCondition) {
    std::map<std::string, std::string> status{{"A", "Cancelled"}};
    for (auto c : {Condition::kSucceeded, Condition::kFailed, Condition::kSkipped, Condition::kCompleted})
        EXPECT_EQ(EvaluateDependencies(Node{"B", {{"A", {c}}}}, LookupIn(status)), Readiness::kSkip);
}

TEST(Graph, LeafRuleCountsCancelledAndUnfinishedAsNotSucceeded) {
    std::vector<Node> nodes{{"A", {}}, {"B", {}}, {"C", {}}};
    std::map<std::string, std::string> status{{"A", "Succeeded"}, {"B", "Cancelled"}};
    LeafVerdict v = EvaluateLeafRule(nodes, LookupIn(status));
    EXPECT_FALSE(v.succeeded);
    EXPECT_EQ(v.failed, (std::vector<std::string>{"B", "C"}));
}

TEST(Graph, LeafRuleEvaluatesASharedParentOnce) {
    // Two skipped leaves with the same failed parent: the parent is blamed once.
    std::vector<Node> nodes{
        {"A", {}}, {"B", {{"A", {Condition::kSucceeded}}}}, {"C", {{"a", {Condition::kSucceeded}}}}};
    std::map<std::string, std::string> status{{"A", "Failed"}, {"B", "Skipped"}, {"C", "Skipped"}};
    LeafVerdict v = EvaluateLeafRule(nodes, LookupIn(status));
    EXPECT_FALSE(v.succeeded);
    EXPECT_EQ(v.failed, (std::vector<std::string>{"A"}));
}

TEST(Graph, SkippedRootLeafWithoutParentsDoesNotFail) {
    std::vector<Node> nodes{{"A", {}}};
    std::map<std::string, std::string> status{{"A", "Skipped"}};
    EXPECT_TRUE(EvaluateLeafRule(nodes, LookupIn(status)).succeeded);
}

}  // namespace
}  // namespace adxflow::engine
