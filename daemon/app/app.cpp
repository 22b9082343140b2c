#include "daemon/app/app.hpp"

#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "connectors/builtin.hpp"
#include "core/connector_slots.hpp"
#include "core/engine/engine.hpp"
#include "core/metrics.hpp"
#include "daemon/app/sd_notify.hpp"
#include "daemon/app/store_definitions.hpp"
#include "daemon/app/trigger_wiring.hpp"
#include "daemon/http/auth.hpp"
#include "daemon/http/factory_api.hpp"
#include "daemon/http/server.hpp"
#include "storage/history_pruner.hpp"
#include "storage/secret_box.hpp"
#include "storage/store.hpp"
#include "storage/trigger_store.hpp"

namespace adxflow::app {

struct Daemon::Parts {
    std::optional<SecretBox> secrets;
    std::unique_ptr<Clock> clock;  // real time, or the test-only accelerated clock
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<NotifyingRuns> runs;  // the store as the engine sees it: finished runs wake the triggers
    std::unique_ptr<storage::TriggerStore> trigger_store;
    std::unique_ptr<triggers::TriggerService> triggers;
    ConnectorRegistry connectors;
    std::unique_ptr<StoreDefinitions> definitions;
    Metrics metrics;
    std::unique_ptr<engine::Engine> engine;
    std::unique_ptr<storage::HistoryPruner> pruner;
    std::unique_ptr<api::FactoryApi> api;
    std::unique_ptr<api::HttpServer> server;
    std::shared_ptr<api::Authenticator> auth;
    SystemdNotifier notifier = SystemdNotifier::FromEnvironment();
    std::atomic<bool> ready{false};
};

namespace {

bool IsLoopback(const std::string& host) {
    return host.rfind("127.", 0) == 0 || host == "::1" || host == "localhost";
}

// The tokens of api_tokens and api_tokens_file. Errors name the key and index or the file and line only.
Result<std::vector<api::TokenEntry>> LoadTokens(const config::Settings& settings) {
    std::vector<api::TokenEntry> tokens;
    for (size_t i = 0; i < settings.api_tokens.size(); ++i) {
        ADXFLOW_ASSIGN_OR_RETURN(auto entry, api::ParseTokenEntry(settings.api_tokens[i],
                                                                  "api_tokens[" + std::to_string(i) + "]"));
        tokens.push_back(entry);
    }
    if (!settings.api_tokens_file.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(auto from_file, api::LoadTokenFile(settings.api_tokens_file));
        tokens.insert(tokens.end(), from_file.begin(), from_file.end());
    }
    return tokens;
}

}  // namespace

void ConfigureLogging(const std::string& level) {
    auto logger = spdlog::stdout_logger_mt("adxflowd");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::flush_on(spdlog::level::info);
}

Daemon::Daemon(config::Settings settings)
    : settings_(std::move(settings)), parts_(std::make_unique<Parts>()) {}

Daemon::~Daemon() {
    Stop();
}

Status Daemon::Start() {
    auto& p = *parts_;
    InstallProcessMetrics(&p.metrics);  // connectors count ADX requests and token refreshes through it
    // Security checks come first, before anything is created on disk or bound.
    ADXFLOW_ASSIGN_OR_RETURN(auto tokens, LoadTokens(settings_));
    if (tokens.empty() && !IsLoopback(settings_.ListenHost()) && !settings_.allow_unauthenticated_remote)
        return MakeError(ErrorKind::kInvalidInput, "daemon.start",
                         "refusing to serve an unauthenticated API on the non-loopback address " +
                             settings_.listen +
                             ": configure api_tokens or api_tokens_file (or the systemd credential "
                             "api-tokens), or set allow_unauthenticated_remote: true",
                         "InvalidConfiguration", "listen");
    api::AuthPolicy policy;
    policy.tokens = std::move(tokens);
    policy.metrics_open = settings_.api_metrics_unauthenticated;
    p.auth = std::make_shared<api::Authenticator>(std::move(policy));
    ADXFLOW_ASSIGN_OR_RETURN(p.clock, MakeDaemonClock(settings_));
    p.notifier.Status("starting: opening the store");
    std::error_code ec;
    std::filesystem::create_directories(settings_.data_dir, ec);
    if (ec)
        return MakeError(ErrorKind::kInvalidInput, "daemon.start",
                         "cannot create data_dir " + settings_.data_dir.string() + ": " + ec.message());
    ConnectorEnv env;
    for (const auto& root : settings_.file_roots) {
        auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(root), ec);
        if (ec || !std::filesystem::is_directory(canonical))
            return MakeError(
                ErrorKind::kInvalidInput, "daemon.start",
                "file root " + root.string() + " is not an existing folder (file_roots / --file-root)");
        env.file_roots.push_back(canonical);
    }
    if (!settings_.connector_max_concurrency.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(auto limits, ParseConnectorLimits(settings_.connector_max_concurrency,
                                                                   "connector_max_concurrency"));
        env.slots = std::make_shared<ConnectorSlots>(limits);
    }

    ADXFLOW_ASSIGN_OR_RETURN(SecretBox box, SecretBox::LoadOrCreate(settings_.secrets_key_file, true));
    p.secrets.emplace(std::move(box));
    ADXFLOW_ASSIGN_OR_RETURN(p.store, storage::Store::Open(settings_.database_path));
    p.store->ProtectRunSecrets(*p.secrets);
    AzureSettings azure;
    azure.authority_host = settings_.azure_authority_host;
    azure.imds_endpoint = settings_.azure_imds_endpoint;
    azure.ca_file = settings_.azure_ca_file;
    azure.adx_ingest_endpoint = settings_.adx_ingest_endpoint;
    azure.adx_ingest_confirm_timeout_secs = settings_.adx_ingest_confirm_timeout_secs;
    RegisterBuiltinConnectors(p.connectors, azure);
    p.definitions = std::make_unique<StoreDefinitions>(*p.store, *p.secrets);

    engine::EngineOptions eo;
    eo.factory_name = settings_.factory_name;
    eo.workers = static_cast<size_t>(settings_.workers);
    eo.max_concurrent_runs = static_cast<size_t>(settings_.max_concurrent_runs);
    eo.shutdown_grace = std::chrono::seconds(settings_.shutdown_grace_secs);
    eo.default_chunk_rows = static_cast<size_t>(settings_.copy_chunk_rows);
    if (auto interval = p.notifier.WatchdogInterval()) {
        // Petted from the scheduler's own loop, so a scheduler that hangs is restarted by systemd.
        const SystemdNotifier* notifier = &p.notifier;
        eo.heartbeat = [notifier] { notifier->Watchdog(); };
        eo.heartbeat_interval = *interval;
    }
    ADXFLOW_ASSIGN_OR_RETURN(p.trigger_store, storage::TriggerStore::Open(settings_.database_path));
    p.runs = std::make_unique<NotifyingRuns>(*p.store);
    p.engine = std::make_unique<engine::Engine>(eo, *p.clock, *p.runs, *p.definitions, p.connectors, env,
                                                &p.metrics);
    p.triggers = std::make_unique<triggers::TriggerService>(
        *p.clock, *p.trigger_store, MakeTriggerHost(*p.store, *p.definitions, *p.engine));
    triggers::TriggerService* trigger_service = p.triggers.get();
    p.runs->SetOnFinished([trigger_service](const engine::PipelineRun& run) {
        trigger_service->OnRunFinished(run.run_id, run.status, run.message);
    });
    p.notifier.Status("starting: recovering unfinished runs");
    ADXFLOW_TRY(p.engine->Start());
    // After the engine's recovery, so that windows whose runs it resumed keep waiting for them.
    ADXFLOW_TRY(p.triggers->Start());
    if (settings_.history_retention_days > 0) {
        storage::HistoryPrunerOptions po;
        po.retention = std::chrono::hours(24) * settings_.history_retention_days;
        po.interval = std::chrono::seconds(settings_.history_prune_interval_secs);
        po.batch_runs = static_cast<size_t>(settings_.history_prune_batch_runs);
        Metrics* m = &p.metrics;
        po.on_pruned = [m](size_t runs) { m->HistoryPruned(static_cast<double>(runs)); };
        p.pruner = std::make_unique<storage::HistoryPruner>(*p.store, std::move(po));
        p.pruner->Start();
    }

    api::FactoryApiDeps deps;
    deps.factory_name = settings_.factory_name;
    deps.store = p.store.get();
    deps.engine = p.engine.get();
    deps.secrets = &*p.secrets;
    deps.definitions = p.definitions.get();
    deps.metrics = &p.metrics;
    deps.triggers = p.triggers.get();
    deps.trigger_runs = p.trigger_store.get();
    deps.max_queued_runs = static_cast<size_t>(settings_.max_queued_runs);
    deps.ready = [&p] { return p.ready.load(); };
    const ConnectorRegistry* registry = &p.connectors;
    deps.catalog.linked_service = [registry](std::string_view t) {
        return registry->KnowsLinkedServiceType(t);
    };
    deps.catalog.dataset = [registry](std::string_view t) { return registry->KnowsDatasetType(t); };
    deps.catalog.copy_source = [registry](std::string_view t) { return registry->KnowsSourceType(t); };
    deps.catalog.copy_sink = [registry](std::string_view t) { return registry->KnowsSinkType(t); };
    deps.catalog.activity_types = p.engine->ActivityTypes();
    p.api = std::make_unique<api::FactoryApi>(std::move(deps));

    api::ServerOptions so;
    so.host = settings_.ListenHost();
    so.port = settings_.ListenPort();
    so.threads = settings_.http_threads;
    so.body_limit_bytes = static_cast<size_t>(settings_.http_body_limit_bytes);
    so.request_timeout_secs = settings_.http_request_timeout_secs;
    so.tls_cert_file = settings_.api_tls_cert_file.string();
    so.tls_key_file = settings_.api_tls_key_file.string();
    api::FactoryApi* api = p.api.get();
    Metrics* metrics = &p.metrics;
    handler_ = api::WithAuthentication(
        p.auth, [api](const api::Request& r) { return api->Handle(r); },
        [metrics](const api::Request& r, int status) { metrics->ApiRequest(r.method, status, 0.0); });
    p.server = std::make_unique<api::HttpServer>(so, handler_);
    p.notifier.Status("starting: opening the API listener");
    ADXFLOW_TRY(p.server->Start());
    p.ready = true;
    spdlog::info(
        "adxflowd ready: factory={} listen={}:{} tls={} auth={} database={} workers={} file_roots={}",
        settings_.factory_name, so.host, p.server->port(), p.server->tls() ? "on" : "off",
        p.auth->enabled() ? "bearer" : "off", settings_.database_path.string(), settings_.workers,
        settings_.file_roots.size());
    // READY=1 only now: recovery is done and /readyz answers 200 on a listening socket.
    p.notifier.Ready();
    p.notifier.Status("ready: serving the API on " + so.host + ":" + std::to_string(p.server->port()));
    return Ok();
}

void Daemon::Stop() {
    if (!parts_) return;
    auto& p = *parts_;
    if (p.ready) {
        p.notifier.Stopping();
        p.notifier.Status("stopping: draining running activities");
    }
    p.ready = false;
    // Reverse order: stop taking requests, then drain the engine, then close the store.
    if (p.server) p.server->Stop();
    if (p.triggers) p.triggers->Stop();  // no new runs while the engine drains
    if (p.engine) p.engine->Stop();
    UninstallProcessMetrics(&p.metrics);
    p.pruner.reset();
    p.server.reset();
    p.api.reset();
    p.triggers.reset();
    p.engine.reset();
    p.runs.reset();
    p.trigger_store.reset();
    p.store.reset();
}

int Daemon::port() const {
    return parts_->server ? parts_->server->port() : 0;
}

api::Response Daemon::Call(const api::Request& request) {
    return handler_ ? handler_(request) : parts_->api->Handle(request);
}

Result<std::optional<size_t>> Daemon::ReloadTokens() {
    if (settings_.api_tokens_file.empty() || !parts_->auth) return std::optional<size_t>();
    ADXFLOW_ASSIGN_OR_RETURN(auto tokens, LoadTokens(settings_));
    const size_t n = tokens.size();
    ADXFLOW_TRY(parts_->auth->ReplaceTokens(std::move(tokens)));
    return std::optional<size_t>(n);
}

Status Daemon::ReloadTls() {
    if (!parts_->server || !parts_->server->tls()) return Ok();
    ADXFLOW_TRY(parts_->server->ReloadTls());
    return Ok();
}

int RunUntilSignalled(const config::Settings& settings) {
    // Block the signals before any thread starts so that every thread inherits the mask and only the
    // sigwait below receives them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    Daemon daemon(settings);
    if (auto s = daemon.Start(); !s.ok()) {
        spdlog::critical("adxflowd cannot start: {}", s.error().Describe());
        SystemdNotifier::FromEnvironment().Status("failed to start: " + s.error().message);
        return 1;
    }
    int sig = 0;
    for (;;) {
        sigwait(&set, &sig);
        if (sig != SIGHUP) break;
        // SIGHUP (systemctl reload): the API token file (a rotated token takes effect without a restart), and
        // the TLS certificate and key; the listener and open connections stay.
        if (auto t = daemon.ReloadTokens(); !t.ok())
            spdlog::error("adxflowd: SIGHUP: token reload failed, the previous tokens stay: {}",
                          t.error().Describe());
        else if (*t)
            spdlog::info("adxflowd: SIGHUP: {} API token(s) loaded from api_tokens_file", **t);
        if (auto s = daemon.ReloadTls(); s.ok())
            spdlog::info("adxflowd: SIGHUP: TLS certificate reloaded");
        else
            spdlog::error("adxflowd: SIGHUP: TLS reload failed, the previous certificate stays: {}",
                          s.error().Describe());
    }
    spdlog::info("adxflowd: received {}, stopping (grace {} s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 settings.shutdown_grace_secs);
    daemon.Stop();
    spdlog::info("adxflowd stopped");
    return 0;
}

}  // namespace adxflow::app
