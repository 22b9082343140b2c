// Retry, timeout, cancel, expression errors and run parameters, on simulated time.

#include <gtest/gtest.h>

#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

Json WaitActivity(const std::string& name, Json seconds, Json policy = nullptr) {
    Json a = {
        {"name", name}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", std::move(seconds)}}}};
    if (!policy.is_null()) a["policy"] = std::move(policy);
    return a;
}

Json PipelineOf(std::initializer_list<Json> activities) {
    Json list = Json::array();
    for (const auto& a : activities) list.push_back(a);
    return {{"activities", std::move(list)}};
}

size_t CountStatus(const std::vector<ActivityRun>& records, const std::string& status) {
    size_t n = 0;
    for (const auto& r : records) n += r.status == status;
    return n;
}

TEST(EngineRetry, EveryAttemptIsARecordAndRetriesWaitTheInterval) {
    EngineHarness h;
    auto created = h.Create(
        PipelineOf({WaitActivity("Flaky", "@int('x')", {{"retry", 2}, {"retryIntervalInSeconds", 5}})}));
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    const std::string id = created->run_id;

    // Attempt 0 fails at once; attempt 1 is recorded as Queued and waits for the interval.
    ASSERT_TRUE(h.WaitFor([&] {
        auto r = h.Activities(id);
        return r.size() == 2 && r[0].status == "Failed" && r[1].status == "Queued";
    }));
    h.clock.Advance(4s);
    EXPECT_TRUE(EngineHarness::Holds([&] {
        auto r = h.Activities(id);
        return r.size() == 2 && r[1].status == "Queued";
    })) << "retry started before retryIntervalInSeconds elapsed";
    EXPECT_EQ(h.Run(id).status, "InProgress");

    h.clock.Advance(1s);
    ASSERT_TRUE(h.WaitFor([&] {
        auto r = h.Activities(id);
        return r.size() == 3 && r[1].status == "Failed" && r[2].status == "Queued";
    }));
    h.clock.Advance(5s);
    PipelineRun run = h.WaitForEnd(id);
    EXPECT_EQ(run.status, "Failed");

    auto records = h.Activities(id);
    ASSERT_EQ(records.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(records[i].attempt, i);
        EXPECT_EQ(records[i].status, "Failed");
        EXPECT_EQ(records[i].activity_name, "Flaky");
        ASSERT_TRUE(records[i].start.has_value());
        EXPECT_EQ(*records[i].start, testing::kT0 + std::chrono::seconds(5 * i));
        EXPECT_NE(records[i].activity_run_id, records[(i + 1) % 3].activity_run_id);
    }
    EXPECT_EQ(run.message.rfind("Operation on target Flaky failed: ", 0), 0u) << run.message;
}

TEST(EngineTimeout, AttemptFailsWithActivityTimedOutWhenThePolicyTimeoutPasses) {
    EngineHarness h;
    auto created = h.Create(PipelineOf({WaitActivity("Slow", 60, {{"timeout", "00:00:10"}})}));
    ASSERT_TRUE(created.ok());
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] {
        auto r = h.Activities(id);
        return r.size() == 1 && r[0].status == "InProgress";
    }));
    h.clock.Advance(9s);
    EXPECT_TRUE(EngineHarness::Holds([&] { return h.Activities(id)[0].status == "InProgress"; }))
        << "timed out before policy.timeout";
    h.clock.Advance(1s);
    PipelineRun run = h.WaitForEnd(id);
    EXPECT_EQ(run.status, "Failed");
    auto records = h.Activities(id);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].status, "Failed");
    EXPECT_EQ(records[0].error["errorCode"], "ActivityTimedOut");
    EXPECT_EQ(records[0].error["target"], "Slow");
    ASSERT_TRUE(records[0].end.has_value());
    EXPECT_EQ(*records[0].end, testing::kT0 + 10s);
    EXPECT_NE(run.message.find("Operation on target Slow failed"), std::string::npos) << run.message;
}

TEST(EngineCancel, RunningPipelineGoesCancelingThenCancelledPromptly) {
    EngineHarness h;
    auto created = h.Create(PipelineOf({WaitActivity("Long", 3600), WaitActivity("Later", 1)}));
    ASSERT_TRUE(created.ok());
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] { return CountStatus(h.Activities(id), "InProgress") == 2; }));

    const auto asked = std::chrono::steady_clock::now();
    EXPECT_TRUE(h.engine->Cancel(id));
    PipelineRun run = h.WaitForEnd(id);
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
    EXPECT_EQ(run.status, "Cancelled");
    EXPECT_EQ(h.repo->StatusHistory(id),
              (std::vector<std::string>{"Queued", "InProgress", "Canceling", "Cancelled"}));
    auto records = h.Activities(id);
    ASSERT_EQ(records.size(), 2u);
    for (const auto& r : records) EXPECT_EQ(r.status, "Cancelled") << r.activity_name;
    EXPECT_TRUE(run.run_end.has_value());
}

TEST(EngineCancel, CancelWhileARetryWaitsCancelsTheQueuedAttempt) {
    EngineHarness h;
    auto created = h.Create(
        PipelineOf({WaitActivity("Flaky", "@int('x')", {{"retry", 3}, {"retryIntervalInSeconds", 60}})}));
    ASSERT_TRUE(created.ok());
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] { return h.Activities(id).size() == 2; }));
    h.engine->Cancel(id);
    EXPECT_EQ(h.WaitForEnd(id).status, "Cancelled");
    auto records = h.Activities(id);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].status, "Failed");
    EXPECT_EQ(records[1].status, "Cancelled");
}

TEST(EngineCancel, DependentsOfACancelledActivityNeverStart) {
    EngineHarness h;
    Json next = WaitActivity("Next", 0);
    next["dependsOn"] = Json::array({{{"activity", "Long"}, {"dependencyConditions", {"Completed"}}}});
    auto created = h.Create(PipelineOf({WaitActivity("Long", 3600), next}));
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(h.WaitFor([&] { return CountStatus(h.Activities(created->run_id), "InProgress") == 1; }));
    h.engine->Cancel(created->run_id);
    EXPECT_EQ(h.WaitForEnd(created->run_id).status, "Cancelled");
    EXPECT_TRUE(EngineHarness::Holds([&] { return h.Activities(created->run_id).size() == 1; }));
}

TEST(EngineCancel, QueuedRunIsCancelledBeforeItStarts) {
    EngineOptions o;
    o.max_concurrent_runs = 1;
    EngineHarness h(o);
    auto first = h.Create(PipelineOf({WaitActivity("Long", 3600)}));
    auto second = h.Create(PipelineOf({WaitActivity("Long", 3600)}));
    ASSERT_TRUE(first.ok() && second.ok());
    ASSERT_TRUE(h.WaitFor([&] { return h.Run(first->run_id).status == "InProgress"; }));
    EXPECT_EQ(h.Run(second->run_id).status, "Queued");
    h.engine->Cancel(second->run_id);
    EXPECT_EQ(h.WaitForEnd(second->run_id).status, "Cancelled");
    EXPECT_TRUE(h.Activities(second->run_id).empty());
    EXPECT_EQ(h.Run(first->run_id).status, "InProgress");
}

TEST(EngineExpressions, BadExpressionFailsTheActivityAndNamesIt) {
    EngineHarness h;
    auto created = h.Create(PipelineOf({WaitActivity("Bad", "@add(1, pipeline().parameters.nope)")}));
    ASSERT_TRUE(created.ok());
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Failed");
    auto records = h.Activities(created->run_id);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].status, "Failed");
    const std::string message = records[0].error["message"].get<std::string>();
    EXPECT_NE(message.find("nope"), std::string::npos) << message;
    EXPECT_EQ(records[0].error["target"], "Bad");
    EXPECT_EQ(records[0].error["failureType"], "UserError");
    EXPECT_EQ(run.message, "Operation on target Bad failed: " + message);
}

Json ParameterisedPipeline() {
    Json echo = WaitActivity("Echo", "@pipeline().parameters.seconds");
    echo["typeProperties"]["label"] =
        "@concat(pipeline().parameters.prefix, '-', string(pipeline().parameters.seconds))";
    return {{"parameters",
             {{"prefix", {{"type", "String"}, {"defaultValue", "dflt"}}}, {"seconds", {{"type", "Int"}}}}},
            {"activities", Json::array({echo})}};
}

TEST(EngineParameters, DefaultsAndGivenValuesReachExpressions) {
    EngineHarness h;
    auto with_default = h.Create(ParameterisedPipeline(), {{"seconds", 0}});
    auto given = h.Create(ParameterisedPipeline(), {{"PREFIX", "given"}, {"seconds", "0"}});
    ASSERT_TRUE(with_default.ok()) << with_default.error().Describe();
    ASSERT_TRUE(given.ok()) << given.error().Describe();

    EXPECT_EQ(h.WaitForEnd(with_default->run_id).status, "Succeeded");
    EXPECT_EQ(h.WaitForEnd(given->run_id).status, "Succeeded");
    EXPECT_EQ(h.Run(with_default->run_id).parameters, (Json{{"prefix", "dflt"}, {"seconds", 0}}));
    EXPECT_EQ(h.Run(given->run_id).parameters, (Json{{"prefix", "given"}, {"seconds", 0}}));
    EXPECT_EQ(h.Activities(with_default->run_id).at(0).input["label"], "dflt-0");
    EXPECT_EQ(h.Activities(given->run_id).at(0).input["label"], "given-0");
}

TEST(EngineParameters, UnknownOrMissingParametersAreRefusedAndNothingIsStored) {
    EngineHarness h;
    auto unknown = h.Create(ParameterisedPipeline(), {{"seconds", 0}, {"bogus", 1}});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(unknown.error().Describe().find("bogus"), std::string::npos) << unknown.error().Describe();

    auto missing = h.Create(ParameterisedPipeline(), Json::object());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidInput);

    auto wrong_type = h.Create(ParameterisedPipeline(), {{"seconds", "many"}});
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_EQ(wrong_type.error().kind, ErrorKind::kInvalidInput);

    RunFilter all;
    all.last_updated_before = TimePoint::max();
    auto page = h.store->QueryPipelineRuns(all);
    ASSERT_TRUE(page.ok());
    EXPECT_TRUE(page->runs.empty());
}

}  // namespace
}  // namespace adxflow::engine
