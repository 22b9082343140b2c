// The API's trust boundary against the real daemon: 401 with a Bearer challenge without a valid token, 403
// and no change for a reader that writes, admin allowed, probes open, tokens from a systemd credential,
// TLS with a SIGHUP reload to a new certificate on the same listener, the refusal to serve an open API on
// 0.0.0.0, and the CLI passing --token / $ADXFLOW_TOKEN and --ca-file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "daemon/http/auth.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"
#include "tests/support/tls_cert.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kAdmin = "adm-5d1e0c7b9a8f4e2d";
constexpr const char* kReader = "rdr-8c2b4f6a1e3d5c7b";

Json Pipeline() {
    return {{"properties",
             {{"activities", Json::array({{{"name", "Pause"},
                                           {"type", "Wait"},
                                           {"typeProperties", {{"waitTimeInSeconds", 0}}}}})}}}};
}

// A call with full control over the token and trust, returning headers too.
Result<http::HttpResponse> Call(const std::string& url, const std::string& method, const std::string& token,
                                const std::string& body = {}, const std::string& ca_file = {}) {
    http::HttpClientOptions o;
    o.ca_file = ca_file;
    http::HttpClient client(o);  // fresh: no pooled connection from an earlier certificate
    http::HttpRequest r;
    r.method = method;
    r.url = url;
    r.body = body;
    if (!body.empty()) r.headers.Set("Content-Type", "application/json");
    if (!token.empty()) r.headers.Set("Authorization", "Bearer " + token);
    http::RequestOptions opts;
    opts.timeout = 10s;
    return client.Send(r, opts);
}

std::string FactoryUrl(const DaemonProcess& d, const std::string& rest) {
    return d.base_url() + DaemonProcess::kFactoryPath + "/" + rest + "?api-version=2018-06-01";
}

TEST(ApiSecurity, TokensFromTheCredentialsDirectoryRolesAndOpenProbes) {
    TempDir dir;
    fs::create_directories(dir.path() / "creds");
    // The reader is given hashed, as an operator would keep it at rest.
    WriteFile(dir.path() / "creds/api-tokens", std::string("# test\nadmin:") + kAdmin + "\nreader:sha256:" +
                                                   api::HexHash(api::HashToken(kReader)) + "\n");
    WriteFile(dir.path() / "creds/secrets-key", std::string(64, 'c'));
    fs::permissions(dir.path() / "creds/secrets-key", fs::perms::owner_read);
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.env = {{"CREDENTIALS_DIRECTORY", (dir.path() / "creds").string()}};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;

    auto none = Call(FactoryUrl(d, "pipelines"), "GET", "");
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->status, 401);
    ASSERT_TRUE(none->headers.Get("WWW-Authenticate"));
    EXPECT_EQ(none->headers.Get("WWW-Authenticate")->rfind("Bearer", 0), 0u);
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines"), "GET", "not-a-valid-token-123")->status, 401);

    // A reader may read but not write, and the refused write changed nothing.
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines"), "GET", kReader)->status, 200);
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines/P"), "PUT", kReader, Pipeline().dump())->status, 403);
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines/P"), "GET", kAdmin)->status, 404);
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines/P"), "PUT", "", Pipeline().dump())->status, 401);
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines/P"), "PUT", kAdmin, Pipeline().dump())->status, 200);
    EXPECT_EQ(Call(FactoryUrl(d, "pipelines/P/createRun"), "POST", kReader, "{}")->status, 403);
    auto run = Call(FactoryUrl(d, "pipelines/P/createRun"), "POST", kAdmin, "{}");
    ASSERT_EQ(run->status, 200) << run->body;
    auto query =
        Call(FactoryUrl(d, "queryPipelineRuns"), "POST", kReader,
             R"({"lastUpdatedAfter":"2000-01-01T00:00:00Z","lastUpdatedBefore":"2100-01-01T00:00:00Z"})");
    EXPECT_EQ(query->status, 200) << query->body;

    EXPECT_EQ(Call(d.base_url() + "/healthz", "GET", "")->status, 200);
    EXPECT_EQ(Call(d.base_url() + "/readyz", "GET", "")->status, 200);
    EXPECT_EQ(Call(d.base_url() + "/metrics", "GET", "")->status, 401);
    auto metrics = Call(d.base_url() + "/metrics", "GET", kReader);
    EXPECT_EQ(metrics->status, 200);
    // The secrets key came from the credential: none was generated in the data dir.
    EXPECT_FALSE(fs::exists(options.data_dir / "secrets.key"));

    // The CLI with --token, with $ADXFLOW_TOKEN, and without.
    const fs::path cli = BinaryDir() / "adxflow";
    auto run_cli = [&](std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env,
                       const std::string& log) {
        args.insert(args.begin(), {cli.string(), "--server", d.base_url()});
        std::string error;
        auto child = ChildProcess::Spawn(args, env, dir.path() / log, error);
        EXPECT_TRUE(child) << error;
        auto status = child ? child->WaitFor(30s) : std::nullopt;
        return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    };
    EXPECT_EQ(run_cli({"--token", kReader, "runs"}, {}, "cli-flag.log"), 0)
        << ReadFile(dir.path() / "cli-flag.log");
    EXPECT_EQ(run_cli({"runs"}, {{"ADXFLOW_TOKEN", kReader}}, "cli-env.log"), 0)
        << ReadFile(dir.path() / "cli-env.log");
    EXPECT_EQ(run_cli({"runs"}, {{"ADXFLOW_TOKEN", ""}}, "cli-none.log"), 1);
    EXPECT_NE(ReadFile(dir.path() / "cli-none.log").find("Authentication"), std::string::npos)
        << ReadFile(dir.path() / "cli-none.log");

    // No token in the log, the metrics or any response.
    d.Stop();
    const std::string log = d.LogTail(1 << 20);
    for (const char* token : {kAdmin, kReader}) {
        EXPECT_EQ(log.find(token), std::string::npos);
        EXPECT_EQ(metrics->body.find(token), std::string::npos);
        EXPECT_EQ(none->body.find(token), std::string::npos);
    }
}

TEST(ApiSecurity, TlsAndASighupReloadToANewCertificateOnTheSameListener) {
    TempDir dir;
    fs::create_directories(dir.path() / "first");
    fs::create_directories(dir.path() / "second");
    auto first = MakeSelfSignedCertificate(dir.path() / "first");
    auto second = MakeSelfSignedCertificate(dir.path() / "second");
    fs::create_directories(dir.path() / "live");
    fs::copy_file(first.cert_file, dir.path() / "live/cert.pem");
    fs::copy_file(first.key_file, dir.path() / "live/key.pem");
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.tls_ca_file = first.cert_file;
    options.token = kAdmin;
    options.extra_flags = {"--api-tls-cert-file", (dir.path() / "live/cert.pem").string(),
                           "--api-tls-key-file",  (dir.path() / "live/key.pem").string(),
                           "--api-tokens",        std::string("admin:") + kAdmin};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;
    const pid_t pid = d.pid();
    const std::string url = d.base_url() + "/readyz";
    ASSERT_EQ(url.rfind("https://", 0), 0u);

    EXPECT_EQ(Call(url, "GET", "", {}, first.cert_file.string())->status, 200);
    EXPECT_FALSE(Call(url, "GET", "", {}, second.cert_file.string()).ok());  // not trusted yet
    EXPECT_FALSE(Call("http://127.0.0.1:" + std::to_string(d.port()) + "/readyz", "GET", "").ok() &&
                 Call("http://127.0.0.1:" + std::to_string(d.port()) + "/readyz", "GET", "")->status == 200);
    EXPECT_EQ(d.Arm("PUT", "pipelines/P", Pipeline())->status, 200);

    // Rotate: new files, SIGHUP, and new connections see the new certificate.
    fs::copy_file(second.cert_file, dir.path() / "live/cert.pem", fs::copy_options::overwrite_existing);
    fs::copy_file(second.key_file, dir.path() / "live/key.pem", fs::copy_options::overwrite_existing);
    ASSERT_EQ(::kill(pid, SIGHUP), 0);
    bool switched = false;
    for (int i = 0; i < 100 && !switched; ++i) {
        auto r = Call(url, "GET", "", {}, second.cert_file.string());
        switched = r.ok() && r->status == 200;
        if (!switched) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(switched) << d.LogTail();
    EXPECT_FALSE(Call(url, "GET", "", {}, first.cert_file.string()).ok());

    // A broken pair on the next SIGHUP keeps the working one.
    WriteFile(dir.path() / "live/cert.pem", "not a certificate\n");
    ASSERT_EQ(::kill(pid, SIGHUP), 0);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(Call(url, "GET", "", {}, second.cert_file.string())->status, 200);
    EXPECT_EQ(d.pid(), pid);  // same process, same listener
    EXPECT_NE(d.LogTail().find("TLS reload failed"), std::string::npos);
    EXPECT_EQ(Call(d.base_url() + DaemonProcess::kFactoryPath + "/pipelines/P?api-version=2018-06-01", "GET",
                   kAdmin, {}, second.cert_file.string())
                  ->status,
              200);
}

TEST(ApiSecurity, RefusesAnOpenApiOnANonLoopbackAddress) {
    TempDir dir;
    const int port = FreeLoopbackPort();
    std::string error;
    // Refused before anything is bound or written, so 0.0.0.0 is never actually opened.
    auto child =
        ChildProcess::Spawn({DaemonProcess::Executable().string(), "--listen",
                             "0.0.0.0:" + std::to_string(port), "--data-dir", (dir.path() / "data").string()},
                            {}, dir.path() / "refused.log", error);
    ASSERT_TRUE(child) << error;
    auto status = child->WaitFor(20s);
    ASSERT_TRUE(status) << "adxflowd did not refuse within 20 s";
    ASSERT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 1);
    const std::string log = ReadFile(dir.path() / "refused.log");
    for (const char* option : {"api_tokens", "api_tokens_file", "allow_unauthenticated_remote", "0.0.0.0"})
        EXPECT_NE(log.find(option), std::string::npos) << option << "\n" << log;
    EXPECT_FALSE(fs::exists(dir.path() / "data"));
}

}  // namespace
}  // namespace adxflow::testing
