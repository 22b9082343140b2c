#pragma once
// The control API: ARM-compatible paths under
//   /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.DataFactory/factories/{f}/...?api-version=2018-06-01
// answering as Azure Data Factory does (resource envelopes, masked secrets, CloudError bodies), the short
// aliases /v1/... for people with curl (same handlers, no api-version), and /healthz, /readyz, /metrics.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/metrics.hpp"
#include "core/model/type_catalog.hpp"
#include "daemon/app/store_definitions.hpp"
#include "daemon/http/api_types.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"

namespace adxflow::triggers {
class TriggerService;
}
namespace adxflow::engine {
class TriggerRepository;
}

namespace adxflow::api {

struct FactoryApiDeps {
    std::string factory_name;
    storage::Store* store = nullptr;
    engine::Engine* engine = nullptr;
    const SecretBox* secrets = nullptr;
    app::StoreDefinitions* definitions = nullptr;
    model::TypeCatalog catalog;
    Metrics* metrics = nullptr;
    triggers::TriggerService* triggers = nullptr;       // start/stop/rerun, runtimeState
    engine::TriggerRepository* trigger_runs = nullptr;  // queryTriggerRuns
    std::function<bool()> ready;  // /readyz
    size_t max_queued_runs = 0;   // createRun answers 429 once this many runs are Queued; 0: no limit
};

class FactoryApi {
  public:
    explicit FactoryApi(FactoryApiDeps deps) : d_(std::move(deps)) {}
    Response Handle(const Request& request);

  private:
    // Where a request points: the factory prefix it used (echoed in resource ids) and the rest of the path.
    struct Route {
        std::string prefix;             // "/subscriptions/.../factories/{f}"
        std::vector<std::string> rest;  // segments after the factory
        bool arm = false;
    };
    Response Dispatch(const Request& request, Route& route);
    Response HandleResource(const Request& request, const Route& route);
    // Trigger routes (triggers_api.cpp); nullopt when the request is not trigger-specific.
    std::optional<Response> HandleTriggers(const Request& request, const Route& route);
    Response QueryTriggerRuns(const Request& request);
    // 400 TumblingWindowTriggerStartTimeUpdateNotAllowed when a PUT moves the windows of a trigger that has some.
    std::optional<Response> TumblingWindowChange(const std::string& name, const Json& properties);
    Response PutResource(const Request& request, const Route& route);
    Response HandleFactory(const Request& request, const Route& route);
    Response CreateRun(const Request& request, const Route& route, const std::string& pipeline);
    static constexpr int kQueueFullRetryAfterSecs = 5;
    bool QueueFull(Response& refused);  // true with the 429 (or the store's error) to answer
    Response GetRun(const Route& route, const std::string& run_id);
    Response CancelRun(const Request& request, const std::string& run_id);
    // adxflow extension: POST linkedservices/{name}/testConnection [{"parameters": {...}}] checks the linked
    // service step by step (ADX: token, reach, database, role) and says which step failed.
    Response TestConnection(const Request& request, const std::string& name);
    Response QueryRuns(const Request& request, const Route& route);
    Response QueryActivityRuns(const Request& request, const std::string& run_id);

    FactoryApiDeps d_;
};

// A CloudError response: {"error": {"code", "message", "target"}}.
Response ErrorResponse(int status, const std::string& code, const std::string& message,
                       const std::string& target = {});
// Maps an Error to its HTTP status and CloudError code.
Response ErrorResponse(const Error& error);
Response JsonResponse(int status, const Json& body);

}  // namespace adxflow::api
