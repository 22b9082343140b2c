#include "tests/integration/crash/crash_env.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "connectors/common/kusto/response.hpp"
#include "tests/bench/load_client.hpp"
#include "tests/support/kusto_table.hpp"

namespace adxflow::testing::crash {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDatabase = "Crash";
constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "crash-loader";
constexpr const char* kAppSecret = "Crash-Harness-Secret-5d2a";

// Rows [first, first + count) of the source data, with the header.
std::string SourceCsv(int first = 0, int count = kRows) {
    std::string csv = "id,name,amount\n";
    csv.reserve(static_cast<size_t>(count) * 24);
    for (int i = first; i < first + count; ++i)
        csv += std::to_string(i) + ",name-" + std::to_string(i % 101) + "," + std::to_string(i) + ".25\n";
    return csv;
}

// The CopyTree source: kRows split over three files at three depths, so that the sink's 10,000-row chunks
// end inside files and the output switches files inside chunks.
struct TreeFile {
    const char* path;  // below in/tree, and below the run's output folder
    int first, count;
};
constexpr TreeFile kTree[] = {
    {"part-0.csv", 0, 9000}, {"sub/part-1.csv", 9000, 7000}, {"sub/deep/part-2.csv", 16000, kRows - 16000}};

Json Expr(const std::string& text) {
    return {{"value", text}, {"type", "Expression"}};
}

Json Ref(const std::string& name, Json parameters) {
    return {{"referenceName", name}, {"type", "DatasetReference"}, {"parameters", std::move(parameters)}};
}

Json CopyActivity(const std::string& name, const std::string& file, Json output, Json sink, int retry) {
    return {{"name", name},
            {"type", "Copy"},
            {"policy", {{"retry", retry}, {"retryIntervalInSeconds", 1}, {"timeout", "0.00:05:00"}}},
            {"inputs", Json::array({Ref("InCsv", {{"file", file}})})},
            {"outputs", Json::array({std::move(output)})},
            {"typeProperties", {{"source", {{"type", "DelimitedTextSource"}}}, {"sink", std::move(sink)}}}};
}

Json OutFile() {
    return Ref("OutCsv", {{"folder", Expr("@pipeline().parameters.folder")},
                          {"file", Expr("@{pipeline().parameters.tag}.csv")}});
}

Json Pipeline(Json activity) {
    return {{"properties",
             {{"parameters",
               {{"tag", {{"type", "String"}}},
                {"folder", {{"type", "String"}}},
                {"table", {{"type", "String"}}}}},
              {"activities", Json::array({std::move(activity)})}}}};
}

bool Terminal(const std::string& s) {
    return s == "Succeeded" || s == "Failed" || s == "Cancelled";
}

// A CSV output (header, then rows whose first field is the id): every id of [first, first + count) exactly
// once, and no other.
void CheckRows(const std::string& text, const std::string& name, int first = 0, int count = kRows) {
    std::vector<int> seen(static_cast<size_t>(count), 0);
    size_t lines = 0, bad = 0;
    for (size_t pos = text.find('\n') + 1; pos < text.size();) {  // after the header
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const long id = std::strtol(text.c_str() + pos, nullptr, 10);
        if (id >= first && id < first + count)
            ++seen[static_cast<size_t>(id - first)];
        else
            ++bad;
        ++lines;
        pos = end + 1;
    }
    EXPECT_EQ(lines, static_cast<size_t>(count)) << name;
    EXPECT_EQ(bad, 0u) << name;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), count) << name << ": duplicate or missing ids";
}

}  // namespace

std::string ExpectedStatus(const std::string& pipeline) {
    return pipeline == "Failing" ? "Failed" : "Succeeded";
}

CrashEnv::CrashEnv() : work_(std::make_unique<TempDir>()) {
    auto azurite = AzuriteProcess::Start();
    if (!azurite.ok()) {
        ADD_FAILURE() << azurite.error().message;
        return;
    }
    azurite_ = std::move(azurite).value();
    auto emulator = EmulatorProcess::StartWithAdminPrincipal(work(), kDatabase, kTenant, kAppId, kAppSecret,
                                                             azurite_->connection_string());
    if (!emulator.ok()) {
        ADD_FAILURE() << emulator.error().message;
        return;
    }
    emulator_ = std::move(emulator).value();
    token_ = emulator_->ClientToken(kTenant, kAppId, kAppSecret);
    http_ = std::make_unique<http::HttpClient>();
    auto account = azure::ParseConnectionString(azurite_->connection_string());
    if (!account.ok()) {
        ADD_FAILURE() << account.error().message;
        emulator_.reset();
        return;
    }
    blobs_ = std::make_unique<azure::BlobClient>(*account, *http_);
    if (Status created = blobs_->CreateContainer("crash"); !created.ok()) {
        ADD_FAILURE() << created.error().message;
        emulator_.reset();
        return;
    }
    fs::create_directories(files() / "in");
    fs::create_directories(files() / "out");
    WriteFile(files() / "in/rows.csv", SourceCsv());
    for (const auto& f : kTree) WriteFile(files() / "in/tree" / f.path, SourceCsv(f.first, f.count));
}

CrashEnv::~CrashEnv() = default;

DaemonOptions CrashEnv::Options(const fs::path& data_dir, int port, const std::string& crash_at,
                                const fs::path& log) const {
    DaemonOptions o;
    o.data_dir = data_dir;
    o.port = port;
    o.log_file = log;
    o.file_roots = {files()};
    o.extra_flags = {"--azure-authority-host",
                     emulator_->url(),
                     "--azure-ca-file",
                     emulator_->certificate()->cert_file.string(),
                     "--workers",
                     "4"};
    if (!crash_at.empty()) o.env.emplace_back("ADXFLOW_CRASH_AT", crash_at);
    return o;
}

bool CrashEnv::PutFactory(DaemonProcess& daemon, int copy_retry) const {
    const Json adx_sink = {{"type", "AzureDataExplorerSink"}, {"writeBatchSize", 10000}};
    const Json file_sink = {{"type", "DelimitedTextSink"}, {"writeBatchSize", 10000}};
    const std::vector<std::pair<std::string, Json>> resources = {
        {"linkedservices/Files",
         {{"properties", {{"type", "FileServer"}, {"typeProperties", {{"host", files().string()}}}}}}},
        {"linkedservices/Adx",
         {{"properties",
           {{"type", "AzureDataExplorer"},
            {"typeProperties",
             {{"endpoint", emulator_->url()},
              {"database", kDatabase},
              {"tenant", kTenant},
              {"servicePrincipalId", kAppId},
              {"servicePrincipalKey", {{"type", "SecureString"}, {"value", kAppSecret}}}}}}}}},
        {"datasets/InCsv",
         {{"properties",
           {{"type", "DelimitedText"},
            {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
            {"parameters", {{"file", {{"type", "String"}}}}},
            {"typeProperties",
             {{"location",
               {{"type", "FileServerLocation"}, {"folderPath", "in"}, {"fileName", Expr("@dataset().file")}}},
              {"columnDelimiter", ","},
              {"firstRowAsHeader", true}}}}}}},
        {"datasets/OutCsv",
         {{"properties",
           {{"type", "DelimitedText"},
            {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
            {"parameters", {{"folder", {{"type", "String"}}}, {"file", {{"type", "String"}}}}},
            {"typeProperties",
             {{"location",
               {{"type", "FileServerLocation"},
                {"folderPath", Expr("@dataset().folder")},
                {"fileName", Expr("@dataset().file")}}},
              {"columnDelimiter", ","},
              {"firstRowAsHeader", true}}}}}}},
        {"datasets/InTree",
         {{"properties",
           {{"type", "DelimitedText"},
            {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
            {"typeProperties",
             {{"location", {{"type", "FileServerLocation"}, {"folderPath", "in/tree"}}},
              {"columnDelimiter", ","},
              {"firstRowAsHeader", true}}}}}}},
        {"datasets/OutTree",
         {{"properties",
           {{"type", "DelimitedText"},
            {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
            {"parameters", {{"folder", {{"type", "String"}}}}},
            {"typeProperties",
             {{"location", {{"type", "FileServerLocation"}, {"folderPath", Expr("@dataset().folder")}}},
              {"columnDelimiter", ","},
              {"firstRowAsHeader", true}}}}}}},
        {"linkedservices/Blob",
         {{"properties",
           {{"type", "AzureBlobStorage"},
            {"typeProperties", {{"connectionString", azurite_->connection_string()}}}}}}},
        {"datasets/OutBlob",
         {{"properties",
           {{"type", "DelimitedText"},
            {"linkedServiceName", {{"referenceName", "Blob"}, {"type", "LinkedServiceReference"}}},
            {"parameters", {{"folder", {{"type", "String"}}}, {"file", {{"type", "String"}}}}},
            {"typeProperties",
             {{"location",
               {{"type", "AzureBlobStorageLocation"},
                {"container", "crash"},
                {"folderPath", Expr("@dataset().folder")},
                {"fileName", Expr("@dataset().file")}}},
              {"columnDelimiter", ","},
              {"firstRowAsHeader", true}}}}}}},
        {"datasets/AdxTable",
         {{"properties",
           {{"type", "AzureDataExplorerTable"},
            {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
            {"parameters", {{"table", {{"type", "String"}}}}},
            {"typeProperties", {{"table", Expr("@dataset().table")}}}}}}},
        {"pipelines/CopyFiles", Pipeline(CopyActivity("Copy", "rows.csv", OutFile(), file_sink, copy_retry))},
        {"pipelines/CopyToBlob",
         Pipeline(CopyActivity("Copy", "rows.csv",
                               Ref("OutBlob", {{"folder", Expr("@pipeline().parameters.folder")},
                                               {"file", Expr("@{pipeline().parameters.tag}.csv")}}),
                               file_sink, copy_retry))},
        // A folder of three files -> one output file per source file (PreserveHierarchy).
        {"pipelines/CopyTree",
         Pipeline(
             {{"name", "CopyTree"},
              {"type", "Copy"},
              {"policy", {{"retry", copy_retry}, {"retryIntervalInSeconds", 1}, {"timeout", "0.00:05:00"}}},
              {"inputs", Json::array({Ref("InTree", Json::object())})},
              {"outputs",
               Json::array({Ref(
                   "OutTree",
                   {{"folder", Expr("@{pipeline().parameters.folder}/@{pipeline().parameters.tag}")}})})},
              {"typeProperties",
               {{"source", {{"type", "DelimitedTextSource"}, {"storeSettings", {{"recursive", true}}}}},
                {"sink",
                 {{"type", "DelimitedTextSink"},
                  {"writeBatchSize", 10000},
                  {"storeSettings", {{"copyBehavior", "PreserveHierarchy"}}}}}}}})},
        {"pipelines/Pause",
         Pipeline({{"name", "Pause"}, {"type", "Wait"}, {"typeProperties", {{"waitTimeInSeconds", 1}}}})},
        // The source file does not exist: the first attempt fails, its retry fails, the run fails.
        {"pipelines/Failing", Pipeline(CopyActivity("CopyMissing", "missing.csv", OutFile(), file_sink, 1))},
        {"pipelines/CsvToAdx",
         Pipeline(CopyActivity("Load", "rows.csv",
                               Ref("AdxTable", {{"table", Expr("@pipeline().parameters.table")}}), adx_sink,
                               copy_retry))},
        // ADX -> file: the source query's requests are where the chaos test's query faults land.
        {"pipelines/AdxToFile",
         Pipeline(
             {{"name", "Export"},
              {"type", "Copy"},
              {"policy", {{"retry", copy_retry}, {"retryIntervalInSeconds", 1}, {"timeout", "0.00:05:00"}}},
              {"inputs", Json::array({Ref("AdxTable", {{"table", Expr("@pipeline().parameters.table")}})})},
              {"outputs", Json::array({OutFile()})},
              {"typeProperties",
               {{"source",
                 {{"type", "AzureDataExplorerSource"},
                  {"query", Expr("@{pipeline().parameters.table} | order by id asc")}}},
                {"sink", file_sink}}}})},
    };
    for (const auto& [path, body] : resources) {
        auto r = daemon.Arm("PUT", path, body);
        if (!r.ok() || r->status != 200) {
            ADD_FAILURE() << "PUT " << path << ": " << (r.ok() ? r->text : r.error().message);
            return false;
        }
    }
    return true;
}

Submission CrashEnv::Submit(DaemonProcess& daemon, const std::string& pipeline, const std::string& tag,
                            const std::string& out_folder, const std::string& table) const {
    Submission s{pipeline, tag, "", table};
    auto r = daemon.Arm("POST", "pipelines/" + pipeline + "/createRun",
                        {{"tag", tag}, {"folder", out_folder}, {"table", table}});
    if (r.ok() && r->status == 200) s.run_id = r->body.value("runId", "");
    return s;
}

std::vector<Submission> CrashEnv::SubmitAll(DaemonProcess& daemon, const std::vector<Submission>& wanted,
                                            const std::string& out_folder) const {
    std::vector<Submission> out = wanted;
    std::mutex mu;
    bench::LoadOptions load;
    load.port = daemon.port();
    load.connections = wanted.size();
    load.duration = std::chrono::seconds(30);
    load.total_requests = wanted.size();
    bench::RunLoad(
        load,
        [&](uint64_t seq) {
            const Submission& s = wanted[seq];
            return bench::LoadRequest{
                "POST",
                std::string(DaemonProcess::kFactoryPath) + "/pipelines/" + s.pipeline +
                    "/createRun?api-version=2018-06-01",
                Json{{"tag", s.tag}, {"folder", out_folder}, {"table", s.table}}.dump()};
        },
        [&](const bench::LoadResponse& r) {
            if (r.status != 200 || !r.body || r.sequence >= out.size()) return;
            auto j = Json::parse(*r.body, nullptr, false);
            std::lock_guard g(mu);
            if (j.is_object()) out[r.sequence].run_id = j.value("runId", "");
        });
    return out;
}

std::vector<std::vector<std::string>> CrashEnv::Kusto(const std::string& csl) {
    return QueryKusto(*emulator_, kDatabase, csl, token_).rows;
}

int64_t CrashEnv::Count(const std::string& query) {
    return CountKusto(*emulator_, kDatabase, query, token_);
}

Json AllRuns(DaemonProcess& daemon) {
    Json all = Json::array();
    Json body = {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"}, {"lastUpdatedBefore", "2100-01-01T00:00:00Z"}};
    for (int page = 0; page < 1000; ++page) {
        auto r = daemon.Arm("POST", "queryPipelineRuns", body);
        if (!r.ok() || r->status != 200) {
            ADD_FAILURE() << "queryPipelineRuns: " << (r.ok() ? r->text : r.error().message);
            return all;
        }
        for (const auto& run : r->body["value"]) all.push_back(run);
        const Json& next = r->body["continuationToken"];
        if (!next.is_string() || next.get<std::string>().empty()) break;
        body["continuationToken"] = next;
    }
    return all;
}

Json CrashEnv::CheckInvariants(DaemonProcess& daemon, const std::vector<Submission>& submitted,
                               const std::string& out_folder, std::chrono::seconds limit,
                               const std::string& known_gap, int* gaps) {
    // 1. Every run in the store reaches a terminal state by itself (nobody resubmits anything).
    const auto deadline = std::chrono::steady_clock::now() + limit;
    Json runs;
    for (;;) {
        runs = AllRuns(daemon);
        const bool done = std::all_of(runs.begin(), runs.end(),
                                      [](const Json& r) { return Terminal(r.value("status", "")); });
        if (done) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ADD_FAILURE() << "runs not terminal after " << limit.count() << " s:\n"
                          << runs.dump(1) << "\n"
                          << daemon.LogTail();
            return runs;
        }
        std::this_thread::sleep_for(50ms);
    }
    std::map<std::string, const Submission*> by_tag;
    for (const auto& s : submitted) by_tag[s.tag] = &s;
    std::map<std::string, Json> run_of_tag;
    for (const auto& run : runs) {
        const std::string tag = run["parameters"].value("tag", "");
        auto it = by_tag.find(tag);
        if (it == by_tag.end()) continue;  // another scenario's run (a shared daemon)
        // 2. One run per submission: a restart never replays a createRun.
        EXPECT_EQ(run_of_tag.count(tag), 0u) << "two runs for the submission " << tag;
        run_of_tag[tag] = run;
        const Submission& s = *it->second;
        // 3. The status its pipeline must end in: a crash is never a failure of the run.
        auto acts = daemon.ActivityRuns(run.value("runId", ""));
        EXPECT_TRUE(acts.ok());
        const std::string status = run.value("status", "");
        if (!known_gap.empty() && status == "Failed" && status != ExpectedStatus(s.pipeline) &&
            run.value("message", "").find(known_gap) != std::string::npos) {
            if (gaps) ++*gaps;
        } else {
            EXPECT_EQ(status, ExpectedStatus(s.pipeline))
                << s.pipeline << " " << tag << ": " << run.dump(1) << "\n"
                << (acts.ok() ? acts->dump(1) : std::string());
        }
        // 4. No activity run left behind InProgress or Queued.
        if (acts.ok()) {
            for (const auto& a : *acts)
                EXPECT_TRUE(Terminal(a.value("status", ""))) << tag << ": " << a.dump(1);
        }
    }
    // 5. Every accepted submission (createRun answered) has its run.
    for (const auto& s : submitted) {
        if (s.run_id.empty()) continue;
        auto it = run_of_tag.find(s.tag);
        if (it == run_of_tag.end()) {
            ADD_FAILURE() << "accepted run " << s.run_id << " (" << s.tag << ") is lost";
            continue;
        }
        EXPECT_EQ(it->second.value("runId", ""), s.run_id);
    }
    // 6. Files: each stored file copy wrote its file once with every row once; nothing else is in the folder
    //    (no temp file of a dead attempt, no file of a run that does not exist or failed).
    std::set<std::string> expected_files;
    for (const auto& [tag, run] : run_of_tag)
        if (by_tag[tag]->pipeline == "CopyFiles" || by_tag[tag]->pipeline == "AdxToFile")
            expected_files.insert(tag + ".csv");
    const fs::path folder = files() / out_folder;
    std::set<std::string> present;
    if (fs::exists(folder))
        for (const auto& e : fs::directory_iterator(folder)) present.insert(e.path().filename().string());
    //    A tree copy wrote a folder named after its tag holding one file per source file, and nothing else.
    std::set<std::string> tree_folders;
    for (const auto& [tag, run] : run_of_tag) {
        if (by_tag[tag]->pipeline != "CopyTree") continue;
        expected_files.insert(tag);
        tree_folders.insert(tag);
        std::set<std::string> wanted, found;
        for (const auto& f : kTree) wanted.insert(f.path);
        if (fs::exists(folder / tag))
            for (const auto& e : fs::recursive_directory_iterator(folder / tag))
                if (e.is_regular_file())
                    found.insert(e.path().lexically_relative(folder / tag).generic_string());
        EXPECT_EQ(found, wanted) << "files in " << (folder / tag);
        for (const auto& f : kTree)
            if (found.count(f.path))
                CheckRows(ReadFile(folder / tag / f.path), tag + "/" + f.path, f.first, f.count);
    }
    EXPECT_EQ(present, expected_files) << "files in " << folder;
    for (const auto& name : expected_files)
        if (present.count(name) && !tree_folders.count(name)) CheckRows(ReadFile(folder / name), name);
    // 7. Blobs: the same for the copies into Azurite, in the container "crash" under the scenario's folder.
    std::set<std::string> expected_blobs, blobs;
    for (const auto& [tag, run] : run_of_tag)
        if (by_tag[tag]->pipeline == "CopyToBlob") expected_blobs.insert(out_folder + "/" + tag + ".csv");
    azure::ListBlobsOptions list;
    list.prefix = out_folder + "/";
    auto page = blobs_->ListBlobs("crash", list);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
    if (page.ok())
        for (const auto& b : page->blobs) blobs.insert(b.name);
    EXPECT_EQ(blobs, expected_blobs) << "blobs under crash/" << out_folder;
    for (const auto& name : expected_blobs) {
        if (!blobs.count(name)) continue;
        auto content = blobs_->GetBlob("crash", name);
        EXPECT_TRUE(content.ok()) << name;
        if (content.ok()) CheckRows(*content, name);
    }
    // 8. ADX: the stored CSV -> ADX runs put every row in their table exactly once (a table per run), and
    //    a table whose run was never stored stays empty.
    std::map<std::string, int64_t> adx_runs;
    for (const auto& s : submitted)
        if (s.pipeline == "CsvToAdx") adx_runs[s.table] += run_of_tag.count(s.tag) ? 1 : 0;
    for (const auto& [table, n] : adx_runs) {
        EXPECT_EQ(n <= 1, true) << "one CsvToAdx run per table, please";
        EXPECT_EQ(Count(table), n * kRows) << table;
        EXPECT_EQ(Count(table + " | distinct id"), n * kRows) << table;
    }
    return runs;
}

std::vector<std::string> CrashPointsInCode() {
    const std::regex point(R"re(ADXFLOW_CRASH_POINT\("([a-z0-9_.]+)"\))re");
    std::set<std::string> out;
    for (const char* top : {"core", "storage", "connectors", "daemon"})
        for (const auto& entry : fs::recursive_directory_iterator(SourceDir() / top)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            const std::string text = ReadFile(entry.path());
            for (std::sregex_iterator it(text.begin(), text.end(), point), end; it != end; ++it)
                out.insert((*it)[1]);
        }
    return {out.begin(), out.end()};
}

}  // namespace adxflow::testing::crash
