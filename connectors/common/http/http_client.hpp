#pragma once
// A synchronous HTTP/1.1 client for worker threads: Send() blocks until the response is read, the deadline
// passes or the cancellation token fires. Built on Beast with one io_context per pooled connection, driven by
// the calling thread, so concurrent callers never share an event loop or a lock on the network path.
//
// What it does for every request: TLS with peer and host name verification (system roots plus an optional
// CA file, SNI), plain http:// only to loopback hosts unless allowed, keep-alive reuse per
// (scheme, host, port), one deadline covering resolve/connect/handshake/write/read, a cap on the decoded
// body, gzip/deflate response decoding, optional gzip request bodies, and an x-ms-client-request-id header
// (UUID v4) when the caller did not set one.
//
// What it does not do: retries (the engine's retry policy decides from the Error kind), redirects, proxies.
// Error kinds: network failures and resets -> kTransient, deadline -> kTimeout, cancellation -> the token's
// reason, TLS verification failure -> kUnauthorized (code "TlsVerificationFailed"), body cap -> kTooLarge,
// bad URL or refused plain http -> kInvalidInput. Any HTTP status (including 4xx/5xx) is returned as a
// response for the caller to interpret.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/common/http/message.hpp"
#include "connectors/common/http/url.hpp"

namespace adxflow::http {

namespace detail {
class Connection;
class TlsContext;
}  // namespace detail

class HttpClient {
  public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // kInvalidInput when the CA file could not be loaded; every Send() then fails with the same error.
    const Status& init_status() const { return init_status_; }

    // Buffers the whole (decoded) body in the response.
    Result<HttpResponse> Send(const HttpRequest& request, const RequestOptions& options = {});
    // Streams a 2xx body to `on_body_chunk` as it arrives (response.body stays empty); a non-2xx body is
    // buffered into response.body instead so that callers can read the service's error document.
    Result<HttpResponse> Send(const HttpRequest& request, const RequestOptions& options,
                              const BodyChunkHandler& on_body_chunk);

    // Number of idle pooled connections (all hosts); for tests and metrics.
    size_t idle_connections() const;
    // Connections opened since construction (reuse shows up as this not growing); for tests and metrics.
    uint64_t connections_opened() const;

  private:
    Result<HttpResponse> SendImpl(const HttpRequest& request, const RequestOptions& options,
                                  const BodyChunkHandler* on_body_chunk);
    std::unique_ptr<detail::Connection> TakeIdle(const std::string& key);
    void ReturnIdle(const std::string& key, std::unique_ptr<detail::Connection> connection);
    // Closes every idle connection to `key`: called when one of them turned out to be closed by the server.
    void DropIdle(const std::string& key);

    HttpClientOptions options_;
    Status init_status_;
    std::unique_ptr<detail::TlsContext> tls_;
    mutable std::mutex mu_;
    std::map<std::string, std::vector<std::unique_ptr<detail::Connection>>> idle_;
    uint64_t opened_ = 0;
};

}  // namespace adxflow::http
