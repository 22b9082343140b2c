#include "tests/bench/reference_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

namespace adxflow::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket&& socket, const std::string& body) : stream_(std::move(socket)), body_(body) {}

    void Read() {
        request_ = {};
        http::async_read(stream_, buffer_, request_,
                         [self = shared_from_this()](beast::error_code ec, size_t) {
                             if (ec) return self->Close();
                             self->Write();
                         });
    }

  private:
    void Write() {
        response_ = {};
        response_.version(request_.version());
        response_.result(http::status::ok);
        response_.set(http::field::server, "reference");
        response_.set(http::field::content_type, "application/json; charset=utf-8");
        response_.keep_alive(request_.keep_alive());
        response_.body() = body_;
        response_.prepare_payload();
        http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec || !self->response_.keep_alive()) return self->Close();
            self->Read();
        });
    }

    void Close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    const std::string& body_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

}  // namespace

struct ReferenceServer::Impl {
    std::string body;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
    std::vector<std::thread> threads;

    void Accept() {
        acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec) return;
            std::make_shared<Session>(std::move(socket), body)->Read();
            Accept();
        });
    }
};

ReferenceServer::ReferenceServer(std::string body, int threads) : impl_(std::make_unique<Impl>()) {
    impl_->body = std::move(body);
    impl_->Accept();
    for (int i = 0; i < std::max(1, threads); ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

ReferenceServer::~ReferenceServer() {
    impl_->ioc.stop();
    for (auto& t : impl_->threads) t.join();
}

int ReferenceServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

}  // namespace adxflow::bench
