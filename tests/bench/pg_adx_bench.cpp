// PostgreSQL -> ADX: adxflowd (a Copy activity, PostgreSqlV2Source -> AzureDataExplorerSink, queued
// ingestion) against the way a user would script it without adxflow: `psql \copy (query) TO file.csv`
// followed by the official Node SDK's QueuedIngestClient.ingestFromFile (tests/bench/adx_ingest_sdk.js),
// same PostgreSQL table, same Azurite, same emulator, side by side.
//
//   adxflow_pg_adx_bench [--rows 1000000] [--reps 3] [-- daemon flags...]
//
// The emulator runs with --ingest-sink discard (it acknowledges a blob without parsing and storing it), so
// neither side is limited by the emulator; correctness of the same path is covered by postgres_copy_test.
// adxflowd is timed from createRun until the run is Succeeded (every chunk confirmed); the script from
// psql's start until the SDK's success report. MB/s are over the CSV text of the table (the file psql
// writes), rows/s over the row count. The daemon's peak RSS growth during its run is measured from
// /proc (VmHWM reset before the run, minus VmRSS before it).
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "tests/support/azurite.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/postgres_process.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
using namespace adxflow;
using namespace adxflow::testing;
using Steady = std::chrono::steady_clock;

namespace {

// From /proc (Linux): a process's user + system CPU seconds, a "Name: value kB" field of its status, and
// the reset of its peak RSS (VmHWM) to the current RSS, so that a run's peak is its own.
double CpuSeconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    unsigned long long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)  // 14 utime, 15 stime
        if (i == 14 || i == 15) ticks += std::stoull(field);
    return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
long StatusKb(pid_t pid, const char* name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    const std::string prefix = std::string(name) + ":";
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
    return -1;
}
void ResetPeak(pid_t pid) {
    std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
}

constexpr const char* kDatabase = "Bench";
constexpr const char* kTableSchema =
    "(id:long, ts:datetime, user:string, amount:real, active:bool, count:int, note:string, props:dynamic)";

// Throws so that the servers the bench started (PostgreSQL, Azurite, the emulator, adxflowd) are stopped by
// their destructors on the way out of main; std::exit would leave them running.
[[noreturn]] void Die(const std::string& message) {
    throw std::runtime_error(message);
}

void Put(DaemonProcess& d, const std::string& path, const Json& body) {
    auto r = d.Arm("PUT", path, body);
    if (!r.ok() || r->status != 200)
        Die("PUT " + path + " failed: " + (r.ok() ? r->text : r.error().message));
}

struct RunResult {
    double seconds = 0;
    double export_seconds = 0;  // the script: psql's share
    double cpu_seconds = 0;
    long rss_growth_kb = 0;
    int64_t rows = 0;
};

RunResult RunAdxflow(DaemonProcess& d, const std::string& table) {
    Json copy = {
        {"name", "Load"},
        {"type", "Copy"},
        {"inputs", Json::array({{{"referenceName", "PgTable"}, {"type", "DatasetReference"}}})},
        {"outputs", Json::array({{{"referenceName", "AdxTable"},
                                  {"type", "DatasetReference"},
                                  {"parameters", {{"table", table}}}}})},
        {"typeProperties",
         {{"source", {{"type", "PostgreSqlV2Source"}}}, {"sink", {{"type", "AzureDataExplorerSink"}}}}}};
    Put(d, "pipelines/Load", {{"properties", {{"activities", Json::array({copy})}}}});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    RunResult r;
    const long rss_before = StatusKb(d.pid(), "VmRSS");
    ResetPeak(d.pid());
    const double cpu_before = CpuSeconds(d.pid());
    const auto started = Steady::now();
    auto created = d.Arm("POST", "pipelines/Load/createRun", Json::object());
    if (!created.ok() || created->status != 200) Die("createRun failed");
    const std::string id = created->body.value("runId", "");
    auto run = d.WaitForRun(id, std::chrono::seconds(1800));
    r.seconds = std::chrono::duration<double>(Steady::now() - started).count();
    r.cpu_seconds = CpuSeconds(d.pid()) - cpu_before;
    r.rss_growth_kb = StatusKb(d.pid(), "VmHWM") - rss_before;
    auto acts = d.ActivityRuns(id);
    if (!run.ok() || run->value("status", "") != "Succeeded")
        Die("adxflow run did not succeed: " + (acts.ok() ? acts->dump(2) : std::string()) + "\n" +
            d.LogTail());
    if (acts.ok() && !acts->empty()) r.rows = (*acts)[0]["output"].value("rowsCopied", int64_t{0});
    return r;
}

RunResult RunScript(PostgresProcess& pg, const std::string& url, const std::string& table,
                    const fs::path& work) {
    RunResult r;
    const fs::path csv = work / ("export-" + table + ".csv");
    const auto started = Steady::now();
    auto exported =
        pg.Psql("\\copy (SELECT * FROM bench) TO '" + csv.string() + "' WITH (FORMAT csv, HEADER)");
    if (!exported.ok()) Die("psql \\copy failed: " + exported.error().message);
    r.export_seconds = std::chrono::duration<double>(Steady::now() - started).count();
    auto node = FindOnPath("node");
    if (!node) Die("node is not on PATH (run deploy/bootstrap.sh)");
    const fs::path log = work / ("sdk-" + table + ".log");
    std::string error;
    auto child =
        ChildProcess::Spawn({node->string(), (SourceDir() / "tests/bench/adx_ingest_sdk.js").string(), url,
                             kDatabase, table, csv.string()},
                            {{"ADXFLOW_NODE_TOOLS", (SourceDir() / "tests/node").string()}}, log, error);
    if (!child) Die(error);
    auto status = child->WaitFor(std::chrono::seconds(1800));
    r.seconds = std::chrono::duration<double>(Steady::now() - started).count();
    const std::string text = ReadFile(log);
    const auto line = text.rfind("{\"");
    Json report = line == std::string::npos ? Json() : Json::parse(text.substr(line), nullptr, false);
    if (!status || *status != 0 || !report.is_object() || report.value("status", "") != "Succeeded")
        Die("the SDK run failed: " + text.substr(0, 2000));
    r.cpu_seconds = report.value("cpuSeconds", 0.0);
    fs::remove(csv);
    return r;
}

}  // namespace

int Run(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    int64_t rows = 1'000'000;
    int reps = 3;
    std::vector<std::string> daemon_flags;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--") {
            daemon_flags.assign(argv + i + 1, argv + argc);
            break;
        }
        if (flag == "--rows" && i + 1 < argc)
            rows = std::stoll(argv[++i]);
        else if (flag == "--reps" && i + 1 < argc)
            reps = std::stoi(argv[++i]);
        else
            Die("usage: adxflow_pg_adx_bench [--rows N] [--reps N] [-- daemon flags]");
    }
    TempDir work;
    auto pg = PostgresProcess::Start();
    if (!pg.ok()) Die(pg.error().Describe());
    // The same 8 mixed columns as adxflow_adx_ingest_bench: a null note every 10th row, one with a comma and
    // quotes every 4th, a JSON object per row.
    const auto gen_started = Steady::now();
    auto filled = (*pg)->Psql(
        "CREATE TABLE bench (id bigint, ts timestamptz, \"user\" text, amount double precision, active "
        "boolean, "
        "count integer, note text, props jsonb); "
        "INSERT INTO bench SELECT i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1337 "
        "milliseconds', "
        "'user-' || (i * 7919 % 50000), (i * 104729 % 10000000) / 100.0, i % 3 = 0, (i * 31 % 1000)::int, "
        "CASE WHEN i % 10 = 0 THEN NULL WHEN i % 4 = 0 THEN 'order ' || i || ', \"rush\" delivery' "
        "ELSE 'plain note ' || (i % 100000) END, "
        "jsonb_build_object('k', i % 100000, 'tags', jsonb_build_array('t' || (i % 7), 'x'), 'ok', i % 3 = "
        "0) "
        "FROM generate_series(0::bigint, " +
        std::to_string(rows - 1) +
        ") i; ANALYZE bench; "
        "SELECT pg_total_relation_size('bench')");
    if (!filled.ok()) Die(filled.error().Describe());
    std::printf("PostgreSQL -> ADX queued ingestion: %" PRId64
                " rows x 8 columns, table %.1f MB on disk (filled in %.1f s)\n",
                rows, std::stod(*filled) / 1e6,
                std::chrono::duration<double>(Steady::now() - gen_started).count());

    auto azurite = AzuriteProcess::Start();
    if (!azurite.ok()) Die(azurite.error().message);
    const fs::path config = work.path() / "emulator.json";
    WriteFile(config, R"({"identities":[{"type":"systemManagedIdentity","roles":{"*":"admin"}}]})");
    auto emulator = EmulatorProcess::Start(
        work.path(), {"--database", kDatabase, "--config", config.string(), "--no-auth", "--storage",
                      (*azurite)->connection_string(), "--ingest-poll-ms", "50", "--ingest-sink", "discard"});
    if (!emulator.ok()) Die(emulator.error().message);
    DaemonOptions options;
    options.data_dir = work.path() / "daemon";
    options.extra_flags = {"--azure-imds-endpoint", (*emulator)->url(), "--log-level", "warn"};
    options.extra_flags.insert(options.extra_flags.end(), daemon_flags.begin(), daemon_flags.end());
    auto daemon = DaemonProcess::Start(options);
    if (!daemon.ok()) Die(daemon.error().message);
    DaemonProcess& d = **daemon;
    Put(d, "linkedservices/Adx",
        {{"properties",
          {{"type", "AzureDataExplorer"},
           {"typeProperties", {{"endpoint", (*emulator)->url()}, {"database", kDatabase}}}}}});
    Put(d, "datasets/AdxTable",
        {{"properties",
          {{"type", "AzureDataExplorerTable"},
           {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
           {"parameters", {{"table", {{"type", "String"}}}}},
           {"typeProperties", {{"table", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
    Put(d, "linkedservices/Pg",
        {{"properties",
          {{"type", "PostgreSqlV2"},
           {"typeProperties",
            {{"server", (*pg)->host()},
             {"port", (*pg)->port()},
             {"database", "postgres"},
             {"username", (*pg)->user()},
             {"password", {{"type", "SecureString"}, {"value", (*pg)->password()}}},
             {"sslMode", 0}}}}}});
    Put(d, "datasets/PgTable",
        {{"properties",
          {{"type", "PostgreSqlV2Table"},
           {"linkedServiceName", {{"referenceName", "Pg"}, {"type", "LinkedServiceReference"}}},
           {"typeProperties", {{"schema", "public"}, {"table", "bench"}}}}}});

    // The CSV text size both sides move: what psql writes for the table.
    const fs::path sizing = work.path() / "size.csv";
    if (auto s = (*pg)->Psql("\\copy bench TO '" + sizing.string() + "' WITH (FORMAT csv, HEADER)"); !s.ok())
        Die(s.error().Describe());
    const double mb = static_cast<double>(fs::file_size(sizing)) / 1e6;
    fs::remove(sizing);
    std::printf("CSV text of the table: %.1f MB\n", mb);
    std::printf("%-4s %10s %10s %12s %10s %12s %11s %8s %13s %10s %16s\n", "rep", "adxflow s", "script s",
                "adxflow MB/s", "script MB/s", "adxflow row/s", "psql share", "ratio", "adxflow CPU s",
                "SDK CPU s", "adxflow RSS +MB");
    std::vector<double> ratios;
    for (int rep = 1; rep <= reps; ++rep) {
        const std::string ours_table = "Adxflow" + std::to_string(rep),
                          their_table = "Script" + std::to_string(rep);
        for (const auto& t : {ours_table, their_table}) {
            auto created = (*emulator)->Post(
                "/v1/rest/mgmt",
                Json{{"db", kDatabase}, {"csl", ".create table " + t + " " + kTableSchema}}.dump());
            if (!created.ok() || created->status != 200) Die("cannot create table " + t);
        }
        RunResult ours, theirs;
        if (rep % 2 == 1) {
            ours = RunAdxflow(d, ours_table);
            theirs = RunScript(**pg, (*emulator)->url(), their_table, work.path());
        } else {
            theirs = RunScript(**pg, (*emulator)->url(), their_table, work.path());
            ours = RunAdxflow(d, ours_table);
        }
        if (ours.rows != rows)
            Die("adxflow copied " + std::to_string(ours.rows) + " rows, not " + std::to_string(rows));
        const double ratio = theirs.seconds / ours.seconds;
        ratios.push_back(ratio);
        std::printf("%-4d %10.2f %10.2f %12.1f %10.1f %12.0f %10.2fs %7.2fx %13.2f %10.2f %16.1f\n", rep,
                    ours.seconds, theirs.seconds, mb / ours.seconds, mb / theirs.seconds,
                    static_cast<double>(rows) / ours.seconds, theirs.export_seconds, ratio, ours.cpu_seconds,
                    theirs.cpu_seconds, ours.rss_growth_kb / 1024.0);
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("median ratio (script time / adxflow time): %.2fx\n", ratios[ratios.size() / 2]);
    return 0;
}

int main(int argc, char** argv) {
    try {
        return Run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
