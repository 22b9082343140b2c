#pragma once
// Trigger state and trigger runs as stored, and the repository the trigger scheduler writes through
// (implemented on SQLite by storage/trigger_store.*).

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace adxflow::engine {

// Window and trigger-run states. Waiting/WaitingOnDependency/Running are open; the API reports them as
// ADF's TriggerRunStatus "Inprogress" with the window state in properties.
namespace trigger_status {
inline constexpr const char* kWaiting = "Waiting";
inline constexpr const char* kWaitingOnDependency = "WaitingOnDependency";
inline constexpr const char* kRunning = "Running";
inline constexpr const char* kSucceeded = "Succeeded";
inline constexpr const char* kFailed = "Failed";
inline constexpr const char* kCancelled = "Cancelled";
}  // namespace trigger_status

struct TriggerState {
    std::string name_key;  // lower-cased trigger name
    std::string runtime_state = "Stopped";
    Json state = Json::object();  // scheduler bookkeeping, e.g. {"lastScheduledTime": "..."}
};

struct TriggerRun {
    int64_t sequence = 0;
    std::string trigger_run_id;
    std::string trigger_name;
    std::string trigger_type;
    TimePoint scheduled_time{};           // schedule occurrence, or window start
    std::optional<TimePoint> window_end;  // tumbling windows only
    std::string status = trigger_status::kWaiting;
    int attempt = 0;                      // pipeline runs started for this window so far
    std::optional<TimePoint> not_before;  // a retry waits until then
    std::string run_id;                   // current pipeline run ("" before one exists)
    std::string message;
    Json properties = Json::object();
    Json triggered_pipelines = Json::object();  // pipeline name -> run id
    TimePoint timestamp{};                      // triggerRunTimestamp: when it fired
    bool is_window() const { return window_end.has_value(); }
};

struct TriggerRunFilter {
    std::optional<TimePoint> after, before;  // on triggerRunTimestamp
    std::vector<std::string> trigger_names;  // empty: all
    std::vector<std::string> statuses;       // ADF statuses (Succeeded, Failed, Inprogress)
    bool exclude = false;                    // NotEquals / NotIn on names
};

class TriggerRepository {
  public:
    virtual ~TriggerRepository() = default;
    virtual Result<std::vector<TriggerState>> LoadTriggerStates() = 0;
    virtual Result<std::optional<TriggerState>> GetTriggerState(const std::string& name_key) = 0;
    virtual Status SaveTriggerState(const TriggerState& state) = 0;
    virtual Status DeleteTriggerState(const std::string& name_key) = 0;
    // The trigger's runs and windows (the trigger was deleted: one created later under the same name starts
    // afresh instead of continuing the old windows).
    virtual Status DeleteTriggerRuns(const std::string& trigger_name) = 0;

    // false when a window with the same trigger and start already exists (nothing written).
    virtual Result<bool> InsertTriggerRun(TriggerRun& run) = 0;
    virtual Status UpdateTriggerRun(const TriggerRun& run) = 0;
    virtual Result<std::optional<TriggerRun>> GetTriggerRun(const std::string& trigger_run_id) = 0;
    // Windows of a trigger not yet Succeeded/Failed/Cancelled, oldest first.
    virtual Result<std::vector<TriggerRun>> OpenWindows(const std::string& trigger_name) = 0;
    // Windows of a trigger whose start lies in [from, to), oldest first.
    virtual Result<std::vector<TriggerRun>> WindowsBetween(const std::string& trigger_name, TimePoint from,
                                                           TimePoint to) = 0;
    // Start of the newest window created for a trigger.
    virtual Result<std::optional<TimePoint>> LastWindowStart(const std::string& trigger_name) = 0;
    virtual Result<std::vector<TriggerRun>> QueryTriggerRuns(const TriggerRunFilter& filter) = 0;
    // Pipeline runs whose invokedBy.id is this trigger run, oldest first (finds a run created just before
    // a crash, so that it is not created twice).
    virtual Result<std::vector<std::string>> RunsInvokedBy(const std::string& trigger_run_id) = 0;
};

}  // namespace adxflow::engine
