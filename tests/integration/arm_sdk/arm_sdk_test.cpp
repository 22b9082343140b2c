// Runs the official @azure/arm-datafactory SDK (tests/integration/arm_sdk/arm_sdk.test.js, under `node
// --test`) against a real adxflowd started here. Missing node or npm packages fail the test: an
// SDK-compatibility check that silently skips would pass on exactly the machines where nobody looks.

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing::arm_sdk {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kInputRows = 7;

std::string Tail(const fs::path& file, size_t max_bytes) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return "(no output)";
    std::string text = ReadFile(file);
    return text.size() > max_bytes ? "...\n" + text.substr(text.size() - max_bytes) : text;
}

void WriteInputCsv(const fs::path& file_root) {
    std::string csv = "id,name,age\n";
    for (int i = 0; i < kInputRows; ++i)
        csv += std::to_string(i) + ",name" + std::to_string(i) + "," + std::to_string(20 + i) + "\n";
    fs::create_directories(file_root / "in");
    fs::create_directories(file_root / "out");
    WriteFile(file_root / "in" / "people.csv", csv);
}

TEST(ArmSdk, OfficialDataFactorySdkWorksAgainstDaemon) {
    const fs::path script = SourceDir() / "tests/integration/arm_sdk/arm_sdk.test.js";
    const fs::path tools = SourceDir() / "tests/node";

    auto node = FindOnPath("node");
    ASSERT_TRUE(node)
        << "node is not on PATH: install Node.js 20 (deploy/bootstrap.sh) to run the ARM SDK test";
    ASSERT_TRUE(fs::exists(tools / "node_modules/@azure/arm-datafactory/package.json"))
        << "@azure/arm-datafactory is missing under " << tools << ": run `cd tests/node && npm ci`";

    TempDir work;
    const fs::path data_dir = work / "data";
    const fs::path file_root = work / "files";
    fs::create_directories(data_dir);
    WriteInputCsv(file_root);
    const fs::path node_log = work / "node.log";

    DaemonOptions options;
    options.data_dir = data_dir;
    options.file_roots = {file_root};
    options.extra_flags = {"--workers", "4", "--shutdown-grace-secs", "5"};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto daemon = std::move(started).value();
    const int port = daemon->port();
    std::string error;

    auto node_process =
        ChildProcess::Spawn({node->string(), "--test", "--test-reporter=spec", script.string()},
                            {{"ADXFLOW_URL", "http://127.0.0.1:" + std::to_string(port)},
                             {"ADXFLOW_FILE_ROOT", file_root.string()},
                             {"ADXFLOW_INPUT_ROWS", std::to_string(kInputRows)},
                             {"ADXFLOW_NODE_TOOLS", tools.string()},
                             {"NO_COLOR", "1"}},
                            node_log, error);
    ASSERT_TRUE(node_process) << error;
    auto node_status = node_process->WaitFor(240s);
    if (!node_status) node_process->Stop(2s);
    const int daemon_status = daemon->Stop(15s);

    ASSERT_TRUE(node_status) << "node --test did not finish within 240 s; its output:\n"
                             << Tail(node_log, 20000) << "\nadxflowd log:\n"
                             << daemon->LogTail(4000);
    EXPECT_TRUE(WIFEXITED(*node_status) && WEXITSTATUS(*node_status) == 0)
        << "node --test " << script.filename() << ": " << DescribeWaitStatus(*node_status) << "\n"
        << Tail(node_log, 20000) << "\nadxflowd log (tail):\n"
        << daemon->LogTail(6000);
    EXPECT_FALSE(daemon->was_killed()) << "adxflowd ignored SIGTERM for 15 s:\n" << daemon->LogTail(4000);
    EXPECT_TRUE(WIFEXITED(daemon_status) && WEXITSTATUS(daemon_status) == 0)
        << "adxflowd stopped with " << DescribeWaitStatus(daemon_status) << ":\n"
        << daemon->LogTail(4000);
}

}  // namespace
}  // namespace adxflow::testing::arm_sdk
