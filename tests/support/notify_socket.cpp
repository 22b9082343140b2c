#include "tests/support/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace adxflow::testing {

NotifySocket::NotifySocket(std::string address) : address_(std::move(address)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (address_.empty() || address_.size() >= sizeof(addr.sun_path))
        throw std::runtime_error("notify socket address too long: " + address_);
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    if (address_[0] == '@')
        addr.sun_path[0] = '\0';
    else
        len += 1;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
        throw std::runtime_error("cannot bind notify socket " + address_ + ": " + std::strerror(errno));
}

NotifySocket::~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    if (!address_.empty() && address_[0] == '/') ::unlink(address_.c_str());
}

std::optional<NotifyMessage> NotifySocket::Receive(std::chrono::milliseconds timeout) {
    pollfd p{};
    p.fd = fd_;
    p.events = POLLIN;
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    NotifyMessage m;
    m.at = std::chrono::steady_clock::now();
    m.text.assign(buffer, static_cast<size_t>(n));
    return m;
}

std::optional<NotifyMessage> NotifySocket::WaitFor(const std::string& text, std::chrono::milliseconds timeout,
                                                   std::vector<NotifyMessage>& seen) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto m = Receive(left);
        if (!m) return std::nullopt;
        if (m->text == text) return m;
        seen.push_back(std::move(*m));
    }
}

}  // namespace adxflow::testing
