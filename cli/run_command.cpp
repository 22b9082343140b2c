// `adxflow run PIPELINE`: createRun, and with --wait follow the run until it ends.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/output.hpp"
#include "cli/run_queries.hpp"

namespace adxflow::cli {

namespace {

using Clock = std::chrono::steady_clock;

Result<Json> BuildParameters(const ParsedArgs& args) {
    Json params = Json::object();
    if (auto file = args.Value("--param-file")) {
        std::ifstream in(*file, std::ios::binary);
        if (!in)
            return MakeError(ErrorKind::kInvalidInput, "cli.params", "cannot read parameter file " + *file);
        std::ostringstream ss;
        ss << in.rdbuf();
        ADXFLOW_ASSIGN_OR_RETURN(params, ParseJson(ss.str(), *file));
        if (!params.is_object())
            return MakeError(ErrorKind::kInvalidInput, "cli.params",
                             *file + ": expected a JSON object of parameter values");
    }
    for (const auto& p : args.All("-p")) {
        auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0)
            return MakeError(ErrorKind::kInvalidInput, "cli.params",
                             "-p expects NAME=VALUE, got \"" + p + "\"");
        params[p.substr(0, eq)] = ValueFromText(p.substr(eq + 1));
    }
    return params;
}

// What we last printed about an activity run, to print only changes.
struct SeenActivity {
    std::string status;
    std::string summary;
};

std::string ActivityLine(const Json& a) {
    std::string line =
        "  " + Str(a, "activityName") + " (" + Str(a, "activityType") + "): " + Str(a, "status");
    if (auto attempt = Int(a, "retryAttempt"); attempt && *attempt > 1)
        line += " attempt " + std::to_string(*attempt);
    if (std::string summary = OutputSummary(a); !summary.empty()) line += "  " + summary;
    if (auto ms = Int(a, "durationInMs"); ms && IsTerminalStatus(Str(a, "status")))
        line += "  " + FormatDuration(*ms);
    if (std::string err = ErrorMessage(a.value("error", Json())); !err.empty()) line += "\n    error: " + err;
    return line;
}

void PrintSummary(const Json& run, const Json& activities) {
    const std::string status = RunStatus(run);
    std::string line = "run " + Str(run, "runId") + " " + status;
    if (auto ms = Int(run, "durationInMs")) line += " in " + FormatDuration(*ms);
    std::printf("%s\n", line.c_str());
    if (status == "Succeeded") return;
    if (std::string message = Str(run, "message"); !message.empty())
        std::printf("  message: %s\n", message.c_str());
    for (const auto& a : activities)
        if (Str(a, "status") == "Failed")
            std::printf("  failed activity %s: %s\n", Str(a, "activityName").c_str(),
                        ErrorMessage(a.value("error", Json())).c_str());
}

// Polls until the run ends. Transport errors are retried a few times (a daemon restart recovers its runs).
int WaitForRun(ApiClient& api, const std::string& run_id, std::optional<long long> timeout_secs) {
    const auto started = Clock::now();
    auto interval = std::chrono::milliseconds(200);
    int transport_failures = 0;
    std::string last_status;
    std::map<std::string, SeenActivity> seen;
    while (true) {
        auto run = GetPipelineRun(api, run_id);
        Result<Json> activities = run.ok() ? GetActivityRuns(api, run_id) : Result<Json>(run.error());
        if (!run.ok() || !activities.ok()) {
            const Error& e = run.ok() ? activities.error() : run.error();
            if (e.kind != ErrorKind::kTransient || ++transport_failures > 10)
                return ReportError(e, "run " + run_id);
            std::fprintf(stderr, "adxflow: %s (retrying)\n", e.message.c_str());
        } else {
            transport_failures = 0;
            const std::string status = RunStatus(*run);
            if (status != last_status) {
                std::printf("run %s: %s\n", run_id.c_str(), status.c_str());
                last_status = status;
            }
            for (const auto& a : *activities) {
                std::string key = Str(a, "activityRunId");
                SeenActivity now{Str(a, "status"), OutputSummary(a)};
                auto it = seen.find(key);
                if (it != seen.end() && it->second.status == now.status && it->second.summary == now.summary)
                    continue;
                seen[key] = now;
                std::printf("%s\n", ActivityLine(a).c_str());
            }
            std::fflush(stdout);
            if (IsTerminalStatus(status)) {
                PrintSummary(*run, *activities);
                return status == "Succeeded" ? kExitOk : kExitFailed;
            }
        }
        if (timeout_secs && Clock::now() - started >= std::chrono::seconds(*timeout_secs)) {
            std::fprintf(
                stderr,
                "adxflow: stopped waiting after %lld s; run %s is still %s (adxflow cancel %s to stop it)\n",
                *timeout_secs, run_id.c_str(), last_status.c_str(), run_id.c_str());
            return kExitTimeout;
        }
        std::this_thread::sleep_for(interval);
        interval = std::min<std::chrono::milliseconds>(interval * 3 / 2, std::chrono::seconds(2));
    }
}

}  // namespace

int RunCommand(ApiClient& api, const std::vector<std::string>& args) {
    auto parsed = ParseArgs(
        args, {{"-p", true, "--param"}, {"--param-file", true}, {"--wait", false}, {"--timeout", true}});
    if (!parsed.ok()) return ReportError(parsed.error());
    if (parsed->positional.size() != 1) {
        std::fprintf(stderr, "adxflow: run needs exactly one pipeline name (see adxflow run --help)\n");
        return kExitUsage;
    }
    std::optional<long long> timeout;
    if (auto t = parsed->Value("--timeout")) {
        auto secs = ParsePositive("--timeout", *t);
        if (!secs.ok()) return ReportError(secs.error());
        timeout = *secs;
    }
    auto params = BuildParameters(*parsed);
    if (!params.ok()) return ReportError(params.error());

    const std::string& pipeline = parsed->positional[0];
    auto reply = api.Call("POST", "pipelines/" + http::PercentEncode(pipeline) + "/createRun", *params);
    if (!reply.ok()) return ReportError(reply.error(), "run " + pipeline);
    std::string run_id = Str(reply->body, "runId");
    if (run_id.empty()) {
        std::fprintf(stderr, "adxflow: the daemon answered createRun without a runId\n");
        return kExitUsage;
    }
    if (!parsed->Has("--wait")) {
        std::printf("%s\n", run_id.c_str());
        return kExitOk;
    }
    std::printf("started run %s of pipeline %s\n", run_id.c_str(), pipeline.c_str());
    std::fflush(stdout);
    return WaitForRun(api, run_id, timeout);
}

}  // namespace adxflow::cli
