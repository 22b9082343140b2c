#include "tests/bench/load_client.hpp"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <thread>

namespace adxflow::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// State shared by every connection of one RunLoad call.
struct Shared {
    Shared(const LoadOptions& o, const RequestFactory& m, const ResponseSink& s)
        : options(o), make_request(m), sink(s) {}
    const LoadOptions& options;
    const RequestFactory& make_request;
    const ResponseSink& sink;
    tcp::endpoint endpoint;
    SteadyClock::time_point deadline;
    std::atomic<uint64_t> next_sequence{0};
    std::mutex failure_mu;
    std::string first_failure;

    void NoteFailure(std::string what) {
        std::lock_guard g(failure_mu);
        if (first_failure.empty()) first_failure = std::move(what);
    }
};

class Connection {
  public:
    Connection(net::io_context& ioc, Shared& shared, size_t index)
        : shared_(shared), index_(index), stream_(ioc) {}

    bool Connect() {
        beast::error_code ec;
        stream_.socket().connect(shared_.endpoint, ec);
        if (!ec) stream_.socket().set_option(tcp::no_delay(true), ec);
        if (ec) shared_.NoteFailure("connect: " + ec.message());
        return !ec;
    }

    void Next() {
        if (SteadyClock::now() >= shared_.deadline) return;
        sequence_ = shared_.next_sequence.fetch_add(1, std::memory_order_relaxed);
        if (shared_.options.total_requests && sequence_ >= *shared_.options.total_requests) return;
        LoadRequest r = shared_.make_request(sequence_);
        request_ = {};
        request_.version(11);
        request_.method_string(r.method);
        request_.target(r.target);
        request_.set(http::field::host, "127.0.0.1");
        request_.keep_alive(true);
        if (!r.body.empty()) request_.set(http::field::content_type, "application/json");
        request_.body() = std::move(r.body);
        request_.prepare_payload();
        response_ = {};
        sent_wall_ = std::chrono::system_clock::now();
        sent_ = SteadyClock::now();
        http::async_write(stream_, request_, [this](beast::error_code ec, size_t) {
            if (ec) return Fail("write: " + ec.message());
            http::async_read(stream_, buffer_, response_, [this](beast::error_code ec, size_t) {
                if (ec) return Fail("read: " + ec.message());
                Record(response_.result_int());
                if (!response_.keep_alive()) {
                    beast::error_code ignored;
                    stream_.socket().close(ignored);
                    if (!Connect()) return;
                }
                Next();
            });
        });
    }

    uint64_t ok = 0;
    uint64_t failed = 0;
    std::vector<uint32_t> latencies_us;
    SteadyClock::time_point last_completion{};

  private:
    void Record(int status) {
        const auto now = SteadyClock::now();
        const auto latency = now - sent_;
        last_completion = now;
        latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(latency).count(), UINT32_MAX)));
        if (status >= 200 && status < 300) {
            ++ok;
        } else {
            ++failed;
            if (status != 0)
                shared_.NoteFailure(std::to_string(status) + " " + response_.body().substr(0, 200));
        }
        if (shared_.sink) {
            LoadResponse out;
            out.connection = index_;
            out.sequence = sequence_;
            out.status = status;
            out.body = &response_.body();
            out.sent_wall = sent_wall_;
            out.latency = latency;
            shared_.sink(out);
        }
    }

    void Fail(std::string what) {
        shared_.NoteFailure(std::move(what));
        beast::error_code ec;
        stream_.socket().close(ec);
        buffer_.clear();
        Record(0);
        if (Connect()) Next();  // a connection that cannot reconnect drops out of the run
    }

    Shared& shared_;
    size_t index_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    uint64_t sequence_ = 0;
    std::chrono::system_clock::time_point sent_wall_;
    SteadyClock::time_point sent_;
};

}  // namespace

LoadResult RunLoad(const LoadOptions& options, const RequestFactory& make_request, const ResponseSink& sink) {
    net::io_context ioc(static_cast<int>(std::max<size_t>(1, options.threads)));
    Shared shared(options, make_request, sink);
    shared.endpoint =
        tcp::endpoint(net::ip::make_address(options.host), static_cast<unsigned short>(options.port));

    std::vector<std::unique_ptr<Connection>> connections;
    LoadResult result;
    for (size_t i = 0; i < options.connections; ++i) {
        auto c = std::make_unique<Connection>(ioc, shared, i);
        if (c->Connect()) connections.push_back(std::move(c));
    }
    const auto start = SteadyClock::now();
    shared.deadline = start + options.duration;
    for (auto& c : connections) net::post(ioc, [conn = c.get()] { conn->Next(); });
    std::atomic<double> cpu{0};
    auto run = [&ioc, &cpu] {
        const double before = ThreadCpuSeconds();
        ioc.run();
        double used = ThreadCpuSeconds() - before;
        for (double seen = cpu.load(); !cpu.compare_exchange_weak(seen, seen + used);) {
        }
    };
    std::vector<std::thread> extra;
    for (size_t i = 1; i < options.threads; ++i) extra.emplace_back(run);
    run();
    for (auto& t : extra) t.join();
    result.client_cpu_seconds = cpu.load();

    SteadyClock::time_point end = start;
    for (auto& c : connections) {
        result.ok += c->ok;
        result.failed += c->failed;
        end = std::max(end, c->last_completion);
        result.latencies_us.insert(result.latencies_us.end(), c->latencies_us.begin(), c->latencies_us.end());
    }
    if (connections.size() < options.connections) result.failed += options.connections - connections.size();
    result.seconds = std::chrono::duration<double>(end - start).count();
    result.first_failure = shared.first_failure;
    return result;
}

}  // namespace adxflow::bench
