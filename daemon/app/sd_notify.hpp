#pragma once
// The systemd notify protocol, spoken directly over $NOTIFY_SOCKET (a unix datagram socket; a name that
// starts with '@' is in the abstract namespace) instead of linking libsystemd: READY=1, STATUS=..., the
// watchdog's WATCHDOG=1 and STOPPING=1. Without $NOTIFY_SOCKET (not under systemd) every call is a no-op.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace adxflow::app {

class SystemdNotifier {
  public:
    // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID from the environment.
    static SystemdNotifier FromEnvironment();
    SystemdNotifier() = default;
    SystemdNotifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog);

    bool enabled() const { return !socket_path_.empty(); }
    // Half of WATCHDOG_USEC (what sd_watchdog_enabled callers are told to use), when the watchdog is on for
    // this process.
    std::optional<std::chrono::milliseconds> WatchdogInterval() const;

    // One datagram; false when it could not be sent (logged at debug: the daemon runs on regardless).
    bool Send(std::string_view message) const;
    bool Ready() const { return Send("READY=1"); }
    bool Stopping() const { return Send("STOPPING=1"); }
    bool Watchdog() const { return Send("WATCHDOG=1"); }
    // STATUS=<text> (newlines replaced: one assignment per line in the protocol).
    bool Status(std::string_view text) const;

  private:
    std::string socket_path_;
    std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace adxflow::app
