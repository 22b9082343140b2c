#pragma once
// The trigger scheduler: one thread on the injectable Clock that fires started ScheduleTriggers at their
// occurrences and creates, starts and settles TumblingWindowTrigger windows. Everything it decides is
// written to the TriggerRepository before it acts, so a restart neither loses nor repeats a window:
//  - schedule triggers fire at the first occurrence at or after "now"; occurrences missed while the daemon
//    was down are discarded (ADF's rule), and the last fired occurrence is remembered so none fires twice;
//  - tumbling windows are created for every window whose end (+ delay) has passed, from startTime on
//    (backfill), and started oldest first within maxConcurrency once their dependencies succeeded; a
//    window is marked Running before its pipeline run is created, and recovery finds a run created just
//    before a crash through the run's invokedBy.id, so no window runs twice.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/runs/trigger_records.hpp"
#include "core/triggers/trigger_spec.hpp"

namespace adxflow::triggers {

struct TriggerHost {
    // The stored trigger {"name", "properties"}; nullopt when it does not exist.
    std::function<Result<std::optional<Json>>(const std::string& name)> get_trigger;
    // Creates a pipeline run; returns its run id.
    std::function<Result<std::string>(const std::string& pipeline, const Json& parameters,
                                      const Json& invoked_by)>
        create_run;
    // Status and message of a pipeline run, nullopt when unknown (used by recovery and as a fallback poll).
    std::function<Result<std::optional<std::pair<std::string, std::string>>>(const std::string& run_id)>
        run_status;
    // Cancels a pipeline run (with the runs it started); false when it is not running. Optional.
    std::function<bool(const std::string& run_id)> cancel_run;
};

class TriggerService {
  public:
    TriggerService(Clock& clock, engine::TriggerRepository& repo, TriggerHost host);
    ~TriggerService();

    // Settles windows left Running by a previous process, then starts the scheduler thread (unless
    // `thread` is false: tests call Tick() themselves).
    Status Start(bool thread = true);
    void Stop();

    // API operations. Names are case-insensitive.
    Result<std::string> RuntimeState(const std::string& name);
    Status StartTrigger(const std::string& name);
    Status StopTrigger(const std::string& name);
    // The trigger was deleted: its state, runs and windows go; a trigger created later under the same name
    // starts afresh.
    Status ForgetTrigger(const std::string& name);
    Result<engine::TriggerRun> Rerun(const std::string& name, const std::string& trigger_run_id);
    // Cancels a waiting or running window (its pipeline run too); it is then Cancelled and can be rerun.
    Result<engine::TriggerRun> Cancel(const std::string& name, const std::string& trigger_run_id);

    // A pipeline run reached a final status (called by the run store, from the engine's thread). Only
    // queues the fact and wakes the scheduler: it must not block.
    void OnRunFinished(const std::string& run_id, const std::string& status, const std::string& message);

    // One pass over every trigger at the clock's current time; returns when the next pass is due
    // (TimePoint::max() when nothing is scheduled; the thread still passes every few minutes).
    TimePoint Tick();

  private:
    struct Finished {
        std::string run_id, status, message;
    };
    struct Loaded {
        std::string name;
        std::string body;  // the definition as last parsed, to notice a PUT
        TriggerSpec spec;
    };
    void Loop();
    void Wake();
    Result<std::optional<Loaded>> Load(const std::string& name_key);
    TimePoint TickSchedule(const Loaded& t, engine::TriggerState& state, TimePoint now);
    TimePoint TickTumbling(const Loaded& t, TimePoint now);
    Status Fire(const Loaded& t, TimePoint scheduled, TimePoint now, engine::TriggerRun* existing);
    Status StartWindow(const Loaded& t, engine::TriggerRun& w, TimePoint now);
    Result<bool> DependenciesMet(const Loaded& t, const engine::TriggerRun& w);
    void Settle(const std::string& run_id, const std::string& status, const std::string& message,
                TimePoint now);
    Status Recover();

    Clock& clock_;
    engine::TriggerRepository& repo_;
    TriggerHost host_;

    std::mutex work_mu_;                    // one pass or one API operation at a time
    std::map<std::string, Loaded> loaded_;  // name_key -> parsed definition
    std::map<std::string, std::optional<TimePoint>>
        next_fire_;                               // schedule triggers: name_key -> next occurrence
    std::map<std::string, std::string> running_;  // pipeline run id -> trigger run id

    std::mutex mu_;  // guards finished_, wake_, stop_
    std::condition_variable cv_;
    std::deque<Finished> finished_;
    bool wake_ = false;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace adxflow::triggers
