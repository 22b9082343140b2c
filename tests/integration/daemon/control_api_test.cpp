// The real adxflowd, through the ARM API: ExecutePipeline (the child run, its invokedBy, the parent's output
// with pipelineReturnValue), cancel with isRecursive, and recovery reruns (referencePipelineRunId,
// isRecovery, startFromFailure, startActivityName) after the pipeline was fixed.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

Json Dep(const std::string& name) {
    return Json::array({{{"activity", name}, {"dependencyConditions", {"Succeeded"}}}});
}

Json Exec(const std::string& child, Json parameters, bool wait) {
    return {{"name", "Call"},
            {"type", "ExecutePipeline"},
            {"typeProperties",
             {{"pipeline", {{"referenceName", child}, {"type", "PipelineReference"}}},
              {"parameters", std::move(parameters)},
              {"waitOnCompletion", wait}}}};
}

class DaemonControl : public ::testing::Test {
  protected:
    void SetUp() override {
        DaemonOptions options;
        options.data_dir = dir / "data";
        auto started = DaemonProcess::Start(options);
        ASSERT_TRUE(started.ok()) << started.error().message;
        daemon = std::move(started).value();
    }
    void TearDown() override {
        if (daemon) {
            EXPECT_EQ(daemon->Stop(), 0);
        }
    }
    void Put(const std::string& name, const Json& properties) {
        auto reply = daemon->Arm("PUT", "pipelines/" + name, {{"properties", properties}});
        ASSERT_TRUE(reply.ok()) << reply.error().message;
        ASSERT_EQ(reply->status, 200) << name << ": " << reply->text;
    }
    // POST createRun with extra query parameters (after api-version).
    ApiReply CreateRun(const std::string& pipeline, const std::string& query = {}) {
        auto reply = daemon->Raw("POST",
                                 std::string(DaemonProcess::kFactoryPath) + "/pipelines/" + pipeline +
                                     "/createRun?api-version=2018-06-01" + query,
                                 "{}");
        EXPECT_TRUE(reply.ok());
        return reply.ok() ? *reply : ApiReply{};
    }
    Json Run(const std::string& id) {
        auto reply = daemon->Arm("GET", "pipelineruns/" + id);
        EXPECT_TRUE(reply.ok() && reply->status == 200);
        return reply.ok() ? reply->body : Json();
    }
    Json RunsOf(const std::string& pipeline) {
        Json filter = {
            {"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
            {"lastUpdatedBefore", "2100-01-01T00:00:00Z"},
            {"filters",
             Json::array({{{"operand", "PipelineName"}, {"operator", "Equals"}, {"values", {pipeline}}}})}};
        auto reply = daemon->Arm("POST", "queryPipelineRuns", filter);
        EXPECT_TRUE(reply.ok() && reply->status == 200);
        return reply.ok() ? reply->body.value("value", Json::array()) : Json::array();
    }
    Json Activity(const std::string& run_id, const std::string& name) {
        auto runs = daemon->ActivityRuns(run_id);
        EXPECT_TRUE(runs.ok());
        Json last;
        if (runs.ok())
            for (const auto& a : *runs)
                if (a.value("activityName", "") == name) last = a;
        return last;
    }

    TempDir dir;
    std::unique_ptr<DaemonProcess> daemon;
};

TEST_F(DaemonControl, ExecutePipelineReturnsTheChildsValue) {
    Put("Child",
        {{"parameters", {{"who", {{"type", "String"}}}}},
         {"activities",
          Json::array(
              {{{"name", "Ret"},
                {"type", "SetVariable"},
                {"typeProperties",
                 {{"variableName", "pipelineReturnValue"},
                  {"setSystemVariable", true},
                  {"value",
                   Json::array({{{"key", "greeting"},
                                 {"value",
                                  {{"type", "Expression"},
                                   {"content", "@concat('hello ', pipeline().parameters.who)"}}}}})}}}}})}});
    Put("Parent", {{"activities", Json::array({Exec("Child", {{"who", "@pipeline().Pipeline"}}, true)})}});
    ApiReply created = CreateRun("Parent");
    ASSERT_EQ(created.status, 200) << created.text;
    const std::string id = created.body.value("runId", "");
    auto run = daemon->WaitForRun(id);
    ASSERT_TRUE(run.ok()) << run.error().message;
    ASSERT_EQ(run->value("status", ""), "Succeeded") << run->dump() << daemon->LogTail();

    Json children = RunsOf("Child");
    ASSERT_EQ(children.size(), 1u) << children.dump();
    const Json& child = children[0];
    Json call = Activity(id, "Call");
    EXPECT_EQ(child["invokedBy"]["invokedByType"], "PipelineActivity");
    EXPECT_EQ(child["invokedBy"]["name"], "Call");
    EXPECT_EQ(child["invokedBy"]["id"], call["activityRunId"]);
    EXPECT_EQ(child["invokedBy"]["pipelineName"], "Parent");
    EXPECT_EQ(child["invokedBy"]["pipelineRunId"], id);
    EXPECT_EQ(call["output"]["pipelineRunId"], child["runId"]);
    EXPECT_EQ(call["output"]["pipelineName"], "Child");
    EXPECT_EQ(call["output"]["pipelineReturnValue"]["greeting"], "hello Parent");
    EXPECT_EQ(Activity(child.value("runId", ""), "Ret")["status"], "Succeeded");
}

TEST_F(DaemonControl, RecursiveCancelStopsTheChild) {
    Put("Sleeper",
        {{"activities",
          Json::array(
              {{{"name", "Nap"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 600}}}}})}});
    Put("Boss", {{"activities", Json::array({Exec("Sleeper", Json::object(), true)})}});
    ApiReply created = CreateRun("Boss");
    ASSERT_EQ(created.status, 200) << created.text;
    const std::string id = created.body.value("runId", "");
    std::string child_id;
    for (int i = 0; i < 500 && child_id.empty(); ++i) {
        Json children = RunsOf("Sleeper");
        if (!children.empty() && children[0].value("status", "") == "InProgress")
            child_id = children[0]["runId"];
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(child_id.empty());
    auto cancel = daemon->Raw("POST", std::string(DaemonProcess::kFactoryPath) + "/pipelineruns/" + id +
                                          "/cancel?api-version=2018-06-01&isRecursive=true");
    ASSERT_TRUE(cancel.ok() && cancel->status == 200);
    auto parent = daemon->WaitForRun(id, std::chrono::seconds(20));
    auto child = daemon->WaitForRun(child_id, std::chrono::seconds(20));
    ASSERT_TRUE(parent.ok() && child.ok());
    EXPECT_EQ(parent->value("status", ""), "Cancelled");
    EXPECT_EQ(child->value("status", ""), "Cancelled");
}

TEST_F(DaemonControl, RecoveryRerunFromFailureAfterAFix) {
    auto pipeline = [](bool fixed) {
        Json b = fixed ? Json{{"name", "B"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 0}}}}
                       : Json{{"name", "B"},
                              {"type", "Fail"},
                              {"typeProperties", {{"message", "not yet"}, {"errorCode", "E1"}}}};
        b["dependsOn"] = Dep("A");
        return Json{
            {"parameters", {{"day", {{"type", "String"}}}}},
            {"variables", {{"got", {{"type", "String"}}}}},
            {"activities",
             Json::array({{{"name", "A"},
                           {"type", "Filter"},
                           {"typeProperties",
                            {{"items", "@createArray(pipeline().parameters.day)"}, {"condition", "@true"}}}},
                          b,
                          {{"name", "C"},
                           {"type", "SetVariable"},
                           {"dependsOn", Dep("B")},
                           {"typeProperties",
                            {{"variableName", "got"}, {"value", "@first(activity('A').output.Value)"}}}}})}};
    };
    Put("Daily", pipeline(false));
    auto created = daemon->Raw(
        "POST",
        std::string(DaemonProcess::kFactoryPath) + "/pipelines/Daily/createRun?api-version=2018-06-01",
        R"({"day": "2024-01-15"})");
    ASSERT_TRUE(created.ok() && created->status == 200) << (created.ok() ? created->text : "");
    const std::string first = created->body.value("runId", "");
    auto failed = daemon->WaitForRun(first);
    ASSERT_TRUE(failed.ok());
    ASSERT_EQ(failed->value("status", ""), "Failed");

    // An unknown start activity is a 400 naming the field; the reference must exist.
    ApiReply bad =
        CreateRun("Daily", "&referencePipelineRunId=" + first + "&isRecovery=true&startActivityName=Nope");
    EXPECT_EQ(bad.status, 400) << bad.text;
    EXPECT_NE(bad.text.find("startActivityName"), std::string::npos) << bad.text;
    EXPECT_EQ(CreateRun("Daily", "&referencePipelineRunId=nope&isRecovery=true").status, 404);

    Put("Daily", pipeline(true));
    ApiReply rerun =
        CreateRun("Daily", "&referencePipelineRunId=" + first + "&isRecovery=true&startFromFailure=true");
    ASSERT_EQ(rerun.status, 200) << rerun.text;
    const std::string second = rerun.body.value("runId", "");
    auto done = daemon->WaitForRun(second);
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(done->value("status", ""), "Succeeded") << done->dump() << daemon->LogTail();
    EXPECT_EQ(done->value("runGroupId", ""), failed->value("runGroupId", ""));
    EXPECT_TRUE(done->value("isLatest", false));
    EXPECT_FALSE(Run(first).value("isLatest", true));
    EXPECT_EQ(done->value("parameters", Json::object()).value("day", ""), "2024-01-15");
    EXPECT_TRUE(Activity(second, "A").is_null());  // taken over from the first run, not run again
    EXPECT_EQ(Activity(second, "B")["status"], "Succeeded");
    EXPECT_EQ(Activity(second, "C")["output"]["value"], "2024-01-15");  // A's output, from the first run
}

}  // namespace
}  // namespace adxflow::testing
