// CSV file → ADX by queued ingestion: adxflowd (a Copy activity, DelimitedTextSource →
// AzureDataExplorerSink) against the official Node SDK (azure-kusto-ingest
// QueuedIngestClient.ingestFromFile), same Azurite, same emulator, same file, side by side in one run.
//
//   adxflow_adx_ingest_bench [--rows 1000000] [--reps 3] [--verify-rows 100000] [--source file|blob]
//                            [-- daemon flags...]
//
// --source blob: adxflowd reads the CSV from an Azurite container (AzureBlobStorage, ranged GETs) instead of
// a local file; the SDK side still ingests the local file (a script would download the blob first). The
// daemon's peak RSS growth over each run is printed (VmHWM reset before it).
//
// Two phases, each with its own emulator and daemon on one Azurite:
//  1. Correctness (emulator storing rows): both sides ingest the first --verify-rows rows of the same
//     generator into their own table; row counts, column aggregates and sample rows are compared with what
//     the generator wrote and with each other.
//  2. Speed (emulator started with --ingest-sink discard, so it acknowledges a blob without reading it and
//     neither side is limited by the emulator parsing and storing rows): per repetition, adxflowd is timed
//     from createRun until the run is Succeeded (its sink succeeds only once every chunk is confirmed on the
//     status table) and the SDK from before its client is created until the success-queue message arrives.
//     Both figures are the CSV file's size over those seconds. `.show ingestion failures` must stay empty.
//
// Exits non-zero when a run fails, the phase-1 comparison fails, or (local file source only) the median
// ratio is below the goal (3x).
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "connectors/common/azure/blob_client.hpp"
#include "tests/bench/proc_stats.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
using namespace adxflow;
using namespace adxflow::testing;
using Steady = std::chrono::steady_clock;

using adxflow::bench::CpuSeconds;

namespace {

constexpr double kGoalRatio = 3.0;
bool g_blob_source = false;  // --source blob
constexpr const char* kDatabase = "Bench";
constexpr const char* kTableSchema =
    "(id:long, ts:datetime, user:string, amount:real, active:bool, count:int, note:string, props:dynamic)";

// splitmix64: a cheap deterministic hash, so row i is the same in every file and can be recomputed.
uint64_t Mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// What the generator put in row i, for the aggregates the correctness phase checks.
struct Expected {
    int64_t rows = 0;
    int64_t sum_id = 0;
    int64_t sum_cents = 0;  // amount * 100, exact
    int64_t active = 0;
    int64_t sum_count = 0;
    int64_t quoted_notes = 0;
};

// One CSV record of 8 mixed columns (~125 bytes): a long, an ISO datetime, a short string, a real with two
// decimals, a bool, an int, a note that is empty (null) every 10th row and quoted with an embedded comma
// and doubled quotes every 4th, and a JSON object (always quoted: it holds commas and quotes).
void AppendRow(std::string& out, int64_t i, Expected& e) {
    const uint64_t h = Mix(static_cast<uint64_t>(i));
    char buf[256];
    const int64_t ms = 1704067200000LL + i * 1337;  // 2024-01-01 + i * 1.337 s
    const int64_t secs = ms / 1000, day = secs / 86400, sod = secs % 86400;
    // civil from days (Howard Hinnant), 1970-01-01 = day 0
    const int64_t z = day + 719468, era = z / 146097, doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9,
                  y = yoe + era * 400 + (m <= 2);
    const int64_t cents = static_cast<int64_t>(h % 10000000);
    const bool active = (h >> 20) & 1;
    const int count = static_cast<int>((h >> 24) % 1000);
    int n = std::snprintf(buf, sizeof buf,
                          "%" PRId64 ",%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64
                          ":%02" PRId64 ".%03" PRId64 "Z,user-%" PRIu64 ",%" PRId64 ".%02" PRId64 ",%s,%d,",
                          i, y, m, d, sod / 3600, sod / 60 % 60, sod % 60, ms % 1000, (h >> 32) % 50000,
                          cents / 100, cents % 100, active ? "true" : "false", count);
    out.append(buf, static_cast<size_t>(n));
    if (i % 10 == 0) {
        // empty: null
    } else if (i % 4 == 0) {
        n = std::snprintf(buf, sizeof buf, "\"order %" PRId64 ", \"\"rush\"\" delivery\"", i);
        out.append(buf, static_cast<size_t>(n));
        ++e.quoted_notes;
    } else {
        n = std::snprintf(buf, sizeof buf, "plain note %" PRIu64, h % 100000);
        out.append(buf, static_cast<size_t>(n));
    }
    n = std::snprintf(buf, sizeof buf,
                      ",\"{\"\"k\"\":%" PRIu64 ",\"\"tags\"\":[\"\"t%d\"\",\"\"x\"\"],\"\"ok\"\":%s}\"\n",
                      (h >> 8) % 100000, count % 7, active ? "true" : "false");
    out.append(buf, static_cast<size_t>(n));
    ++e.rows;
    e.sum_id += i;
    e.sum_cents += cents;
    e.active += active;
    e.sum_count += count;
}

Expected WriteCsv(const fs::path& file, int64_t rows) {
    std::ofstream out(file, std::ios::binary);
    Expected e;
    std::string buf = "id,ts,user,amount,active,count,note,props\n";
    for (int64_t i = 0; i < rows; ++i) {
        AppendRow(buf, i, e);
        if (buf.size() > (1u << 20)) {
            out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
            buf.clear();
        }
    }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    return e;
}

// The first table of a v1 answer (query or command) as {column name: index} and rows of JSON values.
struct V1Table {
    std::vector<std::string> columns;
    Json rows = Json::array();
    int Column(const std::string& name) const {
        for (size_t i = 0; i < columns.size(); ++i)
            if (columns[i] == name) return static_cast<int>(i);
        return -1;
    }
};

Result<V1Table> Kusto(EmulatorProcess& emulator, const std::string& csl) {
    const bool command = !csl.empty() && csl[0] == '.';
    ADXFLOW_ASSIGN_OR_RETURN(http::HttpResponse r,
                             emulator.Post(command ? "/v1/rest/mgmt" : "/v1/rest/query",
                                           Json{{"db", kDatabase}, {"csl", csl}}.dump()));
    if (r.status != 200)
        return MakeError(ErrorKind::kInternal, "bench",
                         csl + ": HTTP " + std::to_string(r.status) + " " + r.body);
    Json body = Json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("Tables") || body["Tables"].empty())
        return MakeError(ErrorKind::kInternal, "bench", csl + ": unexpected answer " + r.body.substr(0, 500));
    V1Table t;
    for (const auto& c : body["Tables"][0]["Columns"]) t.columns.push_back(c.value("ColumnName", ""));
    t.rows = body["Tables"][0]["Rows"];
    return t;
}

struct Stack {
    std::unique_ptr<EmulatorProcess> emulator;
    std::unique_ptr<DaemonProcess> daemon;
};

void Put(DaemonProcess& d, const std::string& path, const Json& body) {
    auto r = d.Arm("PUT", path, body);
    if (!r.ok() || r->status != 200) {
        std::cerr << "PUT " << path << " failed: " << (r.ok() ? r->text : r.error().message) << "\n";
        std::exit(1);
    }
}

// An emulator on `azurite` (storing rows or discarding them) and a daemon whose managed identity is served
// by that emulator's IMDS endpoint; the factory (linked services, datasets) is put in place.
Stack StartStack(const fs::path& dir, const fs::path& files, AzuriteProcess& azurite, bool discard,
                 const std::vector<std::string>& daemon_flags) {
    fs::create_directories(dir);
    const fs::path config = dir / "emulator.json";
    WriteFile(config, R"({"identities":[{"type":"systemManagedIdentity","roles":{"*":"admin"}}]})");
    std::vector<std::string> flags = {"--database",
                                      kDatabase,
                                      "--config",
                                      config.string(),
                                      "--no-auth",
                                      "--storage",
                                      azurite.connection_string(),
                                      "--ingest-poll-ms",
                                      "50"};
    if (discard) flags.insert(flags.end(), {"--ingest-sink", "discard"});
    auto emulator = EmulatorProcess::Start(dir, flags);
    if (!emulator.ok()) {
        std::cerr << emulator.error().message << "\n";
        std::exit(1);
    }
    Stack s;
    s.emulator = std::move(*emulator);
    DaemonOptions options;
    options.data_dir = dir / "daemon";
    options.file_roots = {files};
    options.extra_flags = {"--azure-imds-endpoint", s.emulator->url(), "--log-level", "warn"};
    options.extra_flags.insert(options.extra_flags.end(), daemon_flags.begin(), daemon_flags.end());
    auto daemon = DaemonProcess::Start(options);
    if (!daemon.ok()) {
        std::cerr << daemon.error().message << "\n";
        std::exit(1);
    }
    s.daemon = std::move(*daemon);
    DaemonProcess& d = *s.daemon;
    Put(d, "linkedservices/Files",
        {{"properties", {{"type", "FileServer"}, {"typeProperties", {{"host", files.string()}}}}}});
    // No key and no credential: the daemon's system-assigned managed identity, as in ADF.
    Put(d, "linkedservices/Adx",
        {{"properties",
          {{"type", "AzureDataExplorer"},
           {"typeProperties", {{"endpoint", s.emulator->url()}, {"database", kDatabase}}}}}});
    Put(d, "linkedservices/Blob",
        {{"properties",
          {{"type", "AzureBlobStorage"},
           {"typeProperties", {{"connectionString", azurite.connection_string()}}}}}});
    Json location = {{"type", "FileServerLocation"},
                     {"folderPath", "in"},
                     {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}};
    if (g_blob_source)
        location = {{"type", "AzureBlobStorageLocation"},
                    {"container", "bench"},
                    {"folderPath", "in"},
                    {"fileName", location["fileName"]}};
    Put(d, "datasets/InCsv",
        {{"properties",
          {{"type", "DelimitedText"},
           {"linkedServiceName",
            {{"referenceName", g_blob_source ? "Blob" : "Files"}, {"type", "LinkedServiceReference"}}},
           {"parameters", {{"file", {{"type", "String"}}}}},
           {"typeProperties",
            {{"location", location},
             {"columnDelimiter", ","},
             {"quoteChar", "\""},
             {"escapeChar", "\""},
             {"firstRowAsHeader", true}}}}}});
    Put(d, "datasets/AdxTable",
        {{"properties",
          {{"type", "AzureDataExplorerTable"},
           {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
           {"parameters", {{"table", {{"type", "String"}}}}},
           {"typeProperties", {{"table", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
    return s;
}

bool CreateTable(EmulatorProcess& emulator, const std::string& table) {
    auto r = Kusto(emulator, ".create table " + table + " " + kTableSchema);
    if (!r.ok()) std::cerr << r.error().message << "\n";
    return r.ok();
}

struct RunResult {
    bool ok = false;
    double seconds = 0;
    double cpu_seconds = 0;   // the process's user + system CPU over the run (the daemon's; the SDK's node)
    long rss_growth_kb = -1;  // adxflow: peak RSS over the run minus RSS before it
    int64_t rows = 0;         // adxflow: rowsCopied
    std::string error;
};

RunResult RunAdxflow(DaemonProcess& d, const std::string& file, const std::string& table) {
    RunResult r;
    Json copy = {
        {"name", "Load"},
        {"type", "Copy"},
        {"inputs",
         Json::array(
             {{{"referenceName", "InCsv"}, {"type", "DatasetReference"}, {"parameters", {{"file", file}}}}})},
        {"outputs", Json::array({{{"referenceName", "AdxTable"},
                                  {"type", "DatasetReference"},
                                  {"parameters", {{"table", table}}}}})},
        {"typeProperties",
         {{"source", {{"type", "DelimitedTextSource"}}}, {"sink", {{"type", "AzureDataExplorerSink"}}}}}};
    Put(d, "pipelines/Ingest", {{"properties", {{"activities", Json::array({copy})}}}});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    adxflow::bench::ResetPeak(d.pid());
    const long rss_before = adxflow::bench::ProcStatusKb(d.pid(), "VmRSS");
    const double cpu_before = CpuSeconds(d.pid());
    const auto started = Steady::now();
    auto created = d.Arm("POST", "pipelines/Ingest/createRun", Json::object());
    if (!created.ok() || created->status != 200) {
        r.error = "createRun failed";
        return r;
    }
    const std::string id = created->body.value("runId", "");
    auto run = d.WaitForRun(id, std::chrono::seconds(1800));
    r.seconds = std::chrono::duration<double>(Steady::now() - started).count();
    r.cpu_seconds = CpuSeconds(d.pid()) - cpu_before;
    r.rss_growth_kb = adxflow::bench::ProcStatusKb(d.pid(), "VmHWM") - rss_before;
    auto acts = d.ActivityRuns(id);
    if (!run.ok() || run->value("status", "") != "Succeeded") {
        r.error = "adxflow run did not succeed: " + (run.ok() ? run->dump() : run.error().message) + "\n" +
                  (acts.ok() ? acts->dump(2) : "") + "\n" + d.LogTail();
        return r;
    }
    if (acts.ok() && !acts->empty()) r.rows = (*acts)[0]["output"].value("rowsCopied", int64_t{0});
    r.ok = true;
    return r;
}

RunResult RunSdk(const std::string& url, const fs::path& csv, const std::string& table,
                 const fs::path& work) {
    RunResult r;
    auto node = FindOnPath("node");
    if (!node) {
        r.error = "node is not on PATH (run deploy/bootstrap.sh)";
        return r;
    }
    const fs::path script = SourceDir() / "tests/bench/adx_ingest_sdk.js";
    const fs::path log = work / ("sdk-" + table + ".log");
    fs::remove(log);
    std::string error;
    auto child =
        ChildProcess::Spawn({node->string(), script.string(), url, kDatabase, table, csv.string()},
                            {{"ADXFLOW_NODE_TOOLS", (SourceDir() / "tests/node").string()}}, log, error);
    if (!child) {
        r.error = error;
        return r;
    }
    auto status = child->WaitFor(std::chrono::seconds(1800));
    const std::string text = ReadFile(log);
    const auto line = text.rfind("{\"");
    Json report = line == std::string::npos ? Json() : Json::parse(text.substr(line), nullptr, false);
    if (!status || *status != 0 || !report.is_object() || report.value("status", "") != "Succeeded") {
        r.error = "the SDK run failed: " + text.substr(0, 2000);
        return r;
    }
    r.seconds = report.value("seconds", 0.0);
    r.cpu_seconds = report.value("cpuSeconds", 0.0);
    r.ok = true;
    return r;
}

// Phase 1: both sides load the same small file into their own table of an emulator that keeps the rows.
bool VerifyCorrectness(Stack& s, const fs::path& csv, const Expected& e, const fs::path& work) {
    EmulatorProcess& em = *s.emulator;
    if (!CreateTable(em, "ByAdxflow") || !CreateTable(em, "BySdk")) return false;
    RunResult ours = RunAdxflow(*s.daemon, csv.filename().string(), "ByAdxflow");
    RunResult theirs = RunSdk(em.url(), csv, "BySdk", work);
    if (!ours.ok || !theirs.ok) {
        std::printf("correctness runs failed:\n%s\n%s\n", ours.error.c_str(), theirs.error.c_str());
        return false;
    }
    bool good = true;
    const std::string aggregates =
        " | summarize n = count(), ids = dcount(id), sid = sum(id), samount = sum(amount), nactive = "
        "countif(active), scount = sum(count), nulls = countif(isnull(ts)), empty = countif(note == \"\")";
    std::vector<Json> sums;
    for (const std::string table : {"ByAdxflow", "BySdk"}) {
        auto t = Kusto(em, table + aggregates);
        if (!t.ok() || t->rows.size() != 1) {
            std::printf("%s: aggregate query failed: %s\n", table.c_str(),
                        t.ok() ? t->rows.dump().c_str() : t.error().message.c_str());
            return false;
        }
        const Json row = t->rows[0];
        sums.push_back(row);
        auto at = [&](const char* name) { return row[static_cast<size_t>(t->Column(name))]; };
        const int64_t empty_notes = (e.rows + 9) / 10;  // rows 0, 10, 20, ...
        const bool match = at("n").get<int64_t>() == e.rows && at("ids").get<int64_t>() == e.rows &&
                           at("sid").get<int64_t>() == e.sum_id &&
                           std::llround(at("samount").get<double>() * 100) == e.sum_cents &&
                           at("nactive").get<int64_t>() == e.active &&
                           at("scount").get<int64_t>() == e.sum_count && at("nulls").get<int64_t>() == 0 &&
                           at("empty").get<int64_t>() == empty_notes;
        std::printf("     %-9s %s: %s\n", table.c_str(),
                    match ? "matches the generator" : "DIFFERS from the generator", row.dump().c_str());
        good = good && match;
    }
    // Sample rows, every column, compared between the two tables and with the generator's text.
    for (int64_t id : {int64_t{0}, int64_t{1}, int64_t{4}, int64_t{7}, e.rows / 2, e.rows - 1}) {
        Json rows[2];
        int i = 0;
        for (const std::string table : {"ByAdxflow", "BySdk"}) {
            auto t = Kusto(em, table + " | where id == " + std::to_string(id));
            rows[i++] = t.ok() && t->rows.size() == 1 ? t->rows[0] : Json();
        }
        Expected scratch;
        std::string line;
        AppendRow(line, id, scratch);
        // The note and props columns as the generator quoted them: compare the decoded text.
        const bool same = !rows[0].is_null() && rows[0] == rows[1];
        bool note_ok = false;
        if (!rows[0].is_null()) {
            const std::string note = rows[0][6].is_string() ? rows[0][6].get<std::string>() : "";
            note_ok = id % 10 == 0  ? note.empty()
                      : id % 4 == 0 ? note == "order " + std::to_string(id) + ", \"rush\" delivery"
                                    : note.rfind("plain note ", 0) == 0;
        }
        if (!same || !note_ok) {
            std::printf("     row id %" PRId64
                        " differs:\n       adxflow: %s\n       sdk:     %s\n       csv:     %s",
                        id, rows[0].dump().c_str(), rows[1].dump().c_str(), line.c_str());
            good = false;
        }
    }
    if (good)
        std::printf("     %" PRId64
                    " rows each, aggregates and 6 sample rows equal (adxflow %.2f s, SDK %.2f s)\n",
                    e.rows, ours.seconds, theirs.seconds);
    return good;
}

double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows as it happens, also when piped to a file
    int64_t rows = 1'000'000, verify_rows = 100'000;
    int reps = 3;
    std::vector<std::string> daemon_flags;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--") {
            daemon_flags.assign(argv + i + 1, argv + argc);
            break;
        }
        if (i + 1 >= argc) flag.clear();  // a flag without its value: usage
        if (flag == "--rows")
            rows = std::stoll(argv[++i]);
        else if (flag == "--verify-rows")
            verify_rows = std::stoll(argv[++i]);
        else if (flag == "--reps")
            reps = std::stoi(argv[++i]);
        else if (flag == "--source" &&
                 (std::string(argv[i + 1]) == "file" || std::string(argv[i + 1]) == "blob"))
            g_blob_source = std::string(argv[++i]) == "blob";
        else {
            std::cerr << "usage: adxflow_adx_ingest_bench [--rows N] [--reps N] [--verify-rows N] "
                         "[--source file|blob] [-- daemon flags]\n";
            return 2;
        }
    }
    TempDir work;
    const fs::path files = work.path() / "files";
    fs::create_directories(files / "in");
    const fs::path big = files / "in/bench.csv", small = files / "in/verify.csv";
    const auto gen_started = Steady::now();
    WriteCsv(big, rows);
    const Expected small_expected = WriteCsv(small, std::min(rows, verify_rows));
    const double mb = static_cast<double>(fs::file_size(big)) / 1e6;
    std::printf("CSV %s -> ADX queued ingestion: %" PRId64
                " rows x 8 columns, %.1f MB (generated in %.1f s), %d repetitions\n",
                g_blob_source ? "blob" : "file", rows, mb,
                std::chrono::duration<double>(Steady::now() - gen_started).count(), reps);

    auto azurite = AzuriteProcess::Start();
    if (!azurite.ok()) {
        std::cerr << azurite.error().message << "\n";
        return 1;
    }
    if (g_blob_source) {
        // The same two files as blobs, uploaded block by block before anything is timed.
        auto account = azure::ParseConnectionString((*azurite)->connection_string());
        http::HttpClient http;
        azure::BlobClient blobs(*account, http);
        if (!blobs.CreateContainer("bench").ok()) return 1;
        for (const fs::path& f : {big, small}) {
            Status up = blobs.Upload("bench", "in/" + f.filename().string(), ReadFile(f));
            if (!up.ok()) {
                std::cerr << up.error().message << "\n";
                return 1;
            }
        }
    }
    bool failed = false;
    {
        std::printf("correctness: %" PRId64 " rows into an emulator that stores them\n", small_expected.rows);
        Stack s = StartStack(work.path() / "verify", files, **azurite, /*discard=*/false, daemon_flags);
        failed = !VerifyCorrectness(s, small, small_expected, work.path());
    }

    Stack s = StartStack(work.path() / "speed", files, **azurite, /*discard=*/true, daemon_flags);
    std::printf("speed: emulator %s with --ingest-sink discard, adxflowd pid %d\n", s.emulator->url().c_str(),
                static_cast<int>(s.daemon->pid()));
    std::printf("%-4s %10s %10s %12s %10s %8s %14s %10s %14s\n", "rep", "adxflow s", "SDK s", "adxflow MB/s",
                "SDK MB/s", "ratio", "adxflow CPU s", "SDK CPU s", "adxflow +RSS MB");
    std::vector<double> ratios;
    for (int rep = 1; rep <= reps && !failed; ++rep) {
        // Each side its own table, new per repetition; who goes first alternates.
        const std::string ours_table = "Adxflow" + std::to_string(rep),
                          their_table = "Sdk" + std::to_string(rep);
        if (!CreateTable(*s.emulator, ours_table) || !CreateTable(*s.emulator, their_table)) return 1;
        RunResult ours, theirs;
        if (rep % 2 == 1) {
            ours = RunAdxflow(*s.daemon, big.filename().string(), ours_table);
            theirs = RunSdk(s.emulator->url(), big, their_table, work.path());
        } else {
            theirs = RunSdk(s.emulator->url(), big, their_table, work.path());
            ours = RunAdxflow(*s.daemon, big.filename().string(), ours_table);
        }
        if (!ours.ok || !theirs.ok) {
            std::printf("rep %d failed:\n%s\n%s\n", rep, ours.error.c_str(), theirs.error.c_str());
            failed = true;
            break;
        }
        if (ours.rows != rows) {
            std::printf("rep %d: adxflow copied %" PRId64 " rows, not %" PRId64 "\n", rep, ours.rows, rows);
            failed = true;
        }
        const double ours_rate = mb / ours.seconds, their_rate = mb / theirs.seconds;
        ratios.push_back(ours_rate / their_rate);
        std::printf("%-4d %10.2f %10.2f %12.1f %10.1f %7.2fx %14.2f %10.2f %14.1f\n", rep, ours.seconds,
                    theirs.seconds, ours_rate, their_rate, ours_rate / their_rate, ours.cpu_seconds,
                    theirs.cpu_seconds, static_cast<double>(ours.rss_growth_kb) / 1024.0);
    }
    if (!failed) {
        auto failures = Kusto(*s.emulator, ".show ingestion failures");
        if (!failures.ok() || !failures->rows.empty()) {
            std::printf("ingestion failures reported: %s\n",
                        failures.ok() ? failures->rows.dump().c_str() : failures.error().message.c_str());
            failed = true;
        } else {
            std::printf("     .show ingestion failures: none\n");
        }
    }
    if (failed) return 1;
    const double ratio = Median(ratios);
    if (g_blob_source) {
        // The 3x goal is the local-file path's (issue 6); reading from Azurite, a single Node process serving
        // the ranges, has none: the ratio is reported.
        std::printf("median ratio %.2fx (Blob source: reported, no goal)\n", ratio);
        return 0;
    }
    const bool pass = ratio >= kGoalRatio;
    std::printf("median ratio %.2fx (goal >= %.0fx): %s\n", ratio, kGoalRatio, pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
