// Back-pressure and paging against the real adxflowd: with one run slot and room for two queued runs, the
// fourth createRun is refused with 429, a Retry-After and an error naming the limit, no run is created for
// it and the refusal is counted in /metrics; once the queue drains, createRun is accepted again. And
// connector_max_concurrency: runs sharing one connector slot all get through.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

using namespace std::chrono_literals;

Json WaitPipeline(int seconds) {
    return {{"properties",
             {{"activities", Json::array({{{"name", "Pause"},
                                           {"type", "Wait"},
                                           {"typeProperties", {{"waitTimeInSeconds", seconds}}}}})}}}};
}

Json AllRuns(const std::string& continuation = {}) {
    Json body = {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"}, {"lastUpdatedBefore", "2100-01-01T00:00:00Z"}};
    if (!continuation.empty()) body["continuationToken"] = continuation;
    return body;
}

TEST(Limits, AFullRunQueueAnswers429WithRetryAfterAndCreatesNothing) {
    TempDir dir;
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.extra_flags = {"--max-concurrent-runs", "1", "--max-queued-runs", "2"};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;
    ASSERT_EQ(d.Arm("PUT", "pipelines/Slow", WaitPipeline(30))->status, 200);

    // One run takes the slot; two wait. Their createRun answers come before the engine promotes them, so
    // wait until the first is InProgress (then exactly two are Queued).
    std::vector<std::string> accepted;
    auto first = d.Arm("POST", "pipelines/Slow/createRun", Json::object());
    ASSERT_EQ(first->status, 200) << first->text;
    accepted.push_back(first->body["runId"]);
    for (int i = 0; i < 200; ++i) {
        if (d.Arm("GET", "pipelineruns/" + accepted[0])->body.value("status", "") == "InProgress") break;
        std::this_thread::sleep_for(50ms);
    }
    for (int i = 0; i < 2; ++i) {
        auto r = d.Arm("POST", "pipelines/Slow/createRun", Json::object());
        ASSERT_EQ(r->status, 200) << r->text;
        accepted.push_back(r->body["runId"]);
    }

    auto refused = d.Arm("POST", "pipelines/Slow/createRun", Json::object());
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ(refused->status, 429) << refused->text;
    EXPECT_EQ(refused->body["error"]["code"], "TooManyRequests");
    EXPECT_NE(refused->text.find("max_queued_runs=2"), std::string::npos) << refused->text;
    // The same through a plain HTTP client, for the header.
    http::HttpClient client{http::HttpClientOptions{}};
    http::HttpRequest request;
    request.method = "POST";
    request.url =
        d.base_url() + DaemonProcess::kFactoryPath + "/pipelines/Slow/createRun?api-version=2018-06-01";
    request.body = "{}";
    request.headers.Set("Content-Type", "application/json");
    http::RequestOptions ro;
    ro.timeout = 10s;
    auto raw = client.Send(request, ro);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw->status, 429);
    ASSERT_NE(raw->headers.Get("Retry-After"), nullptr);
    EXPECT_EQ(*raw->headers.Get("Retry-After"), "5");

    // Nothing was created for the refused calls.
    auto runs = d.Arm("POST", "queryPipelineRuns", AllRuns());
    ASSERT_EQ(runs->status, 200);
    EXPECT_EQ(runs->body["value"].size(), 3u) << runs->text;
    auto metrics = d.Raw("GET", "/metrics");
    EXPECT_NE(metrics->text.find("adxflow_pipeline_runs_rejected_total{reason=\"queue_full\"} 2"),
              std::string::npos);
    EXPECT_NE(metrics->text.find("adxflow_api_requests_total{code=\"429\",method=\"POST\"} 2"),
              std::string::npos);

    // Cancelling the queued runs makes room again.
    for (size_t i = 1; i < accepted.size(); ++i)
        EXPECT_EQ(d.Arm("POST", "pipelineruns/" + accepted[i] + "/cancel")->status, 200);
    for (size_t i = 1; i < accepted.size(); ++i)
        EXPECT_EQ((*d.WaitForRun(accepted[i]))["status"], "Cancelled");
    auto again = d.Arm("POST", "pipelines/Slow/createRun", Json::object());
    EXPECT_EQ(again->status, 200) << again->text;
    // Nothing left running, so that the stop below is a clean drain (a 30 s Wait would hold it).
    for (const std::string& id : {accepted[0], again->body.value("runId", std::string())}) {
        EXPECT_EQ(d.Arm("POST", "pipelineruns/" + id + "/cancel")->status, 200);
        EXPECT_EQ((*d.WaitForRun(id))["status"], "Cancelled");
    }
    EXPECT_EQ(d.Stop(), 0);
}

// connector_max_concurrency on the daemon: with one FileServer slot and four workers, eight Lookup runs
// started together all succeed (each waits for the slot and gives it back; none is stuck).
TEST(Limits, ConnectorConcurrencyLetsEveryRunThroughOneSlot) {
    TempDir dir;
    const std::filesystem::path files = dir.path() / "files";
    std::filesystem::create_directories(files / "config");
    WriteFile(files / "config/job.json", R"({"table": "Events"})");
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.file_roots = {files};
    options.extra_flags = {"--workers", "4", "--connector-max-concurrency", "FileServer=1"};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;
    ASSERT_EQ(
        d.Arm("PUT", "linkedservices/LocalFiles",
              {{"properties", {{"type", "FileServer"}, {"typeProperties", {{"host", files.string()}}}}}})
            ->status,
        200);
    ASSERT_EQ(
        d.Arm(
             "PUT", "datasets/JobConfig",
             {{"properties",
               {{"type", "Json"},
                {"linkedServiceName", {{"referenceName", "LocalFiles"}, {"type", "LinkedServiceReference"}}},
                {"typeProperties",
                 {{"location",
                   {{"type", "FileServerLocation"}, {"folderPath", "config"}, {"fileName", "job.json"}}}}}}}})
            ->status,
        200);
    ASSERT_EQ(
        d.Arm(
             "PUT", "pipelines/ReadConfig",
             {{"properties",
               {{"activities",
                 Json::array(
                     {{{"name", "Read"},
                       {"type", "Lookup"},
                       {"typeProperties",
                        {{"source", {{"type", "JsonSource"}}},
                         {"dataset", {{"referenceName", "JobConfig"}, {"type", "DatasetReference"}}}}}}})}}}})
            ->status,
        200);
    std::vector<std::string> runs;
    for (int i = 0; i < 8; ++i)
        runs.push_back(d.Arm("POST", "pipelines/ReadConfig/createRun", Json::object())->body["runId"]);
    for (const auto& id : runs) {
        auto run = d.WaitForRun(id);
        ASSERT_TRUE(run.ok()) << run.error().message;
        EXPECT_EQ((*run)["status"], "Succeeded") << run->dump();
    }
    EXPECT_EQ(d.Stop(), 0);
}

}  // namespace
}  // namespace adxflow::testing
