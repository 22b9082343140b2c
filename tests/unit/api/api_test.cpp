// The control API in-process (no socket): validation at PUT, error bodies, the store left unchanged by a
// rejected request, and secrets kept out of responses, logs and the SQLite file.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "core/utf8.hpp"
#include "daemon/app/app.hpp"
#include "daemon/http/api_types.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow {
namespace {

using testing::TempDir;

constexpr const char* kPrefix =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.DataFactory/factories/adxflow/";
constexpr const char* kSecret = "S3cr3t-Value-That-Must-Not-Leak";

class ApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        log_ = std::make_shared<std::ostringstream>();
        auto logger = std::make_shared<spdlog::logger>(
            "api-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(*log_));
        spdlog::set_default_logger(logger);
        spdlog::set_level(spdlog::level::debug);
        testing::WriteFile(dir_ / "files/in/people.csv", "id,name\n1,alice\n2,bob\n3,carol\n");
        config::Settings s;
        s.listen = "127.0.0.1:0";
        s.data_dir = dir_ / "data";
        s.database_path = dir_ / "data/adxflow.db";
        s.secrets_key_file = dir_ / "data/secrets.key";
        s.file_roots = {dir_ / "files"};
        daemon_ = std::make_unique<app::Daemon>(s);
        ASSERT_TRUE(daemon_->Start().ok());
    }
    void TearDown() override {
        daemon_->Stop();
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
    }

    api::Response Send(const std::string& method, const std::string& rest, const std::string& body = "") {
        api::Request r;
        r.method = method;
        r.path = std::string(kPrefix) + rest;
        r.query["api-version"] = "2018-06-01";
        r.body = body;
        return daemon_->Call(r);
    }
    Json SendJson(const std::string& method, const std::string& rest, const std::string& body, int expect) {
        auto r = Send(method, rest, body);
        EXPECT_EQ(r.status, expect) << method << " " << rest << " -> " << r.body;
        return r.body.empty() ? Json() : Json::parse(r.body);
    }
    size_t Count(const std::string& collection) {
        return SendJson("GET", collection, "", 200)["value"].size();
    }
    void PutBasics() {
        SendJson("PUT", "linkedservices/Files",
                 R"({"properties":{"type":"FileServer","typeProperties":{"host":")" +
                     (dir_ / "files").string() +
                     R"(","userId":"me","password":{"type":"SecureString","value":")" + kSecret + R"("}}}})",
                 200);
        SendJson(
            "PUT", "datasets/InCsv",
            R"({"properties":{"type":"DelimitedText","linkedServiceName":{"referenceName":"Files","type":"LinkedServiceReference"},
                    "typeProperties":{"location":{"type":"FileServerLocation","folderPath":"in","fileName":"people.csv"},"firstRowAsHeader":true}}})",
            200);
    }
    std::string WaitForRun(const std::string& run_id, const std::string& want) {
        std::string status;
        for (int i = 0; i < 500; ++i) {  // bounded: 5 s
            status = SendJson("GET", "pipelineruns/" + run_id, "", 200)["status"].get<std::string>();
            if (status == want) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return status;
    }

    TempDir dir_;
    std::shared_ptr<std::ostringstream> log_;
    std::unique_ptr<app::Daemon> daemon_;
};

TEST_F(ApiTest, MalformedJsonIs400WithLineAndColumnAndStoresNothing) {
    auto r = SendJson("PUT", "pipelines/P", "{\n  \"properties\": {\"activities\": [,]}\n}", 400);
    EXPECT_EQ(r["error"]["code"], "BadRequest");
    EXPECT_NE(r["error"]["message"].get<std::string>().find("line 2, column"), std::string::npos) << r.dump();
    EXPECT_EQ(Count("pipelines"), 0u);
}

TEST_F(ApiTest, UnknownActivityTypeIs400NamingThePath) {
    auto r = SendJson("PUT", "pipelines/P",
                      R"({"properties":{"activities":[{"name":"A","type":"Teleport","typeProperties":{}}]}})",
                      400);
    EXPECT_EQ(r["error"]["target"], "properties.activities[0].type") << r.dump();
    EXPECT_EQ(Count("pipelines"), 0u);
}

TEST_F(ApiTest, MissingDatasetReferenceIs400AndStoreUnchanged) {
    PutBasics();
    SendJson(
        "PUT", "pipelines/P",
        R"({"properties":{"activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":0}}]}})",
        200);
    const std::string before = Send("GET", "pipelines/P").body;
    auto r = SendJson("PUT", "pipelines/P",
                      R"({"properties":{"activities":[{"name":"C","type":"Copy",
                          "inputs":[{"referenceName":"InCsv","type":"DatasetReference"}],
                          "outputs":[{"referenceName":"NoSuchDataset","type":"DatasetReference"}],
                          "typeProperties":{"source":{"type":"DelimitedTextSource"},"sink":{"type":"JsonSink"}}}]}})",
                      400);
    EXPECT_NE(r["error"]["message"].get<std::string>().find("NoSuchDataset"), std::string::npos) << r.dump();
    EXPECT_EQ(Send("GET", "pipelines/P").body, before);
}

TEST_F(ApiTest, BadExpressionSyntaxIs400) {
    auto r = SendJson(
        "PUT", "pipelines/P",
        R"({"properties":{"activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":"@add(1,"}}]}})",
        400);
    EXPECT_NE(r["error"]["target"].get<std::string>().find("waitTimeInSeconds"), std::string::npos)
        << r.dump();
    EXPECT_EQ(Count("pipelines"), 0u);
}

TEST_F(ApiTest, ExpressionFailingAtRunTimeFailsTheActivityWithAMessage) {
    SendJson(
        "PUT", "pipelines/P",
        R"j({"properties":{"activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":"@int('abc')"}}]}})j",
        200);
    auto id = SendJson("POST", "pipelines/P/createRun", "{}", 200)["runId"].get<std::string>();
    EXPECT_EQ(WaitForRun(id, "Failed"), "Failed");
    auto run = SendJson("GET", "pipelineruns/" + id, "", 200);
    EXPECT_NE(run["message"].get<std::string>().find("Operation on target W failed"), std::string::npos)
        << run.dump();
    auto acts = SendJson(
        "POST", "pipelineruns/" + id + "/queryActivityruns",
        R"({"lastUpdatedAfter":"2000-01-01T00:00:00Z","lastUpdatedBefore":"2100-01-01T00:00:00Z"})", 200);
    ASSERT_EQ(acts["value"].size(), 1u);
    EXPECT_EQ(acts["value"][0]["status"], "Failed");
    EXPECT_NE(acts["value"][0]["error"]["message"].get<std::string>().find("int"), std::string::npos);
}

TEST_F(ApiTest, UnknownRunParameterIs400AndNoRunIsCreated) {
    SendJson("PUT", "pipelines/P",
             R"({"properties":{"parameters":{"n":{"type":"Int","defaultValue":1}},
                 "activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":0}}]}})",
             200);
    SendJson("POST", "pipelines/P/createRun", R"({"nope": 1})", 400);
    auto runs = SendJson(
        "POST", "queryPipelineRuns",
        R"({"lastUpdatedAfter":"2000-01-01T00:00:00Z","lastUpdatedBefore":"2100-01-01T00:00:00Z"})", 200);
    EXPECT_EQ(runs["value"].size(), 0u);
}

TEST_F(ApiTest, SecretNeverInResponsesLogsOrTheDatabaseFile) {
    PutBasics();
    auto got = SendJson("GET", "linkedservices/files", "", 200);  // names are case-insensitive
    EXPECT_EQ(got["name"], "Files");
    EXPECT_EQ(got["properties"]["typeProperties"]["password"]["value"], "**********");
    EXPECT_EQ(Send("GET", "linkedservices").body.find(kSecret), std::string::npos);
    // A GET-then-PUT round trip with the mask keeps the stored secret (the copy still runs below).
    SendJson("PUT", "linkedservices/Files", Json{{"properties", got["properties"]}}.dump(), 200);
    SendJson(
        "PUT", "datasets/OutCsv",
        R"({"properties":{"type":"DelimitedText","linkedServiceName":{"referenceName":"Files","type":"LinkedServiceReference"},
                "typeProperties":{"location":{"type":"FileServerLocation","folderPath":"out","fileName":"copy.csv"},"firstRowAsHeader":true}}})",
        200);
    SendJson("PUT", "pipelines/Copy",
             R"({"properties":{"activities":[{"name":"C","type":"Copy",
                 "inputs":[{"referenceName":"InCsv","type":"DatasetReference"}],
                 "outputs":[{"referenceName":"OutCsv","type":"DatasetReference"}],
                 "typeProperties":{"source":{"type":"DelimitedTextSource"},"sink":{"type":"DelimitedTextSink"}}}]}})",
             200);
    auto id = SendJson("POST", "pipelines/Copy/createRun", "{}", 200)["runId"].get<std::string>();
    EXPECT_EQ(WaitForRun(id, "Succeeded"), "Succeeded");
    daemon_->Stop();  // flush the WAL into the file
    for (const char* f : {"data/adxflow.db", "data/adxflow.db-wal"}) {
        if (!std::filesystem::exists(dir_ / f)) continue;
        EXPECT_EQ(testing::ReadFile(dir_ / f).find(kSecret), std::string::npos) << f;
    }
    EXPECT_EQ(log_->str().find(kSecret), std::string::npos);
    EXPECT_NE(log_->str().find("stored linked service 'Files'"), std::string::npos);  // the log was captured
}

// A SecureString pipeline parameter: the activity gets the plaintext, the database and every response get
// the mask (the value is a file name here so that it shows up in the error of the failing run).
TEST_F(ApiTest, SecureStringRunParameterIsSealedAtRestAndScrubbedFromRecords) {
    constexpr const char* kRunSecret = "RunTok-7f3a9c";
    PutBasics();
    testing::WriteFile(dir_ / "files/in" / (std::string(kRunSecret) + ".csv"), "id\n1\n2\n");
    SendJson(
        "PUT", "datasets/ByName",
        R"j({"properties":{"type":"DelimitedText","linkedServiceName":{"referenceName":"Files","type":"LinkedServiceReference"},
                "parameters":{"file":{"type":"String"}},
                "typeProperties":{"location":{"type":"FileServerLocation","folderPath":"in","fileName":{"value":"@dataset().file","type":"Expression"}},
                "firstRowAsHeader":true}}})j",
        200);
    SendJson(
        "PUT", "pipelines/Secret",
        R"j({"properties":{"parameters":{"token":{"type":"SecureString"},"suffix":{"type":"String","defaultValue":".csv"}},
                 "activities":[{"name":"L","type":"Lookup","typeProperties":{"source":{"type":"DelimitedTextSource"},
                 "firstRowOnly":false,
                 "dataset":{"referenceName":"ByName","type":"DatasetReference",
                            "parameters":{"file":"@{pipeline().parameters.token}@{pipeline().parameters.suffix}"}}}}]}})j",
        200);
    // The activity reads the file named by the secret: the plaintext reached it.
    auto ok_id =
        SendJson("POST", "pipelines/Secret/createRun", Json{{"token", kRunSecret}}.dump(), 200)["runId"]
            .get<std::string>();
    EXPECT_EQ(WaitForRun(ok_id, "Succeeded"), "Succeeded");
    // A run whose error names the file: the record carries the mask instead.
    auto bad_id = SendJson("POST", "pipelines/Secret/createRun",
                           Json{{"token", kRunSecret}, {"suffix", ".missing"}}.dump(), 200)["runId"]
                      .get<std::string>();
    EXPECT_EQ(WaitForRun(bad_id, "Failed"), "Failed");

    auto run = Send("GET", "pipelineruns/" + bad_id);
    EXPECT_EQ(run.body.find(kRunSecret), std::string::npos) << run.body;
    EXPECT_EQ(Json::parse(run.body)["parameters"]["token"], "**********") << run.body;
    auto acts =
        Send("POST", "pipelineruns/" + bad_id + "/queryActivityruns",
             R"({"lastUpdatedAfter":"2000-01-01T00:00:00Z","lastUpdatedBefore":"9999-12-31T00:00:00Z"})");
    EXPECT_EQ(acts.body.find(kRunSecret), std::string::npos) << acts.body;
    EXPECT_NE(acts.body.find("**********.missing"), std::string::npos)
        << acts.body;  // the error still says where

    daemon_->Stop();
    for (const char* f : {"data/adxflow.db", "data/adxflow.db-wal"}) {
        if (!std::filesystem::exists(dir_ / f)) continue;
        EXPECT_EQ(testing::ReadFile(dir_ / f).find(kRunSecret), std::string::npos) << f;
    }
    EXPECT_EQ(log_->str().find(kRunSecret), std::string::npos) << log_->str();
    EXPECT_NE(log_->str().find("attempt=1 failed"), std::string::npos);  // the failure was logged, masked
}

// /metrics after a Copy: the families of docs/metrics.md with the counts of what just happened.
TEST_F(ApiTest, MetricsCountRunsActivitiesRowsAndRequests) {
    PutBasics();
    SendJson(
        "PUT", "datasets/OutJson",
        R"({"properties":{"type":"Json","linkedServiceName":{"referenceName":"Files","type":"LinkedServiceReference"},
                "typeProperties":{"location":{"type":"FileServerLocation","folderPath":"out","fileName":"m.json"}}}})",
        200);
    SendJson("PUT", "pipelines/M",
             R"({"properties":{"activities":[{"name":"C","type":"Copy",
                 "inputs":[{"referenceName":"InCsv","type":"DatasetReference"}],
                 "outputs":[{"referenceName":"OutJson","type":"DatasetReference"}],
                 "typeProperties":{"source":{"type":"DelimitedTextSource"},"sink":{"type":"JsonSink"}}}]}})",
             200);
    auto id = SendJson("POST", "pipelines/M/createRun", "{}", 200)["runId"].get<std::string>();
    ASSERT_EQ(WaitForRun(id, "Succeeded"), "Succeeded");
    EXPECT_EQ(Send("GET", "pipelines/NoSuch").status, 404);

    api::Request r;
    r.method = "GET";
    r.path = "/healthz";
    EXPECT_EQ(daemon_->Call(r).status, 200);
    r.path = "/readyz";
    EXPECT_EQ(daemon_->Call(r).status, 200);
    r.path = "/metrics";
    auto metrics = daemon_->Call(r);
    ASSERT_EQ(metrics.status, 200);
    const std::string& text = metrics.body;
    EXPECT_NE(text.find("adxflow_pipeline_runs_total{status=\"Succeeded\"} 1"), std::string::npos) << text;
    EXPECT_NE(text.find("adxflow_activity_runs_total{status=\"Succeeded\",type=\"Copy\"} 1"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("adxflow_copy_rows_total{connector=\"FileServer\"} 3"), std::string::npos) << text;
    const auto in_size = std::filesystem::file_size(dir_ / "files/in/people.csv");
    EXPECT_NE(text.find("adxflow_copy_bytes_total{connector=\"FileServer\",direction=\"read\"} " +
                        std::to_string(in_size)),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("adxflow_api_requests_total{code=\"404\",method=\"GET\"} 1"), std::string::npos)
        << text;
    EXPECT_NE(text.find("adxflow_activity_duration_seconds_bucket{type=\"Copy\""), std::string::npos) << text;
    EXPECT_NE(text.find("adxflow_worker_pool_size_workers"), std::string::npos) << text;
    EXPECT_NE(text.find("adxflow_queued_pipeline_runs"), std::string::npos) << text;
    // Every family carries the prefix (nothing leaks in from a default registry).
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        EXPECT_EQ(line.rfind("adxflow_", 0), 0u) << line;
    }
}

TEST_F(ApiTest, EtagsAndConditionalRequests) {
    PutBasics();
    auto put = Send("PUT", "datasets/InCsv", Send("GET", "datasets/InCsv").body);
    ASSERT_EQ(put.status, 200);
    std::string etag = Json::parse(put.body)["etag"];
    api::Request r;
    r.method = "PUT";
    r.path = std::string(kPrefix) + "datasets/InCsv";
    r.query["api-version"] = "2018-06-01";
    r.headers["if-match"] = "not-the-etag";
    r.body = put.body;
    EXPECT_EQ(daemon_->Call(r).status, 412);
    r.headers["if-match"] = etag;
    EXPECT_EQ(daemon_->Call(r).status, 200);
    r.method = "GET";
    r.headers.clear();
    r.headers["if-none-match"] = Json::parse(daemon_->Call(r).body)["etag"];
    EXPECT_EQ(daemon_->Call(r).status, 304);
}

TEST_F(ApiTest, ArmPathRules) {
    api::Request r;
    r.method = "GET";
    r.path = std::string(kPrefix) + "pipelines";
    EXPECT_EQ(daemon_->Call(r).status, 400);  // no api-version
    r.query["api-version"] = "2017-09-01-preview";
    EXPECT_EQ(daemon_->Call(r).status, 400);
    r.query["api-version"] = "2018-06-01";
    r.path = "/subscriptions/a/resourceGroups/b/providers/Microsoft.DataFactory/factories/other/pipelines";
    EXPECT_EQ(daemon_->Call(r).status, 404);
    r.path = "/v1/pipelines";
    r.query.clear();
    EXPECT_EQ(daemon_->Call(r).status, 200);
    r.path = "/healthz";
    EXPECT_EQ(daemon_->Call(r).status, 200);
    r.path = "/metrics";
    auto m = daemon_->Call(r);
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("adxflow_api_requests_total"), std::string::npos);
    // Resource ids echo the subscription and group the caller used.
    PutBasics();
    auto ds = SendJson("GET", "datasets/InCsv", "", 200);
    EXPECT_EQ(ds["id"], std::string(kPrefix) + "datasets/InCsv");
    EXPECT_EQ(ds["type"], "Microsoft.DataFactory/factories/datasets");
}

}  // namespace
}  // namespace adxflow

namespace adxflow::api {
namespace {

// A path or query that is not UTF-8 once percent-decoded is a malformed target (400): names from the path
// go into JSON answers and stored bodies, and the JSON serializer aborts on them (found by fuzz_router).
TEST(ParseTargetTest, RefusesTextThatIsNotUtf8) {
    std::string path;
    std::map<std::string, std::string> query;
    EXPECT_TRUE(ParseTarget("/factories/f/linkedservices/Z%C3%B6e?api-version=2018-06-01", path, query));
    EXPECT_EQ(path,
              "/factories/f/linkedservices/Z\xC3\xB6"
              "e");
    EXPECT_FALSE(ParseTarget("/factories/f/linkedservices/L%DF", path, query));
    EXPECT_FALSE(ParseTarget("/factories/f/linkedservices/L\xDF?x=1", path, query));
    EXPECT_FALSE(ParseTarget("/x?name=%ED%A0%80", path, query));  // a surrogate
    EXPECT_FALSE(ParseTarget("/x?%C0%AF=1", path, query));        // an overlong '/'
    EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));
    EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));
    EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace adxflow::api
