// A real prometheus server (Debian's package) scrapes the real daemon on loopback with a reader token, after
// the daemon ran a known number of pipeline runs; the runs counter read back through Prometheus's HTTP API
// must be exactly that number, and the alert rules of deploy/prometheus load and evaluate without error
// against the live series. Prometheus listens on 127.0.0.1 only, keeps its data in the test's temp dir, has
// no remote write, no alertmanager and no other target, so nothing leaves the machine.
#include <gtest/gtest.h>

#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kAdmin = "adm-3f9c1d7e5b2a4c6e";
constexpr const char* kReader = "rdr-6a4e2c8b0d1f3a5c";

Json WaitPipeline() {
    return {{"properties",
             {{"activities", Json::array({{{"name", "Pause"},
                                           {"type", "Wait"},
                                           {"typeProperties", {{"waitTimeInSeconds", 0}}}}})}}}};
}

Json FailPipeline() {
    return {{"properties",
             {{"activities",
               Json::array({{{"name", "Stop"},
                             {"type", "Fail"},
                             {"typeProperties", {{"message", "planned"}, {"errorCode", "E1"}}}}})}}}};
}

// GET on Prometheus's HTTP API; the parsed body or null.
Json PromGet(http::HttpClient& client, int port, const std::string& path_and_query) {
    http::HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(port) + path_and_query;
    http::RequestOptions o;
    o.timeout = 5s;
    auto answer = client.Send(r, o);
    if (!answer.ok() || answer->status != 200) return nullptr;
    return Json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
}

std::string UrlEncode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

// The value of an instant query that must return one sample, polled until it equals `want` or the bound
// passes; the last value seen ("" when none), so that a failure shows what Prometheus had.
std::string QueryUntil(http::HttpClient& client, int port, const std::string& promql, const std::string& want,
                       std::chrono::seconds limit) {
    std::string last;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        Json doc = PromGet(client, port, "/api/v1/query?query=" + UrlEncode(promql));
        if (doc.is_object() && doc.value("status", "") == "success") {
            const Json& result = doc["data"]["result"];
            if (result.is_array() && result.size() == 1) last = result[0]["value"][1].get<std::string>();
            if (last == want) return last;
        }
        std::this_thread::sleep_for(250ms);
    }
    return last;
}

TEST(Prometheus, ScrapesTheDaemonAndCountsEveryRunExactly) {
    const auto prometheus = FindOnPath("prometheus");
    ASSERT_TRUE(prometheus) << "the prometheus binary is not on PATH: run deploy/bootstrap.sh";

    TempDir dir;
    fs::create_directories(dir.path() / "creds");
    WriteFile(dir.path() / "creds/api-tokens", std::string("admin:") + kAdmin + "\nreader:" + kReader + "\n");
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.env = {{"CREDENTIALS_DIRECTORY", (dir.path() / "creds").string()}};
    options.token = kAdmin;
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;

    constexpr int kSucceeded = 7, kFailed = 3;
    ASSERT_EQ(d.Arm("PUT", "pipelines/Quick", WaitPipeline())->status, 200);
    ASSERT_EQ(d.Arm("PUT", "pipelines/Broken", FailPipeline())->status, 200);
    std::vector<std::string> runs;
    for (int i = 0; i < kSucceeded + kFailed; ++i) {
        auto r = d.Arm("POST", i < kSucceeded ? "pipelines/Quick/createRun" : "pipelines/Broken/createRun",
                       Json::object());
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->status, 200) << r->text;
        runs.push_back(r->body["runId"]);
    }
    for (size_t i = 0; i < runs.size(); ++i) {
        auto run = d.WaitForRun(runs[i]);
        ASSERT_TRUE(run.ok()) << run.error().message;
        EXPECT_EQ((*run)["status"], i < kSucceeded ? "Succeeded" : "Failed");
    }

    // Prometheus: scrape every second with the reader token from a file, the rules loaded.
    const int prom_port = FreeLoopbackPort();
    WriteFile(dir.path() / "scrape-token", kReader);
    fs::copy_file(SourceDir() / "deploy/prometheus/alerts.yml", dir.path() / "alerts.yml");
    WriteFile(dir.path() / "prometheus.yml",
              "global:\n"
              "  scrape_interval: 1s\n"
              "  evaluation_interval: 1s\n"
              "rule_files: [alerts.yml]\n"
              "scrape_configs:\n"
              "  - job_name: adxflowd\n"
              "    authorization:\n"
              "      type: Bearer\n"
              "      credentials_file: " +
                  (dir.path() / "scrape-token").string() +
                  "\n"
                  "    static_configs:\n"
                  "      - targets: ['127.0.0.1:" +
                  std::to_string(d.port()) + "']\n");
    std::string error;
    auto server = ChildProcess::Spawn(
        {prometheus->string(), "--config.file=" + (dir.path() / "prometheus.yml").string(),
         "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
        {}, dir.path() / "prometheus.log", error);
    ASSERT_TRUE(server) << error;

    http::HttpClient client{http::HttpClientOptions{}};
    EXPECT_EQ(QueryUntil(client, prom_port, R"(up{job="adxflowd"})", "1", 60s), "1")
        << ReadFile(dir.path() / "prometheus.log");
    EXPECT_EQ(
        QueryUntil(client, prom_port, R"(adxflow_pipeline_runs_total{job="adxflowd",status="Succeeded"})",
                   std::to_string(kSucceeded), 30s),
        std::to_string(kSucceeded));
    EXPECT_EQ(QueryUntil(client, prom_port, R"(adxflow_pipeline_runs_total{job="adxflowd",status="Failed"})",
                         std::to_string(kFailed), 30s),
              std::to_string(kFailed));
    EXPECT_EQ(
        QueryUntil(client, prom_port, R"(sum(adxflow_pipeline_run_duration_seconds_count{job="adxflowd"}))",
                   std::to_string(kSucceeded + kFailed), 30s),
        std::to_string(kSucceeded + kFailed));
    EXPECT_EQ(QueryUntil(client, prom_port, R"(adxflow_activity_runs_total{type="Fail",status="Failed"})",
                         std::to_string(kFailed), 30s),
              std::to_string(kFailed));

    // Every rule of alerts.yml loaded and evaluated against the live series without error, none firing on
    // a healthy daemon.
    Json rules;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    size_t evaluated = 0, healthy = 0, firing = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        rules = PromGet(client, prom_port, "/api/v1/rules");
        evaluated = healthy = firing = 0;
        if (rules.is_object() && rules.contains("data"))
            for (const auto& group : rules["data"]["groups"])
                for (const auto& rule : group["rules"]) {
                    if (!rule.value("lastEvaluation", "").starts_with("0001")) ++evaluated;
                    if (rule.value("health", "") == "ok") ++healthy;
                    if (rule.value("state", "") == "firing") ++firing;
                }
        if (evaluated == 9 && healthy == 9) break;
        std::this_thread::sleep_for(250ms);
    }
    EXPECT_EQ(evaluated, 9u) << rules.dump(1);
    EXPECT_EQ(healthy, 9u) << rules.dump(1);
    EXPECT_EQ(firing, 0u) << rules.dump(1);

    // Every query of the Grafana dashboard parses and evaluates on the real server (its variables filled in
    // as Grafana would).
    const Json dashboard = Json::parse(ReadFile(SourceDir() / "deploy/grafana/adxflow.json"));
    size_t queries = 0;
    for (const auto& panel : dashboard["panels"])
        for (const auto& target : panel["targets"]) {
            std::string expr = target["expr"];
            for (auto [from, to] : {std::pair<std::string, std::string>{"$__rate_interval", "1m"},
                                    {"$job", "adxflowd"},
                                    {"$instance", ".*"}})
                for (size_t at; (at = expr.find(from)) != std::string::npos;)
                    expr.replace(at, from.size(), to);
            Json answer = PromGet(client, prom_port, "/api/v1/query?query=" + UrlEncode(expr));
            EXPECT_TRUE(answer.is_object() && answer.value("status", "") == "success")
                << panel["title"] << ": " << expr << " -> " << answer.dump();
            ++queries;
        }
    EXPECT_GE(queries, 14u);

    server->Stop(10s);
    // The scrape token never reached Prometheus's log, and the daemon's log does not carry it either.
    EXPECT_EQ(ReadFile(dir.path() / "prometheus.log").find(kReader), std::string::npos);
    d.Stop();
    EXPECT_EQ(d.LogTail(1 << 20).find(kReader), std::string::npos);
}

}  // namespace
}  // namespace adxflow::testing
