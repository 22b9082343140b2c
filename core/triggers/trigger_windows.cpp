// The tumbling-window half of the trigger scheduler: windows created from startTime on, started oldest
// first within maxConcurrency once their dependencies succeeded, settled when their run ends, recovered
// after a restart (see trigger_service.hpp).

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/ids.hpp"
#include "core/runs/records.hpp"
#include "core/triggers/trigger_service.hpp"
#include "core/triggers/trigger_service_internal.hpp"

namespace adxflow::triggers {

namespace ts = engine::trigger_status;
using detail::IsOpen;
using detail::kMaxWindowsPerPass;
using detail::TriggerObject;
using detail::TriggerParameters;
using engine::TriggerRun;

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
