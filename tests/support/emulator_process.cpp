#include "tests/support/emulator_process.hpp"

#include "core/json.hpp"

#include <thread>

#include "tests/support/test_support.hpp"

namespace adxflow::testing {

using namespace std::chrono_literals;

Result<std::unique_ptr<EmulatorProcess>> EmulatorProcess::StartWithAdminPrincipal(
    const std::filesystem::path& dir, const std::string& database, const std::string& tenant,
    const std::string& client_id, const std::string& secret, const std::string& storage,
    const Json& key_vault_secrets) {
    const std::filesystem::path config = dir / "emulator.json";
    Json emulator_config = {{"identities", Json::array({{{"type", "servicePrincipal"},
                                                         {"tenant", tenant},
                                                         {"clientId", client_id},
                                                         {"clientSecret", secret},
                                                         {"roles", {{"*", "admin"}}}}})}};
    if (key_vault_secrets.is_object()) {
        // The vault is read with the daemon's system-assigned identity (point --azure-imds-endpoint here).
        emulator_config["keyVaultSecrets"] = key_vault_secrets;
        emulator_config["identities"].push_back(
            {{"type", "systemManagedIdentity"}, {"roles", {{"*", "admin"}}}});
    }
    WriteFile(config, emulator_config.dump());
    std::vector<std::string> flags;
    for (const std::string& flag :
         {std::string("--database"), database, std::string("--config"), config.string()})
        flags.push_back(flag);
    if (!storage.empty()) {
        flags.push_back("--storage");
        flags.push_back(storage);
        flags.push_back("--ingest-poll-ms");
        flags.push_back("50");
    }
    return Start(dir, std::move(flags), /*tls=*/true);
}

Result<std::unique_ptr<EmulatorProcess>> EmulatorProcess::Start(const std::filesystem::path& dir,
                                                                std::vector<std::string> flags, bool tls) {
    std::unique_ptr<EmulatorProcess> e(new EmulatorProcess());
    const int port = FreeLoopbackPort();
    e->log_ = dir / ("emulator-" + std::to_string(port) + ".log");
    std::vector<std::string> argv = {(BinaryDir() / "adxflow-kusto-emulator").string(), "--listen",
                                     "127.0.0.1:" + std::to_string(port)};
    http::HttpClientOptions client_options;
    if (tls) {
        e->cert_ = MakeSelfSignedCertificate(dir);
        argv.insert(argv.end(),
                    {"--tls-cert", e->cert_->cert_file.string(), "--tls-key", e->cert_->key_file.string()});
        client_options.ca_file = e->cert_->cert_file.string();
    }
    argv.insert(argv.end(), flags.begin(), flags.end());
    e->url_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
    e->client_ = std::make_unique<http::HttpClient>(client_options);
    std::string error;
    e->process_ = ChildProcess::Spawn(argv, {}, e->log_, error);
    if (!e->process_) return MakeError(ErrorKind::kInternal, "test.emulator", error);
    for (int i = 0; i < 200; ++i) {  // bounded: 10 s
        if (auto status = e->process_->WaitFor(0ms))
            return MakeError(
                ErrorKind::kInternal, "test.emulator",
                "the emulator exited during startup (" + DescribeWaitStatus(*status) + "):\n" + e->LogTail());
        auto r = e->Get("/v1/rest/auth/metadata");
        if (r.ok() && r->status == 200) return e;
        std::this_thread::sleep_for(50ms);
    }
    return MakeError(ErrorKind::kTimeout, "test.emulator",
                     "the emulator did not answer within 10 s:\n" + e->LogTail());
}

EmulatorProcess::~EmulatorProcess() {
    if (process_) process_->Stop(5s);
}

std::string EmulatorProcess::LogTail(size_t max_bytes) const {
    std::error_code ec;
    if (!std::filesystem::exists(log_, ec)) return "(no emulator log)";
    std::string text = ReadFile(log_);
    return text.size() > max_bytes ? "...\n" + text.substr(text.size() - max_bytes) : text;
}

Result<http::HttpResponse> EmulatorProcess::Post(const std::string& path, const std::string& body,
                                                 const std::string& content_type) {
    http::HttpRequest r;
    r.method = "POST";
    r.url = url_ + path;
    r.body = body;
    r.headers.Set("Content-Type", content_type);
    http::RequestOptions o;
    o.timeout = 30s;
    return client_->Send(r, o);
}

Result<http::HttpResponse> EmulatorProcess::Get(const std::string& path) {
    http::HttpRequest r;
    r.url = url_ + path;
    http::RequestOptions o;
    o.timeout = 5s;
    return client_->Send(r, o);
}

std::string EmulatorProcess::ClientToken(const std::string& tenant, const std::string& client_id,
                                         const std::string& secret) {
    const std::string body = "grant_type=client_credentials&client_id=" + http::PercentEncode(client_id) +
                             "&client_secret=" + http::PercentEncode(secret) +
                             "&scope=" + http::PercentEncode("https://kusto.kusto.windows.net/.default");
    auto r = Post("/" + tenant + "/oauth2/v2.0/token", body, "application/x-www-form-urlencoded");
    if (!r.ok() || r->status != 200) return {};
    return Json::parse(r->body, nullptr, false).value("access_token", "");
}

Result<http::HttpResponse> EmulatorProcess::Kusto(const std::string& database, const std::string& csl,
                                                  const std::string& token) {
    const bool command = !csl.empty() && csl[0] == '.';
    http::HttpRequest request;
    request.method = "POST";
    request.url = url_ + (command ? "/v1/rest/mgmt" : "/v2/rest/query");
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    request.headers.Set("Content-Type", "application/json");
    request.body = Json{{"db", database}, {"csl", csl}}.dump();
    http::RequestOptions o;
    o.timeout = 60s;
    return client_->Send(request, o);
}

}  // namespace adxflow::testing
