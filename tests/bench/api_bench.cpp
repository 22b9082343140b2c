// adxflow_api_bench: API throughput and createRun -> start latency of the daemon, side by side with a
// trivial Beast server answering a body of the same size (the transport's ceiling on this machine, measured
// in the same run). Absolute figures move by ~10 % between runs on a shared machine; the ratios are what to
// compare. See tests/bench/README.md.

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/json.hpp"
#include "core/time.hpp"
#include "tests/bench/daemon_harness.hpp"
#include "tests/bench/load_client.hpp"
#include "tests/bench/reference_server.hpp"
#include "tests/bench/stats.hpp"

namespace adxflow::bench {
namespace {

using std::chrono::milliseconds;
using WallClock = std::chrono::system_clock;

// The acceptance goals of the issue (2 cores).
constexpr double kGoalReadsPerSecond = 5000;
constexpr double kGoalCreatesPerSecond = 1000;
constexpr double kGoalStartP50Ms = 10;

struct Args {
    int reps = 5;
    double phase_seconds = 2;
    size_t connections = 50;
    size_t client_threads = 1;
    size_t queued_runs = 1000;
    size_t queue_clients = 8;
    size_t seed_runs = 200;
    std::vector<std::string> daemon_flags;  // passed to the daemon (--workers, --http-threads, --log-level)
};

void Usage() {
    std::puts(
        "usage: adxflow_api_bench [--reps N] [--seconds S] [--connections N] [--client-threads N]\n"
        "                         [--queued-runs N] [--queue-clients N] [-- adxflowd flags...]\n"
        "defaults: 5 reps, 2 s per throughput phase, 50 connections, 1 client thread, 1000 queued runs\n"
        "          from 8 clients; the daemon runs with its own defaults unless flags follow `--`.");
}

Args ParseArgs(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                Usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (k == "--reps")
            a.reps = std::stoi(value());
        else if (k == "--seconds")
            a.phase_seconds = std::stod(value());
        else if (k == "--connections")
            a.connections = std::stoul(value());
        else if (k == "--client-threads")
            a.client_threads = std::stoul(value());
        else if (k == "--queued-runs")
            a.queued_runs = std::stoul(value());
        else if (k == "--queue-clients")
            a.queue_clients = std::stoul(value());
        else if (k == "--") {
            a.daemon_flags.assign(argv + i + 1, argv + argc);
            break;
        } else {
            Usage();
            std::exit(k == "--help" ? 0 : 2);
        }
    }
    return a;
}

std::string LoadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

double ProcessCpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double Ms(WallClock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// One repetition's figures.
struct Rep {
    double reference_reads = 0, daemon_reads = 0, creates = 0;
    double reference_read_p50_ms = 0, daemon_read_p50_ms = 0, create_p50_ms = 0, create_p99_ms = 0;
    double client_cpu_share = 0;  // generator CPU / wall time of the daemon read phase
    double server_cpu_cores =
        0;  // whole-process CPU / wall during the daemon read phase, minus the generator
    double create_backlog_s = 0;  // after the createRun phase, until every run finished
    double queue_rate = 0;        // createRun/s while queueing the latency batch
    double run_start_p50 = 0, act_start_p50 = 0, act_start_p95 = 0, act_start_p99 = 0;
    double all_succeeded_s = 0;
    size_t not_succeeded = 0;
    uint64_t failures = 0;
    std::string first_failure;
};

class Bench {
  public:
    Bench(const Args& args, DaemonUnderTest& daemon) : args_(args), daemon_(daemon) {}

    void Setup() {
        Reply put = daemon_.Call(
            "PUT", "/pipelines/P",
            R"({"properties":{"activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":0}}]}})");
        if (put.status != 200)
            Fail("PUT pipelines/P answered " + std::to_string(put.status) + ": " + put.body);
        create_target_ = daemon_.Target("/pipelines/P/createRun");
        // Runs to read back: created like any others, then finished so that reads see complete records.
        std::vector<std::string> ids(args_.seed_runs);
        auto r = Load(
            8, args_.seed_runs,
            [&](uint64_t) {
                return LoadRequest{"POST", create_target_, "{}"};
            },
            [&](const LoadResponse& x) { ids[x.sequence] = RunIdOf(x); });
        if (r.failed) Fail("seeding runs failed: " + r.first_failure);
        Idle();
        for (const auto& id : ids) read_targets_.push_back(daemon_.Target("/pipelineruns/" + id));
        Reply sample = daemon_.Call("GET", "/pipelineruns/" + ids.front());
        reference_ = std::make_unique<ReferenceServer>(sample.body, daemon_.http_threads());
        body_bytes_ = sample.body.size();
    }

    size_t body_bytes() const { return body_bytes_; }

    void WarmUp() {
        auto saved = args_.phase_seconds;
        args_.phase_seconds = 0.5;
        (void)Reads(reference_->port());
        (void)Reads(daemon_.port());
        (void)Creates();
        Idle();
        args_.phase_seconds = saved;
    }

    Rep RunOnce() {
        Rep rep;
        auto note = [&rep](const LoadResult& r) {
            rep.failures += r.failed;
            if (rep.first_failure.empty()) rep.first_failure = r.first_failure;
        };
        LoadResult ref = Reads(reference_->port());
        note(ref);
        rep.reference_reads = ref.rate();
        rep.reference_read_p50_ms = Percentile(ref.latencies_us, 50) / 1000;

        const double cpu_before = ProcessCpuSeconds();
        LoadResult reads = Reads(daemon_.port());
        const double cpu_used = ProcessCpuSeconds() - cpu_before;
        note(reads);
        rep.daemon_reads = reads.rate();
        rep.daemon_read_p50_ms = Percentile(reads.latencies_us, 50) / 1000;
        rep.client_cpu_share = reads.seconds > 0 ? reads.client_cpu_seconds / reads.seconds : 0;
        rep.server_cpu_cores = reads.seconds > 0 ? (cpu_used - reads.client_cpu_seconds) / reads.seconds : 0;

        LoadResult creates = Creates();
        note(creates);
        rep.creates = creates.rate();
        rep.create_p50_ms = Percentile(creates.latencies_us, 50) / 1000;
        rep.create_p99_ms = Percentile(creates.latencies_us, 99) / 1000;
        rep.create_backlog_s = Idle();

        QueueLatency(rep);
        return rep;
    }

  private:
    [[noreturn]] static void Fail(const std::string& what) {
        std::fprintf(stderr, "api_bench: %s\n", what.c_str());
        std::exit(2);
    }

    static std::string RunIdOf(const LoadResponse& r) {
        if (r.status != 200 || !r.body) return {};
        auto j = Json::parse(*r.body, nullptr, false);
        return j.is_object() && j.contains("runId") && j["runId"].is_string() ? j["runId"].get<std::string>()
                                                                              : "";
    }

    LoadResult Load(size_t connections, std::optional<uint64_t> total, const RequestFactory& make,
                    const ResponseSink& sink = {}, int port = 0) {
        LoadOptions o;
        o.port = port ? port : daemon_.port();
        o.connections = connections;
        o.threads = args_.client_threads;
        o.total_requests = total;
        o.duration =
            total ? milliseconds(120000) : milliseconds(static_cast<int64_t>(args_.phase_seconds * 1000));
        return RunLoad(o, make, sink);
    }

    // GET pipelineruns/{id} round-robin over the seeded runs; the reference gets the very same requests.
    LoadResult Reads(int port) {
        return Load(
            args_.connections, std::nullopt,
            [this](uint64_t seq) {
                return LoadRequest{"GET", read_targets_[seq % read_targets_.size()], {}};
            },
            {}, port);
    }

    LoadResult Creates() {
        return Load(args_.connections, std::nullopt, [this](uint64_t) {
            return LoadRequest{"POST", create_target_, "{}"};
        });
    }

    double Idle() {
        double waited = daemon_.WaitIdle(std::chrono::seconds(120));
        if (waited < 0) Fail("runs did not finish within 120 s");
        return waited;
    }

    // Queues `queued_runs` runs as fast as `queue_clients` connections allow, waits for all to finish, then
    // reads every run and its activity run back and compares their start times with the send times.
    void QueueLatency(Rep& rep) {
        const size_t n = args_.queued_runs;
        std::vector<WallClock::time_point> sent(n);
        std::vector<std::string> ids(n);
        LoadResult queued = Load(
            args_.queue_clients, n,
            [this](uint64_t) {
                return LoadRequest{"POST", create_target_, "{}"};
            },
            [&](const LoadResponse& r) {
                sent[r.sequence] = r.sent_wall;
                ids[r.sequence] = RunIdOf(r);
            });
        rep.failures += queued.failed;
        rep.queue_rate = queued.rate();
        Idle();

        std::vector<std::optional<TimePoint>> run_start(n), run_end(n), act_start(n);
        std::vector<std::string> status(n);
        auto read_runs = Load(
            8, n,
            [&](uint64_t i) {
                return LoadRequest{"GET", daemon_.Target("/pipelineruns/" + ids[i]), {}};
            },
            [&](const LoadResponse& r) {
                auto j = Json::parse(r.body ? *r.body : "", nullptr, false);
                if (!j.is_object()) return;
                if (j.value("runStart", Json()).is_string())
                    run_start[r.sequence] = ParseTimestamp(j["runStart"].get<std::string>());
                if (j.value("runEnd", Json()).is_string())
                    run_end[r.sequence] = ParseTimestamp(j["runEnd"].get<std::string>());
                status[r.sequence] = j.value("status", "");
            });
        const std::string window =
            R"({"lastUpdatedAfter":"2000-01-01T00:00:00Z","lastUpdatedBefore":"2100-01-01T00:00:00Z"})";
        auto read_activities = Load(
            8, n,
            [&](uint64_t i) {
                return LoadRequest{"POST", daemon_.Target("/pipelineruns/" + ids[i] + "/queryActivityruns"),
                                   window};
            },
            [&](const LoadResponse& r) {
                auto j = Json::parse(r.body ? *r.body : "", nullptr, false);
                if (!j.is_object() || !j["value"].is_array() || j["value"].empty()) return;
                const Json& first = j["value"][0];
                if (first.value("activityRunStart", Json()).is_string())
                    act_start[r.sequence] = ParseTimestamp(first["activityRunStart"].get<std::string>());
            });
        if (read_runs.failed || read_activities.failed)
            Fail("reading the queued runs back failed: " + read_runs.first_failure +
                 read_activities.first_failure);

        std::vector<double> run_ms, act_ms;
        WallClock::time_point first_sent = WallClock::time_point::max(), last_end{};
        for (size_t i = 0; i < n; ++i) {
            if (status[i] != "Succeeded" || !run_start[i] || !act_start[i] || !run_end[i]) {
                ++rep.not_succeeded;
                continue;
            }
            run_ms.push_back(Ms(*run_start[i] - sent[i]));
            act_ms.push_back(Ms(*act_start[i] - sent[i]));
            first_sent = std::min(first_sent, sent[i]);
            last_end = std::max(last_end, *run_end[i]);
        }
        rep.run_start_p50 = Percentile(run_ms, 50);
        rep.act_start_p50 = Percentile(act_ms, 50);
        rep.act_start_p95 = Percentile(act_ms, 95);
        rep.act_start_p99 = Percentile(act_ms, 99);
        rep.all_succeeded_s = last_end > first_sent ? Ms(last_end - first_sent) / 1000 : 0;
    }

    Args args_;
    DaemonUnderTest& daemon_;
    std::unique_ptr<ReferenceServer> reference_;
    std::string create_target_;
    std::vector<std::string> read_targets_;
    size_t body_bytes_ = 0;
};

// ---- report ------------------------------------------------------------------------------------------

template <typename F>
Spread Over(const std::vector<Rep>& reps, F field) {
    std::vector<double> v;
    for (const auto& r : reps) v.push_back(field(r));
    return SpreadOf(v);
}

void Row(const char* name, const Spread& s, const char* unit, const std::string& vs_ceiling = "",
         const std::string& vs_goal = "") {
    std::printf("%-38s %10.1f %10.1f %10.1f  %-6s %-12s %s\n", name, s.median, s.min, s.max, unit,
                vs_ceiling.c_str(), vs_goal.c_str());
}

std::string Ratio(double x, const char* suffix = "") {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2fx%s", x, suffix);
    return buf;
}

int Report(const std::vector<Rep>& reps, const Args& args, size_t body_bytes) {
    auto ref = Over(reps, [](const Rep& r) { return r.reference_reads; });
    auto reads = Over(reps, [](const Rep& r) { return r.daemon_reads; });
    auto creates = Over(reps, [](const Rep& r) { return r.creates; });
    // Ratios to the ceiling are taken per repetition (same minute, same machine load), then summarised.
    auto reads_vs_ref = Over(reps, [](const Rep& r) { return r.daemon_reads / r.reference_reads; });
    auto creates_vs_ref = Over(reps, [](const Rep& r) { return r.creates / r.reference_reads; });
    auto act_p50 = Over(reps, [](const Rep& r) { return r.act_start_p50; });

    std::printf("\n%-38s %10s %10s %10s  %-6s %-12s %s\n", "figure", "median", "min", "max", "unit",
                "vs ceiling", "vs goal");
    std::printf("%s\n", std::string(112, '-').c_str());
    Row("reference GET (ceiling)", ref, "req/s", "1.00x");
    Row("daemon GET pipelineruns/{id}", reads, "req/s", Ratio(reads_vs_ref.median),
        Ratio(reads.median / kGoalReadsPerSecond, " of 5000"));
    Row("daemon POST createRun", creates, "req/s", Ratio(creates_vs_ref.median),
        Ratio(creates.median / kGoalCreatesPerSecond, " of 1000"));
    Row("reference GET latency p50", Over(reps, [](const Rep& r) { return r.reference_read_p50_ms; }), "ms");
    Row("daemon GET latency p50", Over(reps, [](const Rep& r) { return r.daemon_read_p50_ms; }), "ms");
    Row("daemon createRun latency p50", Over(reps, [](const Rep& r) { return r.create_p50_ms; }), "ms");
    Row("daemon createRun latency p99", Over(reps, [](const Rep& r) { return r.create_p99_ms; }), "ms");
    Row("createRun-phase backlog drain", Over(reps, [](const Rep& r) { return r.create_backlog_s; }), "s");
    Row("queue burst createRun rate", Over(reps, [](const Rep& r) { return r.queue_rate; }), "req/s");
    Row("createRun -> runStart p50", Over(reps, [](const Rep& r) { return r.run_start_p50; }), "ms");
    Row("createRun -> activity start p50", act_p50, "ms", "",
        Ratio(act_p50.median / kGoalStartP50Ms, " of 10 ms"));
    Row("createRun -> activity start p95", Over(reps, [](const Rep& r) { return r.act_start_p95; }), "ms");
    Row("createRun -> activity start p99", Over(reps, [](const Rep& r) { return r.act_start_p99; }), "ms");
    Row("queued runs -> all Succeeded", Over(reps, [](const Rep& r) { return r.all_succeeded_s; }), "s");
    Row("generator CPU (daemon GET phase)", Over(reps, [](const Rep& r) { return r.client_cpu_share; }),
        "cores");
    Row("daemon CPU (daemon GET phase)", Over(reps, [](const Rep& r) { return r.server_cpu_cores; }),
        "cores");
    std::printf("%s\n", std::string(112, '-').c_str());

    uint64_t failures = 0;
    size_t not_succeeded = 0;
    for (const auto& r : reps) {
        failures += r.failures;
        not_succeeded += r.not_succeeded;
        if (!r.first_failure.empty()) std::printf("first failed request: %s\n", r.first_failure.c_str());
    }
    std::printf(
        "failed requests: %llu; queued runs not Succeeded: %zu; response body %zu bytes; %zu connections, "
        "%zu client thread(s), %zu queued runs from %zu clients\n",
        static_cast<unsigned long long>(failures), not_succeeded, body_bytes, args.connections,
        args.client_threads, args.queued_runs, args.queue_clients);

    bool all = failures == 0 && not_succeeded == 0;
    auto goal = [&all](const char* what, bool pass, const std::string& detail) {
        all = all && pass;
        std::printf("GOAL %-40s %s  %s\n", what, pass ? "PASS" : "FAIL", detail.c_str());
    };
    char buf[256];
    std::snprintf(buf, sizeof buf, "median %.0f/s = %.2fx goal, %.2fx ceiling", reads.median,
                  reads.median / kGoalReadsPerSecond, reads_vs_ref.median);
    goal("reads/s >= 5000", reads.median >= kGoalReadsPerSecond, buf);
    std::snprintf(buf, sizeof buf, "median %.0f/s = %.2fx goal, %.2fx ceiling", creates.median,
                  creates.median / kGoalCreatesPerSecond, creates_vs_ref.median);
    goal("createRun/s >= 1000", creates.median >= kGoalCreatesPerSecond, buf);
    std::snprintf(buf, sizeof buf, "median p50 %.2f ms = %.2fx the 10 ms budget", act_p50.median,
                  act_p50.median / kGoalStartP50Ms);
    goal("p50 createRun -> start < 10 ms", act_p50.median < kGoalStartP50Ms, buf);
    return all ? 0 : 1;
}

}  // namespace
}  // namespace adxflow::bench

int main(int argc, char** argv) {
    using namespace adxflow::bench;
    Args args = ParseArgs(argc, argv);
    const auto started = std::chrono::steady_clock::now();
    std::printf("adxflow API benchmark: %d reps, %.1f s phases, %ld CPUs online, load average %s\n",
                args.reps, args.phase_seconds, sysconf(_SC_NPROCESSORS_ONLN), LoadAverage().c_str());
    DaemonUnderTest daemon(args.daemon_flags);
    Bench bench(args, daemon);
    bench.Setup();
    bench.WarmUp();
    std::vector<Rep> reps;
    for (int i = 0; i < args.reps; ++i) {
        reps.push_back(bench.RunOnce());
        const Rep& r = reps.back();
        std::printf(
            "rep %d: ref %.0f/s, GET %.0f/s, createRun %.0f/s, activity start p50 %.2f ms p99 %.2f ms, "
            "%zu runs done in %.2f s\n",
            i + 1, r.reference_reads, r.daemon_reads, r.creates, r.act_start_p50, r.act_start_p99,
            args.queued_runs - r.not_succeeded, r.all_succeeded_s);
        std::fflush(stdout);
    }
    int rc = Report(reps, args, bench.body_bytes());
    std::printf("total %.0f s, load average now %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                LoadAverage().c_str());
    return rc;
}
