// adxflow-kusto-emulator: serves the Kusto engine endpoint of emulator.hpp over HTTP until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "daemon/http/server.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"

namespace {

constexpr const char* kHelp =
    R"(adxflow-kusto-emulator - a local Kusto (Azure Data Explorer) endpoint for development and tests

Usage: adxflow-kusto-emulator [--listen HOST:PORT] [--database NAME]... [--synthetic-table NAME:ROWS]...
                              [--config FILE] [--storage CONNECTION_STRING] [--no-auth] ...

  --listen HOST:PORT   address to serve on (default 127.0.0.1:8082; port 0 picks a free one, printed on start)
  --database NAME      a database to create (repeatable; NetDefaultDB always exists)
  --synthetic-table NAME:ROWS
                       a table of ROWS generated rows (8 mixed-type columns) in every database, never
                       stored: for benchmarks (supports `NAME`, `NAME | take N`, `NAME | count`)
  --config FILE        JSON: {"identities": [{"type": "servicePrincipal", "tenant", "clientId", "clientSecret",
                       "roles": {"Sales": "admin"}}, {"type": "systemManagedIdentity", "roles": {...}},
                       {"type": "userManagedIdentity", "clientId", "resourceId", "roles": {...}}],
                       "identityHeader": "...", "keyVaultSecrets": {"name": "value"}, "faults": [...]};
                       with identities, the engine (and Key Vault) endpoints
                       demand their tokens; faults are armed at start (see docs/kusto-emulator.md)
  --tls-cert FILE      PEM certificate (chain); with --tls-key the emulator speaks HTTPS only
  --tls-key FILE       PEM private key
  --data-dir DIR       keep databases, tables and extents in DIR/kusto-emulator.db across restarts
                       (default: in memory)
  --storage CONNECTION_STRING
                       queued ingestion through this Azure Storage account (Azurite: its connection string,
                       or UseDevelopmentStorage=true): `.get ingestion resources` hands out SAS URLs of its
                       container, queues and status table, and a worker ingests what clients enqueue
                       (config file: "storage": {"connectionString", "pollIntervalMs", ...})
  --ingest-poll-ms N   how often the ready queue is polled when idle (default 200)
  --ingest-sink store|discard
                       discard: ingestions are acknowledged and reported but no rows are kept (benchmarks)
  --ingest-listen HOST:PORT
                       also serve everything on a second address (the "ingest-" endpoint clients derive)
  --no-gzip            never compress responses (by default they are gzip when the client accepts it)
  --no-auth            accept any request, with or without a token, even when identities are configured
  --help               this text

Without --data-dir, data lives in memory and is gone when the process ends. See docs/kusto-emulator.md.
)";

}  // namespace

int main(int argc, char** argv) {
    using namespace adxflow;
    std::string listen = "127.0.0.1:8082";
    kusto_emulator::EmulatorOptions options;
    bool no_auth = false;
    std::string tls_cert, tls_key, ingest_listen, storage_flag;
    std::optional<int> poll_ms;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::optional<std::string> inline_value;  // --flag=value
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        auto value = [&](const char* flag) -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 >= argc) {
                std::fprintf(stderr, "adxflow-kusto-emulator: %s needs a value\n", flag);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kHelp, stdout);
            return 0;
        } else if (arg == "--listen") {
            listen = value("--listen");
        } else if (arg == "--database") {
            options.databases.push_back(value("--database"));
        } else if (arg == "--config") {
            const std::string file = value("--config");
            std::ifstream in(file);
            std::stringstream text;
            text << in.rdbuf();
            auto json = ParseJson(text.str(), file);
            if (!in || !json.ok()) {
                std::fprintf(stderr, "adxflow-kusto-emulator: %s\n",
                             json.ok() ? ("cannot read " + file).c_str() : json.error().message.c_str());
                return 2;
            }
            auto auth = kusto_emulator::ParseAuthOptions(*json);
            if (!auth.ok()) {
                std::fprintf(stderr, "adxflow-kusto-emulator: %s: %s\n", file.c_str(),
                             auth.error().message.c_str());
                return 2;
            }
            const bool keep_off = no_auth;
            options.auth = std::move(auth).value();
            if (keep_off) options.auth.required = false;
            if (const Json* secrets = FindMember(*json, "keyVaultSecrets"); secrets && secrets->is_object())
                for (auto it = secrets->begin(); it != secrets->end(); ++it)
                    if (it.value().is_string())
                        options.key_vault_secrets[it.key()] = it.value().get<std::string>();
            if (const Json* storage = FindMember(*json, "storage")) {
                auto parsed = kusto_emulator::ParseStorageOptions(*storage);
                if (!parsed.ok()) {
                    std::fprintf(stderr, "adxflow-kusto-emulator: %s: %s\n", file.c_str(),
                                 parsed.error().message.c_str());
                    return 2;
                }
                options.storage = std::move(parsed).value();
            }
            if (const Json* faults = FindMember(*json, "faults"); faults && faults->is_array()) {
                for (const auto& spec : *faults) {
                    auto fault = kusto_emulator::ParseFault(spec);
                    if (!fault.ok()) {
                        std::fprintf(stderr, "adxflow-kusto-emulator: %s: %s\n", file.c_str(),
                                     fault.error().message.c_str());
                        return 2;
                    }
                    options.faults.push_back(*fault);
                }
            }
        } else if (arg == "--data-dir") {
            options.data_dir = value("--data-dir");
        } else if (arg == "--tls-cert") {
            tls_cert = value("--tls-cert");
        } else if (arg == "--tls-key") {
            tls_key = value("--tls-key");
        } else if (arg == "--storage") {
            storage_flag = value("--storage");
        } else if (arg == "--ingest-poll-ms") {
            const int ms = std::atoi(value("--ingest-poll-ms").c_str());
            if (ms < 10 || ms > 60000) {
                std::fprintf(stderr, "adxflow-kusto-emulator: --ingest-poll-ms expects 10..60000\n");
                return 2;
            }
            poll_ms = ms;
        } else if (arg == "--ingest-sink") {
            const std::string sink = value("--ingest-sink");
            if (sink != "store" && sink != "discard") {
                std::fprintf(stderr, "adxflow-kusto-emulator: --ingest-sink expects store or discard\n");
                return 2;
            }
            options.discard_ingested_rows = sink == "discard";
        } else if (arg == "--ingest-listen") {
            ingest_listen = value("--ingest-listen");
        } else if (arg == "--no-gzip") {
            options.gzip_responses = false;
        } else if (arg == "--no-auth") {
            no_auth = true;
            options.auth.required = false;
        } else if (arg == "--synthetic-table") {
            std::string spec = value("--synthetic-table");
            auto colon = spec.rfind(':');
            long long rows = colon == std::string::npos ? -1 : std::atoll(spec.c_str() + colon + 1);
            if (colon == std::string::npos || colon == 0 || rows < 0) {
                std::fprintf(stderr, "adxflow-kusto-emulator: --synthetic-table expects NAME:ROWS, got %s\n",
                             spec.c_str());
                return 2;
            }
            options.synthetic_tables.emplace_back(spec.substr(0, colon), rows);
        } else {
            std::fprintf(stderr, "adxflow-kusto-emulator: unknown option %s (see --help)\n", arg.c_str());
            return 2;
        }
    }
    // Flags win over the config file, whatever their order.
    if (!storage_flag.empty()) options.storage.connection_string = storage_flag;
    if (poll_ms) options.storage.poll_interval = std::chrono::milliseconds(*poll_ms);
    auto server_options_for = [&](const std::string& address,
                                  const char* flag) -> std::optional<api::ServerOptions> {
        auto colon = address.rfind(':');
        if (colon == std::string::npos) {
            std::fprintf(stderr, "adxflow-kusto-emulator: %s expects HOST:PORT\n", flag);
            return std::nullopt;
        }
        api::ServerOptions o;
        o.host = address.substr(0, colon);
        if (o.host.size() > 2 && o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
        o.port = std::atoi(address.c_str() + colon + 1);
        o.body_limit_bytes = 64u << 20;
        o.tls_cert_file = tls_cert;
        o.tls_key_file = tls_key;
        return o;
    };
    auto main_options = server_options_for(listen, "--listen");
    if (!main_options) return 2;
    api::ServerOptions server_options = *main_options;
    if (!tls_cert.empty()) options.scheme = "https";
    std::optional<api::ServerOptions> ingest_options;
    if (!ingest_listen.empty()) {
        ingest_options = server_options_for(ingest_listen, "--ingest-listen");
        if (!ingest_options) return 2;
    }

    // Block the signals before the server threads start so that only sigwait below receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    kusto_emulator::Emulator emulator(options);
    if (!emulator.init_status().ok()) {
        std::fprintf(stderr, "adxflow-kusto-emulator: %s\n", emulator.init_status().error().message.c_str());
        return 1;
    }
    api::HttpServer server(server_options, [&emulator](const api::Request& r) { return emulator.Handle(r); });
    if (auto started = server.Start(); !started.ok()) {
        std::fprintf(stderr, "adxflow-kusto-emulator: %s\n", started.error().message.c_str());
        return 1;
    }
    std::printf("adxflow-kusto-emulator listening on http://%s:%d\n", server_options.host.c_str(),
                server.port());
    // The ingest endpoint serves the same handlers: clients send DM commands and data there.
    std::unique_ptr<api::HttpServer> ingest_server;
    if (ingest_options) {
        ingest_server = std::make_unique<api::HttpServer>(
            *ingest_options, [&emulator](const api::Request& r) { return emulator.Handle(r); });
        if (auto started = ingest_server->Start(); !started.ok()) {
            std::fprintf(stderr, "adxflow-kusto-emulator: --ingest-listen: %s\n",
                         started.error().message.c_str());
            server.Stop();
            return 1;
        }
        std::printf("adxflow-kusto-emulator ingest endpoint on %s://%s:%d\n", options.scheme.c_str(),
                    ingest_options->host.c_str(), ingest_server->port());
    }
    std::fflush(stdout);
    int received = 0;
    sigwait(&signals, &received);
    if (ingest_server) ingest_server->Stop();
    server.Stop();
    return 0;
}
