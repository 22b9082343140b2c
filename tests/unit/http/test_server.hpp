#pragma once
// A small blocking HTTP/1.1 server on 127.0.0.1 for the client tests: one thread accepts, one thread per
// connection reads requests and answers them through a handler. It counts connections so that tests can
// see keep-alive reuse, and records every request it received.

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace adxflow::testing {

namespace bhttp = boost::beast::http;

class TestHttpServer {
  public:
    using Request = bhttp::request<bhttp::string_body>;
    using Response = bhttp::response<bhttp::string_body>;
    // Fills `response`; return false to close the connection without answering.
    using Handler = std::function<bool(const Request& request, Response& response)>;

    explicit TestHttpServer(Handler handler)
        : handler_(std::move(handler)),
          acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          port_(acceptor_.local_endpoint().port()) {
        accept_thread_ = std::thread([this] { AcceptLoop(); });
    }

    ~TestHttpServer() {
        Stop();
        // Wake the blocking accept() with a connection of our own.
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket waker(ioc_);
        waker.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
        accept_thread_.join();
        {
            std::lock_guard lock(mu_);
            for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes blocked reads
        }
        for (auto& t : connection_threads_) t.join();
    }

    int port() const { return port_; }
    std::string url(const std::string& path = "/") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    // Hang up after each response while still announcing keep-alive: what a server does when it drops an
    // idle connection just as the client decides to reuse it.
    void set_drop_after_response(bool drop) { drop_after_response_ = drop; }
    int connections_accepted() const { return accepted_.load(); }
    std::vector<Request> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }
    // For handlers that simulate a stalled server: blocks until the server is destroyed.
    void WaitForStop() {
        std::unique_lock lock(mu_);
        stop_cv_.wait(lock, [this] { return stopping_; });
    }

  private:
    void Stop() {
        std::lock_guard lock(mu_);
        stopping_ = true;
        stop_cv_.notify_all();
    }

    void AcceptLoop() {
        for (;;) {
            boost::asio::ip::tcp::socket socket(ioc_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            std::lock_guard lock(mu_);
            if (stopping_ || ec) return;
            ++accepted_;
            open_fds_.push_back(socket.native_handle());
            connection_threads_.emplace_back(
                [this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
        }
    }

    void Serve(boost::asio::ip::tcp::socket socket) {
        boost::beast::flat_buffer buffer;
        for (;;) {
            Request request;
            boost::system::error_code ec;
            bhttp::read(socket, buffer, request, ec);
            if (ec) break;
            {
                std::lock_guard lock(mu_);
                requests_.push_back(request);
            }
            Response response{bhttp::status::ok, 11};
            response.keep_alive(request.keep_alive());
            if (!handler_(request, response)) break;
            if (!response.has_content_length() && !response.chunked()) response.prepare_payload();
            bhttp::write(socket, response, ec);
            if (ec || !response.keep_alive() || drop_after_response_) break;
        }
        boost::system::error_code ignored;
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        std::lock_guard lock(mu_);
        std::erase(open_fds_, socket.native_handle());
    }

    Handler handler_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_;
    std::thread accept_thread_;
    std::vector<std::thread> connection_threads_;
    mutable std::mutex mu_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::vector<int> open_fds_;
    std::vector<Request> requests_;
    std::atomic<int> accepted_{0};
    std::atomic<bool> drop_after_response_{false};
};

}  // namespace adxflow::testing
