#include "core/triggers/trigger_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/expr/expr.hpp"
#include "core/ids.hpp"
#include "core/runs/records.hpp"
#include "core/triggers/schedule.hpp"

namespace adxflow::triggers {

namespace ts = engine::trigger_status;
using engine::TriggerRun;
using engine::TriggerState;

namespace {

// Without an event, a pass still runs this often (a safety net for a missed run-finished notice).
constexpr auto kIdlePass = std::chrono::minutes(10);
// Windows created in one pass at most, so that a backfill of years does not stall the loop.
constexpr int kMaxWindowsPerPass = 500;

bool IsOpen(const std::string& status) {
    return status == ts::kWaiting || status == ts::kWaitingOnDependency || status == ts::kRunning;
}

Error NotFound(const std::string& what) {
    return MakeError(ErrorKind::kNotFound, "trigger", what, "NotFound");
}

}  // namespace

TriggerService::TriggerService(Clock& clock, engine::TriggerRepository& repo, TriggerHost host)
    : clock_(clock), repo_(repo), host_(std::move(host)) {}

TriggerService::~TriggerService() {
    Stop();
}

Status TriggerService::Start(bool thread) {
    {
        std::lock_guard g(work_mu_);
        ADXFLOW_TRY(Recover());
    }
    if (thread) thread_ = std::thread([this] { Loop(); });
    return Ok();
}

void TriggerService::Stop() {
    {
        std::lock_guard g(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void TriggerService::Wake() {
    {
        std::lock_guard g(mu_);
        wake_ = true;
    }
    cv_.notify_all();
}

void TriggerService::OnRunFinished(const std::string& run_id, const std::string& status,
                                   const std::string& message) {
    {
        std::lock_guard g(mu_);
        finished_.push_back({run_id, status, message});
        wake_ = true;
    }
    cv_.notify_all();
}

void TriggerService::Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
        wake_ = false;
        lock.unlock();
        TimePoint next = std::min(Tick(), clock_.Now() + kIdlePass);
        lock.lock();
        if (stop_) break;
        if (wake_) continue;
        clock_.WaitUntil(lock, cv_, next);
    }
}

// ---------------------------------------------------------------------------------------------------------
// API operations
// ---------------------------------------------------------------------------------------------------------

Result<std::string> TriggerService::RuntimeState(const std::string& name) {
    ADXFLOW_ASSIGN_OR_RETURN(auto state, repo_.GetTriggerState(ToLower(name)));
    return state ? state->runtime_state : std::string("Stopped");
}

Status TriggerService::StartTrigger(const std::string& name) {
    {
        std::lock_guard g(work_mu_);
        ADXFLOW_ASSIGN_OR_RETURN(auto loaded, Load(ToLower(name)));
        if (!loaded) return NotFound("trigger '" + name + "' does not exist");
        ADXFLOW_ASSIGN_OR_RETURN(auto state, repo_.GetTriggerState(ToLower(name)));
        TriggerState s = state.value_or(TriggerState{ToLower(name), "Stopped", Json::object()});
        s.runtime_state = "Started";
        ADXFLOW_TRY(repo_.SaveTriggerState(s));
        next_fire_.erase(ToLower(name));
        spdlog::info("trigger '{}' ({}) started", loaded->name, loaded->spec.type);
    }
    Wake();
    return Ok();
}

Status TriggerService::StopTrigger(const std::string& name) {
    std::lock_guard g(work_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(auto def, host_.get_trigger(name));
    if (!def) return NotFound("trigger '" + name + "' does not exist");
    ADXFLOW_ASSIGN_OR_RETURN(auto state, repo_.GetTriggerState(ToLower(name)));
    TriggerState s = state.value_or(TriggerState{ToLower(name), "Stopped", Json::object()});
    s.runtime_state = "Stopped";
    ADXFLOW_TRY(repo_.SaveTriggerState(s));
    next_fire_.erase(ToLower(name));
    spdlog::info("trigger '{}' stopped", name);
    return Ok();
}

Status TriggerService::ForgetTrigger(const std::string& name) {
    std::lock_guard g(work_mu_);
    next_fire_.erase(ToLower(name));
    loaded_.erase(ToLower(name));
    return repo_.DeleteTriggerState(ToLower(name));
}

Result<TriggerRun> TriggerService::Rerun(const std::string& name, const std::string& trigger_run_id) {
    TriggerRun run;
    {
        std::lock_guard g(work_mu_);
        ADXFLOW_ASSIGN_OR_RETURN(auto found, repo_.GetTriggerRun(trigger_run_id));
        if (!found || !IEquals(found->trigger_name, name))
            return NotFound("trigger run '" + trigger_run_id + "' of trigger '" + name + "' does not exist");
        run = *found;
        ADXFLOW_ASSIGN_OR_RETURN(auto loaded, Load(ToLower(name)));
        if (!loaded) return NotFound("trigger '" + name + "' does not exist");
        if (run.is_window()) {
            if (IsOpen(run.status))
                return MakeError(ErrorKind::kInvalidInput, "trigger.rerun",
                                 "the window " + FormatTimestamp(run.scheduled_time) + " is " + run.status +
                                     "; only a finished window can be rerun",
                                 "TriggerRunNotFinished");
            // The window goes back to Waiting under the trigger's current definition; its retry count starts
            // over. The scheduler starts it like any other window (dependencies and maxConcurrency apply).
            run.status = ts::kWaiting;
            run.attempt = 0;
            run.not_before.reset();
            run.run_id.clear();
            run.message.clear();
            ADXFLOW_TRY(repo_.UpdateTriggerRun(run));
        } else {
            ADXFLOW_TRY(Fire(*loaded, run.scheduled_time, clock_.Now(), &run));
        }
    }
    Wake();
    return run;
}

Result<TriggerRun> TriggerService::Cancel(const std::string& name, const std::string& trigger_run_id) {
    std::lock_guard g(work_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(auto found, repo_.GetTriggerRun(trigger_run_id));
    if (!found || !IEquals(found->trigger_name, name))
        return NotFound("trigger run '" + trigger_run_id + "' of trigger '" + name + "' does not exist");
    TriggerRun run = *found;
    if (!run.is_window() || !IsOpen(run.status))
        return MakeError(ErrorKind::kInvalidInput, "trigger.cancel",
                         "trigger run '" + trigger_run_id + "' is " + run.status +
                             "; only a waiting or running tumbling window can be cancelled",
                         "TriggerRunNotCancellable");
    if (!run.run_id.empty()) {
        running_.erase(run.run_id);  // its run's end no longer decides the window
        if (host_.cancel_run) host_.cancel_run(run.run_id);
    }
    run.status = ts::kCancelled;
    run.message = "Cancelled by user";
    run.not_before.reset();
    ADXFLOW_TRY(repo_.UpdateTriggerRun(run));
    spdlog::info("trigger '{}': window {} cancelled", run.trigger_name, FormatTimestamp(run.scheduled_time));
    return run;
}

// ---------------------------------------------------------------------------------------------------------
// The pass
// ---------------------------------------------------------------------------------------------------------

Result<std::optional<TriggerService::Loaded>> TriggerService::Load(const std::string& name_key) {
    ADXFLOW_ASSIGN_OR_RETURN(auto def, host_.get_trigger(name_key));
    if (!def) {
        loaded_.erase(name_key);
        return std::optional<Loaded>();
    }
    std::string body = def->dump();
    auto it = loaded_.find(name_key);
    if (it == loaded_.end() || it->second.body != body) {
        const Json* props = FindMember(*def, "properties");
        ADXFLOW_ASSIGN_OR_RETURN(auto spec, ParseTrigger(props ? *props : Json::object()));
        const Json* n = FindMember(*def, "name");
        Loaded l{n && n->is_string() ? n->get<std::string>() : name_key, body, std::move(spec)};
        next_fire_.erase(name_key);  // a new definition: the next occurrence is computed afresh
        it = loaded_.insert_or_assign(name_key, std::move(l)).first;
    }
    return std::optional<Loaded>(it->second);
}

TimePoint TriggerService::Tick() {
    std::lock_guard g(work_mu_);
    const TimePoint now = clock_.Now();
    TimePoint next = TimePoint::max();
    std::deque<Finished> finished;
    {
        std::lock_guard q(mu_);
        finished.swap(finished_);
    }
    for (const auto& f : finished) Settle(f.run_id, f.status, f.message, now);

    auto states = repo_.LoadTriggerStates();
    if (!states.ok()) {
        spdlog::error("triggers: cannot read trigger states: {}", states.error().Describe());
        return now + std::chrono::seconds(5);
    }
    for (auto& state : *states) {
        auto loaded = Load(state.name_key);
        if (!loaded.ok()) {
            spdlog::error("trigger '{}': {}", state.name_key, loaded.error().Describe());
            continue;
        }
        if (!*loaded) continue;
        const Loaded& t = **loaded;
        if (t.spec.tumbling) {
            // Running windows are settled even when the trigger is stopped (stopping does not cancel runs).
            next = std::min(next, TickTumbling(t, now));
        } else if (t.spec.schedule && state.runtime_state == "Started") {
            next = std::min(next, TickSchedule(t, state, now));
        }
    }
    return next;
}

TimePoint TriggerService::TickSchedule(const Loaded& t, TriggerState& state, TimePoint now) {
    const std::string key = ToLower(t.name);
    auto it = next_fire_.find(key);
    if (it == next_fire_.end()) {
        // The first occurrence at or after now: occurrences missed while stopped or down are discarded;
        // the last one fired is never fired again.
        TimePoint from = now;
        if (const Json* last = FindMember(state.state, "lastScheduledTime"); last && last->is_string())
            if (auto l = ParseTimestamp(last->get<std::string>()); l && *l >= from) from = *l + Millis(1);
        it = next_fire_.emplace(key, FirstOccurrenceAtOrAfter(*t.spec.schedule, from)).first;
    }
    if (!it->second) return TimePoint::max();
    if (now < *it->second) return *it->second;
    const TimePoint scheduled = *it->second;
    state.state["lastScheduledTime"] = FormatTimestamp(scheduled);
    if (auto s = repo_.SaveTriggerState(state); !s.ok()) {
        spdlog::error("trigger '{}': {}", t.name, s.error().Describe());
        return now + std::chrono::seconds(5);
    }
    if (auto s = Fire(t, scheduled, now, nullptr); !s.ok())
        spdlog::error("trigger '{}': firing {}: {}", t.name, FormatTimestamp(scheduled),
                      s.error().Describe());
    // A late pass skips what it missed, as after downtime: the next occurrence after now.
    it->second = FirstOccurrenceAtOrAfter(*t.spec.schedule, std::max(now, scheduled + Millis(1)));
    return it->second ? *it->second : TimePoint::max();
}

namespace {

Json TriggerObject(const std::string& name, const TriggerRun& run, TimePoint now) {
    Json trigger = {{"name", name},
                    {"scheduledTime", FormatTimestamp(run.scheduled_time)},
                    {"startTime", FormatTimestamp(now)},
                    {"outputs", Json::object()}};
    if (run.window_end)
        trigger["outputs"] = {{"windowStartTime", FormatTimestamp(run.scheduled_time)},
                              {"windowEndTime", FormatTimestamp(*run.window_end)}};
    return trigger;
}

Result<Json> TriggerParameters(const PipelineTarget& target, const Json& trigger, Clock& clock) {
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

}  // namespace

// A schedule trigger's occurrence: one pipeline run per pipeline, fire-and-forget (the trigger run succeeds
// once the runs exist). `existing` is a trigger run being rerun.
Status TriggerService::Fire(const Loaded& t, TimePoint scheduled, TimePoint now, TriggerRun* existing) {
    TriggerRun run;
    if (existing) run = *existing;
    if (!existing) {
        run.trigger_run_id = NewUuid();
        run.trigger_name = t.name;
        run.trigger_type = t.spec.type;
        run.scheduled_time = scheduled;
    }
    run.timestamp = now;
    run.properties = {{"TriggerTime", FormatTimestamp(now)}, {"ScheduleTime", FormatTimestamp(scheduled)}};
    run.triggered_pipelines = Json::object();
    run.message.clear();
    const Json trigger = TriggerObject(t.name, run, now);
    const Json invoked_by = {{"name", t.name}, {"id", run.trigger_run_id}, {"invokedByType", t.spec.type}};
    std::string failures;
    for (const auto& target : t.spec.pipelines) {
        auto params = TriggerParameters(target, trigger, clock_);
        Result<std::string> run_id = params.ok() ? host_.create_run(target.pipeline, *params, invoked_by)
                                                 : Result<std::string>(params.error());
        if (run_id.ok()) {
            run.triggered_pipelines[target.pipeline] = *run_id;
        } else {
            if (!failures.empty()) failures += "; ";
            failures += target.pipeline + ": " + run_id.error().message;
        }
    }
    run.status = failures.empty() ? ts::kSucceeded : ts::kFailed;
    run.message = failures;
    spdlog::info("trigger '{}' fired for {}: {} run(s){}", t.name, FormatTimestamp(scheduled),
                 run.triggered_pipelines.size(), failures.empty() ? "" : ", failed: " + failures);
    if (existing) {
        *existing = run;
        return repo_.UpdateTriggerRun(run);
    }
    ADXFLOW_ASSIGN_OR_RETURN(bool inserted, repo_.InsertTriggerRun(run));
    (void)inserted;
    return Ok();
}

TimePoint TriggerService::TickTumbling(const Loaded& t, TimePoint now) {
    const TumblingSpec& spec = *t.spec.tumbling;
    TimePoint next = TimePoint::max();
    auto state = repo_.GetTriggerState(ToLower(t.name));
    const bool started = state.ok() && *state && (*state)->runtime_state == "Started";
    if (started) {
        // 1. Every window whose end (+ delay) has passed exists, from startTime on (backfill).
        auto last = repo_.LastWindowStart(t.name);
        if (!last.ok()) {
            spdlog::error("trigger '{}': {}", t.name, last.error().Describe());
            return now + std::chrono::seconds(5);
        }
        long long k = *last ? spec.WindowIndexAt(**last) + 1 : 0;
        for (int created = 0;; ++k, ++created) {
            TimePoint ws = spec.WindowStart(k), we = spec.WindowStart(k + 1);
            if (spec.end && ws >= *spec.end) break;
            if (we + spec.delay > now) {
                next = std::min(next, we + spec.delay);
                break;
            }
            if (created == kMaxWindowsPerPass) {
                next = now;
                break;
            }
            TriggerRun w;
            w.trigger_run_id = NewUuid();
            w.trigger_name = t.name;
            w.trigger_type = t.spec.type;
            w.scheduled_time = ws;
            w.window_end = we;
            w.status = ts::kWaiting;
            w.timestamp = now;
            w.properties = {{"WindowStartTime", FormatTimestamp(ws)}, {"WindowEndTime", FormatTimestamp(we)}};
            auto inserted = repo_.InsertTriggerRun(w);
            if (!inserted.ok()) {
                spdlog::error("trigger '{}': {}", t.name, inserted.error().Describe());
                return now + std::chrono::seconds(5);
            }
        }
    }
    // 2. Start waiting windows oldest first within maxConcurrency; poll the running ones as a safety net.
    auto open = repo_.OpenWindows(t.name);
    if (!open.ok()) {
        spdlog::error("trigger '{}': {}", t.name, open.error().Describe());
        return now + std::chrono::seconds(5);
    }
    int running = 0;
    for (auto& w : *open) {
        if (w.status != ts::kRunning) continue;
        if (!w.run_id.empty()) {
            running_[w.run_id] = w.trigger_run_id;
            if (auto st = host_.run_status(w.run_id);
                st.ok() && *st && engine::IsTerminalRunStatus((*st)->first)) {
                Settle(w.run_id, (*st)->first, (*st)->second, now);
                continue;
            }
        }
        ++running;
    }
    if (!started) return next;
    auto refreshed = repo_.OpenWindows(t.name);
    if (!refreshed.ok()) return now + std::chrono::seconds(5);
    for (auto& w : *refreshed) {
        if (w.status == ts::kRunning) continue;
        if (running >= spec.max_concurrency) break;
        if (w.not_before && *w.not_before > now) {
            next = std::min(next, *w.not_before);
            continue;
        }
        auto met = DependenciesMet(t, w);
        if (!met.ok()) {
            spdlog::error("trigger '{}': {}", t.name, met.error().Describe());
            continue;
        }
        if (!*met) {
            if (w.status != ts::kWaitingOnDependency) {
                w.status = ts::kWaitingOnDependency;
                (void)repo_.UpdateTriggerRun(w);
            }
            continue;
        }
        if (auto s = StartWindow(t, w, now); !s.ok())
            spdlog::error("trigger '{}': window {}: {}", t.name, FormatTimestamp(w.scheduled_time),
                          s.error().Describe());
        if (w.status == ts::kRunning) ++running;
    }
    return next;
}

Status TriggerService::StartWindow(const Loaded& t, TriggerRun& w, TimePoint now) {
    const PipelineTarget& target = t.spec.pipelines.front();
    // Recorded as Running (with the attempt) before the run exists: recovery then looks for a run invoked
    // by this trigger run instead of starting the window again.
    w.status = ts::kRunning;
    w.attempt += 1;
    w.run_id.clear();
    w.not_before.reset();
    w.timestamp = now;
    w.properties["TriggerTime"] = FormatTimestamp(now);
    ADXFLOW_TRY(repo_.UpdateTriggerRun(w));
    const Json invoked_by = {{"name", t.name}, {"id", w.trigger_run_id}, {"invokedByType", t.spec.type}};
    auto params = TriggerParameters(target, TriggerObject(t.name, w, now), clock_);
    Result<std::string> run_id = params.ok() ? host_.create_run(target.pipeline, *params, invoked_by)
                                             : Result<std::string>(params.error());
    if (!run_id.ok()) {
        // Not retried: a definition problem (missing pipeline, bad parameter) does not heal by itself.
        w.status = ts::kFailed;
        w.message = run_id.error().message;
        ADXFLOW_TRY(repo_.UpdateTriggerRun(w));
        return Ok();
    }
    w.run_id = *run_id;
    w.triggered_pipelines = {{target.pipeline, *run_id}};
    ADXFLOW_TRY(repo_.UpdateTriggerRun(w));
    running_[*run_id] = w.trigger_run_id;
    spdlog::info("trigger '{}': window {} .. {} started run {} (attempt {})", t.name,
                 FormatTimestamp(w.scheduled_time), FormatTimestamp(*w.window_end), *run_id, w.attempt);
    return Ok();
}

Result<bool> TriggerService::DependenciesMet(const Loaded& t, const TriggerRun& w) {
    const TumblingSpec& spec = *t.spec.tumbling;
    for (const auto& dep : spec.depends_on) {
        const Millis size =
            dep.size.value_or(std::chrono::duration_cast<Millis>(*w.window_end - w.scheduled_time));
        const TimePoint from = w.scheduled_time + dep.offset, to = from + size;
        std::string other_name = t.name;
        const TumblingSpec* other = &spec;
        std::optional<Loaded> other_loaded;
        if (!dep.self) {
            ADXFLOW_ASSIGN_OR_RETURN(other_loaded, Load(ToLower(dep.trigger)));
            if (!other_loaded || !other_loaded->spec.tumbling) return false;
            other = &*other_loaded->spec.tumbling;
            other_name = other_loaded->name;
        }
        // Every window of the other trigger overlapping [from, to) must have succeeded; the part before the
        // other trigger's startTime has no windows and counts as satisfied.
        const TimePoint lo = std::max(from, other->start);
        if (lo >= to) continue;
        const long long k0 = other->WindowIndexAt(lo), k1 = other->WindowIndexAt(to - Millis(1));
        ADXFLOW_ASSIGN_OR_RETURN(auto windows, repo_.WindowsBetween(other_name, other->WindowStart(k0),
                                                                    other->WindowStart(k1 + 1)));
        long long succeeded = 0;
        for (const auto& o : windows)
            if (o.status == ts::kSucceeded) ++succeeded;
        if (succeeded < k1 - k0 + 1) return false;
    }
    return true;
}

void TriggerService::Settle(const std::string& run_id, const std::string& status, const std::string& message,
                            TimePoint now) {
    auto it = running_.find(run_id);
    if (it == running_.end()) return;  // not a window's run (manual, schedule trigger, ...)
    const std::string trigger_run_id = it->second;
    running_.erase(it);
    auto found = repo_.GetTriggerRun(trigger_run_id);
    if (!found.ok() || !*found) return;
    TriggerRun w = **found;
    if (w.run_id != run_id || w.status != ts::kRunning) return;
    int retries = 0, interval = 30;
    if (auto loaded = Load(ToLower(w.trigger_name)); loaded.ok() && *loaded && (*loaded)->spec.tumbling) {
        retries = (*loaded)->spec.tumbling->retry_count;
        interval = (*loaded)->spec.tumbling->retry_interval_secs;
    }
    if (status == engine::status::kSucceeded) {
        w.status = ts::kSucceeded;
        w.message.clear();
    } else if (w.attempt <= retries) {
        w.status = ts::kWaiting;
        w.not_before = now + std::chrono::seconds(interval);
        w.message = "attempt " + std::to_string(w.attempt) + " " + status + ": " + message;
    } else {
        w.status = status == engine::status::kCancelled ? ts::kCancelled : ts::kFailed;
        w.message = message;
    }
    if (auto s = repo_.UpdateTriggerRun(w); !s.ok())
        spdlog::error("trigger '{}': {}", w.trigger_name, s.error().Describe());
    spdlog::info("trigger '{}': window {} run {} {} -> {}", w.trigger_name, FormatTimestamp(w.scheduled_time),
                 run_id, status, w.status);
}

// Windows left Running by the previous process: find the run created just before a crash, settle runs that
// finished meanwhile, keep watching the others (the engine resumes them).
Status TriggerService::Recover() {
    ADXFLOW_ASSIGN_OR_RETURN(auto states, repo_.LoadTriggerStates());
    const TimePoint now = clock_.Now();
    for (const auto& state : states) {
        auto loaded = Load(state.name_key);
        if (!loaded.ok() || !*loaded || !(*loaded)->spec.tumbling) continue;
        ADXFLOW_ASSIGN_OR_RETURN(auto open, repo_.OpenWindows((*loaded)->name));
        for (auto& w : open) {
            if (w.status != ts::kRunning) continue;
            if (w.run_id.empty()) {
                ADXFLOW_ASSIGN_OR_RETURN(auto runs, repo_.RunsInvokedBy(w.trigger_run_id));
                if (static_cast<int>(runs.size()) >= w.attempt && !runs.empty()) {
                    w.run_id = runs.back();
                    w.triggered_pipelines = {{(*loaded)->spec.pipelines.front().pipeline, w.run_id}};
                } else {
                    w.status = ts::kWaiting;  // the run was never created: start the window again
                    w.attempt -= 1;
                }
                ADXFLOW_TRY(repo_.UpdateTriggerRun(w));
                if (w.run_id.empty()) continue;
            }
            running_[w.run_id] = w.trigger_run_id;
            ADXFLOW_ASSIGN_OR_RETURN(auto st, host_.run_status(w.run_id));
            if (st && engine::IsTerminalRunStatus(st->first)) Settle(w.run_id, st->first, st->second, now);
        }
    }
    return Ok();
}

}  // namespace adxflow::triggers
