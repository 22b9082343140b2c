#pragma once
// The run engine: accepts pipeline runs, decides which activities are ready (dependsOn, leaf rule),
// hands attempts to the worker pool, applies timeouts, retries and cancellation, and records every
// transition through the RunRepository before anyone can observe it.
//
// One scheduler thread owns all in-memory run state; API threads and workers talk to it through an event
// queue, so no run state is ever shared between threads. Time comes from an injectable Clock.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/contract.hpp"
#include "core/engine/activity.hpp"
#include "core/engine/rerun.hpp"
#include "core/engine/worker_pool.hpp"
#include "core/metrics.hpp"
#include "core/model/pipeline_spec.hpp"
#include "core/runs/records.hpp"

namespace adxflow::engine {

struct EngineOptions {
    std::string factory_name = "adxflow";
    size_t workers = 4;
    size_t max_concurrent_runs = 200;  // runs InProgress at once; later ones wait as Queued
    Millis shutdown_grace{30000};      // how long Stop() lets running attempts finish before interrupting
    size_t default_chunk_rows = 100000;
    // Called from the scheduler thread at least every `heartbeat_interval` while its loop is alive (the
    // systemd watchdog). It runs on that thread on purpose: a scheduler stuck in one pass stops the beats,
    // and the service manager restarts the daemon. Empty or a zero interval: no heartbeat.
    std::function<void()> heartbeat;
    Millis heartbeat_interval{0};
};

struct CreateRunRequest {
    std::string pipeline_name;
    Json pipeline = Json::object();    // the pipeline's properties
    Json parameters = Json::object();  // as given by the caller; bound against the declarations here
    Json invoked_by = Json::object();  // defaults to Manual
    std::string run_group_id;          // empty: a new group (the run's own id)
    // createRun's referencePipelineRunId: the parameters of that run (those given here are ignored).
    std::string reference_run_id;
    // isRecovery: the new run joins the reference run's group (and becomes its latest run); with
    // rerun.start_activity or rerun.start_from_failure it takes over what it does not run again.
    bool is_recovery = false;
    RerunRequest rerun;
};

class Engine {
  public:
    Engine(EngineOptions options, Clock& clock, RunRepository& runs, DefinitionSource& definitions,
           const ConnectorRegistry& connectors, ConnectorEnv env, Metrics* metrics);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Recovers unfinished runs from the repository (an attempt that was InProgress becomes a failed
    // attempt with errorCode DaemonRestart and is queued again from its checkpoint), then starts.
    Status Start();
    // Stops dispatching, lets running attempts finish for up to shutdown_grace, then interrupts the rest:
    // they stay InProgress in the store and resume from their checkpoint at the next Start().
    void Stop();

    // Validates parameters, persists the run as Queued and schedules it. Errors are kInvalidInput.
    Result<PipelineRun> CreateRun(CreateRunRequest request);
    // Requests cancellation; the run goes Canceling, then Cancelled once running attempts stopped.
    // `recursive` (the API's isRecursive) also cancels the runs its ExecutePipeline activities started, and
    // theirs. Returns false when the run is unknown to the engine (finished or never existed).
    bool Cancel(const std::string& run_id, bool recursive = false);

    // Activity types this engine executes (for validation at PUT).
    std::set<std::string> ActivityTypes() const;
    // What executors use (definitions, connectors, clock): for API calls that resolve definitions the way
    // an activity would, such as a linked service's connection test.
    const ExecutionServices& services() const { return services_; }

  private:
    struct ActivityState;
    struct RunState;
    struct Frame;
    struct ContainerState;
    struct Event;

    void Loop();
    void Post(Event event);
    void Handle(Event& event);
    void CancelNow(const std::string& run_id, bool recursive);
    // A new run's state, validated and persisted as Queued (createRun and ExecutePipeline).
    Result<std::unique_ptr<RunState>> PrepareRun(CreateRunRequest request);
    void Process(RunState& run);
    // Starts what became ready in one frame (top level when null); true once all its activities are final.
    bool ProcessFrame(RunState& run, Frame* frame);
    void StartRun(RunState& run);
    void StartAttempt(RunState& run, ActivityState& act);
    void OnAttemptDone(RunState& run, ActivityState& act, ActivityResult result, Json checkpoint);
    void FailAttempt(RunState& run, ActivityState& act, const Error& error);
    void Finalize(RunState& run);
    void FinishActivity(RunState& run, ActivityState& act, const std::string& status);
    void AddTimer(TimePoint when, const std::string& run_id);
    void PromoteQueuedRuns();
    expr::EvalContext BuildContext(const RunState& run, const Frame* frame = nullptr) const;
    // Control activities (engine_containers.cpp): they run on the scheduler thread, through frames of
    // inner activities, instead of on a worker.
    void StartContainer(RunState& run, ActivityState& act, const expr::EvalContext& ctx);
    void AdvanceContainer(RunState& run, ActivityState& act);
    Frame& AddFrame(RunState& run, ActivityState& act, std::optional<Json> item);
    void FinishContainer(RunState& run, ActivityState& act, const Error* error);
    // ExecutePipeline (engine_execute_pipeline.cpp): a child run started from the scheduler thread; the
    // activity ends when the child does (waitOnCompletion) or at once.
    void StartExecutePipeline(RunState& run, ActivityState& act, const expr::EvalContext& ctx);
    void FinishExecutePipeline(RunState& run, ActivityState& act, const PipelineRun& child,
                               const Json& return_value, RunState* child_state = nullptr);
    // Called by Finalize: the parent's waiting ExecutePipeline activity, if any, ends with the child.
    void OnChildRunEnded(RunState& child);
    // SetVariable / AppendVariable results update the run's variables (persisted with the run).
    Status ApplyVariableUpdate(RunState& run, const Json& update);
    Status Recover();
    std::unique_ptr<RunState> MakeRunState(PipelineRun run, Status* error);

    EngineOptions options_;
    Clock& clock_;
    RunRepository& runs_;
    Metrics* metrics_;
    ExecutionServices services_;
    std::map<std::string, std::unique_ptr<ActivityExecutor>> executors_;
    std::unique_ptr<WorkerPool> pool_;

    std::mutex mu_;  // guards events_, stopping_
    std::condition_variable cv_;
    std::deque<Event> events_;
    bool stopping_ = false;
    bool draining_ = false;  // scheduler-thread view of stopping_
    std::thread scheduler_;

    // Scheduler-thread state.
    std::map<std::string, std::unique_ptr<RunState>> active_;  // InProgress and Canceling runs
    std::deque<std::unique_ptr<RunState>> waiting_;            // Queued runs waiting for a slot
    std::set<std::string> dirty_;
    std::multimap<TimePoint, std::string> timers_;
    size_t running_attempts_ = 0;
};

}  // namespace adxflow::engine
