// Scheduler overhead of a large ForEach (issue 9): one pipeline run whose ForEach iterates N no-op items
// (an inner Wait of 0 s, a real activity run on a worker with its records in SQLite) with batchCount 50,
// on the real daemon started in-process as adxflowd would be. Each repetition gets a fresh daemon and data
// dir. Reports items/s (N over the run's runStart..runEnd, and over createRun..Succeeded seen by the client)
// and the process's peak RSS during the run (VmHWM, reset through /proc/self/clear_refs before it), as the
// median, min and max of the repetitions, against the goal of >= 2,000 items/s.
//
//   adxflow_foreach_bench [--items 10000] [--batch 50] [--reps 5] [-- adxflowd flags]

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/json.hpp"
#include "core/time.hpp"
#include "tests/bench/daemon_harness.hpp"

namespace adxflow::bench {
namespace {

constexpr double kGoalItemsPerSecond = 2000;

struct Args {
    int items = 10000;
    int batch = 50;
    int reps = 5;
    std::vector<std::string> daemon_flags;
};

[[noreturn]] void Usage(const char* problem) {
    std::fprintf(
        stderr,
        "foreach_bench: %s\nusage: adxflow_foreach_bench [--items N] [--batch N] [--reps N] [-- flags]\n",
        problem);
    std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") {
            a.daemon_flags.assign(argv + i + 1, argv + argc);
            break;
        }
        if (i + 1 >= argc) Usage(("missing value after " + arg).c_str());
        int value = std::atoi(argv[++i]);
        if (value <= 0) Usage(("bad value for " + arg).c_str());
        if (arg == "--items") {
            a.items = value;
        } else if (arg == "--batch") {
            a.batch = value;
        } else if (arg == "--reps") {
            a.reps = value;
        } else {
            Usage(("unknown flag " + arg).c_str());
        }
    }
    return a;
}

// kB from /proc/self/status ("VmHWM", "VmRSS").
long StatusKb(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(in, line))
        if (line.rfind(prefix, 0) == 0) return std::atol(line.c_str() + prefix.size());
    return -1;
}

void ResetPeakRss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}

struct Rep {
    double items_per_s_run = 0;     // N / (runEnd - runStart)
    double items_per_s_client = 0;  // N / (createRun sent .. Succeeded seen)
    double peak_rss_mb = 0;         // VmHWM during the run
    double rss_growth_mb = 0;       // VmHWM - VmRSS before the run
};

Rep RunOnce(const Args& args) {
    DaemonUnderTest daemon(args.daemon_flags);
    Json pipeline = {
        {"properties",
         {{"activities",
           Json::array(
               {{{"name", "Loop"},
                 {"type", "ForEach"},
                 {"typeProperties",
                  {{"items", "@range(0, " + std::to_string(args.items) + ")"},
                   {"batchCount", args.batch},
                   {"activities", Json::array({{{"name", "Noop"},
                                                {"type", "Wait"},
                                                {"typeProperties", {{"waitTimeInSeconds", 0}}}}})}}}}})}}}};
    Reply put = daemon.Call("PUT", "/pipelines/ForEachBench", pipeline.dump());
    if (put.status != 200) {
        std::fprintf(stderr, "foreach_bench: PUT pipeline answered %d: %s\n", put.status, put.body.c_str());
        std::exit(1);
    }
    // Give back what earlier repetitions' checks left in the heap, so that the peak is this run's.
    malloc_trim(0);
    const long rss_before = StatusKb("VmRSS");
    ResetPeakRss();
    const auto sent = std::chrono::steady_clock::now();
    Reply created = daemon.Call("POST", "/pipelines/ForEachBench/createRun", "{}");
    if (created.status != 200) {
        std::fprintf(stderr, "foreach_bench: createRun answered %d: %s\n", created.status,
                     created.body.c_str());
        std::exit(1);
    }
    const std::string run_id = Json::parse(created.body)["runId"];
    Json run;
    const auto deadline = sent + std::chrono::minutes(10);
    while (true) {
        Reply got = daemon.Call("GET", "/pipelineruns/" + run_id);
        run = Json::parse(got.body, nullptr, false);
        const std::string status = run.is_object() ? run.value("status", "") : "";
        if (status == "Succeeded") break;
        if (status == "Failed" || status == "Cancelled" || std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr, "foreach_bench: run %s ended %s: %s\n", run_id.c_str(), status.c_str(),
                         got.body.c_str());
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const double client_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    const long hwm = StatusKb("VmHWM");  // before the check below, whose pages are not the run's
    // Every iteration must have run: count the inner activity runs that succeeded (queryActivityruns, paged).
    size_t succeeded = 0;
    Json filter = {
        {"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
        {"lastUpdatedBefore", "2100-01-01T00:00:00Z"},
        {"filters",
         Json::array({{{"operand", "ActivityName"}, {"operator", "Equals"}, {"values", {"Noop"}}},
                      {{"operand", "Status"}, {"operator", "Equals"}, {"values", {"Succeeded"}}}})}};
    for (int page = 0; page < 100000; ++page) {
        Reply got = daemon.Call("POST", "/pipelineruns/" + run_id + "/queryActivityruns", filter.dump());
        Json body = Json::parse(got.body, nullptr, false);
        if (got.status != 200 || !body.is_object()) {
            std::fprintf(stderr, "foreach_bench: queryActivityruns answered %d: %s\n", got.status,
                         got.body.c_str());
            std::exit(1);
        }
        succeeded += body.value("value", Json::array()).size();
        Json token = body.value("continuationToken", Json(nullptr));
        if (!token.is_string()) break;
        filter["continuationToken"] = token;
    }
    if (succeeded != static_cast<size_t>(args.items)) {
        std::fprintf(stderr, "foreach_bench: %zu of %d iterations succeeded\n", succeeded, args.items);
        std::exit(1);
    }
    Rep rep;
    auto start = ParseTimestamp(run.value("runStart", ""));
    auto end = ParseTimestamp(run.value("runEnd", ""));
    double run_s = start && end ? std::chrono::duration<double>(*end - *start).count() : client_s;
    rep.items_per_s_run = args.items / std::max(run_s, 1e-6);
    rep.items_per_s_client = args.items / client_s;
    rep.peak_rss_mb = hwm / 1024.0;
    rep.rss_growth_mb = (hwm - rss_before) / 1024.0;
    return rep;
}

struct Stats {
    double median = 0, min = 0, max = 0;
};

Stats Summarize(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace
}  // namespace adxflow::bench

int main(int argc, char** argv) {
    using namespace adxflow::bench;
    Args args = ParseArgs(argc, argv);
    std::printf("ForEach of %d no-op items (Wait 0 s), batchCount %d, %d repetitions\n", args.items,
                args.batch, args.reps);
    std::vector<double> run_rate, client_rate, peak, growth;
    for (int r = 0; r < args.reps; ++r) {
        Rep rep = RunOnce(args);
        std::printf(
            "rep %d: %8.0f items/s (run)  %8.0f items/s (client)  peak RSS %7.1f MB  growth %7.1f MB\n",
            r + 1, rep.items_per_s_run, rep.items_per_s_client, rep.peak_rss_mb, rep.rss_growth_mb);
        std::fflush(stdout);
        run_rate.push_back(rep.items_per_s_run);
        client_rate.push_back(rep.items_per_s_client);
        peak.push_back(rep.peak_rss_mb);
        growth.push_back(rep.rss_growth_mb);
    }
    auto row = [](const char* name, const Stats& s, const char* unit) {
        std::printf("%-28s %10.1f %10.1f %10.1f  %s\n", name, s.median, s.min, s.max, unit);
    };
    std::printf("\n%-28s %10s %10s %10s\n", "figure", "median", "min", "max");
    Stats rate = Summarize(run_rate);
    row("items/s (runStart..runEnd)", rate, "items/s");
    row("items/s (client)", Summarize(client_rate), "items/s");
    row("peak RSS", Summarize(peak), "MB");
    row("RSS growth during the run", Summarize(growth), "MB");
    const bool met = rate.median >= kGoalItemsPerSecond;
    std::printf("\ngoal items/s >= %.0f: %s (median %.0f = %.2fx goal)\n", kGoalItemsPerSecond,
                met ? "met" : "MISSED", rate.median, rate.median / kGoalItemsPerSecond);
    return met ? 0 : 1;
}
