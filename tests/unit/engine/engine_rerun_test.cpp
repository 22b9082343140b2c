// Recovery reruns on the real Engine (adf-semantics §8.2): referencePipelineRunId, isRecovery,
// startActivityName, startFromFailure. The rerun gets the reference run's parameters and group, becomes the
// group's latest run, and takes over the activities it does not run again (their outputs included).

#include <gtest/gtest.h>

#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using testing::EngineHarness;

Json Dep(const std::string& name, const std::string& condition = "Succeeded") {
    return Json::array({{{"activity", name}, {"dependencyConditions", {condition}}}});
}

// A (Filter with an output) -> B (fails unless fixed) -> C (reads A's output into a variable).
Json Pipeline(bool fixed) {
    Json b = fixed ? Json{{"name", "B"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 0}}}}
                   : Json{{"name", "B"},
                          {"type", "Fail"},
                          {"typeProperties", {{"message", "broken"}, {"errorCode", "E1"}}}};
    b["dependsOn"] = Dep("A");
    return {{"parameters", {{"p", {{"type", "String"}}}}},
            {"variables", {{"seen", {{"type", "String"}}}}},
            {"activities",
             Json::array({{{"name", "A"},
                           {"type", "Filter"},
                           {"typeProperties",
                            {{"items", "@createArray(pipeline().parameters.p, 'x')"},
                             {"condition", "@not(equals(item(), 'x'))"}}}},
                          b,
                          {{"name", "C"},
                           {"type", "SetVariable"},
                           {"dependsOn", Dep("B")},
                           {"typeProperties",
                            {{"variableName", "seen"}, {"value", "@first(activity('A').output.Value)"}}}}})}};
}

std::map<std::string, ActivityRun> LastRecords(const std::vector<ActivityRun>& records) {
    std::map<std::string, ActivityRun> out;
    for (const auto& r : records) out[r.activity_name] = r;
    return out;
}

Result<PipelineRun> Rerun(EngineHarness& h, const Json& pipeline, const std::string& reference, bool recovery,
                          const std::string& start_activity, bool from_failure) {
    CreateRunRequest req;
    req.pipeline_name = "P";
    req.pipeline = pipeline;
    req.parameters = {{"p", "ignored"}};  // a rerun takes the reference run's parameters
    req.reference_run_id = reference;
    req.is_recovery = recovery;
    req.rerun.start_activity = start_activity;
    req.rerun.start_from_failure = from_failure;
    return h.engine->CreateRun(std::move(req));
}

class EngineRerun : public ::testing::Test {
  protected:
    void SetUp() override {
        auto created = h.Create(Pipeline(false), {{"p", "v1"}});
        ASSERT_TRUE(created.ok()) << created.error().Describe();
        first = h.WaitForEnd(created->run_id);
        ASSERT_EQ(first.status, "Failed");
    }
    EngineHarness h;
    PipelineRun first;
};

TEST_F(EngineRerun, FromFailureReusesWhatSucceededWithItsOutput) {
    auto rerun = Rerun(h, Pipeline(true), first.run_id, true, "", true);
    ASSERT_TRUE(rerun.ok()) << rerun.error().Describe();
    PipelineRun run = h.WaitForEnd(rerun->run_id);
    EXPECT_EQ(run.status, "Succeeded") << run.message;
    EXPECT_EQ(run.parameters, (Json{{"p", "v1"}}));
    EXPECT_EQ(run.run_group_id, first.run_group_id);
    EXPECT_TRUE(run.is_latest);
    EXPECT_FALSE(h.Run(first.run_id).is_latest);
    auto records = LastRecords(h.Activities(run.run_id));
    EXPECT_EQ(records.count("A"), 0u);  // taken over, not run again
    EXPECT_EQ(records["B"].status, "Succeeded");
    EXPECT_EQ(records["C"].status, "Succeeded");
    EXPECT_EQ(run.run_state["variables"]["seen"], "v1");  // A's output from the reference run
}

TEST_F(EngineRerun, FromAnActivityRunsItAndWhatFollows) {
    auto rerun = Rerun(h, Pipeline(true), first.run_id, true, "b", false);
    ASSERT_TRUE(rerun.ok()) << rerun.error().Describe();
    PipelineRun run = h.WaitForEnd(rerun->run_id);
    EXPECT_EQ(run.status, "Succeeded") << run.message;
    auto records = LastRecords(h.Activities(run.run_id));
    EXPECT_EQ(records.count("A"), 0u);
    EXPECT_EQ(records.count("B"), 1u);
    EXPECT_EQ(records.count("C"), 1u);

    // A rerun of that rerun, from C: A is still taken over (from the chain), B from the second run.
    auto again = Rerun(h, Pipeline(false), run.run_id, true, "C", false);
    ASSERT_TRUE(again.ok()) << again.error().Describe();
    PipelineRun third = h.WaitForEnd(again->run_id);
    EXPECT_EQ(third.status, "Succeeded") << third.message;
    auto third_records = LastRecords(h.Activities(third.run_id));
    EXPECT_EQ(third_records.size(), 1u);
    EXPECT_EQ(third.run_state["variables"]["seen"], "v1");
    EXPECT_EQ(third.run_group_id, first.run_group_id);
    EXPECT_FALSE(h.Run(run.run_id).is_latest);
}

TEST_F(EngineRerun, RecoveryWithoutAStartPointRunsEverythingInTheSameGroup) {
    auto rerun = Rerun(h, Pipeline(true), first.run_id, true, "", false);
    ASSERT_TRUE(rerun.ok()) << rerun.error().Describe();
    PipelineRun run = h.WaitForEnd(rerun->run_id);
    EXPECT_EQ(run.status, "Succeeded");
    EXPECT_EQ(run.run_group_id, first.run_group_id);
    EXPECT_EQ(LastRecords(h.Activities(run.run_id)).size(), 3u);
}

TEST_F(EngineRerun, ReferenceWithoutRecoveryOnlyTakesTheParameters) {
    auto rerun = Rerun(h, Pipeline(true), first.run_id, false, "B", true);
    ASSERT_TRUE(rerun.ok()) << rerun.error().Describe();
    PipelineRun run = h.WaitForEnd(rerun->run_id);
    EXPECT_EQ(run.parameters, (Json{{"p", "v1"}}));
    EXPECT_NE(run.run_group_id, first.run_group_id);
    EXPECT_TRUE(h.Run(first.run_id).is_latest);
    EXPECT_EQ(LastRecords(h.Activities(run.run_id)).size(), 3u);
}

TEST_F(EngineRerun, BadRequestsNameTheField) {
    auto unknown = Rerun(h, Pipeline(true), first.run_id, true, "Nope", false);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(unknown.error().target, "startActivityName");
    EXPECT_NE(unknown.error().message.find("'Nope'"), std::string::npos);
    auto missing = Rerun(h, Pipeline(true), "no-such-run", true, "", false);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
    auto no_reference = Rerun(h, Pipeline(true), "", true, "", false);
    ASSERT_FALSE(no_reference.ok());
    EXPECT_EQ(no_reference.error().target, "isRecovery");
}

// Do-If-Else: the failed Do runs again and its success branch now runs; the failure branch, which
// succeeded in the reference run, is downstream of Do and is evaluated again (Skipped this time).
TEST(EngineRerunDoIfElse, FailureBranchesAreEvaluatedAgain) {
    EngineHarness h;
    auto make = [](bool fixed) {
        Json wait0 = {{"waitTimeInSeconds", 0}};
        Json doer = fixed ? Json{{"name", "Do"}, {"type", "Wait"}, {"typeProperties", wait0}}
                          : Json{{"name", "Do"},
                                 {"type", "Fail"},
                                 {"typeProperties", {{"message", "m"}, {"errorCode", "E"}}}};
        return Json{
            {"activities",
             Json::array(
                 {doer,
                  {{"name", "OnOk"}, {"type", "Wait"}, {"dependsOn", Dep("Do")}, {"typeProperties", wait0}},
                  {{"name", "OnFail"},
                   {"type", "Wait"},
                   {"dependsOn", Dep("Do", "Failed")},
                   {"typeProperties", wait0}}})}};
    };
    auto created = h.Create(make(false));
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(h.WaitForEnd(created->run_id).status, "Failed");
    auto rerun = Rerun(h, make(true), created->run_id, true, "", true);
    ASSERT_TRUE(rerun.ok()) << rerun.error().Describe();
    PipelineRun run = h.WaitForEnd(rerun->run_id);
    EXPECT_EQ(run.status, "Succeeded") << run.message;
    auto records = LastRecords(h.Activities(run.run_id));
    EXPECT_EQ(records["Do"].status, "Succeeded");
    EXPECT_EQ(records["OnOk"].status, "Succeeded");
    EXPECT_EQ(records.count("OnFail"), 0u);
}

}  // namespace
}  // namespace adxflow::engine
