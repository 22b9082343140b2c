// @azure/identity (pinned in tests/node) against adxflow-kusto-emulator's token endpoints, and the official
// Kusto Node SDK using those tokens: client credentials through the emulator's authority host, managed
// identity through IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST) and App Service (IDENTITY_ENDPOINT), then the
// protocol corners an SDK meets (progressive results, servertimeout, 401, .cancel query). The node
// scripts run under `node --test`, one process per file, because MSAL keeps the managed-identity source it
// picked for the whole process. Missing node or npm packages fail the test rather than skip it.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.hpp"
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

// The identities the scripts authenticate as (they read this file through EMULATOR_CONFIG).
Json IdentityConfig() {
    return Json{
        {"identityHeader", "adxflow-identity-header-secret"},
        {"identities",
         Json::array(
             {{{"type", "servicePrincipal"},
               {"tenant", "adxflow-tenant"},
               {"clientId", "11111111-2222-3333-4444-555555555555"},
               {"clientSecret", "sp-secret-value"},
               {"objectId", "aaaaaaaa-0000-0000-0000-000000000001"},
               {"roles", {{"Sales", "admin"}}}},
              {{"type", "systemManagedIdentity"},
               {"clientId", "66666666-0000-0000-0000-000000000002"},
               {"objectId", "aaaaaaaa-0000-0000-0000-000000000002"},
               {"roles", {{"*", "viewer"}}}},
              {{"type", "userManagedIdentity"},
               {"clientId", "77777777-0000-0000-0000-000000000003"},
               {"objectId", "aaaaaaaa-0000-0000-0000-000000000003"},
               {"resourceId",
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/adxflow/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/adxflow-uami"},
               {"roles", {{"Sales", "viewer"}}}}})}};
}

TEST(KustoSdkIdentity, AzureIdentityTokensFromTheEmulatorQueryItThroughTheNodeSdk) {
    const fs::path dir = SourceDir() / "tests/integration/kusto_sdk";
    const fs::path tools = SourceDir() / "tests/node";
    auto node = FindOnPath("node");
    ASSERT_TRUE(node) << "node is not on PATH: run deploy/bootstrap.sh";
    for (const char* package : {"azure-kusto-data", "@azure/identity"})
        ASSERT_TRUE(fs::exists(tools / "node_modules" / package / "package.json"))
            << package << " is missing under " << tools << ": run `cd tests/node && npm ci`";

    TempDir work;
    const fs::path config = work / "emulator-config.json";
    WriteFile(config, IdentityConfig().dump(2));
    // TLS, as MSAL demands an https authority; the scripts trust the test certificate via
    // NODE_EXTRA_CA_CERTS.
    auto started = EmulatorProcess::Start(
        work.path(),
        {"--database", "Sales", "--config", config.string(), "--synthetic-table", "Synthetic:3000000"},
        /*tls=*/true);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& emulator = **started;
    const TestCertificate& cert = *emulator.certificate();

    std::vector<std::string> args = {node->string(), "--test", "--test-reporter=spec"};
    for (const char* script : {"identity.test.js", "identity_app_service.test.js", "sdk_protocol.test.js"})
        args.push_back((dir / script).string());
    std::string error;
    auto node_process = ChildProcess::Spawn(args,
                                            {{"KUSTO_URL", emulator.url()},
                                             {"EMULATOR_CONFIG", config.string()},
                                             {"NODE_EXTRA_CA_CERTS", cert.cert_file.string()},
                                             {"ADXFLOW_NODE_TOOLS", tools.string()},
                                             {"NO_COLOR", "1"}},
                                            work / "node.log", error);
    ASSERT_TRUE(node_process) << error;
    auto status = node_process->WaitFor(150s);
    if (!status) node_process->Stop(2s);
    emulator.Stop();
    ASSERT_TRUE(status) << "node --test did not finish within 150 s:\n" << Tail(work / "node.log", 20000);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << DescribeWaitStatus(*status) << "\n"
        << Tail(work / "node.log", 20000) << "\nemulator log:\n"
        << emulator.LogTail();
}

}  // namespace
}  // namespace adxflow::testing
