// Runs the official Kusto Node SDK (tests/integration/kusto_sdk/kusto_sdk.test.js under `node --test`)
// against adxflow-kusto-emulator started here. Missing node or npm packages fail the test rather than skip
// it.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_support.hpp"
#include "tests/support/tls_cert.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string Tail(const fs::path& file, size_t max_bytes) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return "(no output)";
    std::string text = ReadFile(file);
    return text.size() > max_bytes ? "...\n" + text.substr(text.size() - max_bytes) : text;
}

TEST(KustoSdk, OfficialNodeSdkQueriesTheEmulator) {
    const fs::path script = SourceDir() / "tests/integration/kusto_sdk/kusto_sdk.test.js";
    const fs::path tools = SourceDir() / "tests/node";
    auto node = FindOnPath("node");
    ASSERT_TRUE(node) << "node is not on PATH: run deploy/bootstrap.sh";
    ASSERT_TRUE(fs::exists(tools / "node_modules/azure-kusto-data/package.json"))
        << "azure-kusto-data is missing under " << tools << ": run `cd tests/node && npm ci`";

    TempDir work;
    // TLS on, as the SDKs meet the real service: the test certificate is trusted through NODE_EXTRA_CA_CERTS.
    const TestCertificate cert = MakeSelfSignedCertificate(work.path());
    const int port = FreeLoopbackPort();
    const std::string url = "https://127.0.0.1:" + std::to_string(port);
    std::string error;
    auto emulator = ChildProcess::Spawn(
        {(BinaryDir() / "adxflow-kusto-emulator").string(), "--listen", "127.0.0.1:" + std::to_string(port),
         "--database", "Sales", "--tls-cert", cert.cert_file.string(), "--tls-key", cert.key_file.string()},
        {}, work / "emulator.log", error);
    ASSERT_TRUE(emulator) << error;
    http::HttpClientOptions client_options;
    client_options.ca_file = cert.cert_file.string();
    http::HttpClient client(client_options);
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {  // bounded: 10 s
        http::HttpRequest probe;
        probe.url = url + "/v1/rest/auth/metadata";
        auto r = client.Send(probe);
        up = r.ok() && r->status == 200;
        if (!up) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(up) << Tail(work / "emulator.log", 4000);

    auto node_process =
        ChildProcess::Spawn({node->string(), "--test", "--test-reporter=spec", script.string()},
                            {{"KUSTO_URL", url},
                             {"NODE_EXTRA_CA_CERTS", cert.cert_file.string()},
                             {"ADXFLOW_NODE_TOOLS", tools.string()},
                             {"NO_COLOR", "1"}},
                            work / "node.log", error);
    ASSERT_TRUE(node_process) << error;
    auto status = node_process->WaitFor(120s);
    if (!status) node_process->Stop(2s);
    emulator->Stop(5s);
    ASSERT_TRUE(status) << "node --test did not finish within 120 s:\n" << Tail(work / "node.log", 20000);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << DescribeWaitStatus(*status) << "\n"
        << Tail(work / "node.log", 20000) << "\nemulator log:\n"
        << Tail(work / "emulator.log", 4000);
}

}  // namespace
}  // namespace adxflow::testing
