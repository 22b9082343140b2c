#pragma once
// Reading runs back from the daemon, shared by `run --wait`, `runs` and `show`.

#include <string>

#include "cli/api_client.hpp"

namespace adxflow::cli {

Result<Json> GetPipelineRun(ApiClient& api, const std::string& run_id);
// The activity runs of one pipeline run, in creation order (a JSON array).
Result<Json> GetActivityRuns(ApiClient& api, const std::string& run_id);

// What an activity run produced, in a few words: "rowsRead=20 rowsCopied=20" for a Copy, "count=20" or
// "firstRow={...}" for a Lookup; "" when the output has none of those.
std::string OutputSummary(const Json& activity_run, size_t max_chars = 80);

// The run's status word, or "" when absent.
inline std::string RunStatus(const Json& run) {
    const Json* s = run.is_object() ? FindMember(run, "status") : nullptr;
    return s && s->is_string() ? s->get<std::string>() : "";
}
bool IsTerminalStatus(const std::string& status);

}  // namespace adxflow::cli
