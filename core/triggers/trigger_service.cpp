#include "core/triggers/trigger_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/expr/expr.hpp"
#include "core/ids.hpp"
#include "core/runs/records.hpp"
#include "core/triggers/schedule.hpp"
#include "core/triggers/trigger_service_internal.hpp"

namespace adxflow::triggers {

namespace ts = engine::trigger_status;
using detail::IsOpen;
using detail::TriggerObject;
using detail::TriggerParameters;
using engine::TriggerRun;
using engine::TriggerState;

namespace {

// Without an event, a pass still runs this often (a safety net for a missed run-finished notice).
constexpr auto kIdlePass = std::chrono::minutes(10);
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
    for (auto it = running_.begin(); it != running_.end();) {
        auto run = repo_.GetTriggerRun(it->second);
        if (run.ok() && *run && IEquals((*run)->trigger_name, name))
            it = running_.erase(it);
        else
            ++it;
    }
    ADXFLOW_TRY(repo_.DeleteTriggerRuns(name));
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

}  // namespace adxflow::triggers
