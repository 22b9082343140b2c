// adxflowd under a notify socket the test owns, as systemd would run it: STATUS lines while it starts,
// READY=1 only once /readyz answers, WATCHDOG=1 at half of WATCHDOG_USEC from the scheduler loop,
// STOPPING=1 on SIGTERM and exit 0 after a drain that finished the running activity. And the unit file
// passes `systemd-analyze verify`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/notify_socket.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool Has(const std::vector<NotifyMessage>& seen, const std::string& prefix) {
    return std::any_of(seen.begin(), seen.end(),
                       [&](const NotifyMessage& m) { return m.text.rfind(prefix, 0) == 0; });
}

TEST(SystemdNotify, ReadyAfterTheApiListensStatusWatchdogAtHalfTheIntervalStoppingOnSigterm) {
    TempDir dir;
    NotifySocket notify((dir.path() / "notify.sock").string());
    const int port = FreeLoopbackPort();
    const auto watchdog = 600ms;  // WATCHDOG_USEC; the daemon should ping every 300 ms
    std::string error;
    auto child = ChildProcess::Spawn(
        {DaemonProcess::Executable().string(), "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir",
         (dir.path() / "data").string()},
        {{"NOTIFY_SOCKET", notify.address()},
         {"WATCHDOG_USEC", std::to_string(std::chrono::microseconds(watchdog).count())}},
        dir.path() / "adxflowd.log", error);
    ASSERT_TRUE(child) << error;

    std::vector<NotifyMessage> before_ready;
    auto ready = notify.WaitFor("READY=1", 30000ms, before_ready);
    ASSERT_TRUE(ready) << ReadFile(dir.path() / "adxflowd.log");
    // The first /readyz after READY=1 must already be 200: READY is sent after the listener is up.
    http::HttpClient client;
    http::HttpRequest probe;
    probe.url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
    http::RequestOptions opts;
    opts.timeout = 5s;
    auto reply = client.Send(probe, opts);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->status, 200);
    EXPECT_TRUE(Has(before_ready, "STATUS=starting: recovering unfinished runs"));
    EXPECT_TRUE(Has(before_ready, "STATUS=starting: opening the API listener"));

    // Watchdog cadence over 3 s, counted from READY.
    std::vector<NotifyMessage> window;
    const auto until = ready->at + 3s;
    while (std::chrono::steady_clock::now() < until) {
        auto m = notify.Receive(std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now() + 1ms));
        if (m) window.push_back(*m);
    }
    EXPECT_TRUE(Has(window, "STATUS=ready: serving the API on 127.0.0.1:" + std::to_string(port)));
    std::vector<std::chrono::steady_clock::time_point> pings;
    for (const auto& m : window)
        if (m.text == "WATCHDOG=1") pings.push_back(m.at);
    // 3 s / 300 ms = 10 pings; the bounds leave room for a loaded machine without accepting a wrong rate.
    EXPECT_GE(pings.size(), 7u);
    EXPECT_LE(pings.size(), 12u);
    std::chrono::steady_clock::duration max_gap{};
    for (size_t i = 1; i < pings.size(); ++i) max_gap = std::max(max_gap, pings[i] - pings[i - 1]);
    EXPECT_LT(max_gap, watchdog) << "a gap this long would have let systemd's watchdog fire";
    std::printf(
        "watchdog: %zu pings in 3 s, max gap %lld ms (WATCHDOG_USEC %lld ms)\n", pings.size(),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(max_gap).count()),
        static_cast<long long>(watchdog.count()));

    const int status = child->Stop(20s);
    std::vector<NotifyMessage> after;
    while (auto m = notify.Receive(200ms)) after.push_back(*m);
    EXPECT_TRUE(Has(after, "STOPPING=1"));
    ASSERT_TRUE(WIFEXITED(status)) << DescribeWaitStatus(status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

Json WaitPipeline(int seconds) {
    return {{"properties",
             {{"activities", Json::array({{{"name", "Pause"},
                                           {"type", "Wait"},
                                           {"typeProperties", {{"waitTimeInSeconds", seconds}}}}})}}}};
}

TEST(SystemdNotify, AbstractSocketAndADrainThatFinishesTheRunningActivityBeforeExit0) {
    TempDir dir;
    NotifySocket notify("@adxflow-notify-" + std::to_string(::getpid()));
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.env = {{"NOTIFY_SOCKET", notify.address()}};  // no WATCHDOG_USEC: no pings
    options.extra_flags = {"--shutdown-grace-secs", "30"};
    auto daemon = DaemonProcess::Start(options);
    ASSERT_TRUE(daemon.ok()) << daemon.error().message;
    auto& d = **daemon;
    std::vector<NotifyMessage> seen;
    ASSERT_TRUE(notify.WaitFor("READY=1", 10000ms, seen));

    ASSERT_EQ(d.Arm("PUT", "pipelines/Pause", WaitPipeline(2))->status, 200);
    auto run = d.Arm("POST", "pipelines/Pause/createRun", Json::object());
    ASSERT_TRUE(run.ok());
    ASSERT_EQ(run->status, 200) << run->text;
    const std::string run_id = run->body["runId"];
    // SIGTERM while the Wait runs: the drain lets it finish within the grace.
    for (int i = 0; i < 100; ++i) {
        auto acts = d.ActivityRuns(run_id);
        if (acts.ok() && !acts->empty()) break;
        std::this_thread::sleep_for(20ms);
    }
    const int status = d.Stop(40s);
    ASSERT_TRUE(WIFEXITED(status)) << DescribeWaitStatus(status) << d.LogTail();
    EXPECT_EQ(WEXITSTATUS(status), 0);
    while (auto m = notify.Receive(200ms)) seen.push_back(*m);
    EXPECT_TRUE(Has(seen, "STOPPING=1"));
    EXPECT_TRUE(Has(seen, "STATUS=stopping"));
    EXPECT_FALSE(Has(seen, "WATCHDOG=1"));

    // Nothing left InProgress: after a restart the run is already Succeeded.
    ASSERT_TRUE(d.Restart().ok());
    auto after = d.Arm("GET", "pipelineruns/" + run_id);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->body.value("status", ""), "Succeeded") << after->text;
}

TEST(SystemdUnit, SystemdAnalyzeVerifyAcceptsTheUnit) {
    auto analyze = FindOnPath("systemd-analyze");
    if (!analyze) GTEST_SKIP() << "systemd-analyze is not installed; the unit was not verified";
    TempDir dir;
    // verify checks that ExecStart exists; point it at the binary built here.
    std::string unit = ReadFile(SourceDir() / "deploy/systemd/adxflowd.service");
    const std::string installed = "/usr/local/bin/adxflowd";
    for (size_t pos; (pos = unit.find(installed)) != std::string::npos;)
        unit.replace(pos, installed.size(), DaemonProcess::Executable().string());
    WriteFile(dir.path() / "adxflowd.service", unit);
    std::string error;
    auto child =
        ChildProcess::Spawn({analyze->string(), "verify", (dir.path() / "adxflowd.service").string()}, {},
                            dir.path() / "verify.log", error);
    ASSERT_TRUE(child) << error;
    auto status = child->WaitFor(60s);
    ASSERT_TRUE(status) << "systemd-analyze verify did not finish in 60 s";
    const std::string log = ReadFile(dir.path() / "verify.log");
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeWaitStatus(*status) << "\n"
                                                                 << log;
    EXPECT_EQ(log.find("adxflowd.service:"), std::string::npos) << log;  // no warning about our unit
}

}  // namespace
}  // namespace adxflow::testing
