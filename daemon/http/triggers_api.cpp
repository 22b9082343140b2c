// Trigger routes of the control API (ADF's shapes):
//   PUT/GET/DELETE triggers/{name}, GET triggers      runtimeState in properties; a started trigger cannot be
//                                                     updated or deleted (400 TriggerEnabledCannotUpdate)
//   POST triggers/{name}/start, /stop                 200 when done
//   POST triggers/{name}/triggerRuns/{runId}/rerun    200
//   POST triggers/{name}/triggerRuns/{runId}/cancel   200 (a waiting or running window)
//   POST queryTriggerRuns                             {"value": [TriggerRun], "continuationToken": null}
// The generic resource handlers store and list triggers; this file adds what is trigger-specific.

#include <spdlog/spdlog.h>

#include "core/triggers/trigger_service.hpp"
#include "daemon/http/factory_api.hpp"

namespace adxflow::api {

namespace {

namespace ts = engine::trigger_status;

// ADF's TriggerRunStatus has three values; the window state is in properties.
std::string AdfStatus(const std::string& status) {
    if (status == ts::kSucceeded) return "Succeeded";
    if (status == ts::kFailed || status == ts::kCancelled) return "Failed";
    return "Inprogress";
}

Json TriggerRunJson(const engine::TriggerRun& r) {
    Json props = Json::object();
    for (auto it = r.properties.begin(); it != r.properties.end(); ++it)
        props[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
    if (r.is_window()) props["WindowState"] = r.status;
    if (!r.is_window()) props["ScheduleTime"] = FormatTimestamp(r.scheduled_time);
    return {{"triggerRunId", r.trigger_run_id},
            {"triggerName", r.trigger_name},
            {"triggerType", r.trigger_type},
            {"triggerRunTimestamp", FormatTimestamp(r.timestamp)},
            {"status", AdfStatus(r.status)},
            {"message", r.message},
            {"properties", props},
            {"triggeredPipelines", r.triggered_pipelines},
            {"runDimension", Json::object()}};
}

Response Refused(const std::string& name, const char* what) {
    return ErrorResponse(400, "TriggerEnabledCannotUpdate",
                         std::string("Cannot ") + what + " enabled Trigger '" + name +
                             "'; the trigger needs to be disabled first.");
}

// Adds properties.runtimeState to a resource envelope.
void AddRuntimeState(triggers::TriggerService& service, Json& envelope) {
    const Json* name = FindMember(envelope, "name");
    Json* props = FindMember(envelope, "properties");
    if (!name || !name->is_string() || !props || !props->is_object()) return;
    auto state = service.RuntimeState(name->get<std::string>());
    (*props)["runtimeState"] = state.ok() ? *state : std::string("Stopped");
}

}  // namespace

std::optional<Response> FactoryApi::TumblingWindowChange(const std::string& name, const Json& properties) {
    auto stored = d_.store->GetResource("triggers", name);
    if (!stored.ok()) return ErrorResponse(stored.error());
    if (!*stored) return std::nullopt;
    const Json* old_props = FindMember((*stored)->body, "properties");
    if (!old_props) return std::nullopt;
    auto before = triggers::ParseTrigger(*old_props);
    auto after = triggers::ParseTrigger(properties);
    if (!before.ok() || !after.ok() || !before->tumbling || !after->tumbling) return std::nullopt;
    auto last = d_.trigger_runs->LastWindowStart(name);
    if (!last.ok()) return ErrorResponse(last.error());
    if (!*last) return std::nullopt;  // no window yet: free to change
    const auto& b = *before->tumbling;
    const auto& a = *after->tumbling;
    if (b.start != a.start || b.frequency != a.frequency || b.interval != a.interval)
        return ErrorResponse(400, "TumblingWindowTriggerStartTimeUpdateNotAllowed",
                             "The startTime, frequency and interval of tumbling window trigger '" + name +
                                 "' cannot change once it has windows; create a new trigger instead.",
                             "properties.typeProperties.startTime");
    return std::nullopt;
}

std::optional<Response> FactoryApi::HandleTriggers(const Request& req, const Route& route) {
    if (!d_.triggers || !d_.trigger_runs) return std::nullopt;
    const auto& r = route.rest;
    const std::string& m = req.method;
    if (r.size() == 1 && IEquals(r[0], "queryTriggerRuns")) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        return QueryTriggerRuns(req);
    }
    if (r.empty() || !IEquals(r[0], "triggers")) return std::nullopt;
    triggers::TriggerService& service = *d_.triggers;
    if (r.size() == 3 && (IEquals(r[2], "start") || IEquals(r[2], "stop"))) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        Status done = IEquals(r[2], "start") ? service.StartTrigger(r[1]) : service.StopTrigger(r[1]);
        if (!done.ok()) return ErrorResponse(done.error());
        return JsonResponse(200, Json::object());
    }
    if (r.size() == 5 && IEquals(r[2], "triggerRuns") && IEquals(r[4], "rerun")) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        auto rerun = service.Rerun(r[1], r[3]);
        if (!rerun.ok()) return ErrorResponse(rerun.error());
        return JsonResponse(200, Json::object());
    }
    if (r.size() == 5 && IEquals(r[2], "triggerRuns") && IEquals(r[4], "cancel")) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        auto cancelled = service.Cancel(r[1], r[3]);
        if (!cancelled.ok()) return ErrorResponse(cancelled.error());
        return JsonResponse(200, Json::object());
    }
    if (r.size() > 2) return ErrorResponse(404, "NotFound", "no such path: " + req.path);

    if (r.size() == 2 && (m == "PUT" || m == "DELETE")) {
        auto state = service.RuntimeState(r[1]);
        if (!state.ok()) return ErrorResponse(state.error());
        if (*state == "Started") return Refused(r[1], m == "PUT" ? "update" : "delete");
    }
    if (r.size() == 2 && m == "PUT") {
        // The typed checks (recurrence, time zone, window, dependencies) before the generic validation.
        auto body = ParseJson(req.body, "request body");
        if (!body.ok()) return ErrorResponse(body.error());
        const Json* props = FindMember(*body, "properties");
        if (props && props->is_object()) {
            auto spec = triggers::ParseTrigger(*props);
            if (!spec.ok()) return ErrorResponse(spec.error());
            for (size_t i = 0; spec->tumbling && i < spec->tumbling->depends_on.size(); ++i) {
                const auto& dep = spec->tumbling->depends_on[i];
                if (dep.self || IEquals(dep.trigger, r[1])) continue;
                auto other = d_.store->GetResource("triggers", dep.trigger);
                if (!other.ok()) return ErrorResponse(other.error());
                const std::string path = "properties.typeProperties.dependsOn[" + std::to_string(i) +
                                         "].referenceTrigger.referenceName";
                const Json* other_props = *other ? FindMember((*other)->body, "properties") : nullptr;
                const Json* other_type = other_props ? FindMember(*other_props, "type") : nullptr;
                if (!other_type || !other_type->is_string() ||
                    !IEquals(other_type->get_ref<const std::string&>(), triggers::kTumblingWindowTrigger))
                    return ErrorResponse(
                        400, "BadRequest",
                        path + ": '" + dep.trigger + "' is not an existing tumbling window trigger", path);
            }
        }
        // ADF: a tumbling window trigger's windows are fixed once it has run; startTime, frequency and
        // interval cannot change (endTime and the rest can).
        if (props && props->is_object()) {
            auto refused = TumblingWindowChange(r[1], *props);
            if (refused) return refused;
        }
        // runtimeState is read-only: whatever the body says, the stored state stands.
        Response res = HandleResource(req, route);
        if (res.status == 200) {
            Json envelope = Json::parse(res.body, nullptr, false);
            if (!envelope.is_discarded()) {
                AddRuntimeState(service, envelope);
                res.body = envelope.dump();
            }
        }
        return res;
    }
    Response res = HandleResource(req, route);
    if (m == "DELETE" && res.status == 200) {
        if (auto s = service.ForgetTrigger(r[1]); !s.ok()) spdlog::error("api: {}", s.error().Describe());
    }
    if (m == "GET" && res.status == 200) {
        Json body = Json::parse(res.body, nullptr, false);
        if (body.is_discarded()) return res;
        if (r.size() == 1) {
            for (auto& item : body["value"]) AddRuntimeState(service, item);
        } else {
            AddRuntimeState(service, body);
        }
        res.body = body.dump();
    }
    return res;
}

// RunFilterParameters: lastUpdatedAfter/lastUpdatedBefore (required, on triggerRunTimestamp) and filters
// on TriggerName (Equals, NotEquals, In, NotIn) and Status (Equals, In); ordered by triggerRunTimestamp.
Response FactoryApi::QueryTriggerRuns(const Request& req) {
    auto body = ParseJson(req.body.empty() ? "{}" : req.body, "request body");
    if (!body.ok()) return ErrorResponse(body.error());
    engine::TriggerRunFilter filter;
    for (const char* key : {"lastUpdatedAfter", "lastUpdatedBefore"}) {
        const Json* v = FindMember(*body, key);
        std::optional<TimePoint> t =
            v && v->is_string() ? ParseTimestamp(v->get<std::string>()) : std::nullopt;
        if (!t)
            return ErrorResponse(400, "BadRequest", std::string(key) + " is required: an ISO 8601 time", key);
        (std::string(key) == "lastUpdatedAfter" ? filter.after : filter.before) = t;
    }
    std::vector<std::string> statuses;
    bool status_exclude = false;
    if (const Json* filters = FindMember(*body, "filters"); filters && filters->is_array()) {
        for (size_t i = 0; i < filters->size(); ++i) {
            const Json& f = (*filters)[i];
            const std::string path = "filters[" + std::to_string(i) + "]";
            auto operand = AsString(FindMember(f, "operand") ? *FindMember(f, "operand") : Json());
            auto op = AsString(FindMember(f, "operator") ? *FindMember(f, "operator") : Json());
            const Json* values = FindMember(f, "values");
            if (!operand || !op || !values || !values->is_array())
                return ErrorResponse(400, "BadRequest", path + ": needs operand, operator and values", path);
            std::vector<std::string> vals;
            for (const auto& v : *values)
                if (v.is_string()) vals.push_back(v.get<std::string>());
            const bool exclude = IEquals(*op, "NotEquals") || IEquals(*op, "NotIn");
            if (!exclude && !IEquals(*op, "Equals") && !IEquals(*op, "In"))
                return ErrorResponse(400, "BadRequest", path + ".operator: unknown operator '" + *op + "'",
                                     path + ".operator");
            if (IEquals(*operand, "TriggerName")) {
                filter.trigger_names = vals;
                filter.exclude = exclude;
            } else if (IEquals(*operand, "Status")) {
                statuses = vals;
                status_exclude = exclude;
            } else {
                return ErrorResponse(
                    400, "BadRequest",
                    path + ".operand: '" + *operand + "' is not supported (TriggerName, Status)",
                    path + ".operand");
            }
        }
    }
    auto runs = d_.trigger_runs->QueryTriggerRuns(filter);
    if (!runs.ok()) return ErrorResponse(runs.error());
    Json value = Json::array();
    for (const auto& run : *runs) {
        if (!statuses.empty()) {
            bool listed = false;
            for (const auto& s : statuses) listed = listed || IEquals(s, AdfStatus(run.status));
            if (listed == status_exclude) continue;
        }
        value.push_back(TriggerRunJson(run));
    }
    return JsonResponse(200, {{"value", value}, {"continuationToken", nullptr}});
}

}  // namespace adxflow::api
