// The ADX connector's write side end to end: adxflowd copies into the emulator (TLS, identities) through
// queued ingestion staged in a real Azurite, as ADF's AzureDataExplorerSink does. The target tables are
// then queried back: every row, its values, the extent tags; failures reported by the service fail the
// activity; a daemon killed with -9 at several points leaves neither duplicate nor missing rows.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "connectors/common/kusto/response.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_table.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "loader-app";
constexpr const char* kAppSecret = "Adx-Sink-Secret-91be";

std::string OrdersCsv(int rows, int first = 0) {
    std::string csv = "amount,id,note,customer\n";  // not the table's order, on purpose
    for (int i = first; i < first + rows; ++i)
        csv += std::to_string(i * 2) + ".5," + std::to_string(i) + ",\"note, \"\"" + std::to_string(i) +
               "\"\"\",cust-" + std::to_string(i % 13) + "\n";
    return csv;
}

using Table = KustoTextTable;

class AdxSinkTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        work_ = new TempDir();
        auto azurite = AzuriteProcess::Start();
        ASSERT_TRUE(azurite.ok()) << azurite.error().message;
        azurite_ = azurite->release();
        auto emulator = EmulatorProcess::StartWithAdminPrincipal(work_->path(), "Sales", kTenant, kAppId,
                                                                 kAppSecret, azurite_->connection_string());
        ASSERT_TRUE(emulator.ok()) << emulator.error().message;
        emulator_ = emulator->release();
        fs::create_directories(work_->path() / "files/in");
        StartDaemon();
    }
    static void TearDownTestSuite() {
        delete daemon_;
        delete emulator_;
        delete azurite_;
        delete work_;
        daemon_ = nullptr;
        emulator_ = nullptr;
        azurite_ = nullptr;
        work_ = nullptr;
    }

    static void StartDaemon(std::vector<std::string> extra = {}) {
        DaemonOptions options;
        options.data_dir = work_->path() / "daemon";
        options.file_roots = {work_->path() / "files"};
        options.extra_flags = {"--azure-authority-host", emulator_->url(),
                               "--azure-ca-file",        emulator_->certificate()->cert_file.string(),
                               "--copy-chunk-rows",      "1000"};
        options.extra_flags.insert(options.extra_flags.end(), extra.begin(), extra.end());
        auto daemon = DaemonProcess::Start(options);
        ASSERT_TRUE(daemon.ok()) << daemon.error().message;
        daemon_ = daemon->release();
        PutFactory();
    }

    void SetUp() override {
        ASSERT_NE(daemon_, nullptr);
        ASSERT_TRUE(
            emulator_->client().Send({"DELETE", emulator_->url() + "/_emulator/faults", {}, {}}).ok());
    }

    static std::string Token() { return emulator_->ClientToken(kTenant, kAppId, kAppSecret); }

    // Runs a command (v1 mgmt) or query (v2) against Sales and returns its primary table.
    static Table Kusto(const std::string& csl) { return QueryKusto(*emulator_, "Sales", csl, Token()); }

    static int64_t Count(const std::string& query) { return CountKusto(*emulator_, "Sales", query, Token()); }

    static void Put(const std::string& path, const Json& body) {
        auto r = daemon_->Arm("PUT", path, body);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << path << ": " << r->text;
    }

    static void PutFactory() {
        Put("linkedservices/Files",
            {{"properties",
              {{"type", "FileServer"}, {"typeProperties", {{"host", (work_->path() / "files").string()}}}}}});
        Put("linkedservices/Adx",
            {{"properties",
              {{"type", "AzureDataExplorer"},
               {"typeProperties",
                {{"endpoint", emulator_->url()},
                 {"database", "Sales"},
                 {"tenant", kTenant},
                 {"servicePrincipalId", kAppId},
                 {"servicePrincipalKey", {{"type", "SecureString"}, {"value", kAppSecret}}}}}}}});
        Put("datasets/InCsv",
            {{"properties",
              {{"type", "DelimitedText"},
               {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"file", {{"type", "String"}}}}},
               {"typeProperties",
                {{"location",
                  {{"type", "FileServerLocation"},
                   {"folderPath", "in"},
                   {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}}},
                 {"columnDelimiter", ","},
                 {"escapeChar", "\""},
                 {"firstRowAsHeader", true}}}}}});
        Put("datasets/AdxTable",
            {{"properties",
              {{"type", "AzureDataExplorerTable"},
               {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"table", {{"type", "String"}}}}},
               {"typeProperties", {{"table", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
    }

    static Json CopyToAdx(const std::string& name, const std::string& file, const std::string& table,
                          Json sink, Json retry = 0) {
        return {
            {"name", name},
            {"type", "Copy"},
            {"policy", {{"retry", retry}, {"retryIntervalInSeconds", 1}, {"timeout", "0.00:10:00"}}},
            {"inputs", Json::array({{{"referenceName", "InCsv"},
                                     {"type", "DatasetReference"},
                                     {"parameters", {{"file", file}}}}})},
            {"outputs", Json::array({{{"referenceName", "AdxTable"},
                                      {"type", "DatasetReference"},
                                      {"parameters", {{"table", table}}}}})},
            {"typeProperties", {{"source", {{"type", "DelimitedTextSource"}}}, {"sink", std::move(sink)}}}};
    }

    static std::string StartRun(const std::string& pipeline, Json activities) {
        Put("pipelines/" + pipeline, {{"properties", {{"activities", std::move(activities)}}}});
        auto created = daemon_->Arm("POST", "pipelines/" + pipeline + "/createRun", Json::object());
        EXPECT_TRUE(created.ok() && created->status == 200);
        return created.ok() ? created->body.value("runId", "") : "";
    }

    static std::pair<Json, Json> Run(const std::string& pipeline, Json activities) {
        const std::string id = StartRun(pipeline, std::move(activities));
        auto run = daemon_->WaitForRun(id, 180s);
        auto acts = daemon_->ActivityRuns(id);
        return {run.ok() ? *run : Json(), acts.ok() ? *acts : Json()};
    }

    static TempDir* work_;
    static AzuriteProcess* azurite_;
    static EmulatorProcess* emulator_;
    static DaemonProcess* daemon_;
};

TempDir* AdxSinkTest::work_ = nullptr;
AzuriteProcess* AdxSinkTest::azurite_ = nullptr;
EmulatorProcess* AdxSinkTest::emulator_ = nullptr;
DaemonProcess* AdxSinkTest::daemon_ = nullptr;

TEST_F(AdxSinkTest, CsvIntoTableByColumnNameWithTagsEveryRowOnce) {
    Kusto(".create table Orders (id:long, customer:string, amount:real, note:string, loaded:datetime)");
    WriteFile(work_->path() / "files/in/orders.csv", OrdersCsv(2500));
    Json sink = {{"type", "AzureDataExplorerSink"},
                 {"additionalProperties", {{"tags", Json::array({"source:orders.csv"})}}}};
    auto [run, acts] = Run("LoadOrders", Json::array({CopyToAdx("Load", "orders.csv", "Orders", sink)}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    EXPECT_EQ(acts[0]["output"].value("rowsCopied", 0), 2500);

    EXPECT_EQ(Count("Orders"), 2500);
    EXPECT_EQ(Count("Orders | distinct id"), 2500);
    Table sample = Kusto("Orders | where id == 7 | project id, customer, amount, note, loaded");
    ASSERT_EQ(sample.rows.size(), 1u);
    EXPECT_EQ(sample.rows[0], (std::vector<std::string>{"7", "cust-7", "14.5", "note, \"7\"", ""}));
    // One extent per committed chunk (the source hands over 10,000-row batches, so 2,500 rows are one), with
    // its ingest-by tag, the run's drop-by tag and the user's tag.
    Table extents = Kusto(".show table Orders extents");
    ASSERT_EQ(extents.rows.size(), 1u);
    const int tags_column = extents.Column("Tags");
    ASSERT_GE(tags_column, 0);
    for (const auto& e : extents.rows) {
        const std::string& tags = e[static_cast<size_t>(tags_column)];
        EXPECT_NE(tags.find("ingest-by:"), std::string::npos) << tags;
        EXPECT_NE(tags.find("drop-by:"), std::string::npos) << tags;
        EXPECT_NE(tags.find("source:orders.csv"), std::string::npos) << tags;
    }
}

TEST_F(AdxSinkTest, MappingByNameAndSourceColumnsTheTableLacks) {
    Kusto(".create table Mapped (OrderId:long, Client:string)");
    Kusto(
        ".create table Mapped ingestion csv mapping \"OrdersCsv\" '[{\"column\":\"OrderId\",\"Properties\":"
        "{\"Ordinal\":\"1\"}},{\"column\":\"Client\",\"Properties\":{\"Ordinal\":\"3\"}}]'");
    WriteFile(work_->path() / "files/in/mapped.csv", OrdersCsv(300));
    Json with_mapping = CopyToAdx("WithMapping", "mapped.csv", "Mapped",
                                  {{"type", "AzureDataExplorerSink"}, {"ingestionMappingName", "OrdersCsv"}});
    // Without a mapping, source columns the table does not have are an error naming them.
    Json without = CopyToAdx("WithoutMapping", "mapped.csv", "Mapped", {{"type", "AzureDataExplorerSink"}});
    auto [run, acts] = Run("Mapping", Json::array({with_mapping, without}));
    Json ok, bad;
    for (const auto& a : acts) (a.value("activityName", "") == "WithMapping" ? ok : bad) = a;
    EXPECT_EQ(ok.value("status", ""), "Succeeded") << ok.dump(2);
    EXPECT_EQ(Count("Mapped"), 300);
    Table row = Kusto("Mapped | where OrderId == 12");
    ASSERT_EQ(row.rows.size(), 1u);
    EXPECT_EQ(row.rows[0][1], "cust-12");
    EXPECT_EQ(bad.value("status", ""), "Failed");
    const std::string message = bad["error"].value("message", "");
    EXPECT_NE(message.find("amount"), std::string::npos) << message;
    EXPECT_NE(message.find("note"), std::string::npos) << message;
    EXPECT_EQ(bad["error"].value("errorCode", ""), "ColumnsNotInTable");
}

TEST_F(AdxSinkTest, AdxToAdxCopiesTheQueryResult) {
    Kusto(".create table Source (id:long, name:string, score:real)");
    std::string rows;
    for (int i = 0; i < 400; ++i)
        rows += std::to_string(i) + ",n" + std::to_string(i) + "," + std::to_string(i / 4.0) + "\n";
    Kusto(".ingest inline into table Source <|\n" + rows);
    Kusto(".create table Target (score:real, id:long, name:string, extra:string)");
    Json copy = {{"name", "AdxToAdx"},
                 {"type", "Copy"},
                 {"inputs", Json::array({{{"referenceName", "AdxTable"},
                                          {"type", "DatasetReference"},
                                          {"parameters", {{"table", "Source"}}}}})},
                 {"outputs", Json::array({{{"referenceName", "AdxTable"},
                                           {"type", "DatasetReference"},
                                           {"parameters", {{"table", "Target"}}}}})},
                 {"typeProperties",
                  {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "Source | where id % 2 == 0"}}},
                   {"sink", {{"type", "AzureDataExplorerSink"}}}}}};
    auto [run, acts] = Run("AdxToAdx", Json::array({copy}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2);
    EXPECT_EQ(Count("Target"), 200);
    Table row = Kusto("Target | where id == 10 | project id, name, score, extra");
    ASSERT_EQ(row.rows.size(), 1u);
    EXPECT_EQ(row.rows[0], (std::vector<std::string>{"10", "n10", "2.5", ""}));
}

TEST_F(AdxSinkTest, AnIngestionThatFailsAfterEnqueueFailsTheActivity) {
    Kusto(".create table Rejected (id:long, customer:string, amount:real, note:string)");
    auto armed = emulator_->Post(
        "/_emulator/faults", R"({"action":"failIngestion","table":"Rejected","count":10,"permanent":true})");
    ASSERT_TRUE(armed.ok() && armed->status < 300) << (armed.ok() ? armed->body : armed.error().message);
    WriteFile(work_->path() / "files/in/rejected.csv", OrdersCsv(50));
    auto [run, acts] = Run(
        "Rejected",
        Json::array({CopyToAdx("Load", "rejected.csv", "Rejected", {{"type", "AzureDataExplorerSink"}})}));
    EXPECT_EQ(run.value("status", ""), "Failed");
    const Json error = acts[0]["error"];
    EXPECT_NE(error.value("message", "").find("failed"), std::string::npos) << error.dump(2);
    EXPECT_EQ(Count("Rejected"), 0);
}

// A transient failure of one chunk's ingestion fails the attempt; the activity's retry republishes the
// manifest: the chunks already in are skipped by the service, the failed one lands, nothing twice.
TEST_F(AdxSinkTest, ATransientIngestionFailureIsRetriedWithoutDuplicates) {
    Kusto(".create table Flaky (id:long, customer:string, amount:real, note:string)");
    auto armed = emulator_->Post("/_emulator/faults",
                                 R"({"action":"failIngestion","table":"Flaky","count":1,"permanent":false})");
    ASSERT_TRUE(armed.ok() && armed->status < 300);
    WriteFile(work_->path() / "files/in/flaky.csv", OrdersCsv(30000));
    auto [run, acts] =
        Run("Flaky", Json::array({CopyToAdx("Load", "flaky.csv", "Flaky", {{"type", "AzureDataExplorerSink"}},
                                            /*retry=*/1)}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2);
    ASSERT_EQ(acts.size(), 2u) << acts.dump(2);
    EXPECT_EQ(Count("Flaky"), 30000);
    EXPECT_EQ(Count("Flaky | distinct id"), 30000);
}

// adxflowStreamingIngestion: chunks of at most 4 MB go through streaming ingestion (no staging blob, no
// queue), a larger chunk through queued ingestion, in one copy. The source hands over 10,000-row batches:
// the first 10,000 rows carry 500-byte notes (about 5 MB of CSV), the last 1,500 short ones.
TEST_F(AdxSinkTest, StreamingIngestionSendsSmallChunksAndQueuesLargeOnes) {
    Kusto(".create table Streamed (id:long, customer:string, amount:real, note:string)");
    Kusto(".alter table Streamed policy streamingingestion enable");
    std::string csv = "id,customer,amount,note\n";
    for (int i = 0; i < 11500; ++i)
        csv += std::to_string(i) + ",c" + std::to_string(i % 7) + "," + std::to_string(i) + ".25," +
               (i < 10000 ? std::string(500, 'x') : std::string("\"short, \"\"quoted\"\"\"")) + "\n";
    WriteFile(work_->path() / "files/in/streamed.csv", csv);
    Json sink = {{"type", "AzureDataExplorerSink"}, {"adxflowStreamingIngestion", true}};
    auto [run, acts] = Run("Streamed", Json::array({CopyToAdx("Load", "streamed.csv", "Streamed", sink)}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    const Json output = acts[0]["output"];
    EXPECT_EQ(output.value("adxStreamingIngestedChunks", -1), 1) << output.dump(2);
    EXPECT_EQ(output.value("adxStreamingIngestedRows", -1), 1500) << output.dump(2);
    EXPECT_EQ(output.value("adxQueuedChunks", -1), 1) << output.dump(2);
    EXPECT_EQ(Count("Streamed"), 11500);
    EXPECT_EQ(Count("Streamed | distinct id"), 11500);
    Table row = Kusto("Streamed | where id == 10001 | project id, customer, amount, note");
    ASSERT_EQ(row.rows.size(), 1u);
    EXPECT_EQ(row.rows[0], (std::vector<std::string>{"10001", "c5", "10001.25", "short, \"quoted\""}));
    EXPECT_EQ(Count("Streamed | where strlen(note) == 500"), 10000);
}

// Without the table's streaming policy the service refuses streaming: the sink says so in the log and
// queues every chunk instead; the copy succeeds with every row once.
TEST_F(AdxSinkTest, StreamingIngestionFallsBackToQueuedWhenThePolicyIsOff) {
    Kusto(".create table NoStreaming (id:long, customer:string, amount:real, note:string)");
    WriteFile(work_->path() / "files/in/nostreaming.csv", OrdersCsv(25000));
    Json sink = {{"type", "AzureDataExplorerSink"}, {"adxflowStreamingIngestion", true}};
    auto [run, acts] =
        Run("NoStreaming", Json::array({CopyToAdx("Load", "nostreaming.csv", "NoStreaming", sink)}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    const Json output = acts[0]["output"];
    EXPECT_EQ(output.value("adxStreamingIngestedChunks", -1), 0) << output.dump(2);
    EXPECT_EQ(output.value("adxQueuedChunks", -1), 3) << output.dump(2);
    EXPECT_EQ(Count("NoStreaming"), 25000);
    EXPECT_EQ(Count("NoStreaming | distinct id"), 25000);
    EXPECT_NE(daemon_->LogTail(1 << 20).find("streaming ingestion is off for Sales.NoStreaming"),
              std::string::npos);
}

// A sink setting of the wrong type is refused with its path before anything is written.
TEST_F(AdxSinkTest, StreamingSettingMustBeABoolean) {
    Kusto(".create table BadSetting (id:long)");
    WriteFile(work_->path() / "files/in/badsetting.csv", "id\n1\n");
    Json sink = {{"type", "AzureDataExplorerSink"}, {"adxflowStreamingIngestion", "yes"}};
    auto [run, acts] =
        Run("BadSetting", Json::array({CopyToAdx("Load", "badsetting.csv", "BadSetting", sink)}));
    EXPECT_EQ(run.value("status", ""), "Failed");
    EXPECT_NE(acts[0]["error"].value("message", "").find("sink.adxflowStreamingIngestion"), std::string::npos)
        << acts.dump(2);
    EXPECT_EQ(Count("BadSetting"), 0);
}

// Throttled control commands (.show table schema, .get ingestion resources, ...) are retried by the sink with
// the service's Retry-After, inside one attempt: the activity has no retry and still succeeds.
TEST_F(AdxSinkTest, ThrottledCommandsAreRetriedWithinTheAttempt) {
    Kusto(".create table Throttled (id:long, customer:string, amount:real, note:string)");
    WriteFile(work_->path() / "files/in/throttled.csv", OrdersCsv(200));
    auto armed = emulator_->Post("/_emulator/faults",
                                 R"({"count":2,"path":"/v1/rest/mgmt","status":429,"retryAfterSecs":1})");
    ASSERT_TRUE(armed.ok() && armed->status < 300);
    auto [run, acts] = Run(
        "Throttled",
        Json::array({CopyToAdx("Load", "throttled.csv", "Throttled", {{"type", "AzureDataExplorerSink"}})}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    EXPECT_EQ(acts.size(), 1u) << acts.dump(2);  // one attempt
    EXPECT_EQ(Count("Throttled"), 200);
    auto left = emulator_->Get("/_emulator/faults");
    ASSERT_TRUE(left.ok());
    // Both throttles were met.
    EXPECT_EQ(Json::parse(left->body).value("faults", Json::array()).size(), 0u) << left->body;
}

// Reads the activity's checkpoint from the daemon's SQLite file (read-only; WAL readers do not block it).
Json Checkpoint(const fs::path& db, const std::string& run_id) {
    sqlite3* h = nullptr;
    Json out;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(
            h, "SELECT checkpoint FROM activity_runs WHERE run_id = ? ORDER BY rowid DESC LIMIT 1", -1, &st,
            nullptr) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = Json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), nullptr, false);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

// kill -9 at two points of a 20-chunk copy: while chunks are being staged (nothing enqueued yet), and once
// the manifest is persisted (enqueueing or waiting for confirmation). Each time the daemon restarts on the
// same data dir and the run finishes by itself; the table must hold every row exactly once.
TEST_F(AdxSinkTest, KilledAtSeveralPointsEveryRowLandsExactlyOnce) {
    constexpr int kRows = 200000;  // 20 chunks: the source hands over 10,000-row batches
    WriteFile(work_->path() / "files/in/big.csv", OrdersCsv(kRows));
    const fs::path db = work_->path() / "daemon/adxflow.db";
    struct Point {
        const char* name;
        std::function<bool(const Json&)> reached;
    };
    const std::vector<Point> points = {
        {"staging",
         [](const Json& cp) {
             return cp.is_object() && cp.value("chunk", 0) >= 3 && !cp.value("sourceDone", false);
         }},
        {"manifest persisted",
         [](const Json& cp) { return cp.is_object() && cp.value("sourceDone", false); }},
    };
    int round = 0;
    for (const auto& point : points) {
        SCOPED_TRACE(point.name);
        const std::string table = "Killed" + std::to_string(round++);
        Kusto(".create table " + table + " (id:long, customer:string, amount:real, note:string)");
        const std::string run_id =
            StartRun("Kill" + table,
                     Json::array({CopyToAdx("Load", "big.csv", table, {{"type", "AzureDataExplorerSink"}})}));
        bool hit = false;
        for (int i = 0; i < 600 && !hit; ++i) {
            hit = point.reached(Checkpoint(db, run_id));
            if (!hit) std::this_thread::sleep_for(10ms);
        }
        EXPECT_TRUE(hit) << "the copy never reached the point";
        daemon_->Kill();
        ASSERT_TRUE(daemon_->Restart().ok()) << daemon_->LogTail();
        auto run = daemon_->WaitForRun(run_id, 180s);
        ASSERT_TRUE(run.ok()) << run.error().message;
        EXPECT_EQ(run->value("status", ""), "Succeeded") << run->dump(2) << daemon_->LogTail();
        EXPECT_EQ(Count(table), kRows);
        EXPECT_EQ(Count(table + " | distinct id"), kRows);
        // The kill interrupted an attempt: a second one (DaemonRestart) finished the copy.
        auto acts = daemon_->ActivityRuns(run_id);
        ASSERT_TRUE(acts.ok());
        EXPECT_GE(acts->size(), 2u) << acts->dump(2);
        if (std::string(point.name) == "manifest persisted") {
            // Published from the manifest: the source was not read again.
            for (const auto& a : *acts) {
                if (a.value("status", "") == "Succeeded") {
                    EXPECT_EQ(a["output"].value("rowsRead", -1), 0) << a.dump(2);
                }
            }
        }
    }
}

}  // namespace
}  // namespace adxflow::testing
