// queryPipelineRuns paging on a real SQLite file: paging through 250 runs while new runs keep arriving
// (they sort first under the default RunStart DESC) returns every original run exactly once; so does each
// sort order; queued runs (no RunStart) page too; a malformed token is a 400 naming continuationToken.
#include <gtest/gtest.h>

#include <set>

#include "core/ids.hpp"
#include "storage/store.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::storage {
namespace {

using namespace std::chrono_literals;

std::string AddRun(Store& store, TimePoint start, const std::string& status, const std::string& pipeline) {
    engine::PipelineRun run;
    run.run_id = NewUuid();
    run.run_group_id = run.run_id;
    run.pipeline_name = pipeline;
    run.status = status;
    if (status != "Queued") run.run_start = start;
    if (status == "Succeeded") run.run_end = start + 1s;
    run.last_updated = std::chrono::system_clock::now();
    EXPECT_TRUE(store.InsertPipelineRun(run).ok());
    return run.run_id;
}

engine::RunFilter Everything(const std::string& order_by, bool descending) {
    engine::RunFilter f;
    f.last_updated_after = std::chrono::system_clock::now() - 24h;
    f.last_updated_before = std::chrono::system_clock::now() + 24h;
    f.order_by = order_by;
    f.descending = descending;
    f.limit = 40;
    return f;
}

TEST(Paging, NewRunsDuringPagingNeitherRepeatNorHideOthers) {
    testing::TempDir dir;
    auto store = Store::Open(dir.path() / "runs.db");
    ASSERT_TRUE(store.ok());
    Store& s = **store;
    const TimePoint base = std::chrono::system_clock::now() - 1h;
    std::set<std::string> original;
    // Runs sharing a RunStart exercise the sequence tie-break; a few are still Queued (no RunStart).
    for (int i = 0; i < 250; ++i)
        original.insert(AddRun(s, base + std::chrono::seconds(i / 3), i % 25 == 0 ? "Queued" : "Succeeded",
                               "P" + std::to_string(i % 7)));

    for (const auto& [order, descending] : std::vector<std::pair<std::string, bool>>{{"RunStart", true},
                                                                                     {"RunStart", false},
                                                                                     {"RunEnd", true},
                                                                                     {"PipelineName", false},
                                                                                     {"Status", true}}) {
        SCOPED_TRACE(order + (descending ? " DESC" : " ASC"));
        auto filter = Everything(order, descending);
        std::multiset<std::string> seen;
        int pages = 0;
        while (true) {
            auto page = s.QueryPipelineRuns(filter);
            ASSERT_TRUE(page.ok()) << page.error().Describe();
            for (const auto& run : page->runs) seen.insert(run.run_id);
            ++pages;
            if (page->continuation.empty()) break;
            ASSERT_LT(pages, 50);
            filter.continuation = page->continuation;
            // Between pages, three new runs start (they sort before everything under RunStart DESC).
            for (int k = 0; k < 3; ++k) AddRun(s, std::chrono::system_clock::now(), "InProgress", "New");
        }
        size_t originals = 0;
        for (const auto& id : original) {
            EXPECT_EQ(seen.count(id), 1u) << id;
            originals += seen.count(id);
        }
        EXPECT_EQ(originals, original.size());
        for (const auto& id : seen) EXPECT_EQ(seen.count(id), 1u) << "returned twice: " << id;
        EXPECT_GE(pages, 7);
    }
}

TEST(Paging, AMalformedTokenIsABadRequestNamingTheField) {
    testing::TempDir dir;
    auto store = Store::Open(dir.path() / "runs.db");
    ASSERT_TRUE(store.ok());
    for (const std::string token : {"k1.zz.5", "k1.61", "bogus", "k1.61.", "99999999999999999999999"}) {
        auto filter = Everything("RunStart", true);
        filter.continuation = token;
        auto page = (*store)->QueryPipelineRuns(filter);
        ASSERT_FALSE(page.ok()) << token;
        EXPECT_EQ(page.error().target, "continuationToken");
    }
    // An offset token of an older daemon still works.
    auto filter = Everything("RunStart", true);
    filter.continuation = "0";
    EXPECT_TRUE((*store)->QueryPipelineRuns(filter).ok());
}

}  // namespace
}  // namespace adxflow::storage
