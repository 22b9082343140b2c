#pragma once
// The service manager's side of the systemd notify protocol, for tests: a unix datagram socket bound at a
// path (or, for a name starting with '@', in the abstract namespace) whose datagrams are read with a
// bounded wait, each stamped with the time it arrived.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace adxflow::testing {

struct NotifyMessage {
    std::chrono::steady_clock::time_point at;
    std::string text;  // e.g. "READY=1" or "STATUS=ready: ..."
};

class NotifySocket {
  public:
    // Throws std::runtime_error when the socket cannot be bound.
    explicit NotifySocket(std::string address);
    ~NotifySocket();
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // The value for $NOTIFY_SOCKET.
    const std::string& address() const { return address_; }
    // The next datagram, or nullopt after `timeout`.
    std::optional<NotifyMessage> Receive(std::chrono::milliseconds timeout);
    // Reads until a datagram equal to `text` arrives (returned, with everything before it appended to
    // `seen`), or nullopt at `timeout`.
    std::optional<NotifyMessage> WaitFor(const std::string& text, std::chrono::milliseconds timeout,
                                         std::vector<NotifyMessage>& seen);

  private:
    std::string address_;
    int fd_ = -1;
};

}  // namespace adxflow::testing
