#pragma once
// Plain value types for one HTTP exchange. They carry no Beast types so that callers (Azure Storage, Kusto,
// the CLI) compile without Boost headers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cancel.hpp"
#include "core/error.hpp"

namespace adxflow::http {

// An ordered header list with case-insensitive lookup. Set() replaces every existing value of that name.
class HttpHeaders {
  public:
    void Set(std::string name, std::string value);
    void Add(std::string name, std::string value);
    void Remove(std::string_view name);
    // The first value of `name`, or nullptr.
    const std::string* Get(std::string_view name) const;
    bool Has(std::string_view name) const { return Get(name) != nullptr; }
    const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
    auto begin() const { return entries_.begin(); }
    auto end() const { return entries_.end(); }

  private:
    std::vector<std::pair<std::string, std::string>> entries_;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute http(s) URL, query already encoded
    HttpHeaders headers;
    std::string body;
};

struct HttpResponse {
    int status = 0;
    std::string reason;
    HttpHeaders headers;  // Content-Encoding/Content-Length are removed when the body was decoded
    std::string body;     // decoded; empty when a streaming callback consumed a 2xx body
    bool is_success() const { return status >= 200 && status < 300; }
};

// Per-request knobs. The defaults suit small JSON/XML calls.
struct RequestOptions {
    // One budget for the whole exchange: resolve, connect, TLS handshake, write and read all share it.
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    // Cap on the decoded response body (0 = no cap). Exceeding it fails with kTooLarge.
    uint64_t max_body_bytes = 64ull << 20;
    // Compress the request body with gzip and send "Content-Encoding: gzip".
    bool gzip_request_body = false;
    // Ask for gzip ("Accept-Encoding: gzip, deflate") and decode gzip/deflate bodies transparently.
    bool decode_response = true;
    // Checked while waiting on the network; cancelling closes the socket and returns the token's reason.
    const CancellationToken* cancel = nullptr;
};

// Receives 2xx body bytes in arrival order (already decoded). An error aborts the exchange and is returned
// from Send(); the connection is then discarded.
using BodyChunkHandler = std::function<Status(std::string_view chunk)>;

struct HttpClientOptions {
    // Extra trust anchors (PEM) on top of the system roots, e.g. a private CA or a test certificate.
    std::string ca_file;
    // Plain http:// is refused for anything but loopback hosts unless this is set.
    bool allow_plain_http_to_any_host = false;
    // Idle keep-alive connections kept per (scheme, host, port).
    size_t max_idle_per_host = 8;
    // Idle connections older than this are closed instead of reused (servers drop idle sockets on their own
    // schedule; Azure Storage after a few minutes, Azurite after 5 seconds).
    std::chrono::milliseconds max_idle_age{std::chrono::seconds(30)};
    std::string user_agent = "adxflow/0.1";
};

}  // namespace adxflow::http
