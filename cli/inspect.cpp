// `adxflow runs`, `adxflow show RUNID`, `adxflow cancel RUNID`.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "cli/output.hpp"
#include "cli/run_queries.hpp"
#include "core/time.hpp"

namespace adxflow::cli {

namespace {

std::string RunDuration(const Json& run) {
    auto ms = Int(run, "durationInMs");
    return ms ? FormatDuration(*ms) : "";
}

}  // namespace

int RunsCommand(ApiClient& api, const std::vector<std::string>& args) {
    auto parsed =
        ParseArgs(args, {{"--pipeline", true}, {"--status", true}, {"--last", true}, {"--since", true}});
    if (!parsed.ok()) return ReportError(parsed.error());
    if (!parsed->positional.empty()) {
        std::fprintf(stderr, "adxflow: runs takes no positional arguments (see adxflow runs --help)\n");
        return kExitUsage;
    }
    std::optional<long long> last;
    if (auto n = parsed->Value("--last")) {
        auto v = ParsePositive("--last", *n);
        if (!v.ok()) return ReportError(v.error());
        last = *v;
    }
    const TimePoint now = std::chrono::system_clock::now();
    TimePoint since = now - std::chrono::hours(24);
    if (auto s = parsed->Value("--since")) {
        auto t = ParseTimestamp(*s);
        if (!t) {
            std::fprintf(stderr, "adxflow: --since expects an ISO 8601 time such as 2024-05-01T00:00:00Z\n");
            return kExitUsage;
        }
        since = *t;
    }
    Json filter = {{"lastUpdatedAfter", FormatTimestamp(since)},
                   {"lastUpdatedBefore", FormatTimestamp(now + std::chrono::minutes(5))},
                   {"filters", Json::array()},
                   {"orderBy", Json::array({{{"orderBy", "RunStart"}, {"order", "DESC"}}})}};
    if (auto p = parsed->Value("--pipeline"))
        filter["filters"].push_back({{"operand", "PipelineName"}, {"operator", "Equals"}, {"values", {*p}}});
    if (auto s = parsed->Value("--status"))
        filter["filters"].push_back({{"operand", "Status"}, {"operator", "Equals"}, {"values", {*s}}});

    std::vector<std::vector<std::string>> rows;
    while (true) {
        auto reply = api.Call("POST", "queryPipelineRuns", filter);
        if (!reply.ok()) return ReportError(reply.error(), "runs");
        const Json* value = FindMember(reply->body, "value");
        if (value && value->is_array())
            for (const auto& run : *value) {
                if (last && static_cast<long long>(rows.size()) >= *last) break;
                rows.push_back({Str(run, "runId"), Str(run, "pipelineName"), RunStatus(run),
                                ShortTime(run.value("runStart", Json())), RunDuration(run)});
            }
        std::string token = Str(reply->body, "continuationToken");
        if (token.empty() || (last && static_cast<long long>(rows.size()) >= *last)) break;
        filter["continuationToken"] = token;
    }
    if (rows.empty()) {
        std::printf("no pipeline runs since %s\n", FormatTimestamp(since).c_str());
        return kExitOk;
    }
    std::printf("%s", FormatTable({"RUN ID", "PIPELINE", "STATUS", "START (UTC)", "DURATION"}, rows).c_str());
    return kExitOk;
}

int ShowCommand(ApiClient& api, const std::vector<std::string>& args) {
    auto parsed = ParseArgs(args, {{"--json", false}});
    if (!parsed.ok()) return ReportError(parsed.error());
    if (parsed->positional.size() != 1) {
        std::fprintf(stderr, "adxflow: show needs exactly one run id (see adxflow show --help)\n");
        return kExitUsage;
    }
    const std::string& run_id = parsed->positional[0];
    auto run = GetPipelineRun(api, run_id);
    if (!run.ok()) return ReportError(run.error(), "show " + run_id);
    auto activities = GetActivityRuns(api, run_id);
    if (!activities.ok()) return ReportError(activities.error(), "show " + run_id);

    if (parsed->Has("--json")) {
        Json out = {{"run", *run}, {"activityRuns", *activities}};
        std::cout << out.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
        return kExitOk;
    }
    std::printf("run        %s\n", run_id.c_str());
    std::printf("pipeline   %s\n", Str(*run, "pipelineName").c_str());
    std::printf("status     %s\n", RunStatus(*run).c_str());
    std::printf("start      %s\n", ShortTime(run->value("runStart", Json())).c_str());
    std::printf("end        %s\n", ShortTime(run->value("runEnd", Json())).c_str());
    std::printf("duration   %s\n", RunDuration(*run).c_str());
    if (const Json* params = FindMember(*run, "parameters");
        params && params->is_object() && !params->empty())
        std::printf("parameters %s\n", params->dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    if (std::string message = Str(*run, "message"); !message.empty())
        std::printf("message    %s\n", message.c_str());
    std::printf("\n");
    if (activities->empty()) {
        std::printf("no activity runs\n");
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : *activities) {
        auto attempt = Int(a, "retryAttempt");
        auto ms = Int(a, "durationInMs");
        rows.push_back({Str(a, "activityName"), Str(a, "activityType"), Str(a, "status"),
                        std::to_string(attempt ? *attempt : 1), ms ? FormatDuration(*ms) : "",
                        OutputSummary(a, 60), ErrorMessage(a.value("error", Json()))});
    }
    std::printf(
        "%s",
        FormatTable({"ACTIVITY", "TYPE", "STATUS", "ATTEMPT", "DURATION", "OUTPUT", "ERROR"}, rows).c_str());
    return kExitOk;
}

int CancelCommand(ApiClient& api, const std::vector<std::string>& args) {
    auto parsed = ParseArgs(args, {});
    if (!parsed.ok()) return ReportError(parsed.error());
    if (parsed->positional.size() != 1) {
        std::fprintf(stderr, "adxflow: cancel needs exactly one run id (see adxflow cancel --help)\n");
        return kExitUsage;
    }
    const std::string& run_id = parsed->positional[0];
    auto reply = api.Call("POST", "pipelineruns/" + http::PercentEncode(run_id) + "/cancel", std::nullopt);
    if (!reply.ok()) return ReportError(reply.error(), "cancel " + run_id);
    auto run = GetPipelineRun(api, run_id);
    std::string status = run.ok() ? RunStatus(*run) : "";
    if (IsTerminalStatus(status) && status != "Cancelled")
        std::printf("run %s had already finished (%s)\n", run_id.c_str(), status.c_str());
    else
        std::printf("cancel requested for run %s%s\n", run_id.c_str(),
                    status.empty() ? "" : (" (now " + status + ")").c_str());
    return kExitOk;
}

}  // namespace adxflow::cli
