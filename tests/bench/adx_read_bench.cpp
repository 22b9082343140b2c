// ADX → CSV file: adxflowd (a Copy activity, AzureDataExplorerSource → DelimitedTextSink) against the
// official Node SDK (azure-kusto-data, client.execute + rows() → CSV), same emulator, same synthetic result,
// side by side in one run. Prints per repetition: rows/s of each, the ratio, adxflowd's peak RSS growth
// (VmHWM minus the idle VmRSS, peak reset before each run) and the SDK's peak RSS; then adxflow alone on the
// large result the SDK cannot hold. Both outputs are compared value by value (parsed, not bytes).
//
//   adxflow_adx_read_bench [--rows 2000000] [--big-rows 10000000] [--reps 3]
//
// Exits non-zero when a goal of issue 6 is missed (ratio >= 10, RSS growth <= 64 MiB) or a run fails.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/proc_stats.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
using namespace adxflow;
using namespace adxflow::testing;
using Steady = std::chrono::steady_clock;

using adxflow::bench::CpuSeconds;
using adxflow::bench::ProcStatusKb;
using adxflow::bench::ResetPeak;

namespace {

// Splits one CSV record (no embedded newlines in this data); accepts "" and \" escapes inside quotes.
std::vector<std::string> SplitCsv(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if ((c == '"' || c == '\\') && i + 1 < line.size() && line[i + 1] == '"') {
                cells.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cells.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.emplace_back();
        } else if (c != '\r') {
            cells.back() += c;
        }
    }
    return cells;
}

// Epoch milliseconds of an ISO datetime with any number of fraction digits.
int64_t DateMillis(const std::string& s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0;
    double sec = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) < 6) return INT64_MIN;
    // days from civil (Howard Hinnant)
    y -= mo <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
    return ((days * 24 + h) * 60 + mi) * 60000 + std::llround(sec * 1000);
}

// Timespan as milliseconds: "hh:mm:ss[.f]" (adxflow) or a number of ms (the SDK's default parser).
double SpanMillis(const std::string& s) {
    if (s.find(':') == std::string::npos) return std::strtod(s.c_str(), nullptr);
    int h = 0, m = 0;
    double sec = 0;
    std::sscanf(s.c_str(), "%d:%d:%lf", &h, &m, &sec);
    return (h * 60.0 + m) * 60000 + sec * 1000;
}

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Compares the two files row by row, each cell parsed by its Kusto type. Returns the rows compared or an
// error message.
std::string CompareOutputs(const fs::path& ours, const fs::path& theirs, int64_t* rows) {
    std::ifstream a(ours), b(theirs);
    std::string la, lb;
    if (!std::getline(a, la) || !std::getline(b, lb)) return "an output file is empty";
    if (SplitCsv(la) != SplitCsv(lb)) return "headers differ: " + la + " | " + lb;
    *rows = 0;
    while (true) {
        const bool ga = static_cast<bool>(std::getline(a, la));
        const bool gb = static_cast<bool>(std::getline(b, lb));
        if (!ga || !gb) return ga == gb ? "" : "row counts differ after row " + std::to_string(*rows);
        auto x = SplitCsv(la), y = SplitCsv(lb);
        if (x.size() != 8 || y.size() != 8) return "row " + std::to_string(*rows) + " has the wrong width";
        bool same = x[0] == y[0] && x[1] == y[1] &&
                    std::strtod(x[2].c_str(), nullptr) == std::strtod(y[2].c_str(), nullptr) &&
                    Lower(x[3]) == Lower(y[3]) && DateMillis(x[4]) == DateMillis(y[4]) &&
                    std::fabs(SpanMillis(x[5]) - SpanMillis(y[5])) < 0.5 && Lower(x[6]) == Lower(y[6]) &&
                    Json::parse(x[7], nullptr, false) == Json::parse(y[7], nullptr, false);
        if (!same)
            return "row " + std::to_string(*rows) + " differs:\n  adxflow: " + la + "\n  sdk:     " + lb;
        ++*rows;
    }
}

struct AdxflowRun {
    bool ok = false;
    double seconds = 0;
    int64_t rows = 0;
    double rss_growth_mib = 0;
    double cpu_seconds = 0;  // the daemon's user + system CPU over the run
    std::string error;
};

AdxflowRun RunAdxflow(DaemonProcess& daemon, pid_t pid, int64_t rows, const std::string& file) {
    AdxflowRun r;
    Json pipeline = {
        {"properties",
         {{"activities", Json::array({{{"name", "Export"},
                                       {"type", "Copy"},
                                       {"inputs", Json::array({{{"referenceName", "Synth"},
                                                                {"type", "DatasetReference"}}})},
                                       {"outputs", Json::array({{{"referenceName", "OutCsv"},
                                                                 {"type", "DatasetReference"},
                                                                 {"parameters", {{"file", file}}}}})},
                                       {"typeProperties",
                                        {{"source",
                                          {{"type", "AzureDataExplorerSource"},
                                           {"query", "Synth | take " + std::to_string(rows)},
                                           {"noTruncation", true}}},
                                         {"sink", {{"type", "DelimitedTextSink"}}}}}}})}}}};
    auto put = daemon.Arm("PUT", "pipelines/Export", pipeline);
    if (!put.ok() || put->status != 200) {
        r.error = "PUT pipeline failed";
        return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long idle_kb = ProcStatusKb(pid, "VmRSS");
    ResetPeak(pid);
    const double cpu_before = CpuSeconds(pid);
    const auto started = Steady::now();
    auto created = daemon.Arm("POST", "pipelines/Export/createRun", Json::object());
    if (!created.ok() || created->status != 200) {
        r.error = "createRun failed";
        return r;
    }
    auto run = daemon.WaitForRun(created->body.value("runId", ""), std::chrono::seconds(1800));
    r.seconds = std::chrono::duration<double>(Steady::now() - started).count();
    r.cpu_seconds = CpuSeconds(pid) - cpu_before;
    const long peak_kb = ProcStatusKb(pid, "VmHWM");
    r.rss_growth_mib = (peak_kb - idle_kb) / 1024.0;
    if (!run.ok() || run->value("status", "") != "Succeeded") {
        r.error = "run did not succeed: " + (run.ok() ? run->dump() : run.error().message) + "\n" +
                  daemon.LogTail();
        return r;
    }
    auto acts = daemon.ActivityRuns(created->body.value("runId", ""));
    if (acts.ok() && !acts->empty()) r.rows = (*acts)[0]["output"].value("rowsCopied", int64_t{0});
    r.ok = true;
    return r;
}

struct SdkRun {
    bool ok = false;
    double seconds = 0;
    int64_t rows = 0;
    double rss_mib = 0;
    double cpu_seconds = 0;  // node's user + system CPU (process.cpuUsage), client creation to file closed
    std::string error;
};

SdkRun RunSdk(const std::string& url, int64_t rows, const fs::path& out, const fs::path& work) {
    SdkRun r;
    auto node = FindOnPath("node");
    if (!node) {
        r.error = "node is not on PATH (run deploy/bootstrap.sh)";
        return r;
    }
    const fs::path script = SourceDir() / "tests/bench/adx_read_sdk.js";
    const fs::path log = work / "sdk.log";
    std::string error;
    const auto started = Steady::now();
    auto child =
        ChildProcess::Spawn({node->string(), "--max-old-space-size=8192", script.string(), url, "Bench",
                             "Synth | take " + std::to_string(rows), out.string()},
                            {{"ADXFLOW_NODE_TOOLS", (SourceDir() / "tests/node").string()}}, log, error);
    if (!child) {
        r.error = error;
        return r;
    }
    auto status = child->WaitFor(std::chrono::seconds(1800));
    r.seconds = std::chrono::duration<double>(Steady::now() - started).count();
    const std::string text = ReadFile(log);
    const auto line = text.rfind("{\"");
    Json report = line == std::string::npos ? Json() : Json::parse(text.substr(line), nullptr, false);
    if (!status || !report.is_object() || report.contains("error")) {
        r.error = "the SDK run failed: " + text.substr(0, 2000);
        return r;
    }
    r.rows = report.value("rows", int64_t{0});
    r.rss_mib = report.value("maxRssBytes", 0.0) / (1024.0 * 1024.0);
    r.cpu_seconds = report.value("cpuSeconds", 0.0);
    r.ok = true;
    return r;
}

double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int64_t rows = 2'000'000, big_rows = 10'000'000;
    int reps = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--rows")
            rows = std::stoll(argv[i + 1]);
        else if (flag == "--big-rows")
            big_rows = std::stoll(argv[i + 1]);
        else if (flag == "--reps")
            reps = std::stoi(argv[i + 1]);
        else {
            std::cerr << "usage: adxflow_adx_read_bench [--rows N] [--big-rows N] [--reps N]\n";
            return 2;
        }
    }
    TempDir work;
    const fs::path config = work.path() / "emulator.json";
    WriteFile(config, R"({"identities":[{"type":"systemManagedIdentity","roles":{"*":"admin"}}]})");
    auto emulator = EmulatorProcess::Start(
        work.path(), {"--database", "Bench", "--config", config.string(), "--no-auth", "--synthetic-table",
                      "Synth:" + std::to_string(std::max(rows, big_rows))});
    if (!emulator.ok()) {
        std::cerr << emulator.error().message << "\n";
        return 1;
    }
    fs::create_directories(work.path() / "files/out");
    DaemonOptions options;
    options.data_dir = work.path() / "daemon";
    options.file_roots = {work.path() / "files"};
    options.extra_flags = {"--azure-imds-endpoint", (*emulator)->url(), "--log-level", "warn"};
    auto daemon = DaemonProcess::Start(options);
    if (!daemon.ok()) {
        std::cerr << daemon.error().message << "\n";
        return 1;
    }
    DaemonProcess& d = **daemon;
    const pid_t pid = d.pid();
    auto put = [&](const std::string& path, const Json& body) {
        auto r = d.Arm("PUT", path, body);
        if (!r.ok() || r->status != 200) {
            std::cerr << "PUT " << path << " failed: " << (r.ok() ? r->text : r.error().message) << "\n";
            std::exit(1);
        }
    };
    put("linkedservices/Adx",
        {{"properties",
          {{"type", "AzureDataExplorer"},
           {"typeProperties", {{"endpoint", (*emulator)->url()}, {"database", "Bench"}}}}}});
    put("datasets/Synth",
        {{"properties",
          {{"type", "AzureDataExplorerTable"},
           {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
           {"typeProperties", {{"table", "Synth"}}}}}});
    put("linkedservices/Files",
        {{"properties",
          {{"type", "FileServer"}, {"typeProperties", {{"host", (work.path() / "files").string()}}}}}});
    put("datasets/OutCsv",
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
             {"quoteChar", "\""},
             {"escapeChar", "\""},
             {"firstRowAsHeader", true}}}}}});

    std::printf("ADX -> CSV, %lld rows x 8 columns, emulator %s, %d repetitions\n",
                static_cast<long long>(rows), (*emulator)->url().c_str(), reps);
    std::printf("%-4s %14s %14s %8s %16s %14s %13s %9s\n", "rep", "adxflow rows/s", "SDK rows/s", "ratio",
                "adxflow RSS+ MiB", "SDK RSS MiB", "adxflow CPU s", "SDK CPU s");
    std::vector<double> ratios, growths;
    bool failed = false;
    for (int rep = 1; rep <= reps; ++rep) {
        AdxflowRun ours = RunAdxflow(d, pid, rows, "adxflow.csv");
        SdkRun theirs = RunSdk((*emulator)->url(), rows, work.path() / "sdk.csv", work.path());
        if (!ours.ok || !theirs.ok) {
            std::printf("rep %d failed:\n%s\n%s\n", rep, ours.error.c_str(), theirs.error.c_str());
            failed = true;
            break;
        }
        const double ours_rate = ours.rows / ours.seconds, their_rate = theirs.rows / theirs.seconds;
        ratios.push_back(ours_rate / their_rate);
        growths.push_back(ours.rss_growth_mib);
        std::printf("%-4d %14.0f %14.0f %7.1fx %16.1f %14.1f %13.2f %9.2f\n", rep, ours_rate, their_rate,
                    ours_rate / their_rate, ours.rss_growth_mib, theirs.rss_mib, ours.cpu_seconds,
                    theirs.cpu_seconds);
        if (rep == 1) {
            int64_t compared = 0;
            std::string diff =
                CompareOutputs(work.path() / "files/out/adxflow.csv", work.path() / "sdk.csv", &compared);
            if (!diff.empty()) {
                std::printf("outputs differ: %s\n", diff.c_str());
                failed = true;
            } else {
                std::printf("     outputs equal: %lld rows compared value by value\n",
                            static_cast<long long>(compared));
            }
        }
        fs::remove(work.path() / "sdk.csv");
    }
    double big_growth = 0;
    if (!failed && big_rows > 0) {
        AdxflowRun big = RunAdxflow(d, pid, big_rows, "big.csv");
        if (!big.ok) {
            std::printf("adxflow at %lld rows failed: %s\n", static_cast<long long>(big_rows),
                        big.error.c_str());
            failed = true;
        } else {
            big_growth = big.rss_growth_mib;
            std::printf(
                "adxflow alone, %lld rows: %.2f s, %.0f rows/s, RSS growth %.1f MiB (the SDK cannot hold a "
                "result this size)\n",
                static_cast<long long>(big.rows), big.seconds, big.rows / big.seconds, big.rss_growth_mib);
        }
    }
    if (failed) return 1;
    const double ratio = Median(ratios), growth = *std::max_element(growths.begin(), growths.end());
    const bool pass = ratio >= 10 && growth <= 64 && big_growth <= 64;
    std::printf(
        "median ratio %.1fx (goal >= 10x), max RSS growth %.1f MiB at %lld rows and %.1f MiB at %lld rows "
        "(goal <= 64 MiB): %s\n",
        ratio, growth, static_cast<long long>(rows), big_growth, static_cast<long long>(big_rows),
        pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
