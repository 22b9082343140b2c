#pragma once
// Internal to the HTTP client: one TCP (or TLS) connection with its own io_context. The calling thread drives
// the io_context in short slices so that a deadline or a cancellation can close the socket between slices;
// the pending operation then completes with an error and the call returns promptly.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "connectors/common/http/message.hpp"
#include "connectors/common/http/url.hpp"

namespace adxflow::http::detail {

class TlsContext {
  public:
    TlsContext();
    Status LoadCaFile(const std::string& path);
    boost::asio::ssl::context& get() { return ctx_; }

  private:
    boost::asio::ssl::context ctx_;
};

// The budget of one Send(): every network step checks it.
struct Deadline {
    std::chrono::steady_clock::time_point at;
    std::chrono::milliseconds budget;
    const CancellationToken* cancel = nullptr;
    std::string what;  // "GET https://host/path" (no query: it may hold a SAS signature)
};

// How the body of a response is consumed.
struct BodySink {
    const BodyChunkHandler* on_chunk = nullptr;  // 2xx bodies go here when set
    uint64_t max_body_bytes = 0;
    bool decode = true;
};

class Connection {
  public:
    Connection(std::string pool_key, TlsContext* tls);  // tls == nullptr: plain TCP
    ~Connection();

    const std::string& pool_key() const { return pool_key_; }
    bool is_open() const;
    std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
    void MarkIdle() { idle_since_ = std::chrono::steady_clock::now(); }

    // Resolve, connect and (for TLS) handshake with verification of `url.host`.
    Status Open(const Url& url, const Deadline& deadline);

    struct Outcome {
        bool reusable = false;      // the response was read completely and the server allows keep-alive
        bool nothing_read = false;  // failed before any response byte: a stale pooled socket looks like this
    };
    // Writes `request` and reads the response into `response` / the sink.
    Result<HttpResponse> RoundTrip(
        const boost::beast::http::request<boost::beast::http::string_body>& request, const BodySink& sink,
        const Deadline& deadline, Outcome& outcome);

  private:
    enum class Interrupt { kNone, kTimeout, kCancel };
    // Runs the io_context until `done` is set; on deadline or cancellation closes the socket first.
    Interrupt Wait(const bool& done, const Deadline& deadline);
    void Close();
    Error StepError(const char* step, Interrupt why, const boost::system::error_code& ec, const Deadline& d);
    template <class Stream>
    Result<HttpResponse> RoundTripOn(
        Stream& stream, const boost::beast::http::request<boost::beast::http::string_body>& request,
        const BodySink& sink, const Deadline& deadline, Outcome& outcome);

    std::string pool_key_;
    TlsContext* tls_context_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::resolver resolver_;
    std::unique_ptr<boost::asio::ip::tcp::socket> plain_;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
    boost::beast::flat_buffer buffer_;
    std::chrono::steady_clock::time_point idle_since_;
    std::string host_;
};

}  // namespace adxflow::http::detail
