#include "daemon/app/sd_notify.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace adxflow::app {

namespace {

std::optional<long long> EnvNumber(const char* name) {
    const char* text = std::getenv(name);
    if (!text || !*text) return std::nullopt;
    long long value = 0;
    auto [end, ec] = std::from_chars(text, text + std::strlen(text), value);
    if (ec != std::errc() || *end != '\0' || value <= 0) return std::nullopt;
    return value;
}

}  // namespace

SystemdNotifier::SystemdNotifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog)
    : socket_path_(std::move(socket_path)), watchdog_(watchdog) {}

SystemdNotifier SystemdNotifier::FromEnvironment() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    std::optional<std::chrono::microseconds> watchdog;
    if (auto usec = EnvNumber("WATCHDOG_USEC")) {
        // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited the environment
        // must not pet it.
        auto pid = EnvNumber("WATCHDOG_PID");
        if (!pid || *pid == static_cast<long long>(::getpid())) watchdog = std::chrono::microseconds(*usec);
    }
    return SystemdNotifier(socket ? socket : "", watchdog);
}

std::optional<std::chrono::milliseconds> SystemdNotifier::WatchdogInterval() const {
    if (!enabled() || !watchdog_) return std::nullopt;
    auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_ / 2);
    return std::max(half, std::chrono::milliseconds(1));
}

bool SystemdNotifier::Send(std::string_view message) const {
    if (!enabled()) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path_.size() >= sizeof(addr.sun_path) || (socket_path_[0] != '/' && socket_path_[0] != '@')) {
        spdlog::debug("systemd: NOTIFY_SOCKET is not a usable unix socket path");
        return false;
    }
    std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
    if (socket_path_[0] == '@') {
        addr.sun_path[0] = '\0';  // abstract namespace: a leading NUL, and the length excludes a terminator
    } else {
        len += 1;
    }
    // A socket per message keeps this free of shared state between the threads that notify (the scheduler
    // pets the watchdog, the main thread reports status); a few datagrams per second cost nothing.
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    ssize_t sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                            reinterpret_cast<const sockaddr*>(&addr), len);
    int err = errno;
    ::close(fd);
    if (sent != static_cast<ssize_t>(message.size())) {
        spdlog::debug("systemd: notify failed: {}", std::strerror(err));
        return false;
    }
    return true;
}

bool SystemdNotifier::Status(std::string_view text) const {
    std::string line = "STATUS=";
    for (char c : text) line += c == '\n' ? ' ' : c;
    return Send(line);
}

}  // namespace adxflow::app
