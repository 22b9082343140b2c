// Control activities on the real Engine: the data-driven status rules of tests/cases/engine/control.test,
// then ForEach concurrency (batchCount, isSequential) and a restart in the middle of a ForEach.

#include <gtest/gtest.h>

#include <sstream>

#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

std::vector<std::string> Words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// The last record of each activity name, i.e. its final attempt.
std::map<std::string, ActivityRun> LastRecords(const std::vector<ActivityRun>& records) {
    std::map<std::string, ActivityRun> out;
    for (const auto& r : records) out[r.activity_name] = r;
    return out;
}

TEST(EngineControl, ControlCaseTable) {
    EngineHarness h;
    auto cases =
        adxflow::testing::ReadCases(adxflow::testing::SourceDir() / "tests/cases/engine/control.test");
    ASSERT_FALSE(cases.empty());
    for (const auto& c : cases) {
        const std::string where = c.file + ":" + std::to_string(c.line) + " " + *c.Get("name");
        SCOPED_TRACE(where);
        Json pipeline = Json::parse(*c.Get("pipeline"));
        if (const std::string* others = c.Get("pipelines")) {  // what ExecutePipeline may start
            Json defs = Json::parse(*others);
            for (auto it = defs.begin(); it != defs.end(); ++it)
                h.definitions.PutPipeline(it.key(), it.value());
        }
        auto created = h.Create(pipeline);
        ASSERT_TRUE(created.ok()) << created.error().Describe();
        PipelineRun run = h.WaitForEnd(created->run_id);
        EXPECT_EQ(run.status, *c.Get("status")) << run.message;
        if (const std::string* m = c.Get("message")) {
            EXPECT_NE(run.message.find(*m), std::string::npos) << run.message;
        }
        auto records = h.Activities(run.run_id);
        auto last = LastRecords(records);
        for (const auto& w : Words(*c.Get("expect"))) {
            auto eq = w.find('=');
            std::string name = w.substr(0, eq), expected = w.substr(eq + 1);
            SCOPED_TRACE(name);
            bool inactive = false;
            for (const auto& a : pipeline["activities"])
                if (a["name"] == name && a.value("state", "") == "Inactive") inactive = true;
            if (expected == "Skipped" || inactive) {
                EXPECT_EQ(last.count(name), 0u);
                continue;
            }
            ASSERT_EQ(last.count(name), 1u);
            EXPECT_EQ(last[name].status, expected) << last[name].error.dump();
        }
        if (const std::string* runs = c.Get("runs")) {
            for (const auto& w : Words(*runs)) {
                auto colon = w.find(':'), eq = w.find('=');
                std::string name = w.substr(0, colon), st = w.substr(colon + 1, eq - colon - 1);
                size_t count = 0;
                for (const auto& r : records) count += r.activity_name == name && r.status == st;
                EXPECT_EQ(count, std::stoul(w.substr(eq + 1))) << w;
            }
        }
        if (const std::string* vars = c.Get("variables")) {
            Json expected = Json::parse(*vars);
            const Json* actual = FindMember(run.run_state, "variables");
            ASSERT_NE(actual, nullptr) << run.run_state.dump();
            for (auto it = expected.begin(); it != expected.end(); ++it)
                EXPECT_EQ((*actual)[it.key()], it.value()) << it.key();
        }
        if (const std::string* err = c.Get("error")) {
            auto first = err->find('='), second = err->find('=', first + 1);
            std::string name = err->substr(0, first);
            const Json& e = last[name].error;
            EXPECT_EQ(e.value("errorCode", ""), err->substr(first + 1, second - first - 1)) << e.dump();
            EXPECT_NE(e.value("message", "").find(err->substr(second + 1)), std::string::npos) << e.dump();
            EXPECT_EQ(e.value("target", ""), name);
        }
        if (const std::string* out = c.Get("output")) {
            auto eq = out->find('=');
            EXPECT_EQ(last[out->substr(0, eq)].output, Json::parse(out->substr(eq + 1)));
        }
    }
}

Json ForEachOfWaits(int items, Json extra) {
    Json tp = {{"items", "@range(0, " + std::to_string(items) + ")"},
               {"activities",
                Json::array(
                    {{{"name", "Nap"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 10}}}}})}};
    tp.update(extra);
    return {{"activities", Json::array({{{"name", "Loop"}, {"type", "ForEach"}, {"typeProperties", tp}}})}};
}

size_t CountStatus(const std::vector<ActivityRun>& records, const std::string& name, const std::string& st) {
    size_t n = 0;
    for (const auto& r : records) n += r.activity_name == name && r.status == st;
    return n;
}

// At most batchCount iterations run at once; the rest wait for a slot.
TEST(EngineControl, ForEachRunsAtMostBatchCountIterationsAtOnce) {
    EngineHarness h;
    auto created = h.Create(ForEachOfWaits(7, {{"batchCount", 3}}));
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] { return CountStatus(h.Activities(id), "Nap", "InProgress") == 3; }));
    EXPECT_TRUE(
        EngineHarness::Holds([&] { return CountStatus(h.Activities(id), "Nap", "InProgress") == 3; }));
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(id).status); }, 10s, 20));
    EXPECT_EQ(h.Run(id).status, "Succeeded");
    EXPECT_EQ(CountStatus(h.Activities(id), "Nap", "Succeeded"), 7u);
}

TEST(EngineControl, ForEachSequentialRunsOneIterationAtATimeAndDefaultBatchIs20) {
    EngineHarness h;
    auto seq = h.Create(ForEachOfWaits(3, {{"isSequential", true}, {"batchCount", 10}}));
    auto par = h.Create(ForEachOfWaits(25, Json::object()));
    ASSERT_TRUE(seq.ok() && par.ok());
    ASSERT_TRUE(h.WaitFor([&] { return CountStatus(h.Activities(par->run_id), "Nap", "InProgress") == 20; }));
    EXPECT_TRUE(EngineHarness::Holds([&] {
        return CountStatus(h.Activities(seq->run_id), "Nap", "InProgress") == 1 &&
               CountStatus(h.Activities(par->run_id), "Nap", "InProgress") == 20;
    }));
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(seq->run_id).status); }, 10s, 20));
    EXPECT_EQ(h.Run(seq->run_id).status, "Succeeded");
}

// Cancelling the run stops the iterations in flight, starts no more, and records the ForEach Cancelled.
TEST(EngineControl, CancelInTheMiddleOfAForEachCancelsItsIterations) {
    EngineHarness h;
    auto created = h.Create(ForEachOfWaits(6, {{"batchCount", 2}}));
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] { return CountStatus(h.Activities(id), "Nap", "InProgress") == 2; }));
    h.engine->Cancel(id);
    PipelineRun run = h.WaitForEnd(id);
    EXPECT_EQ(run.status, "Cancelled");
    auto records = h.Activities(id);
    EXPECT_EQ(CountStatus(records, "Nap", "Cancelled"), 2u);
    EXPECT_EQ(records.size(), 3u);  // the ForEach and its two iterations: no third one started
    EXPECT_EQ(LastRecords(records)["Loop"].status, "Cancelled");
}

// Stopped with iterations in flight: after the restart the finished iterations are not run again, the
// interrupted ones are, and the variables the run had set survive.
TEST(EngineControl, RestartInTheMiddleOfAForEachResumesUnfinishedIterations) {
    EngineOptions o;
    o.shutdown_grace = Millis(0);
    EngineHarness h(o);
    Json inner = Json::array(
        {{{"name", "Nap"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", "@item()"}}}},
         {{"name", "Add"},
          {"type", "AppendVariable"},
          {"dependsOn", Json::array({{{"activity", "Nap"}, {"dependencyConditions", {"Succeeded"}}}})},
          {"typeProperties", {{"variableName", "done"}, {"value", "@item()"}}}}});
    Json pipeline = {
        {"variables", {{"done", {{"type", "Array"}, {"defaultValue", Json::array()}}}}},
        {"activities",
         Json::array(
             {{{"name", "Loop"},
               {"type", "ForEach"},
               {"typeProperties",
                {{"items", Json::array({0, 0, 600, 600})}, {"batchCount", 4}, {"activities", inner}}}}})}};
    auto created = h.Create(pipeline);
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    const std::string id = created->run_id;
    ASSERT_TRUE(h.WaitFor([&] {
        auto r = h.Activities(id);
        return CountStatus(r, "Add", "Succeeded") == 2 && CountStatus(r, "Nap", "InProgress") == 2;
    }));
    h.StopEngine();
    h.StartEngine();
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(id).status); }, 120s, 20));
    PipelineRun run = h.Run(id);
    EXPECT_EQ(run.status, "Succeeded") << run.message;
    auto records = h.Activities(id);
    EXPECT_EQ(CountStatus(records, "Add", "Succeeded"), 4u);  // the two finished iterations ran once
    EXPECT_EQ(CountStatus(records, "Nap", "Succeeded"), 4u);
    size_t restarted = 0;
    for (const auto& r : records)
        restarted += r.error.is_object() && r.error.value("errorCode", "") == "DaemonRestart";
    EXPECT_EQ(restarted, 3u);  // the two interrupted Naps and the ForEach's own attempt
    EXPECT_EQ(run.run_state["variables"]["done"], Json::array({0, 0, 600, 600}));
    EXPECT_EQ(LastRecords(records)["Loop"].status, "Succeeded");
}

// Until's timeout (adf-semantics §5.5): a condition that never holds ends with ActivityTimedOut once the
// timeout passed on the engine's clock, the pass in flight cancelled.
TEST(EngineControl, UntilTimesOut) {
    EngineHarness h;
    Json pipeline = {
        {"activities",
         Json::array(
             {{{"name", "Poll"},
               {"type", "Until"},
               {"typeProperties",
                {{"expression", "@equals(1, 2)"},
                 {"timeout", "0.00:02:00"},
                 {"activities", Json::array({{{"name", "Nap"},
                                              {"type", "Wait"},
                                              {"typeProperties", {{"waitTimeInSeconds", 50}}}}})}}}}})}};
    auto created = h.Create(pipeline);
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    const std::string id = created->run_id;
    ASSERT_TRUE(h.AdvanceUntil([&] { return IsTerminalRunStatus(h.Run(id).status); }, 30s, 30));
    PipelineRun run = h.Run(id);
    EXPECT_EQ(run.status, "Failed");
    auto last = LastRecords(h.Activities(id));
    EXPECT_EQ(last["Poll"].status, "Failed");
    EXPECT_EQ(last["Poll"].error.value("errorCode", ""), "ActivityTimedOut") << last["Poll"].error.dump();
    EXPECT_GE(CountStatus(h.Activities(id), "Nap", "Succeeded"), 1u);  // passes ran until the timeout
    // Ended at the timeout, not after another whole pass: 120 s plus at most one 30 s clock step.
    ASSERT_TRUE(run.run_start && run.run_end);
    EXPECT_LE(*run.run_end - *run.run_start, std::chrono::seconds(150));
}

// ADF's limit: a ForEach iterates at most 100,000 items; more fails the ForEach before any iteration.
TEST(EngineControl, ForEachOverMoreThan100000ItemsFails) {
    EngineHarness h;
    Json items = Json::array();
    for (int i = 0; i <= 100000; ++i) items.push_back(i);
    Json pipeline = {
        {"activities",
         Json::array(
             {{{"name", "Loop"},
               {"type", "ForEach"},
               {"typeProperties",
                {{"items", items},
                 {"activities", Json::array({{{"name", "W"},
                                              {"type", "Wait"},
                                              {"typeProperties", {{"waitTimeInSeconds", 0}}}}})}}}}})}};
    auto created = h.Create(pipeline);
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Failed");
    EXPECT_NE(run.message.find("a ForEach iterates at most 100000"), std::string::npos) << run.message;
    EXPECT_EQ(h.Activities(run.run_id).size(), 1u);  // the ForEach alone
}

}  // namespace
}  // namespace adxflow::engine
