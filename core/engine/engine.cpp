#include "core/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/crash_point.hpp"
#include "core/engine/engine_state.hpp"
#include "core/engine/graph.hpp"
#include "core/ids.hpp"
#include "core/model/parameters.hpp"
#include "core/model/secrets.hpp"

namespace adxflow::engine {

namespace {

constexpr const char* kDaemonRestart = "DaemonRestart";

Json EmptyError(const std::string& target) {
    return {{"errorCode", ""}, {"message", ""}, {"failureType", ""}, {"target", target}};
}

std::string ErrorCodeFor(const Error& e) {
    if (!e.code.empty()) return e.code;
    switch (e.kind) {
        case ErrorKind::kTimeout:
            return "ActivityTimedOut";
        case ErrorKind::kCancelled:
            return "ActivityCancelled";
        case ErrorKind::kInvalidInput:
            return "InvalidInput";
        case ErrorKind::kNotFound:
            return "NotFound";
        case ErrorKind::kUnauthorized:
            return "Unauthorized";
        case ErrorKind::kForbidden:
            return "Forbidden";
        case ErrorKind::kTransient:
            return "TransientError";
        case ErrorKind::kTooLarge:
            return "TooLarge";
        case ErrorKind::kUnsupported:
            return "Unsupported";
        default:
            return "InternalError";
    }
}

Json ErrorJson(const Error& e, const std::string& activity) {
    // User errors are what the definition or the data got wrong; system errors are ours or the network's.
    bool user = e.kind == ErrorKind::kInvalidInput || e.kind == ErrorKind::kNotFound ||
                e.kind == ErrorKind::kUnauthorized || e.kind == ErrorKind::kForbidden ||
                e.kind == ErrorKind::kTooLarge || e.kind == ErrorKind::kUnsupported;
    return {{"errorCode", ErrorCodeFor(e)},
            {"message", e.message},
            {"failureType", user ? "UserError" : "SystemError"},
            {"target", activity}};
}

// Rows and bytes of a successful Copy, from the output it reports (the connector types are in
// executionDetails, as ADF shows them).
void RecordCopy(Metrics& metrics, const Json& output) {
    auto number = [&output](const char* key) {
        const Json* v = FindMember(output, key);
        return v && v->is_number() ? v->get<double>() : 0.0;
    };
    std::string source = "unknown", sink = "unknown";
    if (const Json* details = FindMember(output, "executionDetails");
        details && details->is_array() && !details->empty()) {
        const Json& d = (*details)[0];
        if (d.contains("source") && d["source"].value("type", Json()).is_string())
            source = d["source"]["type"];
        if (d.contains("sink") && d["sink"].value("type", Json()).is_string()) sink = d["sink"]["type"];
    }
    metrics.RowsCopied(source, sink, number("rowsCopied"), number("dataRead"), number("dataWritten"));
}

Json SecurePlaceholder() {
    return {{"secure", true}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------------------

struct Engine::Event {
    enum class Type { kNewRun, kCancel, kAttemptDone, kWake } type = Type::kWake;
    std::string run_id;
    bool recursive = false;           // kCancel
    std::unique_ptr<RunState> state;  // kNewRun
    std::string activity_key;         // kAttemptDone
    std::string activity_run_id;
    std::shared_ptr<ActivityResult> result;
    Json checkpoint;
};

// ---------------------------------------------------------------------------------------------------------
// Construction, start, stop
// ---------------------------------------------------------------------------------------------------------

Engine::Engine(EngineOptions options, Clock& clock, RunRepository& runs, DefinitionSource& definitions,
               const ConnectorRegistry& connectors, ConnectorEnv env, Metrics* metrics)
    : options_(std::move(options)), clock_(clock), runs_(runs), metrics_(metrics) {
    services_.definitions = &definitions;
    services_.connectors = &connectors;
    services_.connector_env = std::move(env);
    services_.clock = &clock_;
    services_.default_chunk_rows = options_.default_chunk_rows;
    executors_ = BuiltinExecutors();
    for (const auto& connector : connectors.all())
        for (const auto& type : connector.activity_types)
            if (connector.run_activity) executors_[ToLower(type)] = MakeConnectorActivityExecutor(connector);
}

Engine::~Engine() {
    Stop();
}

std::set<std::string> Engine::ActivityTypes() const {
    // Executors are keyed lower-case; report ADF's spelling.
    static const char* const kAdfNames[] = {"Copy",           "Lookup", "Wait", "SetVariable",
                                            "AppendVariable", "Filter", "Fail", "ForEach",
                                            "IfCondition",    "Switch", "Until"};
    // Run by the scheduler itself, not by an executor.
    std::set<std::string> out = {"ForEach", "IfCondition", "Switch", "Until", "ExecutePipeline"};
    for (const auto& [key, _] : executors_) {
        std::string name = key;
        for (const char* adf : kAdfNames)
            if (IEquals(adf, key)) name = adf;
        out.insert(name);
    }
    return out;
}

Status Engine::Start() {
    pool_ = std::make_unique<WorkerPool>(options_.workers);
    if (metrics_) metrics_->SetWorkers(0, static_cast<double>(pool_->size()));
    ADXFLOW_TRY(Recover());
    scheduler_ = std::thread([this] { Loop(); });
    return Ok();
}

void Engine::Stop() {
    {
        std::lock_guard g(mu_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    if (pool_) pool_->Shutdown();
}

void Engine::Post(Event event) {
    {
        std::lock_guard g(mu_);
        events_.push_back(std::move(event));
    }
    cv_.notify_all();
}

// ---------------------------------------------------------------------------------------------------------
// API entry points (any thread)
// ---------------------------------------------------------------------------------------------------------

std::unique_ptr<Engine::RunState> Engine::MakeRunState(PipelineRun run, Status* error) {
    auto state = std::make_unique<RunState>();
    auto spec = model::ParsePipeline(run.pipeline_name, run.pipeline);
    if (!spec.ok()) {
        *error = std::move(spec).error();
        return nullptr;
    }
    state->spec = std::move(spec).value();
    for (const auto& a : state->spec.activities) {
        Node n;
        n.name = a.name;
        for (const auto& d : a.depends_on) {
            Edge e;
            e.upstream = d.activity;
            for (auto c : d.conditions) e.conditions.push_back(ToCondition(c));
            n.depends_on.push_back(std::move(e));
        }
        state->nodes.push_back(std::move(n));
        ActivityState& st = state->activities[ToLower(a.name)];
        st.spec = &a;
        st.key = ToLower(a.name);
    }
    // Variables start at their declared defaults, or where a run resumed after a restart left them.
    for (auto it = state->spec.variables.begin(); it != state->spec.variables.end(); ++it) {
        const Json* def = FindMember(it.value(), "defaultValue");
        state->variables[it.key()] = def ? *def : Json(nullptr);
    }
    if (const Json* saved = FindMember(run.run_state, "variables"); saved && saved->is_object())
        for (auto it = saved->begin(); it != saved->end(); ++it) state->variables[it.key()] = it.value();
    if (const Json* ret = FindMember(run.run_state, "pipelineReturnValue")) state->return_value = *ret;
    // A recovery rerun takes these activities over from its reference run: final from the start, no record.
    if (const Json* recovery = FindMember(run.run_state, "recovery"))
        if (const Json* reused = FindMember(*recovery, "reused"); reused && reused->is_object())
            for (auto it = reused->begin(); it != reused->end(); ++it)
                if (ActivityState* act = state->Find(it.key())) {
                    act->status = it.value().value("status", status::kSkipped);
                    act->output = it.value().value("output", Json(nullptr));
                    act->error = it.value().value("error", Json(nullptr));
                }
    Json globals = Json::object();
    if (auto g = services_.definitions->GetGlobalParameters(); g.ok() && g->is_object())
        for (auto it = g->begin(); it != g->end(); ++it)
            if (const Json* v = FindMember(it.value(), "value")) globals[it.key()] = *v;
    state->global_parameters = std::move(globals);
    state->secrets = model::SecureParameterValues(run.pipeline, run.parameters);
    state->run = std::move(run);
    return state;
}

Result<PipelineRun> Engine::CreateRun(CreateRunRequest request) {
    ADXFLOW_ASSIGN_OR_RETURN(auto state, PrepareRun(std::move(request)));
    PipelineRun copy = state->run;
    Event e;
    e.type = Event::Type::kNewRun;
    e.run_id = copy.run_id;
    e.state = std::move(state);
    Post(std::move(e));
    return copy;
}

Result<std::unique_ptr<Engine::RunState>> Engine::PrepareRun(CreateRunRequest request) {
    PipelineRun run;
    if (!request.reference_run_id.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(auto reference, runs_.GetPipelineRun(request.reference_run_id));
        if (!reference)
            return MakeError(ErrorKind::kNotFound, "createRun",
                             "pipeline run '" + request.reference_run_id + "' does not exist",
                             "PipelineRunNotFound", "referencePipelineRunId");
        if (!IEquals(reference->pipeline_name, request.pipeline_name))
            return MakeError(ErrorKind::kInvalidInput, "createRun",
                             "referencePipelineRunId '" + reference->run_id + "' is a run of pipeline '" +
                                 reference->pipeline_name + "', not of '" + request.pipeline_name + "'",
                             "BadRequest", "referencePipelineRunId");
        request.parameters = reference->parameters;
        if (request.is_recovery) {
            if (!IsTerminalRunStatus(reference->status))
                return MakeError(ErrorKind::kInvalidInput, "createRun",
                                 "pipeline run '" + reference->run_id + "' is still " + reference->status +
                                     "; a recovery rerun needs a finished run",
                                 "BadRequest", "isRecovery");
            request.run_group_id = reference->run_group_id;
            ADXFLOW_ASSIGN_OR_RETURN(auto spec,
                                     model::ParsePipeline(request.pipeline_name, request.pipeline));
            ADXFLOW_ASSIGN_OR_RETURN(auto records, runs_.LoadActivityRuns(reference->run_id));
            ADXFLOW_ASSIGN_OR_RETURN(Json reused,
                                     PlanRerun(spec, records, reference->run_state, request.rerun));
            run.run_state = {
                {"recovery", {{"referencePipelineRunId", reference->run_id}, {"reused", reused}}}};
        }
    } else if (request.is_recovery) {
        return MakeError(ErrorKind::kInvalidInput, "createRun", "isRecovery needs referencePipelineRunId",
                         "BadRequest", "isRecovery");
    }
    run.run_id = NewUuid();
    run.run_group_id = request.run_group_id.empty() ? run.run_id : request.run_group_id;
    run.pipeline_name = request.pipeline_name;
    run.pipeline = std::move(request.pipeline);
    const Json* declared = FindMember(run.pipeline, "parameters");
    ADXFLOW_ASSIGN_OR_RETURN(
        run.parameters, model::BindParameters(declared ? *declared : Json::object(), request.parameters));
    run.invoked_by = request.invoked_by.empty()
                         ? Json{{"id", NewUuid()}, {"name", "Manual"}, {"invokedByType", "Manual"}}
                         : request.invoked_by;
    run.status = status::kQueued;
    run.last_updated = clock_.Now();
    Status parse_error;
    auto state = MakeRunState(run, &parse_error);
    if (!state) return parse_error.error();
    ADXFLOW_TRY(runs_.InsertPipelineRun(state->run));
    if (!state->run.run_state.is_null()) ADXFLOW_TRY(runs_.UpdatePipelineRun(state->run));  // the rerun plan
    ADXFLOW_CRASH_POINT("engine.run.accepted");  // stored, not yet answered
    return state;
}

bool Engine::Cancel(const std::string& run_id, bool recursive) {
    Event e;
    e.type = Event::Type::kCancel;
    e.run_id = run_id;
    e.recursive = recursive;
    Post(std::move(e));
    return true;
}

// ---------------------------------------------------------------------------------------------------------
// Scheduler loop
// ---------------------------------------------------------------------------------------------------------

void Engine::Loop() {
    std::unique_lock lock(mu_);
    // The shutdown grace is real time, whatever clock the scheduler runs on: it bounds how long the process
    // takes to exit, and a simulated clock that nobody advances must not hold a stop forever.
    std::optional<std::chrono::steady_clock::time_point> drain_deadline;
    const bool beats = options_.heartbeat && options_.heartbeat_interval.count() > 0;
    auto next_beat = std::chrono::steady_clock::now();
    while (true) {
        // One transaction per pass: every state change of this pass commits together (see BeginWriteBatch).
        lock.unlock();
        runs_.BeginWriteBatch();
        lock.lock();
        while (!events_.empty()) {
            Event e = std::move(events_.front());
            events_.pop_front();
            lock.unlock();
            Handle(e);
            lock.lock();
        }
        if (stopping_ && !draining_) {
            draining_ = true;
            drain_deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
            spdlog::info("engine: stopping; {} attempt(s) running, grace {} ms", running_attempts_,
                         options_.shutdown_grace.count());
        }
        lock.unlock();

        const TimePoint now = clock_.Now();
        while (!timers_.empty() && timers_.begin()->first <= now) {
            dirty_.insert(timers_.begin()->second);
            timers_.erase(timers_.begin());
        }
        if (!draining_) PromoteQueuedRuns();
        auto dirty = std::move(dirty_);
        dirty_.clear();
        for (const auto& id : dirty) {
            auto it = active_.find(id);
            if (it != active_.end()) Process(*it->second);
        }
        // Finished runs are removed after processing so that Process never invalidates the iteration.
        for (auto it = active_.begin(); it != active_.end();) {
            if (IsTerminalRunStatus(it->second->run.status))
                it = active_.erase(it);
            else
                ++it;
        }
        if (!draining_) PromoteQueuedRuns();
        if (metrics_) {
            metrics_->SetWorkers(static_cast<double>(pool_->busy()), static_cast<double>(pool_->size()));
            metrics_->SetQueueDepth(static_cast<double>(waiting_.size()));
        }
        if (auto committed = runs_.EndWriteBatch(); !committed.ok())
            spdlog::error("engine: committing run state failed: {}", committed.error().Describe());
        // The heartbeat is given only after a whole pass (events, timers, runs, commit) went through.
        if (beats && std::chrono::steady_clock::now() >= next_beat) {
            options_.heartbeat();
            next_beat = std::chrono::steady_clock::now() + options_.heartbeat_interval;
        }

        lock.lock();
        if (!events_.empty() || !dirty_.empty()) continue;
        if (draining_) {
            // Stop once the attempts that were running have ended (and their runs were processed above, so
            // a run whose last activity finished during the drain is recorded as finished), or at the grace.
            if (running_attempts_ == 0 || std::chrono::steady_clock::now() >= *drain_deadline) break;
            cv_.wait_until(lock, std::min(*drain_deadline,
                                          std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
            continue;
        }
        TimePoint wake = timers_.empty() ? clock_.Now() + std::chrono::seconds(1) : timers_.begin()->first;
        if (beats) wake = std::min(wake, clock_.Now() + options_.heartbeat_interval);
        clock_.WaitUntil(lock, cv_, wake);
    }
    lock.unlock();
    // Interrupt what is still running: those attempts stay InProgress in the store and resume from their
    // checkpoint at the next start (DaemonRestart), which is what "nothing lost" needs.
    for (auto& [id, run] : active_)
        for (auto& [key, act] : run->activities)
            if (act.status == status::kInProgress)
                act.token.Cancel(
                    MakeError(ErrorKind::kCancelled, "engine.stop", "the daemon is shutting down"));
    if (running_attempts_ > 0)
        spdlog::warn("engine: interrupted {} running attempt(s); they resume after restart",
                     running_attempts_);
}

void Engine::Handle(Event& e) {
    switch (e.type) {
        case Event::Type::kNewRun: {
            if (metrics_) metrics_->SetQueueDepth(static_cast<double>(waiting_.size() + 1));
            waiting_.push_back(std::move(e.state));
            break;
        }
        case Event::Type::kCancel:
            CancelNow(e.run_id, e.recursive);
            break;
        case Event::Type::kAttemptDone: {
            --running_attempts_;
            auto it = active_.find(e.run_id);
            if (it == active_.end()) break;
            RunState& run = *it->second;
            --run.running;
            auto act_it = run.activities.find(e.activity_key);
            if (act_it == run.activities.end()) break;
            ActivityState& act = act_it->second;
            if (act.record.activity_run_id != e.activity_run_id || act.status != status::kInProgress) break;
            if (draining_ && !e.result->output.ok() && e.result->output.error().op == "engine.stop") {
                // Interrupted by shutdown: leave the attempt InProgress for recovery, but keep its
                // checkpoint.
                if (!e.checkpoint.is_null()) act.record.checkpoint = e.checkpoint;
                break;
            }
            OnAttemptDone(run, act, std::move(*e.result), std::move(e.checkpoint));
            dirty_.insert(e.run_id);
            break;
        }
        case Event::Type::kWake:
            break;
    }
}

void Engine::CancelNow(const std::string& run_id, bool recursive) {
    auto it = active_.find(run_id);
    if (it != active_.end()) {
        RunState& run = *it->second;
        if (!IsTerminalRunStatus(run.run.status)) {
            run.run.cancel_requested = true;
            run.cancel_recursive = run.cancel_recursive || recursive;
            run.run.status = status::kCanceling;
            run.run.last_updated = clock_.Now();
            (void)runs_.UpdatePipelineRun(run.run);
            dirty_.insert(run_id);
        }
        return;
    }
    // A queued run is cancelled before it starts.
    for (auto w = waiting_.begin(); w != waiting_.end(); ++w) {
        if ((*w)->run.run_id != run_id) continue;
        (*w)->run.status = status::kCancelled;
        (*w)->run.cancel_requested = true;
        (*w)->run.last_updated = clock_.Now();
        (void)runs_.UpdatePipelineRun((*w)->run);
        if (metrics_) metrics_->PipelineRunFinished(status::kCancelled);
        auto state = std::move(*w);
        waiting_.erase(w);
        OnChildRunEnded(*state);
        return;
    }
}

void Engine::PromoteQueuedRuns() {
    // A child run of ExecutePipeline is admitted past max_concurrent_runs: its parent holds a slot while it
    // waits, and parents filling every slot must not wait forever for children that cannot start.
    auto is_child = [](const RunState& r) {
        return r.run.invoked_by.value("invokedByType", "") == "PipelineActivity";
    };
    while (!waiting_.empty() &&
           (active_.size() < options_.max_concurrent_runs || is_child(*waiting_.front()))) {
        auto state = std::move(waiting_.front());
        waiting_.pop_front();
        std::string id = state->run.run_id;
        StartRun(*state);
        active_[id] = std::move(state);
        dirty_.insert(id);
    }
}

void Engine::StartRun(RunState& run) {
    if (run.run.status == status::kQueued) {
        run.run.status = status::kInProgress;
        run.run.run_start = clock_.Now();
        run.run.last_updated = *run.run.run_start;
        if (auto s = runs_.UpdatePipelineRun(run.run); !s.ok())
            spdlog::error("run {}: cannot record start: {}", run.run.run_id, s.error().Describe());
        ADXFLOW_CRASH_POINT("engine.run.started");
        spdlog::info("run {} pipeline={} started", run.run.run_id, run.run.pipeline_name);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Per-run decisions
// ---------------------------------------------------------------------------------------------------------

void Engine::Process(RunState& run) {
    if (IsTerminalRunStatus(run.run.status)) return;
    const TimePoint now = clock_.Now();
    if (run.run.cancel_requested) {
        for (auto& [key, act] : run.activities) {
            if (act.status == status::kInProgress)
                act.token.Cancel(
                    MakeError(ErrorKind::kCancelled, "engine.cancel", "the pipeline run was cancelled"));
            if (act.status == status::kInProgress && !act.child_run_id.empty() && run.cancel_recursive)
                CancelNow(act.child_run_id, true);
            if (act.status == status::kQueued) {  // a retry waiting for its interval
                act.record.status = status::kCancelled;
                act.record.end = now;
                act.record.last_updated = now;
                (void)runs_.UpdateActivityRun(act.record);
                act.status = status::kCancelled;
            }
        }
        if (run.running == 0) {
            // Control activities have no attempt of their own on a worker: they end when their inner
            // activities did.
            for (auto& [key, act] : run.activities) {
                if (act.status != status::kInProgress || (!act.container && act.child_run_id.empty()))
                    continue;
                act.record.status = status::kCancelled;
                act.record.end = now;
                act.record.last_updated = now;
                if (act.record.output.is_null()) act.record.output = Json::object();
                (void)runs_.UpdateActivityRun(act.record);
                act.status = status::kCancelled;
            }
            Finalize(run);
        }
        return;
    }
    if (ProcessFrame(run, nullptr)) Finalize(run);
}

bool Engine::ProcessFrame(RunState& run, Frame* frame) {
    const TimePoint now = clock_.Now();
    const std::vector<Node>& nodes = frame ? frame->nodes : run.nodes;
    auto status_of = [&run, frame](std::string_view name) -> std::optional<std::string> {
        ActivityState* a = run.FindIn(frame, name);
        if (!a || a->status.empty() || !IsTerminalRunStatus(a->status)) return std::nullopt;
        return a->status;
    };
    // Skips can make further activities decidable, so iterate until nothing changes.
    for (bool changed = true; changed && !draining_;) {
        changed = false;
        for (const auto& node : nodes) {
            ActivityState& act = *run.FindIn(frame, node.name);
            if (!act.status.empty()) continue;
            Readiness r = EvaluateDependencies(node, status_of);
            if (r == Readiness::kWait) continue;
            changed = true;
            if (r == Readiness::kSkip) {
                act.status = status::kSkipped;
            } else if (!act.spec->active) {
                act.status = act.spec->on_inactive_mark_as;  // not executed; reports the chosen status
            } else {
                StartAttempt(run, act);
            }
        }
    }
    bool all_final = true;
    for (const auto& node : nodes) {
        ActivityState& act = *run.FindIn(frame, node.name);
        if (act.status == status::kQueued && !draining_) {
            if (!act.record.not_before || *act.record.not_before <= now)
                StartAttempt(run, act);
            else
                AddTimer(*act.record.not_before, run.run.run_id);
        } else if (act.status == status::kInProgress && act.container) {
            AdvanceContainer(run, act);
        } else if (act.status == status::kInProgress && act.deadline) {
            if (*act.deadline <= now) {
                act.token.Cancel(MakeError(
                    ErrorKind::kTimeout, "activity.timeout",
                    "Activity '" + act.spec->name + "' timed out after " + FormatTimespan(act.policy.timeout),
                    "ActivityTimedOut"));
                act.deadline.reset();
            } else {
                AddTimer(*act.deadline, run.run.run_id);
            }
        }
        all_final = all_final && !act.status.empty() && IsTerminalRunStatus(act.status);
    }
    return all_final;
}

expr::EvalContext Engine::BuildContext(const RunState& run, const Frame* frame) const {
    expr::EvalContext ctx;
    const auto& r = run.run;
    const Json& invoked = r.invoked_by;
    ctx.pipeline = {
        {"DataFactory", options_.factory_name},
        {"Pipeline", r.pipeline_name},
        {"RunId", r.run_id},
        {"TriggerType", invoked.value("invokedByType", "Manual")},
        {"TriggerId", invoked.value("id", "")},
        {"TriggerName", invoked.value("name", "Manual")},
        {"TriggerTime", FormatTimestamp(r.run_start.value_or(r.last_updated))},
        {"GroupId", r.run_group_id},
        {"TriggeredByPipelineName",
         invoked.contains("pipelineName") ? invoked["pipelineName"] : Json(nullptr)},
        {"TriggeredByPipelineRunId",
         invoked.contains("pipelineRunId") ? invoked["pipelineRunId"] : Json(nullptr)},
        {"parameters", r.parameters},
        {"globalParameters", run.global_parameters},
    };
    ctx.variables = run.variables;
    // activity() sees the top level and, inside a container, the activities of the same frame (one
    // iteration's siblings, never another iteration's); only those, so a 10,000-item ForEach stays linear.
    auto outputs = std::make_shared<std::map<std::string, Json>>();
    auto add = [&](const Node& node, const Frame* in) {
        auto it = run.activities.find((in ? in->prefix : std::string()) + ToLower(node.name));
        if (it == run.activities.end()) return;
        const ActivityState& act = it->second;
        if (act.status != status::kSucceeded && act.status != status::kFailed) return;
        (*outputs)[ToLower(node.name)] = {{"output", act.output.is_null() ? Json::object() : act.output},
                                          {"error", act.error.is_null() ? Json::object() : act.error},
                                          {"Status", act.status}};
    };
    for (const auto& node : run.nodes) add(node, nullptr);
    if (frame) {
        for (const auto& node : frame->nodes) add(node, frame);
        ctx.item = frame->item;
    }
    ctx.activity = [outputs](std::string_view name) -> std::optional<Json> {
        auto it = outputs->find(ToLower(name));
        if (it == outputs->end()) return std::nullopt;
        return it->second;
    };
    ctx.clock = &clock_;
    return ctx;
}

void Engine::StartAttempt(RunState& run, ActivityState& act) {
    const TimePoint now = clock_.Now();
    const bool retrying = act.status == status::kQueued && act.has_record;
    if (!retrying) {
        act.record = ActivityRun{};
        act.record.activity_run_id = NewUuid();
        act.record.run_id = run.run.run_id;
        act.record.pipeline_name = run.run.pipeline_name;
        act.record.activity_name = act.spec->name;
        act.record.activity_type = act.spec->type;
        act.record.attempt = 0;
        if (const Json* ls = FindMember(act.spec->definition, "linkedServiceName"))
            if (const Json* n = FindMember(*ls, "referenceName"); n && n->is_string())
                act.record.linked_service_name = n->get<std::string>();
    }
    act.record.status = status::kInProgress;
    act.record.start = now;
    act.record.not_before.reset();
    act.record.last_updated = now;
    act.status = status::kInProgress;
    act.token = CancellationToken();

    expr::EvalContext ctx = BuildContext(run, act.frame);
    // The policy may hold expressions; a bad one fails the activity without retries.
    auto evaluated_policy = expr::EvaluateTree(act.spec->policy, ctx);
    Result<model::ActivityPolicy> policy = evaluated_policy.ok()
                                               ? model::ResolvePolicy(*evaluated_policy)
                                               : Result<model::ActivityPolicy>(evaluated_policy.error());
    if (act.has_record) {
        (void)runs_.UpdateActivityRun(act.record);
    } else {
        if (auto s = runs_.InsertActivityRun(act.record); !s.ok())
            spdlog::error("run {}: cannot record activity {}: {}", run.run.run_id, act.spec->name,
                          s.error().Describe());
        act.has_record = true;
    }
    ADXFLOW_CRASH_POINT("engine.activity.started");
    if (!policy.ok()) {
        Error e = policy.error();
        e.message = "policy: " + e.message;
        act.failures = 1 << 20;  // no retries for a broken policy
        FailAttempt(run, act, e);
        return;
    }
    act.policy = *policy;
    if (IsContainerType(act.spec->type)) {
        StartContainer(run, act, ctx);
        return;
    }
    if (IEquals(act.spec->type, "ExecutePipeline")) {
        StartExecutePipeline(run, act, ctx);
        return;
    }
    act.deadline = now + act.policy.timeout;
    AddTimer(*act.deadline, run.run.run_id);

    auto executor_it = executors_.find(ToLower(act.spec->type));
    if (executor_it == executors_.end()) {
        act.failures = 1 << 20;
        FailAttempt(run, act,
                    MakeError(ErrorKind::kUnsupported, "activity",
                              "activity type '" + act.spec->type + "' is not supported by this daemon",
                              "UnsupportedActivityType"));
        return;
    }
    spdlog::info("run {} activity={} attempt={} started", run.run.run_id, act.spec->name,
                 act.record.attempt + 1);

    auto task = std::make_shared<ActivityTask>();
    task->run_id = run.run.run_id;
    task->activity_run_id = act.record.activity_run_id;
    task->pipeline_name = run.run.pipeline_name;
    task->activity_name = act.spec->name;
    task->activity_type = act.spec->type;
    task->attempt = act.record.attempt;
    task->definition = act.spec->definition;
    task->eval = std::move(ctx);
    task->checkpoint = act.record.checkpoint;
    task->op.cancel = act.token;
    task->op.clock = &clock_;
    task->op.run_id = run.run.run_id;
    task->op.activity_name = act.spec->name;
    task->services = &services_;
    auto last_checkpoint = std::make_shared<Json>(act.record.checkpoint);
    task->save_checkpoint = [this, id = act.record.activity_run_id,
                             last_checkpoint](const Json& cp) -> Status {
        ADXFLOW_TRY(runs_.SaveCheckpoint(id, cp));
        *last_checkpoint = cp;
        return Ok();
    };
    ActivityExecutor* executor = executor_it->second.get();
    ++run.running;
    ++running_attempts_;
    const std::string key = act.key;
    pool_->Submit([this, task, executor, key, last_checkpoint] {
        auto result = std::make_shared<ActivityResult>(executor->Execute(*task));
        Event e;
        e.type = Event::Type::kAttemptDone;
        e.run_id = task->run_id;
        e.activity_key = key;
        e.activity_run_id = task->activity_run_id;
        e.result = std::move(result);
        e.checkpoint = *last_checkpoint;
        Post(std::move(e));
    });
    ADXFLOW_CRASH_POINT("engine.activity.dispatched");  // a worker runs it; its batch is not committed
}

void Engine::OnAttemptDone(RunState& run, ActivityState& act, ActivityResult result, Json checkpoint) {
    const TimePoint now = clock_.Now();
    act.record.checkpoint = std::move(checkpoint);
    act.record.input = act.policy.secure_input ? SecurePlaceholder() : result.input;
    act.record.end = now;
    act.record.last_updated = now;
    act.deadline.reset();
    if (result.output.ok() && !result.variable_update.is_null()) {
        if (Status applied = ApplyVariableUpdate(run, result.variable_update); !applied.ok())
            result.output = std::move(applied).error();
    }
    if (result.output.ok()) {
        act.output = std::move(result.output).value();
        act.error = EmptyError(act.spec->name);
        act.record.output = act.policy.secure_output ? SecurePlaceholder() : act.output;
        act.record.error = act.error;
        act.record.status = status::kSucceeded;
        (void)runs_.UpdateActivityRun(act.record);
        ADXFLOW_CRASH_POINT("engine.activity.succeeded");
        if (metrics_ && IEquals(act.spec->type, "Copy")) RecordCopy(*metrics_, act.output);
        FinishActivity(run, act, status::kSucceeded);
        return;
    }
    Error error = std::move(result.output).error();
    if (run.run.cancel_requested && error.kind == ErrorKind::kCancelled) {
        act.record.status = status::kCancelled;
        act.record.error = ErrorJson(error, act.spec->name);
        (void)runs_.UpdateActivityRun(act.record);
        FinishActivity(run, act, status::kCancelled);
        return;
    }
    FailAttempt(run, act, error);
}

void Engine::FailAttempt(RunState& run, ActivityState& act, const Error& error) {
    const TimePoint now = clock_.Now();
    act.deadline.reset();
    act.record.status = status::kFailed;
    act.record.error = ErrorJson(error, act.spec->name);
    act.record.end = now;
    act.record.last_updated = now;
    if (act.record.output.is_null()) act.record.output = Json::object();
    (void)runs_.UpdateActivityRun(act.record);
    ADXFLOW_CRASH_POINT("engine.activity.failed");
    ++act.failures;
    spdlog::warn("run {} activity={} attempt={} failed: {}", run.run.run_id, act.spec->name,
                 act.record.attempt + 1, model::ScrubSecrets(error.Describe(), run.secrets));
    if (act.failures <= act.policy.retry && !run.run.cancel_requested) {
        // ADF records every attempt as its own activity run; the next one waits retryIntervalInSeconds and
        // starts from the checkpoint the failed attempt left.
        ActivityRun next;
        next.activity_run_id = NewUuid();
        next.run_id = act.record.run_id;
        next.pipeline_name = act.record.pipeline_name;
        next.activity_name = act.record.activity_name;
        next.activity_type = act.record.activity_type;
        next.linked_service_name = act.record.linked_service_name;
        next.attempt = act.record.attempt + 1;
        next.status = status::kQueued;
        next.checkpoint = act.record.checkpoint;
        next.not_before = now + act.policy.retry_interval;
        next.last_updated = now;
        (void)runs_.InsertActivityRun(next);
        ADXFLOW_CRASH_POINT("engine.activity.retry_queued");
        act.record = std::move(next);
        act.status = status::kQueued;
        AddTimer(*act.record.not_before, run.run.run_id);
        if (metrics_) metrics_->ActivityRetried(act.spec->type, ErrorCodeFor(error));
        dirty_.insert(run.run.run_id);
        return;
    }
    act.error = act.record.error;
    act.output = act.record.output;
    FinishActivity(run, act, status::kFailed);
}

void Engine::FinishActivity(RunState& run, ActivityState& act, const std::string& final_status) {
    act.status = final_status;
    if (metrics_ && act.record.start && act.record.end)
        metrics_->ActivityRunFinished(
            act.spec->type, final_status,
            std::chrono::duration<double>(*act.record.end - *act.record.start).count());
    spdlog::info("run {} activity={} attempt={} {}", run.run.run_id, act.spec->name, act.record.attempt + 1,
                 final_status);
    dirty_.insert(run.run.run_id);
}

void Engine::Finalize(RunState& run) {
    const TimePoint now = clock_.Now();
    if (run.run.cancel_requested) {
        run.run.status = status::kCancelled;
        run.run.message = "";
    } else {
        auto status_of = [&run](std::string_view name) -> std::optional<std::string> {
            ActivityState* a = run.Find(name);
            if (!a) return std::nullopt;
            return a->status;
        };
        LeafVerdict verdict = EvaluateLeafRule(run.nodes, status_of);
        run.run.status = verdict.succeeded ? status::kSucceeded : status::kFailed;
        std::string message;
        for (const auto& name : verdict.failed) {
            ActivityState* a = run.Find(name);
            std::string inner = a && a->error.is_object() ? a->error.value("message", "") : "";
            if (!message.empty()) message += "; ";
            message += "Operation on target " + name + " failed: " + inner;
        }
        run.run.message = message;
    }
    run.run.run_end = now;
    run.run.last_updated = now;
    if (auto s = runs_.UpdatePipelineRun(run.run); !s.ok())
        spdlog::error("run {}: cannot record its end: {}", run.run.run_id, s.error().Describe());
    ADXFLOW_CRASH_POINT("engine.run.finished");
    if (metrics_)
        metrics_->PipelineRunFinished(
            run.run.status, std::chrono::duration<double>(now - run.run.run_start.value_or(now)).count());
    spdlog::info("run {} pipeline={} {}", run.run.run_id, run.run.pipeline_name, run.run.status);
    OnChildRunEnded(run);
}

void Engine::AddTimer(TimePoint when, const std::string& run_id) {
    timers_.emplace(when, run_id);
}

// ---------------------------------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------------------------------

Status Engine::Recover() {
    ADXFLOW_ASSIGN_OR_RETURN(auto unfinished, runs_.LoadUnfinishedRuns());
    const TimePoint now = clock_.Now();
    size_t resumed = 0;
    for (auto& record : unfinished) {
        Status parse_error;
        auto state = MakeRunState(record, &parse_error);
        if (!state) {
            record.status = status::kFailed;
            record.message = "cannot resume: " + parse_error.error().message;
            record.run_end = now;
            record.last_updated = now;
            ADXFLOW_TRY(runs_.UpdatePipelineRun(record));
            continue;
        }
        if (record.status == status::kQueued) {
            waiting_.push_back(std::move(state));
            continue;
        }
        ADXFLOW_ASSIGN_OR_RETURN(auto attempts, runs_.LoadActivityRuns(record.run_id));
        for (auto& attempt : attempts) {
            ActivityState* act = state->Find(attempt.activity_name);
            if (!act) {
                // An inner activity of a control activity: its container resumes from its own checkpoint
                // and runs unfinished iterations again, so an interrupted inner attempt only needs closing.
                if (attempt.status != status::kInProgress && attempt.status != status::kQueued) continue;
                attempt.status = status::kFailed;
                attempt.end = now;
                attempt.last_updated = now;
                attempt.error = {{"errorCode", kDaemonRestart},
                                 {"message",
                                  "adxflowd stopped while this attempt was running; its iteration is run "
                                  "again"},
                                 {"failureType", "SystemError"},
                                 {"target", attempt.activity_name}};
                if (attempt.output.is_null()) attempt.output = Json::object();
                ADXFLOW_TRY(runs_.UpdateActivityRun(attempt));
                continue;
            }
            if (attempt.status == status::kFailed && attempt.error.is_object() &&
                attempt.error.value("errorCode", "") != kDaemonRestart)
                ++act->failures;
            if (act->has_record && attempt.attempt < act->record.attempt) continue;
            act->record = attempt;
            act->has_record = true;
            act->status = attempt.status;
            act->output = attempt.output;
            act->error = attempt.error;
        }
        for (auto& [key, act] : state->activities) {
            if (act.status == status::kFailed && act.has_record) {
                // The last attempt failed: was its retry recorded? If not, the daemon died in between;
                // failures > retry means it was final.
                auto evaluated = expr::EvaluateTree(act.spec->policy, BuildContext(*state));
                if (evaluated.ok())
                    if (auto p = model::ResolvePolicy(*evaluated); p.ok()) act.policy = *p;
                if (act.failures <= act.policy.retry && !record.cancel_requested) {
                    act.status = status::kQueued;
                    ActivityRun next = act.record;
                    next.activity_run_id = NewUuid();
                    next.attempt += 1;
                    next.status = status::kQueued;
                    next.start.reset();
                    next.end.reset();
                    next.output = nullptr;
                    next.error = nullptr;
                    next.not_before = now;
                    next.last_updated = now;
                    ADXFLOW_TRY(runs_.InsertActivityRun(next));
                    act.record = next;
                }
            }
            if (act.status != status::kInProgress) continue;
            // The attempt was running when the daemon stopped: record it as failed and queue it again from
            // its checkpoint, whatever the retry policy says (the failure was ours, not the activity's).
            act.record.status = status::kFailed;
            act.record.end = now;
            act.record.last_updated = now;
            act.record.error = {
                {"errorCode", kDaemonRestart},
                {"message",
                 "adxflowd stopped while this attempt was running; the activity is resumed from "
                 "its last checkpoint"},
                {"failureType", "SystemError"},
                {"target", act.spec->name}};
            if (act.record.output.is_null()) act.record.output = Json::object();
            ADXFLOW_TRY(runs_.UpdateActivityRun(act.record));
            ADXFLOW_CRASH_POINT("engine.recovery.attempt_closed");  // its successor not inserted yet
            ActivityRun next;
            next.activity_run_id = NewUuid();
            next.run_id = act.record.run_id;
            next.pipeline_name = act.record.pipeline_name;
            next.activity_name = act.record.activity_name;
            next.activity_type = act.record.activity_type;
            next.linked_service_name = act.record.linked_service_name;
            next.attempt = act.record.attempt + 1;
            next.status = status::kQueued;
            next.checkpoint = act.record.checkpoint;
            next.not_before = now;
            next.last_updated = now;
            ADXFLOW_TRY(runs_.InsertActivityRun(next));
            act.record = std::move(next);
            act.status = status::kQueued;
            ++resumed;
        }
        std::string id = record.run_id;
        active_[id] = std::move(state);
        dirty_.insert(id);
    }
    if (!unfinished.empty())
        spdlog::info("engine: recovered {} unfinished run(s), {} interrupted attempt(s) queued again",
                     unfinished.size(), resumed);
    return Ok();
}

}  // namespace adxflow::engine
