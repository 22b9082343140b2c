#include "daemon/http/factory_api.hpp"

#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "core/expr/expr.hpp"
#include "core/model/resource.hpp"
#include "core/model/secrets.hpp"
#include "core/model/validate.hpp"

namespace adxflow::api {

namespace {

constexpr const char* kApiVersion = "2018-06-01";
constexpr const char* kDefaultSubscription = "00000000-0000-0000-0000-000000000000";
constexpr const char* kDefaultResourceGroup = "adxflow";

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) parts.push_back(path.substr(i, j - i));
        i = j;
    }
    return parts;
}

}  // namespace

Response JsonResponse(int status, const Json& body) {
    Response r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
}

Response ErrorResponse(int status, const std::string& code, const std::string& message,
                       const std::string& target) {
    Json err = {
        {"error",
         {{"code", code}, {"message", message}, {"target", target.empty() ? Json(nullptr) : Json(target)}}}};
    return JsonResponse(status, err);
}

Response ErrorResponse(const Error& e) {
    int status = 500;
    std::string code = e.code;
    switch (e.kind) {
        case ErrorKind::kInvalidInput:
            status = 400;
            if (code.empty()) code = "BadRequest";
            break;
        case ErrorKind::kNotFound:
            status = 404;
            if (code.empty()) code = "NotFound";
            break;
        case ErrorKind::kConflict:
            status = code == "PreconditionFailed" ? 412 : 409;
            if (code.empty()) code = "Conflict";
            break;
        case ErrorKind::kUnauthorized:
            status = 401;
            if (code.empty()) code = "Unauthorized";
            break;
        case ErrorKind::kForbidden:
            status = 403;
            if (code.empty()) code = "Forbidden";
            break;
        case ErrorKind::kTooLarge:
            status = 413;
            if (code.empty()) code = "RequestEntityTooLarge";
            break;
        case ErrorKind::kUnsupported:
            status = 400;
            if (code.empty()) code = "NotSupported";
            break;
        case ErrorKind::kTransient:
            status = 503;
            if (code.empty()) code = "ServiceUnavailable";
            break;
        default:
            status = 500;
            code = "InternalServerError";
            break;
    }
    if (status == 500) spdlog::error("api: {}", e.Describe());
    return ErrorResponse(status, code, e.message, e.target);
}

Response FactoryApi::Handle(const Request& req) {
    const auto started = std::chrono::steady_clock::now();
    Response res;
    auto parts = SplitPath(req.path);
    if (req.path == "/healthz") {
        res = JsonResponse(200, {{"status", "ok"}});
    } else if (req.path == "/readyz") {
        bool ready = !d_.ready || d_.ready();
        res = JsonResponse(ready ? 200 : 503, {{"status", ready ? "ready" : "starting"}});
    } else if (req.path == "/metrics" && d_.metrics) {
        res.status = 200;
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = prometheus::TextSerializer().Serialize(d_.metrics->registry().Collect());
    } else {
        Route route;
        bool matched = false;
        // /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.DataFactory/factories/{f}/...
        if (parts.size() >= 8 && IEquals(parts[0], "subscriptions") && IEquals(parts[2], "resourceGroups") &&
            IEquals(parts[4], "providers") && IEquals(parts[5], "Microsoft.DataFactory") &&
            IEquals(parts[6], "factories")) {
            matched = true;
            route.arm = true;
            if (!IEquals(parts[7], d_.factory_name)) {
                res = ErrorResponse(404, "ResourceNotFound",
                                    "The factory '" + parts[7] + "' does not exist; this daemon serves '" +
                                        d_.factory_name + "'");
            } else {
                route.prefix = "/subscriptions/" + parts[1] + "/resourceGroups/" + parts[3] +
                               "/providers/Microsoft.DataFactory/factories/" + d_.factory_name;
                route.rest.assign(parts.begin() + 8, parts.end());
                const std::string* version = req.Query("api-version");
                if (!version)
                    res = ErrorResponse(
                        400, "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all requests.");
                else if (*version != kApiVersion)
                    res = ErrorResponse(400, "InvalidApiVersionParameter",
                                        "The api-version '" + *version +
                                            "' is invalid. The supported version is '" + kApiVersion + "'.");
                else
                    res = Dispatch(req, route);
            }
        } else if (!parts.empty() && parts[0] == "v1") {
            matched = true;
            route.prefix = std::string("/subscriptions/") + kDefaultSubscription + "/resourceGroups/" +
                           kDefaultResourceGroup + "/providers/Microsoft.DataFactory/factories/" +
                           d_.factory_name;
            route.rest.assign(parts.begin() + 1, parts.end());
            res = Dispatch(req, route);
        }
        if (!matched) res = ErrorResponse(404, "NotFound", "no such path: " + req.path);
    }
    if (d_.metrics)
        d_.metrics->ApiRequest(
            req.method, res.status,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return res;
}

Response FactoryApi::Dispatch(const Request& req, Route& route) {
    const auto& r = route.rest;
    const std::string& m = req.method;
    if (r.empty()) return HandleFactory(req, route);
    if (auto t = HandleTriggers(req, route)) return std::move(*t);
    if (r.size() == 1 && IEquals(r[0], "queryPipelineRuns")) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        return QueryRuns(req, route);
    }
    if (IEquals(r[0], "pipelineruns")) {
        if (r.size() == 2 && m == "GET") return GetRun(route, r[1]);
        if (r.size() == 3 && m == "POST" && IEquals(r[2], "cancel")) return CancelRun(req, r[1]);
        if (r.size() == 3 && m == "POST" && IEquals(r[2], "queryActivityruns"))
            return QueryActivityRuns(req, r[1]);
        return ErrorResponse(404, "NotFound", "no such path: " + req.path);
    }
    if (r.size() == 3 && IEquals(r[0], "pipelines") && IEquals(r[2], "createRun")) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        return CreateRun(req, route, r[1]);
    }
    if (r.size() == 3 && IEquals(r[0], "linkedservices") && IEquals(r[2], "testConnection")) {
        if (m != "POST") return ErrorResponse(405, "MethodNotAllowed", "use POST");
        return TestConnection(req, r[1]);
    }
    if (model::ParseCollectionName(r[0]) && r.size() <= 2) return HandleResource(req, route);
    return ErrorResponse(404, "NotFound", "no such path: " + req.path);
}

// ---------------------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------------------

namespace {

Json Envelope(const std::string& prefix, model::ResourceKind kind, const storage::StoredResource& stored) {
    const Json* props = FindMember(stored.body, "properties");
    return {{"id", prefix + "/" + std::string(model::CollectionName(kind)) + "/" + stored.name},
            {"name", stored.name},
            {"type", std::string(model::ArmType(kind))},
            {"properties", props ? model::MaskSecrets(*props) : Json::object()},
            {"etag", stored.etag}};
}

bool IsExpressionName(const std::string& name) {
    return !name.empty() && name[0] == '@';
}

}  // namespace

Response FactoryApi::HandleResource(const Request& req, const Route& route) {
    auto kind = *model::ParseCollectionName(route.rest[0]);
    const std::string collection(model::CollectionName(kind));
    if (route.rest.size() == 1) {
        if (req.method != "GET")
            return ErrorResponse(405, "MethodNotAllowed", "use GET to list " + collection);
        auto list = d_.store->ListResources(collection);
        if (!list.ok()) return ErrorResponse(list.error());
        Json value = Json::array();
        for (const auto& r : *list) value.push_back(Envelope(route.prefix, kind, r));
        return JsonResponse(200, {{"value", value}});
    }
    const std::string& name = route.rest[1];
    if (req.method == "GET") {
        auto got = d_.store->GetResource(collection, name);
        if (!got.ok()) return ErrorResponse(got.error());
        if (!*got)
            return ErrorResponse(404, "NotFound",
                                 std::string(model::DisplayName(kind)) + " '" + name + "' does not exist");
        if (auto inm = req.Header("if-none-match"); inm && *inm == (*got)->etag) {
            Response r;
            r.status = 304;
            return r;
        }
        Response r = JsonResponse(200, Envelope(route.prefix, kind, **got));
        r.headers.emplace_back("ETag", (*got)->etag);
        return r;
    }
    if (req.method == "DELETE") {
        auto deleted = d_.store->DeleteResource(collection, name);
        if (!deleted.ok()) return ErrorResponse(deleted.error());
        Response r;
        r.status = *deleted ? 200 : 204;
        return r;
    }
    if (req.method == "PUT") return PutResource(req, route);
    return ErrorResponse(405, "MethodNotAllowed", "use GET, PUT or DELETE");
}

Response FactoryApi::PutResource(const Request& req, const Route& route) {
    auto kind = *model::ParseCollectionName(route.rest[0]);
    const std::string collection(model::CollectionName(kind));
    const std::string& name = route.rest[1];
    auto body = ParseJson(req.body, "request body");
    if (!body.ok()) return ErrorResponse(body.error());
    auto validated = model::ValidateResource(kind, name, *body, d_.catalog);
    if (!validated.ok()) return ErrorResponse(validated.error());
    // References must point at something that exists (unless the name is computed by an expression).
    for (const auto& ref : validated->references) {
        if (IsExpressionName(ref.name)) continue;
        if (ref.kind == kind && IEquals(ref.name, name)) continue;  // a pipeline may call itself
        auto found = d_.store->GetResource(model::CollectionName(ref.kind), ref.name);
        if (!found.ok()) return ErrorResponse(found.error());
        if (!*found)
            return ErrorResponse(400, "BadRequest",
                                 ref.path + ": the " + std::string(model::DisplayName(ref.kind)) + " '" +
                                     ref.name + "' referenced here does not exist",
                                 ref.path);
    }
    for (const auto& w : validated->warnings)
        spdlog::warn("api: {} '{}': {}", model::DisplayName(kind), name, w);

    auto previous = d_.store->GetResource(collection, name);
    if (!previous.ok()) return ErrorResponse(previous.error());
    const Json* previous_body = *previous ? &(*previous)->body : nullptr;
    auto sealed = model::SealSecrets(
        validated->body, [this](std::string_view plain) { return d_.secrets->Seal(plain); }, previous_body);
    if (!sealed.ok()) return ErrorResponse(sealed.error());

    std::optional<std::string> if_match;
    if (auto h = req.Header("if-match")) if_match = *h;
    auto stored = d_.store->PutResource(collection, name, *sealed, if_match);
    if (!stored.ok()) return ErrorResponse(stored.error());
    spdlog::info("api: stored {} '{}' (etag {})", model::DisplayName(kind), stored->name, stored->etag);
    Response r = JsonResponse(200, Envelope(route.prefix, kind, *stored));
    r.headers.emplace_back("ETag", stored->etag);
    for (const auto& w : validated->warnings) r.headers.emplace_back("x-adxflow-warning", w);
    return r;
}

Response FactoryApi::HandleFactory(const Request& req, const Route& route) {
    if (req.method == "PUT" || req.method == "PATCH") {
        auto body = ParseJson(req.body, "request body");
        if (!body.ok()) return ErrorResponse(body.error());
        const Json* props = FindMember(*body, "properties");
        if (props && props->is_object()) {
            if (const Json* globals = FindMember(*props, "globalParameters")) {
                Status valid = model::ValidateGlobalParameters(*globals);
                if (!valid.ok()) {
                    Error e = valid.error();
                    e.target = "properties.globalParameters." + e.target;
                    e.message = "properties.globalParameters: " + e.message;
                    return ErrorResponse(e);
                }
                if (auto s = d_.store->PutGlobalParameters(*globals); !s.ok())
                    return ErrorResponse(s.error());
            }
        }
    } else if (req.method != "GET") {
        return ErrorResponse(405, "MethodNotAllowed", "use GET or PUT");
    }
    auto globals = d_.store->GetGlobalParameters();
    if (!globals.ok()) return ErrorResponse(globals.error());
    return JsonResponse(
        200,
        {{"id", route.prefix},
         {"name", d_.factory_name},
         {"type", "Microsoft.DataFactory/factories"},
         {"location", "local"},
         {"properties",
          {{"provisioningState", "Succeeded"}, {"version", "2018-06-01"}, {"globalParameters", *globals}}},
         {"tags", Json::object()}});
}

}  // namespace adxflow::api
