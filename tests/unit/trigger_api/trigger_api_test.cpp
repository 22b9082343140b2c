// Trigger routes of the control API in-process, on the real daemon parts (store, engine, trigger
// scheduler): validation with field paths, runtimeState, start/stop, ADF's refusal to update or delete a
// started trigger, tumbling-window backfill through the real engine, queryTriggerRuns and rerun.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/time.hpp"
#include "daemon/app/app.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow {
namespace {

using testing::TempDir;

constexpr const char* kPrefix =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.DataFactory/factories/adxflow/";

class TriggerApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        config::Settings s;
        s.listen = "127.0.0.1:0";
        s.data_dir = dir_ / "data";
        s.database_path = dir_ / "data/adxflow.db";
        s.secrets_key_file = dir_ / "data/secrets.key";
        daemon_ = std::make_unique<app::Daemon>(s);
        ASSERT_TRUE(daemon_->Start().ok());
        Send("PUT", "pipelines/PL",
             {{"properties",
               {{"parameters", {{"windowStart", {{"type", "String"}}}, {"windowEnd", {{"type", "String"}}}}},
                {"activities",
                 Json::array(
                     {{{"name", "W"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 0}}}}})}}}},
             200);
    }
    void TearDown() override { daemon_->Stop(); }

    Json Send(const std::string& method, const std::string& rest, const Json& body, int expect) {
        api::Request r;
        r.method = method;
        r.path = std::string(kPrefix) + rest;
        r.query["api-version"] = "2018-06-01";
        if (!body.is_null()) r.body = body.dump();
        auto res = daemon_->Call(r);
        EXPECT_EQ(res.status, expect) << method << " " << rest << " -> " << res.body;
        return res.body.empty() ? Json() : Json::parse(res.body, nullptr, false);
    }

    static Json Tumbling(const std::string& start, Json extra = Json::object()) {
        Json tp = {{"frequency", "Hour"}, {"interval", 1}, {"startTime", start}, {"maxConcurrency", 1}};
        tp.update(extra);
        return {{"properties",
                 {{"type", "TumblingWindowTrigger"},
                  {"runtimeState", "Started"},
                  {"typeProperties", tp},
                  {"pipeline",
                   {{"pipelineReference", {{"referenceName", "PL"}, {"type", "PipelineReference"}}},
                    {"parameters",
                     {{"windowStart", "@trigger().outputs.windowStartTime"},
                      {"windowEnd", "@trigger().outputs.windowEndTime"}}}}}}}};
    }

    Json TriggerRuns(const std::string& name) {
        return Send(
            "POST", "queryTriggerRuns",
            {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
             {"lastUpdatedBefore", "2100-01-01T00:00:00Z"},
             {"filters",
              Json::array({{{"operand", "TriggerName"}, {"operator", "Equals"}, {"values", {name}}}})}},
            200)["value"];
    }

    Json WaitForWindows(const std::string& name, size_t succeeded) {
        Json runs;
        for (int i = 0; i < 1000; ++i) {  // bounded: 10 s
            runs = TriggerRuns(name);
            size_t n = 0;
            for (const auto& r : runs) n += r["status"] == "Succeeded";
            if (n >= succeeded) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return runs;
    }

    TempDir dir_;
    std::unique_ptr<app::Daemon> daemon_;
};

TEST_F(TriggerApiTest, DefinitionErrorsNameTheField) {
    Json bad = Tumbling("2024-01-01T00:00:00Z", {{"maxConcurrency", 51}});
    auto e = Send("PUT", "triggers/TW", bad, 400);
    EXPECT_EQ(e["error"]["target"], "properties.typeProperties.maxConcurrency") << e;
    bad = Tumbling("2024-01-01T00:00:00Z", {{"frequency", "Day"}});
    e = Send("PUT", "triggers/TW", bad, 400);
    EXPECT_EQ(e["error"]["target"], "properties.typeProperties.frequency") << e;
    bad = Tumbling("2024-01-01T00:00:00Z",
                   {{"dependsOn", Json::array({{{"type", "SelfDependencyTumblingWindowTriggerReference"},
                                                {"offset", "01:00:00"}}})}});
    e = Send("PUT", "triggers/TW", bad, 400);
    EXPECT_EQ(e["error"]["target"], "properties.typeProperties.dependsOn[0].offset") << e;
    bad = Tumbling("2024-01-01T00:00:00Z",
                   {{"dependsOn", Json::array({{{"type", "TumblingWindowTriggerDependencyReference"},
                                                {"referenceTrigger", {{"referenceName", "Nope"}}}}})}});
    e = Send("PUT", "triggers/TW", bad, 400);
    EXPECT_EQ(e["error"]["target"], "properties.typeProperties.dependsOn[0].referenceTrigger.referenceName")
        << e;
    Json sched = {{"properties",
                   {{"type", "ScheduleTrigger"},
                    {"typeProperties",
                     {{"recurrence",
                       {{"frequency", "Day"},
                        {"startTime", "2024-01-01T02:30:00"},
                        {"timeZone", "Mars Standard Time"}}}}},
                    {"pipelines", Json::array({{{"pipelineReference", {{"referenceName", "PL"}}}}})}}}};
    e = Send("PUT", "triggers/S", sched, 400);
    EXPECT_EQ(e["error"]["target"], "properties.typeProperties.recurrence.timeZone") << e;
    EXPECT_EQ(Send("GET", "triggers", nullptr, 200)["value"].size(), 0u) << "nothing stored";
}

TEST_F(TriggerApiTest, StartStopRuntimeStateAndTheStartedTriggerRule) {
    // A window each hour from the next hour on: nothing runs during the test.
    auto next_hour =
        std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) + std::chrono::hours(1);
    auto put = Send("PUT", "triggers/TW", Tumbling(FormatTimestamp(next_hour)), 200);
    EXPECT_EQ(put["properties"]["runtimeState"], "Stopped") << "runtimeState in a PUT body is ignored";
    EXPECT_EQ(Send("GET", "triggers/tw", nullptr, 200)["properties"]["runtimeState"], "Stopped");
    Send("POST", "triggers/TW/start", Json::object(), 200);
    EXPECT_EQ(Send("GET", "triggers/TW", nullptr, 200)["properties"]["runtimeState"], "Started");
    EXPECT_EQ(Send("GET", "triggers", nullptr, 200)["value"][0]["properties"]["runtimeState"], "Started");
    auto refused = Send("PUT", "triggers/TW", Tumbling(FormatTimestamp(next_hour)), 400);
    EXPECT_EQ(refused["error"]["code"], "TriggerEnabledCannotUpdate");
    refused = Send("DELETE", "triggers/TW", nullptr, 400);
    EXPECT_EQ(refused["error"]["code"], "TriggerEnabledCannotUpdate");
    Send("POST", "triggers/TW/stop", Json::object(), 200);
    Send("PUT", "triggers/TW", Tumbling(FormatTimestamp(next_hour), {{"maxConcurrency", 2}}), 200);
    Send("DELETE", "triggers/TW", nullptr, 200);
    Send("POST", "triggers/TW/start", Json::object(), 404);
    Send("POST", "triggers/Nope/stop", Json::object(), 404);
}

TEST_F(TriggerApiTest, TumblingWindowsBackfillThroughTheEngineAndRerun) {
    auto three_hours_ago =
        std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) - std::chrono::hours(3);
    Send("PUT", "triggers/TW",
         Tumbling(FormatTimestamp(three_hours_ago),
                  {{"endTime", FormatTimestamp(three_hours_ago + std::chrono::hours(3))}}),
         200);
    Send("POST", "triggers/TW/start", Json::object(), 200);
    Json runs = WaitForWindows("TW", 3);
    ASSERT_EQ(runs.size(), 3u) << runs.dump(1);
    for (size_t i = 0; i < runs.size(); ++i) {
        const Json& r = runs[i];
        EXPECT_EQ(r["status"], "Succeeded") << r;
        EXPECT_EQ(r["triggerType"], "TumblingWindowTrigger");
        EXPECT_EQ(r["properties"]["WindowState"], "Succeeded");
        const std::string ws = FormatTimestamp(three_hours_ago + std::chrono::hours(i));
        EXPECT_EQ(r["properties"]["WindowStartTime"], ws);
        const std::string run_id = r["triggeredPipelines"]["PL"];
        auto run = Send("GET", "pipelineruns/" + run_id, nullptr, 200);
        EXPECT_EQ(run["parameters"]["windowStart"], ws) << run;
        EXPECT_EQ(run["invokedBy"]["invokedByType"], "TumblingWindowTrigger");
        EXPECT_EQ(run["invokedBy"]["id"], r["triggerRunId"]);
    }
    // Rerun the middle window: a second pipeline run for it, the others untouched.
    const std::string first_run = runs[1]["triggeredPipelines"]["PL"];
    Send("POST", "triggers/TW/triggerRuns/" + runs[1]["triggerRunId"].get<std::string>() + "/rerun",
         Json::object(), 200);
    Json after;
    for (int i = 0; i < 1000; ++i) {
        after = TriggerRuns("TW");
        if (after[1]["status"] == "Succeeded" && after[1]["triggeredPipelines"]["PL"] != first_run) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_NE(after[1]["triggeredPipelines"]["PL"], first_run) << after.dump(1);
    EXPECT_EQ(after[1]["status"], "Succeeded");
    EXPECT_EQ(after[0]["triggeredPipelines"], runs[0]["triggeredPipelines"]);
    auto status_filter = Send(
        "POST", "queryTriggerRuns",
        {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
         {"lastUpdatedBefore", "2100-01-01T00:00:00Z"},
         {"filters", Json::array({{{"operand", "Status"}, {"operator", "Equals"}, {"values", {"Failed"}}}})}},
        200);
    EXPECT_EQ(status_filter["value"].size(), 0u);
    Send("POST", "queryTriggerRuns", Json::object(), 400);
    Send("POST", "triggers/TW/triggerRuns/nope/rerun", Json::object(), 404);
    auto not_cancellable =
        Send("POST", "triggers/TW/triggerRuns/" + runs[0]["triggerRunId"].get<std::string>() + "/cancel",
             Json::object(), 400);
    EXPECT_EQ(not_cancellable["error"]["code"], "TriggerRunNotCancellable");

    // Once windows exist, their grid cannot move (ADF's error); endTime can change.
    Send("POST", "triggers/TW/stop", Json::object(), 200);
    auto moved = Send("PUT", "triggers/TW",
                      Tumbling(FormatTimestamp(three_hours_ago + std::chrono::minutes(30))), 400);
    EXPECT_EQ(moved["error"]["code"], "TumblingWindowTriggerStartTimeUpdateNotAllowed") << moved;
    Send("PUT", "triggers/TW",
         Tumbling(FormatTimestamp(three_hours_ago),
                  {{"endTime", FormatTimestamp(three_hours_ago + std::chrono::hours(2))}}),
         200);
}

}  // namespace
}  // namespace adxflow
