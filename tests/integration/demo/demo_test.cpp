// deploy/demo.sh as the README tells users to run it, against the binaries of this build tree
// (ADXFLOW_DEMO_PREBUILT=1: no bootstrap, no build): it starts Azurite, the Kusto emulator and adxflowd,
// runs the ADX sample (samples/adx-factory) to Succeeded and prints the rows that came back out of ADX.
// Checked: the exit code (--once: 0 only on success), the printed rows, and that no process it started
// outlives it, after --once and after Ctrl-C.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string Output(const fs::path& log) {
    return fs::exists(log) ? ReadFile(log) : std::string("(no output)");
}

// True when no process of the group `pgid` is left (the script, Azurite, the emulator, the daemon all run
// in it: a non-interactive shell does not give its background jobs groups of their own).
bool GroupGone(pid_t pgid, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (true) {
        if (::kill(-pgid, 0) != 0 && errno == ESRCH) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
}

class DemoTest : public ::testing::Test {
  protected:
    // Starts the demo with SIGINT at its default disposition, as a terminal's foreground job has it (a
    // shell cannot trap a signal it was started ignoring).
    std::unique_ptr<ChildProcess> StartDemo(std::vector<std::string> args) {
        std::vector<std::string> argv = {"/bin/bash", (SourceDir() / "deploy/demo.sh").string()};
        argv.insert(argv.end(), args.begin(), args.end());
        struct sigaction dfl {}, old {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGINT, &dfl, &old);
        std::string error;
        auto child = ChildProcess::Spawn(argv,
                                         {{"BUILD_DIR", BinaryDir().string()},
                                          {"ADXFLOW_DEMO_DIR", (dir_ / "demo").string()},
                                          {"ADXFLOW_DEMO_PORT", std::to_string(FreeLoopbackPort())},
                                          {"ADXFLOW_DEMO_PREBUILT", "1"}},
                                         log_, error);
        ::sigaction(SIGINT, &old, nullptr);
        EXPECT_TRUE(child) << error;
        return child;
    }

    bool WaitForOutput(ChildProcess& demo, const std::string& text, std::chrono::seconds within) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        while (std::chrono::steady_clock::now() < deadline) {
            if (Output(log_).find(text) != std::string::npos) return true;
            if (demo.WaitFor(0ms)) return false;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }

    static void ExpectRows(const std::string& out) {
        EXPECT_NE(out.find("PeopleThroughAdx"), std::string::npos) << out;
        EXPECT_NE(out.find("LoadIntoAdx (Copy): Succeeded  rowsRead=8 rowsCopied=8"), std::string::npos) << out;
        EXPECT_NE(out.find("CountInAdx (Lookup): Succeeded  firstRow={\"Count\":8}"), std::string::npos) << out;
        EXPECT_NE(out.find("out/people-from-adx-8-rows.csv\nid,name,city,joined\r\n"), std::string::npos) << out;
        // The eight rows of samples/files/in/people.csv, in id order (the KQL query's), quoting kept; CRLF line
        // ends, as ADF's DelimitedTextSink writes them.
        for (const char* row :
             {"\n1,Ada Lovelace,London,2023-01-09", "\n2,Grace Hopper,New York,2023-02-14",
              "\n3,\"Tanenbaum, Andrew\",Amsterdam,2023-03-01", "\n4,Barbara Liskov,Boston,2023-04-22",
              "\n5,Edsger Dijkstra,Eindhoven,2023-05-30", "\n6,Margaret Hamilton,Boston,2023-06-18",
              "\n7,Donald Knuth,Stanford,2023-07-04", "\n8,Frances Allen,Peru NY,2023-08-11"})
            EXPECT_NE(out.find(row), std::string::npos) << row << "\n" << out;
    }

    TempDir dir_;
    fs::path log_ = dir_ / "demo.log";
};

TEST_F(DemoTest, OnceRunsTheAdxSampleToSucceededPrintsTheRowsAndStopsEverything) {
    auto demo = StartDemo({"--once"});
    ASSERT_TRUE(demo);
    const pid_t pgid = demo->pid();
    auto status = demo->WaitFor(240s);
    if (!status) demo->Stop(20s);
    const std::string out = Output(log_);
    ASSERT_TRUE(status) << "demo.sh --once did not finish within 240 s:\n" << out;
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeWaitStatus(*status) << "\n" << out;
    ExpectRows(out);
    EXPECT_NE(out.find("Succeeded in"), std::string::npos) << out;
    EXPECT_TRUE(GroupGone(pgid, 2s)) << "a process started by the demo outlived it:\n" << out;
}

TEST_F(DemoTest, CtrlCStopsEveryProcessItStarted) {
    auto demo = StartDemo({});
    ASSERT_TRUE(demo);
    const pid_t pgid = demo->pid();
    const bool running = WaitForOutput(*demo, "everything keeps running until Ctrl-C", 240s);
    ASSERT_TRUE(running) << Output(log_);
    ExpectRows(Output(log_));
    // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
    ASSERT_EQ(::kill(-pgid, SIGINT), 0);
    auto status = demo->WaitFor(30s);
    if (!status) demo->Stop(20s);
    const std::string out = Output(log_);
    ASSERT_TRUE(status) << "demo.sh did not stop within 30 s of Ctrl-C:\n" << out;
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 130) << DescribeWaitStatus(*status) << "\n" << out;
    EXPECT_TRUE(GroupGone(pgid, 2s)) << "a process started by the demo outlived Ctrl-C:\n" << out;
}

}  // namespace
}  // namespace adxflow::testing
