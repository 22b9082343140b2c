// The exported families as Prometheus would read them: every name prefixed and carrying a unit, labels
// folded to bounded sets, the process-wide slot that connectors count through, worker busy time.
#include "core/metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <regex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow {
namespace {

std::string Text(Metrics& m) {
    return prometheus::TextSerializer().Serialize(m.registry().Collect());
}

double Value(Metrics& m, const std::string& series) {
    const std::string text = Text(m);
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

TEST(Metrics, EveryFamilyIsPrefixedAndNamesItsUnit) {
    Metrics m;
    // A family without series is not exported: give each one.
    m.PipelineRunFinished("Succeeded", 1);
    m.ActivityRunFinished("Copy", "Succeeded", 1);
    m.ActivityRetried("Copy", "TransientError");
    m.RowsCopied("DelimitedText", "AzureDataExplorer", 10, 100, 90);
    m.ApiRequest("GET", 200, 0.01);
    m.AdxRequest("query", 200);
    std::set<std::string> names;
    for (const auto& family : m.registry().Collect()) names.insert(family.name);
    const std::set<std::string> expected = {"adxflow_pipeline_runs_total",
                                            "adxflow_pipeline_run_duration_seconds",
                                            "adxflow_activity_runs_total",
                                            "adxflow_activity_duration_seconds",
                                            "adxflow_activity_retries_total",
                                            "adxflow_copy_rows_total",
                                            "adxflow_copy_bytes_total",
                                            "adxflow_api_requests_total",
                                            "adxflow_api_request_duration_seconds",
                                            "adxflow_adx_requests_total",
                                            "adxflow_token_refreshes_total",
                                            "adxflow_pipeline_runs_rejected_total",
                                            "adxflow_history_pruned_runs_total",
                                            "adxflow_worker_pool_busy_workers",
                                            "adxflow_worker_pool_size_workers",
                                            "adxflow_worker_pool_busy_seconds_total",
                                            "adxflow_queued_pipeline_runs"};
    EXPECT_EQ(names, expected);
    // Prometheus naming: counters end in _total, and every name ends in a unit (or a count of things).
    const std::regex unit("^adxflow_[a-z_]+_(total|seconds|workers|runs)$");
    for (const auto& name : names) EXPECT_TRUE(std::regex_match(name, unit)) << name;
}

// The families the alert rules and the dashboard use exist, and everything exported is documented.
TEST(Metrics, RulesDashboardAndDocsNameOnlyExportedFamilies) {
    Metrics m;
    m.PipelineRunFinished("Succeeded", 1);
    m.ActivityRunFinished("Copy", "Succeeded", 1);
    m.ActivityRetried("Copy", "TransientError");
    m.RowsCopied("DelimitedText", "AzureDataExplorer", 10, 100, 90);
    m.ApiRequest("GET", 200, 0.01);
    m.AdxRequest("query", 200);
    std::set<std::string> exported;
    for (const auto& family : m.registry().Collect()) exported.insert(family.name);
    const std::string docs = testing::ReadFile(testing::SourceDir() / "docs/metrics.md");
    for (const auto& name : exported) EXPECT_NE(docs.find("`" + name + "`"), std::string::npos) << name;

    const std::regex used("adxflow_[a-z_]+");
    for (const char* file :
         {"deploy/prometheus/alerts.yml", "deploy/grafana/adxflow.json", "docs/metrics.md"}) {
        const std::string text = testing::ReadFile(testing::SourceDir() / file);
        size_t count = 0;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), used); it != std::sregex_iterator();
             ++it) {
            std::string name = it->str();
            for (const char* suffix : {"_bucket", "_count", "_sum"})
                if (name.ends_with(suffix) && !exported.contains(name))
                    name = name.substr(0, name.size() - std::string_view(suffix).size());
            ++count;
            EXPECT_TRUE(exported.contains(name)) << file << " names " << name << ", which is not exported";
        }
        EXPECT_GT(count, 5u) << file;
    }
}

TEST(Metrics, OutcomesStartAtZeroSoThatRatesWorkFromTheFirstScrape) {
    Metrics m;
    for (const char* status : {"Succeeded", "Failed", "Cancelled"})
        EXPECT_EQ(Value(m, std::string("adxflow_pipeline_runs_total{status=\"") + status + "\"}"), 0);
    EXPECT_EQ(Value(m, "adxflow_token_refreshes_total{outcome=\"failure\"}"), 0);
    EXPECT_EQ(Value(m, "adxflow_pipeline_runs_rejected_total{reason=\"queue_full\"}"), 0);
}

TEST(Metrics, RunsAndDurationsAreRecorded) {
    Metrics m;
    m.PipelineRunFinished("Succeeded", 2.5);
    m.PipelineRunFinished("Succeeded", 0.2);
    m.PipelineRunFinished("Failed");
    EXPECT_EQ(Value(m, "adxflow_pipeline_runs_total{status=\"Succeeded\"}"), 2);
    EXPECT_EQ(Value(m, "adxflow_pipeline_runs_total{status=\"Failed\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_pipeline_run_duration_seconds_count{status=\"Succeeded\"}"), 2);
    EXPECT_DOUBLE_EQ(Value(m, "adxflow_pipeline_run_duration_seconds_sum{status=\"Succeeded\"}"), 2.7);
    EXPECT_EQ(Value(m, "adxflow_pipeline_run_duration_seconds_bucket{status=\"Succeeded\",le=\"1\"}"), 1);
}

TEST(Metrics, LabelsFromTheNetworkAreFolded) {
    Metrics m;
    m.ApiRequest("GET", 200, 0.001);
    m.ApiRequest("BREW", 405, 0.001);
    m.ApiRequest("xyzzy-0b5e", 400, 0.001);
    m.AdxRequest("query", 0);
    m.AdxRequest("query", 1234);
    const std::string text = Text(m);
    EXPECT_EQ(Value(m, "adxflow_api_requests_total{code=\"200\",method=\"GET\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_api_requests_total{code=\"405\",method=\"other\"}"), 1);
    EXPECT_EQ(text.find("BREW"), std::string::npos);
    EXPECT_EQ(text.find("xyzzy"), std::string::npos);
    EXPECT_EQ(Value(m, "adxflow_adx_requests_total{code=\"none\",kind=\"query\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_adx_requests_total{code=\"other\",kind=\"query\"}"), 1);
}

TEST(Metrics, ConnectorsCountThroughTheProcessSlotOnlyWhileInstalled) {
    Metrics m;
    Result<int> ok = 5;
    Result<int> failed = MakeError(ErrorKind::kTransient, "t", "down");
    // Nothing installed: the pass-through helpers only pass through.
    EXPECT_EQ(*CountTokenRefresh(ok), 5);
    InstallProcessMetrics(&m);
    EXPECT_EQ(ProcessMetrics(), &m);
    EXPECT_EQ(*CountTokenRefresh(ok), 5);
    EXPECT_FALSE(CountTokenRefresh(failed).ok());
    EXPECT_EQ(*CountAdxRequest("queued_ingest", 201, ok), 5);
    EXPECT_FALSE(CountAdxRequest("queued_ingest", 201, failed).ok());
    CountAdxRequest("command", 200);
    Metrics other;
    UninstallProcessMetrics(&other);  // not the installed one: stays
    EXPECT_EQ(ProcessMetrics(), &m);
    UninstallProcessMetrics(&m);
    EXPECT_EQ(ProcessMetrics(), nullptr);
    CountAdxRequest("command", 200);  // after removal: not counted

    EXPECT_EQ(Value(m, "adxflow_token_refreshes_total{outcome=\"success\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_token_refreshes_total{outcome=\"failure\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_adx_requests_total{code=\"201\",kind=\"queued_ingest\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_adx_requests_total{code=\"none\",kind=\"queued_ingest\"}"), 1);
    EXPECT_EQ(Value(m, "adxflow_adx_requests_total{code=\"200\",kind=\"command\"}"), 1);
}

TEST(Metrics, BusyWorkerSecondsIntegrateTheBusyGaugeOverTime) {
    Metrics m;
    const auto t0 = std::chrono::steady_clock::now();
    m.SetWorkers(2, 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    m.SetWorkers(0, 4);  // 2 workers busy for at least 0.2 s
    const double window = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    m.SetWorkers(0, 4);  // idle time adds nothing
    const double busy = Value(m, "adxflow_worker_pool_busy_seconds_total");
    EXPECT_GE(busy, 0.4);
    EXPECT_LE(busy, 2 * window);
    EXPECT_EQ(Value(m, "adxflow_worker_pool_size_workers"), 4);
}

}  // namespace
}  // namespace adxflow
