#pragma once
// Recovery reruns (adf-semantics §8.2): createRun with referencePipelineRunId and isRecovery=true starts a
// new run in the reference run's group, and with startActivityName or startFromFailure it does not run
// everything again. This decides which top-level activities the new run takes over from the reference run
// (their status, output and error, without running them) and which it runs.

#include <string>
#include <vector>

#include "core/model/pipeline_spec.hpp"
#include "core/runs/records.hpp"

namespace adxflow::engine {

struct RerunRequest {
    std::string start_activity;       // rerun from this activity and everything downstream of it
    bool start_from_failure = false;  // rerun what did not succeed, and everything downstream of it
};

// `records` are the reference run's activity runs (oldest first); `reference_state` its run_state, whose
// "recovery.reused" holds what the reference itself took over from its own reference (a chain of reruns).
// The result maps activity name -> {"status", "output", "error"} for every activity that is not run again;
// an empty object when neither option is set (everything runs). A start activity that is not a top-level
// activity of `spec` is kInvalidInput naming it.
Result<Json> PlanRerun(const model::PipelineSpec& spec, const std::vector<ActivityRun>& records,
                       const Json& reference_state, const RerunRequest& request);

}  // namespace adxflow::engine
