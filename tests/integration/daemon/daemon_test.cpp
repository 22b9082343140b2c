// The real adxflowd binary on a temp SQLite file and a free loopback port, driven over the ARM-compatible
// API: a parameterised Lookup → Copy (CSV → JSON) pipeline runs to Succeeded, history survives a restart, and
// a kill -9 in the middle of a copy resumes the activity from its checkpoint with every row written once.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSecret = "Integration-Secret-4c1f9e";

std::string OrdersCsv(int rows) {
    std::string csv = "id,customer,amount,created\n";
    csv.reserve(static_cast<size_t>(rows) * 40);
    for (int i = 0; i < rows; ++i) {
        csv += std::to_string(i) + ",customer-" + std::to_string(i % 97) + "," + std::to_string(i * 3) + "." +
               std::to_string(i % 100) + ",2024-01-" + std::to_string(10 + i % 18) + "T08:00:00Z\n";
    }
    return csv;
}

// The resources of the scenario, in the ADF JSON shapes a user would write.
Json LinkedService(const fs::path& root) {
    return {{"properties",
             {{"type", "FileServer"},
              {"typeProperties",
               {{"host", root.string()},
                {"userId", "etl"},
                {"password", {{"type", "SecureString"}, {"value", kSecret}}}}}}}};
}

Json Location(const std::string& folder_param, const std::string& file_param) {
    return {{"type", "FileServerLocation"},
            {"folderPath", {{"value", "@dataset()." + folder_param}, {"type", "Expression"}}},
            {"fileName", {{"value", "@dataset()." + file_param}, {"type", "Expression"}}}};
}

Json Dataset(const std::string& type, Json type_properties) {
    return {{"properties",
             {{"type", type},
              {"linkedServiceName", {{"referenceName", "LocalFiles"}, {"type", "LinkedServiceReference"}}},
              {"parameters", {{"folder", {{"type", "String"}}}, {"file", {{"type", "String"}}}}},
              {"typeProperties", std::move(type_properties)}}}};
}

Json CsvDataset() {
    return Dataset(
        "DelimitedText",
        {{"location", Location("folder", "file")}, {"columnDelimiter", ","}, {"firstRowAsHeader", true}});
}

Json JsonDataset() {
    return Dataset("Json", {{"location", Location("folder", "file")}});
}

Json ConfigDataset() {
    return {{"properties",
             {{"type", "Json"},
              {"linkedServiceName", {{"referenceName", "LocalFiles"}, {"type", "LinkedServiceReference"}}},
              {"typeProperties",
               {{"location",
                 {{"type", "FileServerLocation"}, {"folderPath", "config"}, {"fileName", "job.json"}}}}}}}};
}

Json DatasetRef(const std::string& name, Json parameters) {
    return {{"referenceName", name}, {"type", "DatasetReference"}, {"parameters", std::move(parameters)}};
}

// Lookup reads which file to copy; Copy takes its input from the Lookup output and its output name from a
// run parameter and the Lookup output together.
Json Pipeline(int write_batch_size) {
    Json lookup = {{"name", "ReadJob"},
                   {"type", "Lookup"},
                   {"typeProperties",
                    {{"source", {{"type", "JsonSource"}}},
                     {"dataset", {{"referenceName", "JobConfig"}, {"type", "DatasetReference"}}}}}};
    Json copy = {
        {"name", "CopyOrders"},
        {"type", "Copy"},
        {"dependsOn",
         Json::array({{{"activity", "ReadJob"}, {"dependencyConditions", Json::array({"Succeeded"})}}})},
        {"policy", {{"retry", 0}, {"timeout", "0.00:10:00"}}},
        {"inputs",
         Json::array({DatasetRef(
             "CsvFile",
             {{"folder", "@activity('ReadJob').output.firstRow.folder"},
              {"file", {{"value", "@activity('ReadJob').output.firstRow.file"}, {"type", "Expression"}}}})})},
        {"outputs",
         Json::array({DatasetRef("JsonFile", {{"folder", "@pipeline().parameters.outFolder"},
                                              {"file",
                                               "@{pipeline().parameters.prefix}-@{activity('ReadJob').output."
                                               "firstRow.target}"}})})},
        {"typeProperties",
         {{"source", {{"type", "DelimitedTextSource"}}},
          {"sink", {{"type", "JsonSink"}, {"writeBatchSize", write_batch_size}}}}}};
    return {
        {"properties",
         {{"parameters",
           {{"outFolder", {{"type", "String"}, {"defaultValue", "out"}}}, {"prefix", {{"type", "String"}}}}},
          {"activities", Json::array({lookup, copy})}}}};
}

// Reads a setOfObjects (one object per line) or arrayOfObjects file.
std::vector<Json> ReadJsonRows(const fs::path& file) {
    std::string text = ReadFile(file);
    std::vector<Json> rows;
    if (!text.empty() && text.find_first_not_of(" \r\n\t") != std::string::npos &&
        text[text.find_first_not_of(" \r\n\t")] == '[') {
        for (auto& row : Json::parse(text)) rows.push_back(row);
        return rows;
    }
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (!line.empty()) rows.push_back(Json::parse(line));
    return rows;
}

// Every input row appears exactly once, with its values.
void ExpectEveryRowOnce(const fs::path& file, int rows) {
    auto out = ReadJsonRows(file);
    ASSERT_EQ(out.size(), static_cast<size_t>(rows)) << file;
    std::vector<int> seen(static_cast<size_t>(rows), 0);
    for (const auto& row : out) {
        ASSERT_TRUE(row.contains("id") && row.contains("customer") && row.contains("amount")) << row.dump();
        int id = std::stoi(row["id"].get<std::string>());
        ASSERT_GE(id, 0);
        ASSERT_LT(id, rows);
        ++seen[static_cast<size_t>(id)];
        ASSERT_EQ(row["customer"].get<std::string>(), "customer-" + std::to_string(id % 97));
        ASSERT_EQ(row["amount"].get<std::string>(), std::to_string(id * 3) + "." + std::to_string(id % 100));
    }
    for (int i = 0; i < rows; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)], 1) << "row id " << i;
}

class DaemonIntegration : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = dir_ / "files";
        fs::create_directories(root_ / "out");
        WriteFile(root_ / "config/job.json", R"({"folder":"in","file":"orders.csv","target":"orders.json"})"
                                             "\n");
    }

    DaemonOptions Options(std::vector<std::string> flags) {
        DaemonOptions options;
        options.data_dir = dir_ / "data";
        options.file_roots = {root_};
        options.extra_flags = std::move(flags);
        return options;
    }

    std::unique_ptr<DaemonProcess> StartDaemon(std::vector<std::string> flags = {}) {
        flags.insert(flags.end(), {"--log-level", "debug"});
        auto started = DaemonProcess::Start(Options(flags));
        EXPECT_TRUE(started.ok()) << started.error().message;
        return started.ok() ? std::move(started).value() : nullptr;
    }

    void Put(DaemonProcess& d, const std::string& path, const Json& body) {
        auto reply = d.Arm("PUT", path, body);
        ASSERT_TRUE(reply.ok()) << reply.error().message;
        ASSERT_EQ(reply->status, 200) << path << ": " << reply->text;
    }

    void PutScenario(DaemonProcess& d, int write_batch_size) {
        Put(d, "linkedservices/LocalFiles", LinkedService(root_));
        Put(d, "datasets/JobConfig", ConfigDataset());
        Put(d, "datasets/CsvFile", CsvDataset());
        Put(d, "datasets/JsonFile", JsonDataset());
        Put(d, "pipelines/CopyOrders", Pipeline(write_batch_size));
    }

    std::string CreateRun(DaemonProcess& d, const Json& parameters) {
        auto reply = d.Arm("POST", "pipelines/CopyOrders/createRun", parameters);
        EXPECT_TRUE(reply.ok()) << reply.error().message;
        if (!reply.ok()) return {};
        EXPECT_EQ(reply->status, 200) << reply->text;
        return reply->body.value("runId", "");
    }

    static const Json* FindActivity(const Json& runs, const std::string& name, const std::string& status) {
        for (const auto& a : runs)
            if (a.value("activityName", "") == name && a.value("status", "") == status) return &a;
        return nullptr;
    }

    TempDir dir_;
    fs::path root_;
};

TEST_F(DaemonIntegration, LookupThenCopyOverArmApiAndHistorySurvivesRestart) {
    constexpr int kRows = 2500;
    WriteFile(root_ / "in/orders.csv", OrdersCsv(kRows));
    auto daemon = StartDaemon();
    ASSERT_TRUE(daemon);
    PutScenario(*daemon, 1000);

    const std::string run_id = CreateRun(*daemon, {{"prefix", "daily"}});
    ASSERT_FALSE(run_id.empty());
    auto run = daemon->WaitForRun(run_id);
    ASSERT_TRUE(run.ok()) << run.error().message << "\n" << daemon->LogTail();
    ASSERT_EQ(run->value("status", ""), "Succeeded") << run->dump(2) << "\n" << daemon->LogTail();
    EXPECT_EQ((*run)["parameters"]["prefix"], "daily");
    EXPECT_EQ((*run)["parameters"]["outFolder"], "out");  // the default filled in

    // Output file named from the run parameter and the Lookup output; every row once.
    ExpectEveryRowOnce(root_ / "out/daily-orders.json", kRows);

    auto activities = daemon->ActivityRuns(run_id);
    ASSERT_TRUE(activities.ok()) << activities.error().message;
    ASSERT_EQ(activities->size(), 2u) << activities->dump(2);
    const Json* lookup = FindActivity(*activities, "ReadJob", "Succeeded");
    ASSERT_TRUE(lookup) << activities->dump(2);
    EXPECT_EQ((*lookup)["output"]["firstRow"]["file"], "orders.csv");
    const Json* copy = FindActivity(*activities, "CopyOrders", "Succeeded");
    ASSERT_TRUE(copy) << activities->dump(2);
    const Json& out = (*copy)["output"];
    EXPECT_EQ(out["rowsRead"], kRows);
    EXPECT_EQ(out["rowsCopied"], kRows);
    EXPECT_EQ(out["dataRead"].get<int64_t>(), static_cast<int64_t>(fs::file_size(root_ / "in/orders.csv")));
    EXPECT_EQ(out["dataWritten"].get<int64_t>(),
              static_cast<int64_t>(fs::file_size(root_ / "out/daily-orders.json")));
    EXPECT_TRUE(out.contains("copyDuration") && out.contains("throughput")) << out.dump();
    EXPECT_TRUE(out["errors"].is_array() && out["errors"].empty()) << out.dump();
    EXPECT_EQ((*copy)["input"]["source"]["type"], "DelimitedTextSource") << copy->dump();

    // Graceful stop, then the same history from a new process on the same data dir.
    const int stopped = daemon->Stop();
    EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << DescribeWaitStatus(stopped);
    ASSERT_TRUE(daemon->Restart().ok()) << daemon->LogTail();
    auto again = daemon->Arm("GET", "pipelineruns/" + run_id);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->status, 200) << again->text;
    for (const char* field : {"runId", "status", "runStart", "runEnd", "durationInMs", "parameters",
                              "runGroupId", "pipelineName", "invokedBy", "isLatest"})
        EXPECT_EQ(again->body[field], (*run)[field]) << field;
    auto activities_again = daemon->ActivityRuns(run_id);
    ASSERT_TRUE(activities_again.ok());
    EXPECT_EQ(*activities_again, *activities);
    auto listed = daemon->Arm(
        "POST", "queryPipelineRuns",
        {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"}, {"lastUpdatedBefore", "2100-01-01T00:00:00Z"}});
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->body["value"].size(), 1u) << listed->text;
    EXPECT_EQ(listed->body["value"][0]["runId"], run_id);
    // The definitions are back too, with the secret masked.
    auto ls = daemon->Arm("GET", "linkedservices/LocalFiles");
    ASSERT_TRUE(ls.ok());
    EXPECT_EQ(ls->body["properties"]["typeProperties"]["password"]["value"], "**********") << ls->text;

    daemon->Stop();
    // The secret is in neither the log nor any file of the data dir (database, WAL, key file aside).
    EXPECT_EQ(ReadFile(daemon->options().log_file).find(kSecret), std::string::npos);
    for (const auto& entry : fs::directory_iterator(dir_ / "data"))
        EXPECT_EQ(ReadFile(entry.path()).find(kSecret), std::string::npos) << entry.path();
}

// The checkpoint the engine stored for the running copy, read from the daemon's SQLite file (read-only, WAL).
Json CopyCheckpoint(const fs::path& db_path) {
    sqlite3* db = nullptr;
    Json checkpoint;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        sqlite3_stmt* stmt = nullptr;
        const char* sql =
            "SELECT checkpoint FROM activity_runs WHERE activity_name = 'CopyOrders' AND status = "
            "'InProgress'";
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW) {
            auto text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
            if (text) checkpoint = Json::parse(text, nullptr, false);
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return checkpoint;
}

TEST_F(DaemonIntegration, KillDashNineMidCopyResumesFromCheckpointAndWritesEveryRowOnce) {
    // Enough rows, in small chunks, that the copy is still running when the first chunks are committed.
    constexpr int kRows = 400000;
    constexpr int kBatch = 500;
    WriteFile(root_ / "in/orders.csv", OrdersCsv(kRows));
    auto daemon = StartDaemon();
    ASSERT_TRUE(daemon);
    PutScenario(*daemon, kBatch);
    const std::string run_id = CreateRun(*daemon, {{"prefix", "crash"}});
    ASSERT_FALSE(run_id.empty());

    // Wait (bounded) until at least one chunk is committed, then kill -9.
    uint64_t committed = 0;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        Json cp = CopyCheckpoint(dir_ / "data/adxflow.db");
        if (cp.is_object() && cp.value("rowsCommitted", uint64_t{0}) > 0) {
            committed = cp["rowsCommitted"].get<uint64_t>();
            break;
        }
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_GT(committed, 0u) << "no committed chunk seen within 60 s\n" << daemon->LogTail();
    const int killed = daemon->Kill();
    ASSERT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL) << DescribeWaitStatus(killed);
    ASSERT_FALSE(fs::exists(root_ / "out/crash-orders.json")) << "the copy finished before the kill";

    ASSERT_TRUE(daemon->Restart().ok()) << daemon->LogTail();
    auto run = daemon->WaitForRun(run_id, 120s);
    ASSERT_TRUE(run.ok()) << run.error().message << "\n" << daemon->LogTail();
    ASSERT_EQ(run->value("status", ""), "Succeeded") << run->dump(2) << "\n" << daemon->LogTail();

    ExpectEveryRowOnce(root_ / "out/crash-orders.json", kRows);

    auto activities = daemon->ActivityRuns(run_id);
    ASSERT_TRUE(activities.ok());
    const Json* interrupted = FindActivity(*activities, "CopyOrders", "Failed");
    ASSERT_TRUE(interrupted) << activities->dump(2);
    EXPECT_EQ((*interrupted)["error"]["errorCode"], "DaemonRestart") << interrupted->dump();
    const Json* resumed = FindActivity(*activities, "CopyOrders", "Succeeded");
    ASSERT_TRUE(resumed) << activities->dump(2);
    // ADF reports retryAttempt null for the first attempt and 1, 2, ... for the later ones.
    auto attempt = [](const Json& a) {
        return a["retryAttempt"].is_number() ? a["retryAttempt"].get<int>() : 0;
    };
    EXPECT_GT(attempt(*resumed), attempt(*interrupted)) << activities->dump(2);
    // The resumed attempt started at a committed chunk boundary at or after the one seen before the kill.
    const uint64_t resumed_from = (*resumed)["output"].value("resumedFromRow", uint64_t{0});
    EXPECT_GE(resumed_from, committed) << resumed->dump();
    EXPECT_EQ(resumed_from % kBatch, 0u);
    EXPECT_EQ((*resumed)["output"]["rowsCopied"], kRows) << resumed->dump();
    // No temp file is left behind.
    for (const auto& entry : fs::directory_iterator(root_ / "out"))
        EXPECT_EQ(entry.path().filename(), "crash-orders.json") << "left behind: " << entry.path();
}

}  // namespace
}  // namespace adxflow::testing
