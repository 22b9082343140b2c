// The notify protocol from the daemon's side: datagrams reach a path socket and an abstract one, STATUS
// lines stay one line, and the watchdog interval is half of WATCHDOG_USEC only for the process it names.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "daemon/app/sd_notify.hpp"
#include "tests/support/notify_socket.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::app {
namespace {

using namespace std::chrono_literals;

TEST(SystemdNotifier, SendsToAPathSocket) {
    testing::TempDir dir;
    testing::NotifySocket socket((dir.path() / "notify").string());
    SystemdNotifier n(socket.address(), std::nullopt);
    ASSERT_TRUE(n.enabled());
    EXPECT_TRUE(n.Ready());
    EXPECT_TRUE(n.Status("two\nlines"));
    EXPECT_EQ(socket.Receive(2s)->text, "READY=1");
    EXPECT_EQ(socket.Receive(2s)->text, "STATUS=two lines");
    EXPECT_FALSE(n.WatchdogInterval());
}

TEST(SystemdNotifier, SendsToAnAbstractSocket) {
    testing::NotifySocket socket("@adxflow-test-" + std::to_string(::getpid()));
    SystemdNotifier n(socket.address(), std::chrono::microseconds(3'000'000));
    EXPECT_TRUE(n.Watchdog());
    EXPECT_EQ(socket.Receive(2s)->text, "WATCHDOG=1");
    EXPECT_EQ(n.WatchdogInterval(), std::chrono::milliseconds(1500));
}

TEST(SystemdNotifier, WithoutASocketEverythingIsANoOp) {
    SystemdNotifier n;
    EXPECT_FALSE(n.enabled());
    EXPECT_FALSE(n.Ready());
    EXPECT_FALSE(n.WatchdogInterval());
}

TEST(SystemdNotifier, WatchdogOnlyForTheProcessItNames) {
    ::setenv("NOTIFY_SOCKET", "@adxflow-nobody", 1);
    ::setenv("WATCHDOG_USEC", "2000000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_EQ(SystemdNotifier::FromEnvironment().WatchdogInterval(), std::chrono::milliseconds(1000));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogInterval());
    ::unsetenv("WATCHDOG_PID");
    ::setenv("WATCHDOG_USEC", "nonsense", 1);
    EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogInterval());
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace adxflow::app
