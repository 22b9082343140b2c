// The dependency table again, end to end: each case becomes a pipeline of Wait activities (a failing one
// fails on a bad expression) run by the real Engine; statuses come back from the Store.

#include <gtest/gtest.h>

#include "tests/unit/engine/dependency_cases.hpp"
#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using testing::EngineHarness;

TEST(EngineDependencies, DependencyTableEndToEnd) {
    EngineHarness h;
    for (const auto& c : testing::LoadDependencyCases()) {
        SCOPED_TRACE(c.where);
        auto created = h.Create(testing::PipelineForCase(c));
        ASSERT_TRUE(created.ok()) << created.error().Describe();
        PipelineRun run = h.WaitForEnd(created->run_id);
        EXPECT_EQ(run.status, c.pipeline);
        for (const auto& name : c.blame) {
            EXPECT_NE(run.message.find("Operation on target " + name + " failed: "), std::string::npos)
                << run.message;
        }
        if (c.blame.empty()) {
            EXPECT_EQ(run.message, "");
        }

        // Executed activities have exactly one record with their final status; skipped and inactive ones
        // were never executed and have none.
        auto records = h.Activities(run.run_id);
        for (const auto& a : c.activities) {
            SCOPED_TRACE(a.name);
            std::vector<ActivityRun> mine;
            for (const auto& r : records)
                if (r.activity_name == a.name) mine.push_back(r);
            const std::string& expected = c.expected.at(a.name);
            if (a.inactive_mark || expected == "Skipped") {
                EXPECT_TRUE(mine.empty());
                continue;
            }
            ASSERT_EQ(mine.size(), 1u);
            EXPECT_EQ(mine[0].status, expected);
            EXPECT_EQ(mine[0].activity_type, "Wait");
            EXPECT_EQ(mine[0].error["target"], a.name);
            if (expected == "Failed")
                EXPECT_NE(mine[0].error["message"].get<std::string>(), "");
            else
                EXPECT_EQ(mine[0].error["errorCode"], "");
        }
    }
}

}  // namespace
}  // namespace adxflow::engine
