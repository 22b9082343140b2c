// ExecutePipeline on the real Engine (adf-semantics §5.7): the child run and its invokedBy, parameters,
// waitOnCompletion, pipelineReturnValue in the output, failure propagation, recursive cancel, the depth
// guard and a restart while the parent waits.

#include <gtest/gtest.h>

#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

Json Dep(const std::string& name, const std::string& condition = "Succeeded") {
    return Json::array({{{"activity", name}, {"dependencyConditions", {condition}}}});
}

Json Exec(const std::string& name, const std::string& child, Json parameters, bool wait) {
    return {{"name", name},
            {"type", "ExecutePipeline"},
            {"typeProperties",
             {{"pipeline", {{"referenceName", child}, {"type", "PipelineReference"}}},
              {"parameters", std::move(parameters)},
              {"waitOnCompletion", wait}}}};
}

Json WaitActivity(const std::string& name, int seconds) {
    return {{"name", name}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", seconds}}}};
}

std::map<std::string, ActivityRun> LastRecords(const std::vector<ActivityRun>& records) {
    std::map<std::string, ActivityRun> out;
    for (const auto& r : records) out[r.activity_name] = r;
    return out;
}

// The child returns a value built from its parameter; the parent waits, reads it, and the child run names
// its parent the way ADF does.
TEST(EngineExecutePipeline, WaitsForTheChildAndReturnsItsValue) {
    EngineHarness h;
    h.definitions.PutPipeline(
        "Child",
        {{"parameters", {{"n", {{"type", "Int"}}}, {"tag", {{"type", "String"}, {"defaultValue", "d"}}}}},
         {"activities",
          Json::array(
              {{{"name", "Ret"},
                {"type", "SetVariable"},
                {"typeProperties",
                 {{"variableName", "pipelineReturnValue"},
                  {"setSystemVariable", true},
                  {"value",
                   Json::array({{{"key", "double"},
                                 {"value",
                                  {{"type", "Expression"}, {"content", "@mul(pipeline().parameters.n, 2)"}}}},
                                {{"key", "parent"},
                                 {"value",
                                  {{"type", "Expression"},
                                   {"content", "@pipeline()?.TriggeredByPipelineName"}}}}})}}}}})}});
    Json parent = {
        {"variables", {{"got", {{"type", "String"}}}}},
        {"activities", Json::array({Exec("Run child", "Child", {{"n", "@add(20, 1)"}}, true),
                                    {{"name", "Read"},
                                     {"type", "SetVariable"},
                                     {"dependsOn", Dep("Run child")},
                                     {"typeProperties",
                                      {{"variableName", "got"},
                                       {"value",
                                        "@{activity('Run child').output.pipelineReturnValue.double}/"
                                        "@{activity('Run child').output.pipelineReturnValue.parent}"}}}}})}};
    auto created = h.Create(parent, Json::object(), "Parent");
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    ASSERT_EQ(run.status, "Succeeded") << run.message;
    EXPECT_EQ(run.run_state["variables"]["got"], "42/Parent");

    auto children = h.RunsOf("Child");
    ASSERT_EQ(children.size(), 1u);
    const PipelineRun& child = children[0];
    EXPECT_EQ(child.status, "Succeeded");
    EXPECT_EQ(child.parameters["n"], 21);
    EXPECT_EQ(child.parameters["tag"], "d");
    EXPECT_NE(child.run_group_id, run.run_group_id);
    auto records = LastRecords(h.Activities(run.run_id));
    const ActivityRun& exec = records["Run child"];
    EXPECT_EQ(exec.status, "Succeeded");
    EXPECT_EQ(exec.activity_type, "ExecutePipeline");
    EXPECT_EQ(child.invoked_by, (Json{{"id", exec.activity_run_id},
                                      {"name", "Run child"},
                                      {"invokedByType", "PipelineActivity"},
                                      {"pipelineName", "Parent"},
                                      {"pipelineRunId", run.run_id}}));
    EXPECT_EQ(exec.output, (Json{{"pipelineName", "Child"},
                                 {"pipelineRunId", child.run_id},
                                 {"pipelineReturnValue", {{"double", 42}, {"parent", "Parent"}}}}));
    EXPECT_EQ(exec.input["parameters"], (Json{{"n", 21}}));
    // The child's own activity runs are reachable by its run id (queryActivityruns).
    EXPECT_EQ(LastRecords(h.Activities(child.run_id))["Ret"].status, "Succeeded");
}

// Without waitOnCompletion the activity succeeds as soon as the child is started; the parent may end first.
TEST(EngineExecutePipeline, WithoutWaitingTheActivitySucceedsAtOnce) {
    EngineHarness h;
    h.definitions.PutPipeline("Slow", {{"activities", Json::array({WaitActivity("Nap", 600)})}});
    Json parent = {{"activities", Json::array({Exec("Fire", "Slow", Json::object(), false)})}};
    auto created = h.Create(parent, Json::object(), "Parent");
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Succeeded") << run.message;
    auto children = h.RunsOf("Slow");
    ASSERT_EQ(children.size(), 1u);
    EXPECT_FALSE(IsTerminalRunStatus(children[0].status));
    auto exec = LastRecords(h.Activities(run.run_id))["Fire"];
    EXPECT_EQ(exec.output, (Json{{"pipelineName", "Slow"}, {"pipelineRunId", children[0].run_id}}));
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(children[0].run_id).status); }, 300s));
    EXPECT_EQ(h.Run(children[0].run_id).status, "Succeeded");
}

// A failed child fails the activity with the child's message and the failing inner activity's code; the
// parent's message nests it, and a Failed dependency still runs.
TEST(EngineExecutePipeline, ChildFailureFailsTheActivity) {
    EngineHarness h;
    h.definitions.PutPipeline(
        "Bad", {{"activities",
                 Json::array({{{"name", "Boom"},
                               {"type", "Fail"},
                               {"typeProperties", {{"message", "no rows"}, {"errorCode", "E42"}}}}})}});
    Json parent = {{"activities", Json::array({Exec("Call", "Bad", Json::object(), true),
                                               {{"name", "Log"},
                                                {"type", "Wait"},
                                                {"dependsOn", Dep("Call", "Failed")},
                                                {"typeProperties", {{"waitTimeInSeconds", 0}}}},
                                               {{"name", "Next"},
                                                {"type", "Wait"},
                                                {"dependsOn", Dep("Call")},
                                                {"typeProperties", {{"waitTimeInSeconds", 0}}}}})}};
    auto created = h.Create(parent, Json::object(), "Parent");
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Failed");
    EXPECT_EQ(run.message, "Operation on target Call failed: Operation on target Boom failed: no rows");
    auto records = LastRecords(h.Activities(run.run_id));
    EXPECT_EQ(records["Call"].status, "Failed");
    EXPECT_EQ(records["Call"].error["errorCode"], "E42");
    EXPECT_EQ(records["Call"].error["message"], "Operation on target Boom failed: no rows");
    EXPECT_EQ(records["Call"].error["target"], "Call");
    EXPECT_EQ(records["Call"].output["pipelineName"], "Bad");
    EXPECT_EQ(records["Log"].status, "Succeeded");
    EXPECT_EQ(records.count("Next"), 0u);
}

TEST(EngineExecutePipeline, SecureInputKeepsTheParametersOutOfTheRecord) {
    EngineHarness h;
    h.definitions.PutPipeline("Child", {{"parameters", {{"key", {{"type", "String"}}}}},
                                        {"activities", Json::array({WaitActivity("W", 0)})}});
    Json call = Exec("Call", "Child", {{"key", "s3cret"}}, true);
    call["policy"] = {{"secureInput", true}};
    auto created = h.Create({{"activities", Json::array({call})}}, Json::object(), "Parent");
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    EXPECT_EQ(h.WaitForEnd(created->run_id).status, "Succeeded");
    auto exec = LastRecords(h.Activities(created->run_id))["Call"];
    EXPECT_EQ(exec.input, (Json{{"secure", true}}));
    EXPECT_EQ(exec.input.dump().find("s3cret"), std::string::npos);
}

TEST(EngineExecutePipeline, UnknownPipelineOrBadParametersFailTheActivity) {
    EngineHarness h;
    h.definitions.PutPipeline("Typed", {{"parameters", {{"n", {{"type", "Int"}}}}},
                                        {"activities", Json::array({WaitActivity("W", 0)})}});
    auto missing = h.Create({{"activities", Json::array({Exec("Call", "Nope", Json::object(), true)})}},
                            Json::object(), "Parent");
    auto bad = h.Create({{"activities", Json::array({Exec("Call", "Typed", {{"n", "abc"}}, true)})}},
                        Json::object(), "Parent");
    ASSERT_TRUE(missing.ok() && bad.ok());
    EXPECT_EQ(h.WaitForEnd(missing->run_id).status, "Failed");
    EXPECT_EQ(LastRecords(h.Activities(missing->run_id))["Call"].error["errorCode"], "PipelineNotFound");
    PipelineRun run = h.WaitForEnd(bad->run_id);
    EXPECT_EQ(run.status, "Failed");
    EXPECT_NE(run.message.find("cannot start pipeline 'Typed'"), std::string::npos) << run.message;
    EXPECT_TRUE(h.RunsOf("Typed").empty());
}

// A pipeline that calls itself stops at the depth limit with the chain in the message; every level fails.
TEST(EngineExecutePipeline, RecursionStopsAtTheDepthLimit) {
    EngineHarness h;
    Json self = {{"activities", Json::array({Exec("Again", "Loop", Json::object(), true)})}};
    h.definitions.PutPipeline("Loop", self);
    auto created = h.Create(self, Json::object(), "Loop");
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Failed");
    EXPECT_NE(run.message.find("deeper than 10 levels: Loop -> Loop"), std::string::npos) << run.message;
    auto runs = h.RunsOf("Loop");
    EXPECT_EQ(runs.size(), 10u);
    for (const auto& r : runs) EXPECT_EQ(r.status, "Failed") << r.run_id;
    EXPECT_EQ(LastRecords(h.Activities(runs.back().run_id))["Again"].error["errorCode"],
              "ExecutePipelineDepthExceeded");
}

// Cancel with isRecursive cancels the waiting child (and its activities); without it the child runs on.
TEST(EngineExecutePipeline, RecursiveCancelCancelsTheChild) {
    EngineHarness h;
    h.definitions.PutPipeline("Slow", {{"activities", Json::array({WaitActivity("Nap", 3600)})}});
    Json parent = {{"activities", Json::array({Exec("Call", "Slow", Json::object(), true)})}};
    auto first = h.Create(parent, Json::object(), "Parent");
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(h.WaitFor([&] {
        auto c = h.RunsOf("Slow");
        return c.size() == 1 && LastRecords(h.Activities(c[0].run_id))["Nap"].status == "InProgress";
    }));
    h.engine->Cancel(first->run_id, true);
    EXPECT_EQ(h.WaitForEnd(first->run_id).status, "Cancelled");
    const std::string child = h.RunsOf("Slow")[0].run_id;
    EXPECT_EQ(h.WaitForEnd(child).status, "Cancelled");
    EXPECT_EQ(LastRecords(h.Activities(child))["Nap"].status, "Cancelled");
    EXPECT_EQ(LastRecords(h.Activities(first->run_id))["Call"].status, "Cancelled");

    auto second = h.Create(parent, Json::object(), "Parent");
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE(h.WaitFor([&] { return h.RunsOf("Slow").size() == 2; }));
    h.engine->Cancel(second->run_id, false);
    EXPECT_EQ(h.WaitForEnd(second->run_id).status, "Cancelled");
    const std::string other = h.RunsOf("Slow")[1].run_id;
    EXPECT_FALSE(IsTerminalRunStatus(h.Run(other).status));
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(other).status); }, 600s));
    EXPECT_EQ(h.Run(other).status, "Succeeded");
}

// Stopped while the parent waits: after the restart the parent attaches to the same child (no second child
// run) and ends with it.
TEST(EngineExecutePipeline, RestartWhileWaitingKeepsTheSameChild) {
    EngineOptions o;
    o.shutdown_grace = Millis(0);
    EngineHarness h(o);
    h.definitions.PutPipeline("Slow", {{"activities", Json::array({WaitActivity("Nap", 600)})}});
    Json parent = {{"activities", Json::array({Exec("Call", "Slow", Json::object(), true)})}};
    auto created = h.Create(parent, Json::object(), "Parent");
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(h.WaitFor([&] {
        auto c = h.RunsOf("Slow");
        return c.size() == 1 && LastRecords(h.Activities(c[0].run_id))["Nap"].status == "InProgress";
    }));
    h.StopEngine();
    h.StartEngine();
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(created->run_id).status); }, 120s));
    PipelineRun run = h.Run(created->run_id);
    EXPECT_EQ(run.status, "Succeeded") << run.message;
    auto children = h.RunsOf("Slow");
    ASSERT_EQ(children.size(), 1u);
    EXPECT_EQ(children[0].status, "Succeeded");
    EXPECT_EQ(LastRecords(h.Activities(run.run_id))["Call"].output["pipelineRunId"], children[0].run_id);
}

}  // namespace
}  // namespace adxflow::engine
