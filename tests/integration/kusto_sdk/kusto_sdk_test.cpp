// Runs the official Kusto Node SDK (tests/integration/kusto_sdk/kusto_sdk.test.js under `node --test`)
// against adxflow-kusto-emulator started here. Missing node or npm packages fail the test rather than skip
// it.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/emulator_process.hpp"
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
    // Queued ingestion goes through a real Azurite; the emulator's second (ingest) address serves the SDK's
    // ingest client.
    auto azurite = AzuriteProcess::Start();
    ASSERT_TRUE(azurite.ok()) << azurite.error().Describe();
    const std::string ingest_address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
    // TLS on, as the SDKs meet the real service: the test certificate is trusted through NODE_EXTRA_CA_CERTS.
    auto started =
        EmulatorProcess::Start(work.path(),
                               {"--database", "Sales", "--storage", (*azurite)->connection_string(),
                                "--ingest-listen", ingest_address},
                               /*tls=*/true);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& emulator = **started;
    const std::string url = emulator.url();
    const TestCertificate& cert = *emulator.certificate();
    std::string error;

    auto node_process =
        ChildProcess::Spawn({node->string(), "--test", "--test-reporter=spec", script.string()},
                            {{"KUSTO_URL", url},
                             {"KUSTO_INGEST_URL", "https://" + ingest_address},
                             {"NODE_EXTRA_CA_CERTS", cert.cert_file.string()},
                             {"ADXFLOW_NODE_TOOLS", tools.string()},
                             {"NO_COLOR", "1"}},
                            work / "node.log", error);
    ASSERT_TRUE(node_process) << error;
    auto status = node_process->WaitFor(120s);
    if (!status) node_process->Stop(2s);
    emulator.Stop();
    ASSERT_TRUE(status) << "node --test did not finish within 120 s:\n" << Tail(work / "node.log", 20000);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << DescribeWaitStatus(*status) << "\n"
        << Tail(work / "node.log", 20000) << "\nemulator log:\n"
        << emulator.LogTail() << "\nAzurite log:\n"
        << (*azurite)->LogTail();
}

}  // namespace
}  // namespace adxflow::testing
