// Acceptance of issue 9's tumbling window: a TumblingWindowTrigger over 48 hourly windows of
// Lookup (ADX) -> ForEach -> Copy (ADX -> CSV file), through the real adxflowd against the Kusto emulator,
// on the daemon's test-only accelerated clock (an hour per second). The daemon starts six hours after the
// trigger's startTime (six windows to backfill), is killed with SIGKILL in the middle and started again on
// the same data dir, its clock continuing where it was. Every window must run exactly once, in window
// order, with its own window parameters: the pipeline runs, the trigger runs and the files written say so.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/expr/datetime_format.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "etl-app";
constexpr const char* kAppSecret = "Tw-Sp-Secret-51e0";
constexpr int kWindows = 48;
constexpr int kSpeed = 3600;  // simulated seconds per real second
const char* const kRegions[] = {"east", "west"};

const TimePoint kT0 = *ParseTimestamp("2024-05-01T00:00:00Z");

// Rows of window h for a region: east has 1..3 rows, west 2; ids encode window, region and row.
int RowsOf(int h, int region) {
    return region == 0 ? 1 + h % 3 : 2;
}
long long IdOf(int h, int region, int j) {
    return h * 100LL + region * 10 + j;
}

std::string Compact(TimePoint t) {
    auto c = expr::ToCivil(t);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d", c.year, c.month, c.day, c.hour);
    return buf;
}

class TumblingWindowTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto emulator =
            EmulatorProcess::StartWithAdminPrincipal(work_.path(), "Sales", kTenant, kAppId, kAppSecret);
        ASSERT_TRUE(emulator.ok()) << emulator.error().message;
        emulator_ = std::move(*emulator);
        Mgmt(".create table Regions (Region:string)");
        Mgmt(".ingest inline into table Regions <|\neast\nwest\n");
        Mgmt(".create table Events (Id:long, Region:string, Timestamp:datetime)");
        std::string rows;
        for (int h = 0; h < kWindows; ++h)
            for (int r = 0; r < 2; ++r)
                for (int j = 0; j < RowsOf(h, r); ++j)
                    rows += std::to_string(IdOf(h, r, j)) + "," + kRegions[r] + "," +
                            FormatTimestamp(kT0 + std::chrono::hours(h) + std::chrono::minutes(j * 10 + 5)) +
                            "\n";
        // A row exactly at a window's end belongs to the next window only.
        Mgmt(".ingest inline into table Events <|\n" + rows);
        fs::create_directories(work_.path() / "files/out");
    }

    void Mgmt(const std::string& csl) {
        auto r = emulator_->Kusto("Sales", csl, emulator_->ClientToken(kTenant, kAppId, kAppSecret));
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << csl << "\n" << r->body;
    }

    DaemonOptions Options(TimePoint clock_start, int port) {
        DaemonOptions options;
        options.data_dir = work_.path() / "daemon";
        options.file_roots = {work_.path() / "files"};
        options.port = port;
        options.env = {{"ADXFLOW_ENABLE_TEST_CLOCK", "1"}};
        options.extra_flags = {"--azure-authority-host", emulator_->url(), "--azure-ca-file",
                               emulator_->certificate()->cert_file.string(), "--test-clock-start",
                               FormatTimestamp(clock_start), "--test-clock-speed", std::to_string(kSpeed),
                               // The runs are dated 2024 on the test clock; the history pruner (real time)
                               // would delete them as older than its retention.
                               "--history-retention-days", "0"};
        return options;
    }

    void Put(const std::string& path, const Json& body) {
        auto r = daemon_->Arm("PUT", path, body);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << path << ": " << r->text;
    }

    void PutFactory() {
        Put("linkedservices/Files",
            {{"properties",
              {{"type", "FileServer"}, {"typeProperties", {{"host", (work_.path() / "files").string()}}}}}});
        Put("linkedservices/Adx",
            {{"properties",
              {{"type", "AzureDataExplorer"},
               {"typeProperties",
                {{"endpoint", emulator_->url()},
                 {"database", "Sales"},
                 {"tenant", kTenant},
                 {"servicePrincipalId", kAppId},
                 {"servicePrincipalKey", {{"type", "SecureString"}, {"value", kAppSecret}}}}}}}});
        for (const char* table : {"Regions", "Events"})
            Put(std::string("datasets/") + table,
                {{"properties",
                  {{"type", "AzureDataExplorerTable"},
                   {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
                   {"typeProperties", {{"table", table}}}}}});
        Put("datasets/OutCsv",
            {{"properties",
              {{"type", "DelimitedText"},
               {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"file", {{"type", "String"}}}}},
               {"typeProperties",
                {{"location",
                  {{"type", "FileServerLocation"},
                   {"folderPath", "out"},
                   {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}}},
                 {"columnDelimiter", ","},
                 {"firstRowAsHeader", true}}}}}});
        const Json policy = {{"retry", 0}, {"timeout", "7.00:00:00"}};
        Json lookup = {
            {"name", "Regions"},
            {"type", "Lookup"},
            {"policy", policy},
            {"typeProperties",
             {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "Regions | sort by Region asc"}}},
              {"dataset", {{"referenceName", "Regions"}, {"type", "DatasetReference"}}},
              {"firstRowOnly", false}}}};
        Json copy = {{"name", "CopyRegion"},
                     {"type", "Copy"},
                     {"policy", policy},
                     {"inputs", Json::array({{{"referenceName", "Events"}, {"type", "DatasetReference"}}})},
                     {"outputs", Json::array({{{"referenceName", "OutCsv"},
                                               {"type", "DatasetReference"},
                                               {"parameters",
                                                {{"file",
                                                  "w@{formatDateTime(pipeline().parameters.windowStart, "
                                                  "'yyyyMMddHH')}_@{item().Region}.csv"}}}}})},
                     {"typeProperties",
                      {{"source",
                        {{"type", "AzureDataExplorerSource"},
                         {"query",
                          "Events | where Region == '@{item().Region}' and Timestamp >= "
                          "datetime(@{pipeline().parameters.windowStart}) and Timestamp < "
                          "datetime(@{pipeline().parameters.windowEnd}) | project Id, Region, Timestamp | "
                          "sort by Id asc"}}},
                       {"sink", {{"type", "DelimitedTextSink"}}}}}};
        Json foreach = {
            {"name", "PerRegion"},
            {"type", "ForEach"},
            {"dependsOn", Json::array({{{"activity", "Regions"}, {"dependencyConditions", {"Succeeded"}}}})},
            {"typeProperties",
             {{"items", {{"value", "@activity('Regions').output.value"}, {"type", "Expression"}}},
              {"isSequential", false},
              {"activities", Json::array({copy})}}}};
        Put("pipelines/PL_Window",
            {{"properties",
              {{"parameters", {{"windowStart", {{"type", "String"}}}, {"windowEnd", {{"type", "String"}}}}},
               {"activities", Json::array({lookup, foreach})}}}});
        Put("triggers/TW",
            {{"properties",
              {{"type", "TumblingWindowTrigger"},
               {"typeProperties",
                {{"frequency", "Hour"},
                 {"interval", 1},
                 {"startTime", FormatTimestamp(kT0)},
                 {"endTime", FormatTimestamp(kT0 + std::chrono::hours(kWindows))},
                 {"delay", "00:00:00"},
                 {"maxConcurrency", 1},
                 {"retryPolicy", {{"count", 0}, {"intervalInSeconds", 30}}}}},
               {"pipeline",
                {{"pipelineReference", {{"referenceName", "PL_Window"}, {"type", "PipelineReference"}}},
                 {"parameters",
                  {{"windowStart", "@trigger().outputs.windowStartTime"},
                   {"windowEnd", "@{trigger().outputs.windowEndTime}"}}}}}}}});
    }

    Json TriggerRuns() {
        auto r = daemon_->Arm(
            "POST", "queryTriggerRuns",
            {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
             {"lastUpdatedBefore", "2100-01-01T00:00:00Z"},
             {"filters",
              Json::array({{{"operand", "TriggerName"}, {"operator", "Equals"}, {"values", {"TW"}}}})}});
        EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->text : r.error().message);
        return r.ok() ? r->body.value("value", Json::array()) : Json::array();
    }

    int Succeeded(const Json& runs) {
        int n = 0;
        for (const auto& r : runs) n += r.value("status", "") == "Succeeded";
        return n;
    }

    TempDir work_;
    std::unique_ptr<EmulatorProcess> emulator_;
    std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(TumblingWindowTest, FortyEightHourlyWindowsRunOnceInOrderAcrossAKill) {
    // The daemon's clock starts six hours after the trigger's startTime: six windows to backfill.
    const TimePoint clock_start = kT0 + std::chrono::hours(6);
    auto started_real = std::chrono::steady_clock::now();
    auto daemon = DaemonProcess::Start(Options(clock_start, 0));
    ASSERT_TRUE(daemon.ok()) << daemon.error().message;
    daemon_ = std::move(*daemon);
    const int port = daemon_->port();
    PutFactory();
    if (HasFatalFailure()) return;
    auto get = daemon_->Arm("GET", "triggers/TW");
    ASSERT_TRUE(get.ok());
    EXPECT_EQ(get->body["properties"].value("runtimeState", ""), "Stopped") << get->text;
    auto start = daemon_->Arm("POST", "triggers/TW/start");
    ASSERT_TRUE(start.ok() && start->status == 200) << (start.ok() ? start->text : start.error().message);

    // A started trigger cannot be updated (ADF's error).
    auto update = daemon_->Arm("PUT", "triggers/TW", get->body);
    ASSERT_TRUE(update.ok());
    EXPECT_EQ(update->status, 400);
    EXPECT_EQ(update->body["error"].value("code", ""), "TriggerEnabledCannotUpdate");

    // Kill once about twenty windows have succeeded.
    int before_kill = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 120s;
         std::chrono::steady_clock::now() < deadline;) {
        before_kill = Succeeded(TriggerRuns());
        if (before_kill >= 20) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_GE(before_kill, 20) << daemon_->LogTail();
    daemon_->Kill();
    const auto killed_real = std::chrono::steady_clock::now();
    // Down for about five simulated hours (windows keep ending meanwhile: caught up after the restart).
    std::this_thread::sleep_for(std::chrono::milliseconds(5000 * 3600 / kSpeed));
    const TimePoint resume = clock_start + std::chrono::duration_cast<std::chrono::seconds>(
                                               (std::chrono::steady_clock::now() - started_real) * kSpeed);
    (void)killed_real;
    daemon_.reset();
    auto again = DaemonProcess::Start(Options(resume, port));
    ASSERT_TRUE(again.ok()) << again.error().message;
    daemon_ = std::move(*again);
    auto state = daemon_->Arm("GET", "triggers/TW");
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->body["properties"].value("runtimeState", ""), "Started") << "started survives a restart";

    Json runs;
    for (auto deadline = std::chrono::steady_clock::now() + 240s;
         std::chrono::steady_clock::now() < deadline;) {
        runs = TriggerRuns();
        if (Succeeded(runs) == kWindows) break;
        std::this_thread::sleep_for(200ms);
    }
    ASSERT_EQ(Succeeded(runs), kWindows) << runs.dump(1) << "\n" << daemon_->LogTail();
    ASSERT_EQ(runs.size(), static_cast<size_t>(kWindows))
        << "one trigger run per window, none beyond endTime";

    // Windows that ended while the daemon was down were caught up after the restart.
    int caught_up = 0;
    for (const auto& r : runs) {
        auto end = ParseTimestamp(r["properties"].value("WindowEndTime", ""));
        auto fired = ParseTimestamp(r.value("triggerRunTimestamp", ""));
        if (end && fired && *end < resume && *fired >= resume) ++caught_up;
    }
    EXPECT_GE(caught_up, 1) << "no window was left to catch up after the restart";
    RecordProperty("windows_caught_up_after_restart", caught_up);

    // Every window once, with its own parameters; trigger run -> exactly one pipeline run.
    std::set<std::string> windows;
    std::map<std::string, std::string> window_of_run;
    for (const auto& r : runs) {
        const std::string ws = r["properties"].value("WindowStartTime", "");
        EXPECT_TRUE(windows.insert(ws).second) << "window twice: " << ws;
        ASSERT_EQ(r["triggeredPipelines"].size(), 1u) << r.dump();
        window_of_run[r["triggeredPipelines"].value("PL_Window", "")] = ws;
    }
    for (int h = 0; h < kWindows; ++h)
        EXPECT_TRUE(windows.count(FormatTimestamp(kT0 + std::chrono::hours(h)))) << "missing window " << h;

    // The pipeline runs: exactly 48, all Succeeded, invoked by the trigger, in window order.
    auto q = daemon_->Arm(
        "POST", "queryPipelineRuns",
        {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
         {"lastUpdatedBefore", "2100-01-01T00:00:00Z"},
         {"filters",
          Json::array({{{"operand", "PipelineName"}, {"operator", "Equals"}, {"values", {"PL_Window"}}}})},
         {"orderBy", Json::array({{{"orderBy", "RunStart"}, {"order", "ASC"}}})}});
    ASSERT_TRUE(q.ok() && q->status == 200) << (q.ok() ? q->text : q.error().message);
    const Json& pruns = q->body["value"];
    ASSERT_EQ(pruns.size(), static_cast<size_t>(kWindows)) << "a window ran twice or not at all";
    std::string previous;
    for (const auto& pr : pruns) {
        EXPECT_EQ(pr.value("status", ""), "Succeeded") << pr.dump();
        EXPECT_EQ(pr["invokedBy"].value("invokedByType", ""), "TumblingWindowTrigger");
        EXPECT_EQ(pr["invokedBy"].value("name", ""), "TW");
        const std::string ws = pr["parameters"].value("windowStart", "");
        EXPECT_EQ(window_of_run[pr.value("runId", "")], ws) << "the run's parameters are its window's";
        auto start_tp = ParseTimestamp(ws);
        ASSERT_TRUE(start_tp) << pr.dump();
        EXPECT_EQ(pr["parameters"].value("windowEnd", ""),
                  FormatTimestamp(*start_tp + std::chrono::hours(1)));
        EXPECT_LT(previous, ws) << "windows ran out of order";
        previous = ws;
    }

    // The files: each window's rows of each region, nothing else.
    for (int h = 0; h < kWindows; ++h) {
        for (int r = 0; r < 2; ++r) {
            const fs::path file = work_.path() / "files/out" /
                                  ("w" + Compact(kT0 + std::chrono::hours(h)) + "_" + kRegions[r] + ".csv");
            ASSERT_TRUE(fs::exists(file)) << file;
            std::istringstream in(ReadFile(file));
            std::string line;
            std::getline(in, line);
            if (!line.empty() && line.back() == '\r') line.pop_back();  // the sink's default rows end in CRLF
            EXPECT_EQ(line, "Id,Region,Timestamp") << file;
            std::vector<long long> ids;
            while (std::getline(in, line))
                if (!line.empty()) ids.push_back(std::stoll(line.substr(0, line.find(','))));
            std::vector<long long> want;
            for (int j = 0; j < RowsOf(h, r); ++j) want.push_back(IdOf(h, r, j));
            EXPECT_EQ(ids, want) << file;
        }
    }
    RecordProperty("windows_before_kill", before_kill);
}

}  // namespace
}  // namespace adxflow::testing
