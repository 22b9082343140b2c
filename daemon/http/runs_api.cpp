// Run endpoints: createRun, pipelineruns/{id}, cancel, queryPipelineRuns, queryActivityruns.
#include <spdlog/spdlog.h>

#include "core/engine/activity.hpp"
#include "core/model/secrets.hpp"
#include "daemon/http/factory_api.hpp"

namespace adxflow::api {

namespace {

using engine::ActivityRun;
using engine::PipelineRun;

Json OptionalTime(const std::optional<TimePoint>& t) {
    return t ? Json(FormatTimestamp(*t)) : Json(nullptr);
}

// ADF reports run parameters as strings; SecureString parameters are masked.
Json RenderParameters(const PipelineRun& run) {
    Json out = Json::object();
    const Json* declared = FindMember(run.pipeline, "parameters");
    for (auto it = run.parameters.begin(); it != run.parameters.end(); ++it) {
        bool secure = false;
        if (declared)
            if (const Json* decl = FindMember(*declared, it.key()))
                if (const Json* type = FindMember(*decl, "type"); type && type->is_string())
                    secure = IEquals(type->get<std::string>(), "SecureString");
        if (secure)
            out[it.key()] = std::string(model::kSecretMask);
        else if (it.value().is_string())
            out[it.key()] = it.value();
        else
            out[it.key()] = it.value().dump();
    }
    return out;
}

Json RenderRun(const PipelineRun& run) {
    auto duration = run.duration_ms();
    return {{"runId", run.run_id},
            {"runGroupId", run.run_group_id},
            {"isLatest", run.is_latest},
            {"pipelineName", run.pipeline_name},
            {"parameters", RenderParameters(run)},
            {"runDimension", Json::object()},
            {"invokedBy", run.invoked_by},
            {"runStart", OptionalTime(run.run_start)},
            {"runEnd", OptionalTime(run.run_end)},
            {"durationInMs", duration ? Json(*duration) : Json(nullptr)},
            {"status", run.status},
            {"message", run.message},
            {"lastUpdated", FormatTimestamp(run.last_updated)},
            {"annotations", Json::array()}};
}

Json UserProperties(const PipelineRun& run, const std::string& activity) {
    // The definition holds an array [{name, value}]; the run record shows an object.
    Json out = Json::object();
    const Json* activities = FindMember(run.pipeline, "activities");
    if (!activities || !activities->is_array()) return out;
    for (const auto& a : *activities) {
        const Json* name = FindMember(a, "name");
        if (!name || !name->is_string() || !IEquals(name->get<std::string>(), activity)) continue;
        if (const Json* props = FindMember(a, "userProperties"); props && props->is_array())
            for (const auto& p : *props)
                if (p.is_object() && p.contains("name") && p["name"].is_string())
                    out[p["name"].get<std::string>()] = p.value("value", Json(nullptr));
    }
    return out;
}

Json RenderActivityRun(const ActivityRun& a, const PipelineRun& run) {
    auto duration = a.duration_ms();
    return {{"activityRunId", a.activity_run_id},
            {"activityName", a.activity_name},
            {"activityType", a.activity_type},
            {"pipelineName", a.pipeline_name},
            {"pipelineRunId", a.run_id},
            {"linkedServiceName", a.linked_service_name},
            {"status", a.status},
            {"activityRunStart", OptionalTime(a.start)},
            {"activityRunEnd", OptionalTime(a.end)},
            {"durationInMs", duration ? Json(*duration) : Json(nullptr)},
            {"retryAttempt", a.attempt == 0 ? Json(nullptr) : Json(a.attempt)},
            {"input", a.input.is_null() ? Json::object() : a.input},
            {"output", a.output.is_null() ? Json::object() : a.output},
            {"error", a.error.is_null() ? Json(nullptr) : a.error},
            {"userProperties", UserProperties(run, a.activity_name)},
            {"iterationHash", ""}};
}

// RunFilterParameters -> RunFilter. lastUpdatedAfter/Before are required, as in ADF.
Result<engine::RunFilter> ParseFilter(const std::string& body_text, bool require_window) {
    engine::RunFilter f;
    f.last_updated_before = TimePoint::max();
    Json body = Json::object();
    if (!body_text.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(body, ParseJson(body_text, "request body"));
    }
    auto bad = [](std::string msg, std::string target) {
        return MakeError(ErrorKind::kInvalidInput, "query", std::move(msg), "BadRequest", std::move(target));
    };
    auto time_field = [&](const char* name, TimePoint& out) -> Status {
        const Json* v = FindMember(body, name);
        if (!v || v->is_null()) {
            if (require_window) return bad(std::string(name) + " is required", name);
            return Ok();
        }
        auto t = v->is_string() ? ParseTimestamp(v->get<std::string>()) : std::nullopt;
        if (!t) return bad(std::string(name) + " must be an ISO 8601 date-time", name);
        out = *t;
        return Ok();
    };
    ADXFLOW_TRY(time_field("lastUpdatedAfter", f.last_updated_after));
    ADXFLOW_TRY(time_field("lastUpdatedBefore", f.last_updated_before));
    if (const Json* filters = FindMember(body, "filters"); filters && filters->is_array()) {
        for (size_t i = 0; i < filters->size(); ++i) {
            const Json& item = (*filters)[i];
            std::string path = "filters[" + std::to_string(i) + "]";
            engine::RunFilter::Condition c;
            const Json* operand = FindMember(item, "operand");
            const Json* op = FindMember(item, "operator");
            const Json* values = FindMember(item, "values");
            if (!operand || !operand->is_string() || !op || !op->is_string() || !values ||
                !values->is_array())
                return bad(path + " needs operand, operator and values", path);
            c.operand = operand->get<std::string>();
            c.op = op->get<std::string>();
            for (const auto& v : *values) c.values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
            f.conditions.push_back(std::move(c));
        }
    }
    if (const Json* order = FindMember(body, "orderBy"); order && order->is_array() && !order->empty()) {
        const Json& first = (*order)[0];
        if (const Json* by = FindMember(first, "orderBy"); by && by->is_string())
            f.order_by = by->get<std::string>();
        if (const Json* dir = FindMember(first, "order"); dir && dir->is_string())
            f.descending = IEquals(dir->get<std::string>(), "DESC");
    }
    if (const Json* token = FindMember(body, "continuationToken"); token && token->is_string())
        f.continuation = token->get<std::string>();
    return f;
}

}  // namespace

Response FactoryApi::CreateRun(const Request& req, const Route& route, const std::string& pipeline) {
    auto stored = d_.store->GetResource("pipelines", pipeline);
    if (!stored.ok()) return ErrorResponse(stored.error());
    if (!*stored) return ErrorResponse(404, "PipelineNotFound", "pipeline '" + pipeline + "' does not exist");
    auto props = d_.definitions->GetPipeline(pipeline);
    if (!props.ok()) return ErrorResponse(props.error());

    engine::CreateRunRequest request;
    request.pipeline_name = (*stored)->name;
    request.pipeline = *props;
    if (!req.body.empty()) {
        auto params = ParseJson(req.body, "request body");
        if (!params.ok()) return ErrorResponse(params.error());
        if (!params->is_null() && !params->is_object())
            return ErrorResponse(400, "BadRequest",
                                 "the createRun body must be an object of parameter values");
        if (params->is_object()) request.parameters = *params;
    }
    // Rerun with the parameters of an earlier run; isRecovery keeps it in that run's group, and
    // startActivityName / startFromFailure choose what runs again (the engine checks them).
    auto flag = [&req](const char* name) {
        const std::string* v = req.Query(name);
        return v && IEquals(*v, "true");
    };
    if (const std::string* ref = req.Query("referencePipelineRunId"); ref && !ref->empty())
        request.reference_run_id = *ref;
    request.is_recovery = flag("isRecovery");
    if (const std::string* start = req.Query("startActivityName"); start && request.is_recovery)
        request.rerun.start_activity = *start;
    request.rerun.start_from_failure = request.is_recovery && flag("startFromFailure");
    if (Response refused; QueueFull(refused)) return refused;
    auto run = d_.engine->CreateRun(std::move(request));
    if (!run.ok()) return ErrorResponse(run.error());
    return JsonResponse(200, {{"runId", run->run_id}});
}

// Back-pressure: with max_queued_runs runs already waiting for a slot, createRun is refused before anything
// is stored, with the standard 429 and Retry-After that ARM clients (the Azure SDKs' retry policies) honour.
// Checked against the store, so concurrent calls may overshoot by at most the number of API threads.
bool FactoryApi::QueueFull(Response& refused) {
    if (d_.max_queued_runs == 0) return false;
    auto queued = d_.store->CountQueuedRuns();
    if (!queued.ok()) {
        refused = ErrorResponse(queued.error());
        return true;
    }
    if (static_cast<size_t>(*queued) < d_.max_queued_runs) return false;
    if (d_.metrics) d_.metrics->RunRejected("queue_full");
    refused = ErrorResponse(
        429, "TooManyRequests",
        "the run queue is full: " + std::to_string(*queued) +
            " runs are waiting to start (max_queued_runs=" + std::to_string(d_.max_queued_runs) +
            "); retry after " + std::to_string(kQueueFullRetryAfterSecs) + " seconds");
    refused.headers.emplace_back("Retry-After", std::to_string(kQueueFullRetryAfterSecs));
    return true;
}

Response FactoryApi::GetRun(const Route& route, const std::string& run_id) {
    auto run = d_.store->GetPipelineRun(run_id);
    if (!run.ok()) return ErrorResponse(run.error());
    if (!*run)
        return ErrorResponse(404, "PipelineRunNotFound", "pipeline run '" + run_id + "' does not exist");
    Json out = RenderRun(**run);
    out["id"] = route.prefix + "/pipelineruns/" + run_id;
    return JsonResponse(200, out);
}

Response FactoryApi::CancelRun(const Request& req, const std::string& run_id) {
    auto run = d_.store->GetPipelineRun(run_id);
    if (!run.ok()) return ErrorResponse(run.error());
    if (!*run)
        return ErrorResponse(404, "PipelineRunNotFound", "pipeline run '" + run_id + "' does not exist");
    if (!engine::IsTerminalRunStatus((*run)->status)) {
        const std::string* recursive = req.Query("isRecursive");
        d_.engine->Cancel(run_id, recursive && IEquals(*recursive, "true"));
    }
    Response r;
    r.status = 200;
    return r;
}

Response FactoryApi::QueryRuns(const Request& req, const Route& route) {
    auto filter = ParseFilter(req.body, true);
    if (!filter.ok()) return ErrorResponse(filter.error());
    auto page = d_.store->QueryPipelineRuns(*filter);
    if (!page.ok()) return ErrorResponse(page.error());
    Json value = Json::array();
    for (const auto& run : page->runs) {
        Json r = RenderRun(run);
        r["id"] = route.prefix + "/pipelineruns/" + run.run_id;
        value.push_back(std::move(r));
    }
    return JsonResponse(
        200, {{"value", value},
              {"continuationToken", page->continuation.empty() ? Json(nullptr) : Json(page->continuation)}});
}

Response FactoryApi::QueryActivityRuns(const Request& req, const std::string& run_id) {
    auto run = d_.store->GetPipelineRun(run_id);
    if (!run.ok()) return ErrorResponse(run.error());
    if (!*run)
        return ErrorResponse(404, "PipelineRunNotFound", "pipeline run '" + run_id + "' does not exist");
    auto filter = ParseFilter(req.body, true);
    if (!filter.ok()) return ErrorResponse(filter.error());
    if (filter->order_by == "RunStart") {
        filter->order_by = "Sequence";  // creation order unless the caller asks otherwise
        filter->descending = false;
    }
    filter->limit = 100000;
    auto list = d_.store->QueryActivityRuns(run_id, *filter);
    if (!list.ok()) return ErrorResponse(list.error());
    Json value = Json::array();
    for (const auto& a : *list) value.push_back(RenderActivityRun(a, **run));
    return JsonResponse(200, {{"value", value}, {"continuationToken", nullptr}});
}

}  // namespace adxflow::api

namespace adxflow::api {

// The check runs on the API thread: it makes a few small requests (a token, the auth metadata, one query,
// one command), each with its own deadline, so it cannot hold a worker or the scheduler.
Response FactoryApi::TestConnection(const Request& req, const std::string& name) {
    Json parameters = Json::object();
    if (!req.body.empty()) {
        auto body = ParseJson(req.body, "request body");
        if (!body.ok()) return ErrorResponse(body.error());
        if (const Json* p = FindMember(*body, "parameters"); p && p->is_object()) parameters = *p;
    }
    auto result = engine::TestLinkedService(d_.engine->services(), name, parameters);
    if (!result.ok()) return ErrorResponse(result.error());
    return JsonResponse(200, *result);
}

}  // namespace adxflow::api
