// History retention on a real SQLite file: which runs the pruner deletes (finished and older than the
// cutoff, with their activity runs) and keeps (recent or unfinished), that it goes in small batches, and that
// a writer running meanwhile waits for one batch at most, never for the whole prune. Also the queued-run
// count used by createRun's back-pressure, and that it is served by the partial index.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "core/ids.hpp"
#include "storage/history_pruner.hpp"
#include "storage/sqlite.hpp"
#include "storage/store.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::storage {
namespace {

using namespace std::chrono_literals;
using engine::ActivityRun;
using engine::PipelineRun;

struct Fixture {
    testing::TempDir dir;
    std::unique_ptr<Store> store;
    Fixture() {
        auto opened = Store::Open(dir.path() / "runs.db");
        EXPECT_TRUE(opened.ok()) << opened.error().Describe();
        store = std::move(*opened);
    }
};

// A run of pipeline P last updated `age` ago, with `activities` activity runs.
std::string AddRun(Store& store, const std::string& status, std::chrono::hours age, int activities = 2) {
    PipelineRun run;
    run.run_id = NewUuid();
    run.run_group_id = run.run_id;
    run.pipeline_name = "P";
    run.status = status;
    run.last_updated = std::chrono::system_clock::now() - age;
    EXPECT_TRUE(store.InsertPipelineRun(run).ok());
    for (int i = 0; i < activities; ++i) {
        ActivityRun a;
        a.activity_run_id = NewUuid();
        a.run_id = run.run_id;
        a.pipeline_name = "P";
        a.activity_name = "A" + std::to_string(i);
        a.activity_type = "Wait";
        a.status = status == engine::status::kInProgress ? engine::status::kInProgress : status;
        a.last_updated = run.last_updated;
        EXPECT_TRUE(store.InsertActivityRun(a).ok());
    }
    return run.run_id;
}

bool Exists(Store& store, const std::string& run_id) {
    auto run = store.GetPipelineRun(run_id);
    EXPECT_TRUE(run.ok());
    return run.ok() && run->has_value();
}

constexpr auto kDays100 = std::chrono::hours(24 * 100);
constexpr auto kDays10 = std::chrono::hours(24 * 10);

TEST(History, PrunesFinishedRunsPastTheCutoffWithTheirActivityRunsAndKeepsTheRest) {
    Fixture f;
    Store& s = *f.store;
    const auto old_ok = AddRun(s, "Succeeded", kDays100);
    const auto old_failed = AddRun(s, "Failed", kDays100);
    const auto old_cancelled = AddRun(s, "Cancelled", kDays100);
    const auto old_running = AddRun(s, "InProgress", kDays100);  // a run stuck for 100 days stays
    const auto old_queued = AddRun(s, "Queued", kDays100);
    const auto recent = AddRun(s, "Succeeded", kDays10);

    HistoryPrunerOptions options;
    options.retention = std::chrono::hours(24 * 90);
    options.batch_runs = 2;  // three batches: 2, 1, and the empty check
    std::vector<size_t> batches;
    options.on_pruned = [&](size_t n) { batches.push_back(n); };
    HistoryPruner pruner(s, options);
    auto pruned = pruner.PruneOnce();
    ASSERT_TRUE(pruned.ok()) << pruned.error().Describe();
    EXPECT_EQ(*pruned, 3u);
    EXPECT_EQ(batches, (std::vector<size_t>{2, 1}));

    for (const auto& gone : {old_ok, old_failed, old_cancelled}) {
        EXPECT_FALSE(Exists(s, gone));
        auto acts = s.LoadActivityRuns(gone);
        ASSERT_TRUE(acts.ok());
        EXPECT_TRUE(acts->empty()) << "activity runs of a pruned run are left behind";
    }
    for (const auto& kept : {old_running, old_queued, recent}) {
        EXPECT_TRUE(Exists(s, kept));
        EXPECT_EQ(s.LoadActivityRuns(kept)->size(), 2u);
    }
    // A second pass finds nothing.
    EXPECT_EQ(*pruner.PruneOnce(), 0u);
}

TEST(History, QueuedRunsAreCountedThroughThePartialIndex) {
    Fixture f;
    Store& s = *f.store;
    for (int i = 0; i < 3; ++i) AddRun(s, "Queued", 0h, 0);
    AddRun(s, "InProgress", 0h, 0);
    AddRun(s, "Succeeded", 0h, 0);
    auto queued = s.CountQueuedRuns();
    ASSERT_TRUE(queued.ok());
    EXPECT_EQ(*queued, 3);

    // The plan: the count must not scan the whole history as it grows.
    auto conn = Connection::Open(f.dir.path() / "runs.db");
    ASSERT_TRUE(conn.ok());
    auto plan = conn->Prepare(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM pipeline_runs WHERE status IN ('Queued', 'InProgress', "
        "'Canceling') AND status = 'Queued'");
    ASSERT_TRUE(plan.ok());
    std::string text;
    while (*plan->Step()) text += plan->ColumnText(3) + "\n";
    EXPECT_NE(text.find("pipeline_runs_unfinished"), std::string::npos) << text;
}

// 20,000 expired runs (40,000 activity runs) pruned in the background in batches of 500 while another thread
// keeps inserting runs: every write goes through, and the longest a write waited is a fraction of the whole
// prune (it waited for a batch, not for the prune).
TEST(History, BackgroundPruningDoesNotHoldWritersForTheWholePrune) {
    Fixture f;
    Store& s = *f.store;
    constexpr int kExpired = 20000;
    s.BeginWriteBatch();  // one transaction for the setup
    for (int i = 0; i < kExpired; ++i) AddRun(s, "Succeeded", kDays100);
    ASSERT_TRUE(s.EndWriteBatch().ok());

    std::atomic<size_t> pruned{0};
    HistoryPrunerOptions options;
    options.retention = std::chrono::hours(24 * 90);
    options.batch_runs = 500;
    options.interval = std::chrono::hours(1);  // one pass at start, then idle until Stop
    options.on_pruned = [&](size_t n) { pruned += n; };
    HistoryPruner pruner(s, options);

    std::atomic<bool> done{false};
    std::chrono::nanoseconds longest{0};
    int writes = 0;
    std::thread writer([&] {
        while (!done) {
            const auto t0 = std::chrono::steady_clock::now();
            AddRun(s, "Succeeded", 0h, 1);
            longest = std::max<std::chrono::nanoseconds>(longest, std::chrono::steady_clock::now() - t0);
            ++writes;
            std::this_thread::sleep_for(1ms);
        }
    });
    const auto start = std::chrono::steady_clock::now();
    pruner.Start();
    const auto deadline = start + 240s;
    while (pruned < static_cast<size_t>(kExpired) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    const auto whole = std::chrono::steady_clock::now() - start;
    done = true;
    writer.join();
    pruner.Stop();

    using ms = std::chrono::duration<double, std::milli>;
    spdlog::info("history prune: {} runs in {:.0f} ms; {} concurrent writes, longest {:.1f} ms",
                 pruned.load(), ms(whole).count(), writes, ms(longest).count());
    ASSERT_EQ(pruned.load(), static_cast<size_t>(kExpired));
    EXPECT_GT(writes, 10);
    EXPECT_LT(longest * 4, whole) << "a writer waited " << ms(longest).count() << " ms of a "
                                  << ms(whole).count() << " ms prune";
    auto left = s.QueryPipelineRuns([] {
        engine::RunFilter filter;
        filter.last_updated_before = std::chrono::system_clock::now() + 1h;
        filter.limit = 100000;
        return filter;
    }());
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(left->runs.size(), static_cast<size_t>(writes)) << "only the runs written meanwhile remain";
}

}  // namespace
}  // namespace adxflow::storage
