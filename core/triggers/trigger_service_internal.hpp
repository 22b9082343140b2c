#pragma once
// Helpers shared by the two halves of the trigger scheduler (trigger_service.cpp: schedule triggers and
// the API operations; trigger_windows.cpp: tumbling windows).

#include <string>

#include "core/expr/expr.hpp"
#include "core/runs/trigger_records.hpp"
#include "core/triggers/trigger_spec.hpp"

namespace adxflow::triggers::detail {

// Windows created in one pass at most, so that a backfill of years does not stall the loop.
inline constexpr int kMaxWindowsPerPass = 500;

inline bool IsOpen(const std::string& status) {
    return status == engine::trigger_status::kWaiting ||
           status == engine::trigger_status::kWaitingOnDependency ||
           status == engine::trigger_status::kRunning;
}

// What @trigger() returns for a fire or a window.
inline Json TriggerObject(const std::string& name, const engine::TriggerRun& run, TimePoint now) {
    Json trigger = {{"name", name},
                    {"scheduledTime", FormatTimestamp(run.scheduled_time)},
                    {"startTime", FormatTimestamp(now)},
                    {"outputs", Json::object()}};
    if (run.window_end)
        trigger["outputs"] = {{"windowStartTime", FormatTimestamp(run.scheduled_time)},
                              {"windowEndTime", FormatTimestamp(*run.window_end)}};
    return trigger;
}

inline Result<Json> TriggerParameters(const PipelineTarget& target, const Json& trigger, Clock& clock) {
    expr::EvalContext ctx;
    ctx.trigger = trigger;
    ctx.clock = &clock;
    auto params = expr::EvaluateTree(target.parameters, ctx);
    if (!params.ok()) {
        Error e = params.error();
        e.message = "pipeline '" + target.pipeline + "' parameter " + e.target + ": " + e.message;
        return e;
    }
    return params;
}

}  // namespace adxflow::triggers::detail
