#pragma once
// The benchmark's load generator: N keep-alive HTTP/1.1 connections driven asynchronously by one or two
// Asio threads, each connection sending its next request as soon as the previous response arrived (closed
// loop). One thread can keep 50 connections busy with a few microseconds of work per request, so the
// generator takes a small, fixed share of the two cores and the figures measure the server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace adxflow::bench {

struct LoadRequest {
    std::string method = "GET";
    std::string target;  // path and query
    std::string body;    // sent as application/json when not empty
};

// What the generator observed for one request, handed to the optional sink on the I/O thread.
struct LoadResponse {
    size_t connection = 0;
    uint64_t sequence = 0;  // 0..total-1 across all connections, in the order requests were issued
    int status = 0;         // 0 when the connection failed
    const std::string* body = nullptr;
    std::chrono::system_clock::time_point sent_wall;  // wall clock, comparable with the daemon's timestamps
    std::chrono::nanoseconds latency{0};
};

struct LoadOptions {
    std::string host = "127.0.0.1";
    int port = 0;
    size_t connections = 50;
    size_t threads = 1;
    // Stop issuing requests after this long (closed loop: in-flight ones still complete)...
    std::chrono::milliseconds duration{2000};
    // ...or after this many requests in total, whichever comes first.
    std::optional<uint64_t> total_requests;
};

struct LoadResult {
    uint64_t ok = 0;                     // 2xx responses
    uint64_t failed = 0;                 // other statuses and transport errors
    double seconds = 0;                  // from the first request to the last response
    std::vector<uint32_t> latencies_us;  // every completed request, unsorted
    std::string first_failure;           // for the report: status and start of the body, or the error
    // CPU time the generator's own threads used: close to `seconds` x threads means the generator, not
    // the server, was the limit.
    double client_cpu_seconds = 0;

    double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

using RequestFactory = std::function<LoadRequest(uint64_t sequence)>;
using ResponseSink = std::function<void(const LoadResponse&)>;

// Runs the load to completion. `make_request` and `sink` are called on the generator's I/O threads; with
// more than one thread they must be thread-safe.
LoadResult RunLoad(const LoadOptions& options, const RequestFactory& make_request,
                   const ResponseSink& sink = {});

}  // namespace adxflow::bench
