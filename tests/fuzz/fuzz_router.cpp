// libFuzzer target: the HTTP API behind the socket, from the raw request target on. The input is an HTTP
// request without the version: "METHOD TARGET\n", header lines "Name: value\n", a blank line, the body. The
// target goes through ParseTarget (path and query decoding), the request through bearer-token
// authentication and the router to the real handlers, over a real SQLite store and a started engine (one
// worker, no connectors) in a temp dir. Any answer is fine; a crash, a sanitizer report or a hang is not,
// and every answer must be a valid HTTP status with a JSON (or metrics text) body. State accumulates
// across inputs, as it does in a daemon.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/engine/engine.hpp"
#include "core/metrics.hpp"
#include "daemon/app/store_definitions.hpp"
#include "daemon/http/auth.hpp"
#include "daemon/http/factory_api.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"

namespace {

using namespace adxflow;

constexpr const char* kAdminToken = "adm-fuzz-0123456789";
constexpr const char* kReaderToken = "rdr-fuzz-0123456789";

struct World {
    std::filesystem::path dir;
    std::optional<SecretBox> box;
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<app::StoreDefinitions> definitions;
    ConnectorRegistry connectors;
    Metrics metrics;
    std::unique_ptr<engine::Engine> engine;
    std::unique_ptr<api::FactoryApi> api;
    api::Handler handler;
};

World* Build() {
    auto* w = new World;  // lives for the whole process (libFuzzer exits without unwinding)
    char pattern[] = "/tmp/adxflow-fuzz-router-XXXXXX";
    if (!mkdtemp(pattern)) std::abort();
    w->dir = pattern;
    auto box = SecretBox::LoadOrCreate(w->dir / "secrets.key", true);
    auto store = storage::Store::Open(w->dir / "adxflow.db");
    if (!box.ok() || !store.ok()) std::abort();
    w->box.emplace(std::move(*box));
    w->store = std::move(*store);
    w->store->ProtectRunSecrets(*w->box);
    w->definitions = std::make_unique<app::StoreDefinitions>(*w->store, *w->box);
    engine::EngineOptions eo;
    eo.workers = 1;
    eo.max_concurrent_runs = 4;
    eo.shutdown_grace = Millis(0);
    w->engine = std::make_unique<engine::Engine>(eo, SystemClock::Instance(), *w->store, *w->definitions,
                                                 w->connectors, ConnectorEnv{}, &w->metrics);
    if (!w->engine->Start().ok()) std::abort();

    api::FactoryApiDeps deps;
    deps.factory_name = "adxflow";
    deps.store = w->store.get();
    deps.engine = w->engine.get();
    deps.secrets = &*w->box;
    deps.definitions = w->definitions.get();
    deps.metrics = &w->metrics;
    deps.ready = [] { return true; };
    deps.max_queued_runs = 50;
    deps.catalog.activity_types = w->engine->ActivityTypes();
    w->api = std::make_unique<api::FactoryApi>(std::move(deps));

    api::AuthPolicy policy;
    policy.tokens.push_back({api::Role::kAdmin, api::HashToken(kAdminToken)});
    policy.tokens.push_back({api::Role::kReader, api::HashToken(kReaderToken)});
    auto auth = std::make_shared<api::Authenticator>(std::move(policy));
    api::FactoryApi* routes = w->api.get();
    w->handler = api::WithAuthentication(auth, [routes](const api::Request& r) { return routes->Handle(r); });
    return w;
}

std::string_view NextLine(std::string_view& rest) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static World* world = Build();
    std::string_view rest(reinterpret_cast<const char*>(data), size);

    api::Request request;
    const std::string_view first = NextLine(rest);
    const auto space = first.find(' ');
    if (space == std::string_view::npos) return 0;
    request.method = std::string(first.substr(0, space));
    // Beast accepts only token characters in a method (RFC 9110); the path, percent-decoded, may hold any
    // byte.
    for (unsigned char c : request.method)
        if (c <= 0x20 || c >= 0x7f || std::strchr("\"(),/:;<=>?@[\\]{}", c)) return 0;
    if (!api::ParseTarget(first.substr(space + 1), request.path, request.query)) return 0;
    while (!rest.empty()) {
        const std::string_view line = NextLine(rest);
        if (line.empty()) break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(line.substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        request.headers[name] = std::string(value);
    }
    request.body = std::string(rest);

    const api::Response response = world->handler(request);
    if (response.status < 100 || response.status > 599) std::abort();
    const std::string body = api::BodyText(response);
    if (response.content_type.starts_with("application/json") && !body.empty() && !Json::accept(body))
        std::abort();  // a JSON content type with a body that is not JSON
    return 0;
}
