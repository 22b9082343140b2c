// Restart recovery: an engine stopped with work in flight, and a new engine started on the same store.
// (The real process being killed with -9 in the middle of a copy is tests/integration/daemon.)

#include <gtest/gtest.h>

#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

Json WaitPipeline(int seconds, Json policy = nullptr) {
    Json a = {{"name", "Nap"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", seconds}}}};
    if (!policy.is_null()) a["policy"] = std::move(policy);
    return {{"activities", Json::array({a})}};
}

EngineOptions NoGrace() {
    EngineOptions o;
    o.shutdown_grace = Millis(0);  // interrupt at once, like a crash
    return o;
}

TEST(EngineRecovery, InterruptedAttemptBecomesDaemonRestartAndRunsAgainWithoutUsingRetries) {
    EngineHarness h(NoGrace());
    auto created = h.Create(WaitPipeline(600, {{"retry", 0}}));
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] {
        auto r = h.Activities(id);
        return r.size() == 1 && r[0].status == "InProgress";
    }));

    h.StopEngine();
    // Stopped mid-attempt: the record stays InProgress in the store (the next start repairs it).
    EXPECT_EQ(h.Activities(id).at(0).status, "InProgress");
    EXPECT_EQ(h.Run(id).status, "InProgress");

    h.StartEngine();
    ASSERT_TRUE(h.WaitFor([&] {
        auto r = h.Activities(id);
        return r.size() == 2 && r[1].status == "InProgress";
    }));
    auto records = h.Activities(id);
    EXPECT_EQ(records[0].status, "Failed");
    EXPECT_EQ(records[0].error.value("errorCode", ""), "DaemonRestart") << records[0].error.dump();
    EXPECT_EQ(records[1].attempt, records[0].attempt + 1);
    EXPECT_EQ(h.Run(id).status, "InProgress");  // the pipeline run never left InProgress

    // retry is 0, yet the re-queued attempt runs to the end: a restart is not the activity's failure.
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(id).status); }, 60s, 12));
    EXPECT_EQ(h.Run(id).status, "Succeeded");
    EXPECT_EQ(h.Activities(id).back().status, "Succeeded");
}

TEST(EngineRecovery, QueuedRunsSurviveARestartAndStartAfterIt) {
    EngineOptions o = NoGrace();
    o.max_concurrent_runs = 1;
    EngineHarness h(o);
    auto first = h.Create(WaitPipeline(30));
    auto second = h.Create(WaitPipeline(0));
    ASSERT_TRUE(first.ok() && second.ok());
    ASSERT_TRUE(h.WaitFor([&] { return h.Run(first->run_id).status == "InProgress"; }));
    EXPECT_EQ(h.Run(second->run_id).status, "Queued");

    h.StopEngine();
    h.StartEngine();
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(second->run_id).status); }, 10s, 10));
    EXPECT_EQ(h.Run(first->run_id).status, "Succeeded");
    EXPECT_EQ(h.Run(second->run_id).status, "Succeeded");
}

TEST(EngineRecovery, GracefulStopLetsShortAttemptsFinish) {
    EngineOptions o;
    o.shutdown_grace = Millis(5000);
    EngineHarness h(o);
    auto created = h.Create(WaitPipeline(5));
    ASSERT_TRUE(created.ok());
    const std::string id = created->run_id;
    ASSERT_TRUE(
        h.WaitFor([&] { return !h.Activities(id).empty() && h.Activities(id)[0].status == "InProgress"; }));
    // The Wait ends on the simulated clock while Stop() drains.
    std::thread advance([&] {
        std::this_thread::sleep_for(100ms);
        h.clock.Advance(5s);
    });
    h.StopEngine();
    advance.join();
    EXPECT_EQ(h.Activities(id).at(0).status, "Succeeded");
    EXPECT_EQ(h.Run(id).status, "Succeeded");
}

TEST(EngineRecovery, CancelRequestedBeforeACrashIsHonouredAfterIt) {
    EngineHarness h(NoGrace());
    auto created = h.Create(WaitPipeline(600));
    ASSERT_TRUE(created.ok());
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] { return h.Run(id).status == "InProgress" && !h.Activities(id).empty(); }));
    h.StopEngine();
    // A cancel that reached the store (the API persists cancel_requested) but not the stopped engine.
    PipelineRun run = h.Run(id);
    run.cancel_requested = true;
    ASSERT_TRUE(h.store->UpdatePipelineRun(run).ok());
    h.StartEngine();
    EXPECT_EQ(h.WaitForEnd(id).status, "Cancelled");
}

}  // namespace
}  // namespace adxflow::engine
