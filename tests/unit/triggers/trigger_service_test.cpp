// The trigger scheduler on a simulated clock, with the real SQLite stores: tumbling-window backfill in
// order within maxConcurrency, exactly-once across a restart (including a run created just before a
// crash), retries, self-dependency, rerun; schedule triggers fire at their occurrence and discard the ones
// missed while the daemon was down. Pipeline runs are recorded by a small host instead of the engine (the
// daemon-level test in tests/integration/daemon runs them for real).

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/triggers/trigger_service.hpp"
#include "storage/store.hpp"
#include "storage/trigger_store.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::triggers {
namespace {

namespace ts = engine::trigger_status;

struct Created {
    std::string pipeline;
    Json parameters;
    Json invoked_by;
    std::string run_id;
};

class TriggerServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::make_unique<adxflow::testing::TempDir>();
        auto store = storage::Store::Open(dir_->path() / "adxflow.db");
        ASSERT_TRUE(store.ok()) << store.error().Describe();
        store_ = std::move(*store);
        auto triggers = storage::TriggerStore::Open(dir_->path() / "adxflow.db");
        ASSERT_TRUE(triggers.ok()) << triggers.error().Describe();
        triggers_ = std::move(*triggers);
    }

    // A fresh service over the same database, as after a daemon restart.
    std::unique_ptr<TriggerService> NewService() {
        TriggerHost host;
        host.get_trigger = [this](const std::string& name) -> Result<std::optional<Json>> {
            auto it = defs_.find(ToLower(name));
            if (it == defs_.end()) return std::optional<Json>();
            return std::optional<Json>(it->second);
        };
        host.create_run = [this](const std::string& pipeline, const Json& params,
                                 const Json& invoked_by) -> Result<std::string> {
            // A real pipeline run row, so that recovery can find runs by invokedBy.
            engine::PipelineRun run;
            run.run_id = NewUuid();
            run.run_group_id = run.run_id;
            run.pipeline_name = pipeline;
            run.parameters = params;
            run.invoked_by = invoked_by;
            run.last_updated = clock_.Now();
            ADXFLOW_TRY(store_->InsertPipelineRun(run));
            created_.push_back({pipeline, params, invoked_by, run.run_id});
            status_[run.run_id] = {"InProgress", ""};
            return run.run_id;
        };
        host.run_status =
            [this](const std::string& run_id) -> Result<std::optional<std::pair<std::string, std::string>>> {
            auto it = status_.find(run_id);
            if (it == status_.end()) return std::optional<std::pair<std::string, std::string>>();
            return std::optional<std::pair<std::string, std::string>>(it->second);
        };
        auto service = std::make_unique<TriggerService>(clock_, *triggers_, host);
        EXPECT_TRUE(service->Start(/*thread=*/false).ok());
        return service;
    }

    void Define(const std::string& name, Json properties) {
        defs_[ToLower(name)] = Json{{"name", name}, {"properties", std::move(properties)}};
    }

    static Json Hourly(const std::string& start, int max_concurrency, Json extra = Json::object()) {
        Json tp = {{"frequency", "Hour"},
                   {"interval", 1},
                   {"startTime", start},
                   {"maxConcurrency", max_concurrency}};
        tp.update(extra);
        return {{"type", "TumblingWindowTrigger"},
                {"typeProperties", tp},
                {"pipeline",
                 {{"pipelineReference", {{"referenceName", "PL"}, {"type", "PipelineReference"}}},
                  {"parameters",
                   {{"start", "@trigger().outputs.windowStartTime"},
                    {"end", "@trigger().outputs.windowEndTime"},
                    {"by", "@trigger().name"}}}}}};
    }

    void Finish(TriggerService& s, const std::string& run_id, const std::string& status) {
        status_[run_id] = {status, status == "Succeeded" ? "" : "boom"};
        s.OnRunFinished(run_id, status, status == "Succeeded" ? "" : "boom");
    }

    std::vector<engine::TriggerRun> Windows(const std::string& name) {
        auto w = triggers_->WindowsBetween(name, TimePoint{}, *ParseTimestamp("2100-01-01T00:00:00Z"));
        EXPECT_TRUE(w.ok());
        return w.ok() ? *w : std::vector<engine::TriggerRun>{};
    }

    std::unique_ptr<adxflow::testing::TempDir> dir_;
    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<storage::TriggerStore> triggers_;
    SimulatedClock clock_{*ParseTimestamp("2024-05-01T05:30:00Z")};
    std::map<std::string, Json> defs_;
    std::vector<Created> created_;
    std::map<std::string, std::pair<std::string, std::string>> status_;
};

TEST_F(TriggerServiceTest, TumblingWindowsBackfillOldestFirstWithinMaxConcurrency) {
    Define("TW", Hourly("2024-05-01T00:00:00Z", 2));
    auto s = NewService();
    EXPECT_EQ(*s->RuntimeState("tw"), "Stopped");
    s->Tick();
    EXPECT_TRUE(created_.empty()) << "a stopped trigger creates no windows";
    ASSERT_TRUE(s->StartTrigger("tw").ok());
    EXPECT_EQ(*s->RuntimeState("TW"), "Started");
    TimePoint next = s->Tick();
    EXPECT_EQ(FormatTimestamp(next), "2024-05-01T06:00:00.0000000Z") << "the next window ends at 06:00";
    ASSERT_EQ(Windows("TW").size(), 5u) << "00:00 .. 05:00 have ended";
    ASSERT_EQ(created_.size(), 2u) << "maxConcurrency 2";
    EXPECT_EQ(created_[0].parameters["start"], "2024-05-01T00:00:00.0000000Z");
    EXPECT_EQ(created_[0].parameters["end"], "2024-05-01T01:00:00.0000000Z");
    EXPECT_EQ(created_[0].parameters["by"], "TW");
    EXPECT_EQ(created_[1].parameters["start"], "2024-05-01T01:00:00.0000000Z");
    EXPECT_EQ(created_[0].invoked_by["invokedByType"], "TumblingWindowTrigger");
    EXPECT_EQ(created_[0].invoked_by["name"], "TW");
    s->Tick();
    EXPECT_EQ(created_.size(), 2u) << "nothing starts until a run finishes";
    Finish(*s, created_[1].run_id, "Succeeded");
    s->Tick();
    ASSERT_EQ(created_.size(), 3u);
    EXPECT_EQ(created_[2].parameters["start"], "2024-05-01T02:00:00.0000000Z");
    for (int i = 0; i < 5; ++i) {
        for (const auto& c : std::vector<Created>(created_)) Finish(*s, c.run_id, "Succeeded");
        s->Tick();
    }
    ASSERT_EQ(created_.size(), 5u);
    for (size_t i = 0; i < created_.size(); ++i)
        EXPECT_EQ(created_[i].parameters["start"],
                  FormatTimestamp(*ParseTimestamp("2024-05-01T00:00:00Z") + std::chrono::hours(i)));
    for (const auto& w : Windows("TW")) EXPECT_EQ(w.status, ts::kSucceeded);
    clock_.Advance(std::chrono::hours(1));
    s->Tick();
    ASSERT_EQ(created_.size(), 6u) << "the 05:00 window once it ended";
}

TEST_F(TriggerServiceTest, NoWindowRunsTwiceAcrossRestarts) {
    Define("TW", Hourly("2024-05-01T00:00:00Z", 3));
    {
        auto s = NewService();
        ASSERT_TRUE(s->StartTrigger("TW").ok());
        s->Tick();
        ASSERT_EQ(created_.size(), 3u);
        Finish(*s, created_[0].run_id, "Succeeded");
        // The daemon dies before the scheduler saw that run finish, while two others still run.
    }
    // A window marked Running whose run was created just before a crash (the run id was never recorded).
    auto windows = Windows("TW");
    ASSERT_EQ(windows.size(), 5u);
    engine::TriggerRun crashed = windows[3];
    crashed.status = ts::kRunning;
    crashed.attempt = 1;
    ASSERT_TRUE(triggers_->UpdateTriggerRun(crashed).ok());
    engine::PipelineRun orphan;
    orphan.run_id = NewUuid();
    orphan.run_group_id = orphan.run_id;
    orphan.pipeline_name = "PL";
    orphan.invoked_by = {
        {"name", "TW"}, {"id", crashed.trigger_run_id}, {"invokedByType", "TumblingWindowTrigger"}};
    ASSERT_TRUE(store_->InsertPipelineRun(orphan).ok());
    status_[orphan.run_id] = {"InProgress", ""};

    auto s = NewService();  // recovery
    auto recovered = triggers_->GetTriggerRun(crashed.trigger_run_id);
    ASSERT_TRUE(recovered.ok() && *recovered);
    EXPECT_EQ((*recovered)->run_id, orphan.run_id) << "found through invokedBy.id";
    EXPECT_EQ(Windows("TW")[0].status, ts::kSucceeded) << "settled from the run's stored status";
    s->Tick();
    EXPECT_EQ(created_.size(), 3u) << "3 running (two from before, the orphan): none started again";
    Finish(*s, created_[1].run_id, "Succeeded");
    Finish(*s, created_[2].run_id, "Succeeded");
    Finish(*s, orphan.run_id, "Succeeded");
    s->Tick();
    ASSERT_EQ(created_.size(), 4u);
    EXPECT_EQ(created_[3].parameters["start"], "2024-05-01T04:00:00.0000000Z");
    std::set<std::string> starts;
    for (const auto& c : created_)
        EXPECT_TRUE(starts.insert(c.parameters["start"]).second) << "twice: " << c.parameters;
}

TEST_F(TriggerServiceTest, FailedWindowIsRetriedAfterItsInterval) {
    Define("TW",
           Hourly("2024-05-01T04:00:00Z", 1, {{"retryPolicy", {{"count", 1}, {"intervalInSeconds", 60}}}}));
    auto s = NewService();
    ASSERT_TRUE(s->StartTrigger("TW").ok());
    s->Tick();
    ASSERT_EQ(created_.size(), 1u);
    Finish(*s, created_[0].run_id, "Failed");
    TimePoint next = s->Tick();
    EXPECT_EQ(created_.size(), 1u) << "waits for the retry interval";
    EXPECT_EQ(next, clock_.Now() + std::chrono::seconds(60));
    clock_.Advance(std::chrono::seconds(60));
    s->Tick();
    ASSERT_EQ(created_.size(), 2u);
    EXPECT_EQ(created_[1].parameters["start"], created_[0].parameters["start"]);
    Finish(*s, created_[1].run_id, "Failed");
    clock_.Advance(std::chrono::seconds(61));
    s->Tick();
    EXPECT_EQ(created_.size(), 2u) << "retries exhausted";
    EXPECT_EQ(Windows("TW")[0].status, ts::kFailed);
    EXPECT_EQ(Windows("TW")[0].message, "boom");

    // Rerun of the failed window: it runs again, under the same trigger run.
    auto rerun = s->Rerun("TW", Windows("TW")[0].trigger_run_id);
    ASSERT_TRUE(rerun.ok()) << rerun.error().Describe();
    s->Tick();
    ASSERT_EQ(created_.size(), 3u);
    EXPECT_EQ(created_[2].invoked_by["id"], Windows("TW")[0].trigger_run_id);
    EXPECT_FALSE(s->Rerun("TW", Windows("TW")[0].trigger_run_id).ok()) << "a running window cannot be rerun";
}

TEST_F(TriggerServiceTest, CancelAWaitingAndARunningWindow) {
    Define("TW", Hourly("2024-05-01T03:00:00Z", 1));
    auto s = NewService();
    ASSERT_TRUE(s->StartTrigger("TW").ok());
    s->Tick();
    ASSERT_EQ(created_.size(), 1u);
    auto windows = Windows("TW");
    ASSERT_EQ(windows.size(), 2u);
    // The running 03:00 window: cancelled, its run's later end does not change it.
    ASSERT_TRUE(s->Cancel("TW", windows[0].trigger_run_id).ok());
    Finish(*s, created_[0].run_id, "Cancelled");
    s->Tick();
    EXPECT_EQ(Windows("TW")[0].status, ts::kCancelled);
    ASSERT_EQ(created_.size(), 2u) << "the slot went to the 04:00 window";
    EXPECT_FALSE(s->Cancel("TW", windows[0].trigger_run_id).ok()) << "already finished";
    // A window still waiting is cancelled without ever running.
    clock_.Advance(std::chrono::hours(1));
    s->Tick();
    auto w = Windows("TW");
    ASSERT_EQ(w.size(), 3u);
    ASSERT_TRUE(s->Cancel("TW", w[2].trigger_run_id).ok());
    Finish(*s, created_[1].run_id, "Succeeded");
    s->Tick();
    EXPECT_EQ(created_.size(), 2u) << "the cancelled 05:00 window does not run";
    EXPECT_EQ(Windows("TW")[2].status, ts::kCancelled);
    // A cancelled window can be rerun.
    ASSERT_TRUE(s->Rerun("TW", w[2].trigger_run_id).ok());
    s->Tick();
    EXPECT_EQ(created_.size(), 3u);
}

TEST_F(TriggerServiceTest, ARecreatedTriggerStartsAfresh) {
    Define("TW", Hourly("2024-05-01T03:00:00Z", 5));
    auto s = NewService();
    ASSERT_TRUE(s->StartTrigger("TW").ok());
    s->Tick();
    ASSERT_EQ(Windows("TW").size(), 2u);
    ASSERT_TRUE(s->StopTrigger("TW").ok());
    ASSERT_TRUE(s->ForgetTrigger("TW").ok());
    EXPECT_TRUE(Windows("TW").empty());
    Define("TW", Hourly("2024-05-01T04:30:00Z", 5));
    ASSERT_TRUE(s->StartTrigger("TW").ok());
    s->Tick();
    auto w = Windows("TW");
    ASSERT_EQ(w.size(), 1u) << "only the new trigger's 04:30-05:30 window (it ends at now, 05:30)";
    EXPECT_EQ(FormatTimestamp(w[0].scheduled_time), "2024-05-01T04:30:00.0000000Z");
}

TEST_F(TriggerServiceTest, SelfDependencyWaitsForThePreviousWindow) {
    Define("TW", Hourly("2024-05-01T02:00:00Z", 5,
                        {{"dependsOn", Json::array({{{"type", "SelfDependencyTumblingWindowTriggerReference"},
                                                     {"offset", "-01:00:00"},
                                                     {"size", "01:00:00"}}})}}));
    auto s = NewService();
    ASSERT_TRUE(s->StartTrigger("TW").ok());
    s->Tick();
    ASSERT_EQ(created_.size(), 1u)
        << "02:00 has no earlier window; 03:00 and 04:00 wait on their predecessor";
    EXPECT_EQ(Windows("TW")[1].status, ts::kWaitingOnDependency);
    Finish(*s, created_[0].run_id, "Succeeded");
    s->Tick();
    ASSERT_EQ(created_.size(), 2u);
    EXPECT_EQ(created_[1].parameters["start"], "2024-05-01T03:00:00.0000000Z");
}

TEST_F(TriggerServiceTest, OtherTriggerDependency) {
    Define("UP", Hourly("2024-05-01T03:00:00Z", 5));
    Define("DOWN", Hourly("2024-05-01T03:00:00Z", 5,
                          {{"dependsOn", Json::array({{{"type", "TumblingWindowTriggerDependencyReference"},
                                                       {"referenceTrigger", {{"referenceName", "UP"}}}}})}}));
    auto s = NewService();
    ASSERT_TRUE(s->StartTrigger("DOWN").ok());
    s->Tick();
    EXPECT_TRUE(created_.empty()) << "UP has no window yet";
    ASSERT_TRUE(s->StartTrigger("UP").ok());
    s->Tick();
    ASSERT_EQ(created_.size(), 2u) << "UP's two windows";
    Finish(*s, created_[0].run_id, "Succeeded");
    s->Tick();
    ASSERT_EQ(created_.size(), 3u);
    EXPECT_EQ(created_[2].invoked_by["name"], "DOWN");
    EXPECT_EQ(created_[2].parameters["start"], "2024-05-01T03:00:00.0000000Z");
}

TEST_F(TriggerServiceTest, ScheduleFiresAtOccurrencesAndDiscardsMissedOnes) {
    Define("SCH", {{"type", "ScheduleTrigger"},
                   {"typeProperties",
                    {{"recurrence",
                      {{"frequency", "Day"},
                       {"interval", 1},
                       {"startTime", "2024-03-08T02:30:00"},
                       {"timeZone", "Pacific Standard Time"}}}}},
                   {"pipelines", Json::array({{{"pipelineReference", {{"referenceName", "PL"}}},
                                               {"parameters",
                                                {{"at", "@trigger().scheduledTime"},
                                                 {"fired", "@trigger().startTime"},
                                                 {"name", "@trigger().name"}}}}})}});
    clock_.Set(*ParseTimestamp("2024-03-09T12:00:00Z"));
    auto s = NewService();
    ASSERT_TRUE(s->StartTrigger("SCH").ok());
    TimePoint next = s->Tick();
    EXPECT_TRUE(created_.empty()) << "the past occurrences are not backfilled";
    EXPECT_EQ(FormatTimestamp(next), "2024-03-10T10:30:00.0000000Z") << "02:30 PST (the gap) = 03:30 PDT";
    clock_.Set(next + std::chrono::milliseconds(3));
    s->Tick();
    ASSERT_EQ(created_.size(), 1u);
    EXPECT_EQ(created_[0].parameters["at"], "2024-03-10T10:30:00.0000000Z");
    EXPECT_EQ(created_[0].parameters["fired"], "2024-03-10T10:30:00.0030000Z");
    EXPECT_EQ(created_[0].parameters["name"], "SCH");
    EXPECT_EQ(created_[0].invoked_by["invokedByType"], "ScheduleTrigger");
    s->Tick();
    EXPECT_EQ(created_.size(), 1u) << "fired once";
    s.reset();
    // Down for three days: the daemon comes back at 2024-03-14T00:00Z and fires at the next occurrence.
    clock_.Set(*ParseTimestamp("2024-03-14T00:00:00Z"));
    s = NewService();
    next = s->Tick();
    EXPECT_EQ(created_.size(), 1u);
    EXPECT_EQ(FormatTimestamp(next), "2024-03-14T09:30:00.0000000Z");
    clock_.Set(next);
    s->Tick();
    ASSERT_EQ(created_.size(), 2u);
    EXPECT_EQ(created_[1].parameters["at"], "2024-03-14T09:30:00.0000000Z");
    auto runs = triggers_->QueryTriggerRuns({});
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), 2u);
    EXPECT_EQ((*runs)[0].status, ts::kSucceeded);
    EXPECT_EQ((*runs)[0].triggered_pipelines["PL"], created_[0].run_id);
    ASSERT_TRUE(s->StopTrigger("SCH").ok());
    clock_.Advance(std::chrono::hours(48));
    s->Tick();
    EXPECT_EQ(created_.size(), 2u) << "a stopped trigger does not fire";
}

// The acceptance's DST check through the scheduler itself: a daily 02:30 and an hourly trigger in Pacific
// time, the simulated clock walked across both 2024 changes; every fire's scheduledTime is the exact instant.
TEST_F(TriggerServiceTest, ScheduleAcrossBothDstChangesInPacificTime) {
    auto schedule = [](const std::string& frequency, const std::string& start) {
        return Json{{"type", "ScheduleTrigger"},
                    {"typeProperties",
                     {{"recurrence",
                       {{"frequency", frequency},
                        {"interval", 1},
                        {"startTime", start},
                        {"timeZone", "Pacific Standard Time"}}}}},
                    {"pipelines",
                     Json::array({{{"pipelineReference", {{"referenceName", "PL"}}},
                                   {"parameters",
                                    {{"at", "@trigger().scheduledTime"}, {"name", "@trigger().name"}}}}})}};
    };
    Define("DAILY", schedule("Day", "2024-01-01T02:30:00"));
    Define("HOURLY", schedule("Hour", "2024-01-01T00:30:00"));
    auto fires = [&](TimePoint from, TimePoint to) {
        created_.clear();
        clock_.Set(from);
        auto s = NewService();
        EXPECT_TRUE(s->StartTrigger("DAILY").ok());
        EXPECT_TRUE(s->StartTrigger("HOURLY").ok());
        for (TimePoint next = s->Tick(); next <= to; next = s->Tick()) clock_.Set(next);
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& c : created_) out[c.parameters["name"]].push_back(c.parameters["at"]);
        return out;
    };
    auto utc = [](std::initializer_list<const char*> list) {
        std::vector<std::string> out;
        for (const char* t : list) out.push_back(FormatTimestamp(*ParseTimestamp(t)));
        return out;
    };
    // Spring: 10 March 02:00 PST -> 03:00 PDT.
    auto spring = fires(*ParseTimestamp("2024-03-09T09:00:00Z"), *ParseTimestamp("2024-03-11T12:00:00Z"));
    EXPECT_EQ(spring["DAILY"], utc({"2024-03-09T10:30:00Z", "2024-03-10T10:30:00Z", "2024-03-11T09:30:00Z"}));
    ASSERT_EQ(spring["HOURLY"].size(), 51u) << "every hour, no gap and no repeat";
    for (size_t i = 1; i < spring["HOURLY"].size(); ++i)
        EXPECT_EQ(*ParseTimestamp(spring["HOURLY"][i]) - *ParseTimestamp(spring["HOURLY"][i - 1]),
                  std::chrono::hours(1));
    EXPECT_EQ(spring["HOURLY"].front(), FormatTimestamp(*ParseTimestamp("2024-03-09T09:30:00Z")));
    // Autumn: 3 November 02:00 PDT -> 01:00 PST.
    auto autumn = fires(*ParseTimestamp("2024-11-02T09:00:00Z"), *ParseTimestamp("2024-11-04T12:00:00Z"));
    EXPECT_EQ(autumn["DAILY"], utc({"2024-11-02T09:30:00Z", "2024-11-03T10:30:00Z", "2024-11-04T10:30:00Z"}));
    ASSERT_EQ(autumn["HOURLY"].size(), 51u);
    for (size_t i = 1; i < autumn["HOURLY"].size(); ++i)
        EXPECT_EQ(*ParseTimestamp(autumn["HOURLY"][i]) - *ParseTimestamp(autumn["HOURLY"][i - 1]),
                  std::chrono::hours(1));
}

}  // namespace
}  // namespace adxflow::triggers
