#include "daemon/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <mutex>

namespace adxflow::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

std::string ErrorBody(const char* code, const std::string& message) {
    return std::string(R"({"error":{"code":")") + code + R"(","message":")" + message +
           R"(","target":null}})";
}

// One connection. `Stream` is a plain beast::tcp_stream or an ssl_stream over one; everything but the TLS
// handshake and shutdown is the same code.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
    using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

  public:
    Session(tcp::socket&& socket, const ServerOptions& options, const Handler& handler) requires(!kTls)
        : stream_(std::move(socket)), options_(options), handler_(handler) {}
    // The session keeps its context alive: a SIGHUP reload swaps the server's context while connections
    // made under the old certificate are still open.
    Session(tcp::socket&& socket, std::shared_ptr<ssl::context> tls, const ServerOptions& options,
            const Handler& handler) requires(kTls)
        : tls_(std::move(tls)), stream_(std::move(socket), *tls_), options_(options), handler_(handler) {}

    void Run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            if constexpr (kTls) {
                // The handshake gets the same deadline as a request: a client that connects and says nothing
                // is dropped.
                self->Lowest().expires_after(std::chrono::seconds(self->options_.request_timeout_secs));
                self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
                    if (ec) return self->Lowest().close();
                    self->Read();
                });
            } else {
                self->Read();
            }
        });
    }

  private:
    beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

    void Read() {
        parser_.emplace();
        parser_->body_limit(options_.body_limit_bytes);
        parser_->header_limit(64 * 1024);
        Lowest().expires_after(std::chrono::seconds(options_.request_timeout_secs));
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::OnRead, shared_from_this()));
    }

    void OnRead(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
            ec == beast::error::timeout || ec == net::error::connection_reset || ec == net::error::eof)
            return Close();
        if (ec) {
            // Malformed HTTP or an oversized body: answer once, then close (the stream is out of sync).
            int status = ec == http::error::body_limit ? 413 : 400;
            const char* code = status == 413 ? "RequestEntityTooLarge" : "BadRequest";
            std::string msg =
                status == 413 ? "request body exceeds " + std::to_string(options_.body_limit_bytes) + " bytes"
                              : "malformed HTTP request: " + ec.message();
            return WriteRaw(status, ErrorBody(code, msg), false);
        }
        auto& msg = parser_->get();
        Request req;
        req.method = std::string(msg.method_string());
        if (!ParseTarget(std::string_view(msg.target().data(), msg.target().size()), req.path, req.query))
            return WriteRaw(400, ErrorBody("BadRequest", "malformed request target"), false);
        for (const auto& field : msg) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers[name] = std::string(field.value());
        }
        req.body = std::move(msg.body());
        const bool keep_alive = msg.keep_alive();
        const unsigned version = msg.version();
        Response res;
        try {
            res = handler_(req);
        } catch (const std::exception& e) {
            spdlog::error("api: unhandled exception for {} {}: {}", req.method, req.path, e.what());
            res.status = 500;
            res.body = ErrorBody("InternalServerError", "internal error");
        }
        if (res.stream) {
            auto head = std::make_shared<http::response<http::empty_body>>();
            head->version(version);
            head->result(static_cast<http::status>(res.status));
            head->set(http::field::server, "adxflowd");
            head->set(http::field::content_type, res.content_type);
            for (const auto& [k, v] : res.headers) head->set(k, v);
            head->keep_alive(keep_alive);
            head->chunked(true);
            return WriteStream(std::move(head), std::move(res.stream));
        }
        auto out = std::make_shared<http::response<http::string_body>>();
        out->version(version);
        out->result(static_cast<http::status>(res.status));
        out->set(http::field::server, "adxflowd");
        out->set(http::field::content_type, res.content_type);
        for (const auto& [k, v] : res.headers) out->set(k, v);
        if (auto rid = req.Header("x-ms-client-request-id")) out->set("x-ms-client-request-id", *rid);
        out->keep_alive(keep_alive);
        if (res.status == 304 || res.status == 204)
            out->body().clear();
        else
            out->body() = std::move(res.body);
        out->prepare_payload();
        Write(out);
    }

    void WriteRaw(int status, std::string body, bool keep_alive) {
        auto out = std::make_shared<http::response<http::string_body>>();
        out->version(11);
        out->result(static_cast<http::status>(status));
        out->set(http::field::server, "adxflowd");
        out->set(http::field::content_type, "application/json; charset=utf-8");
        out->keep_alive(keep_alive);
        out->body() = std::move(body);
        out->prepare_payload();
        Write(out);
    }

    void Write(std::shared_ptr<http::response<http::string_body>> out) {
        Lowest().expires_after(std::chrono::seconds(options_.request_timeout_secs));
        http::async_write(stream_, *out, [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
            if (ec || !out->keep_alive()) return self->Close();
            self->Read();
        });
    }

    // Streamed bodies: the header, then one chunk per piece the producer hands out, then the last chunk.
    // Each write gets its own deadline, so a client that stops reading is dropped like a stalled upload.
    struct StreamState {
        std::shared_ptr<http::response<http::empty_body>> head;
        http::response_serializer<http::empty_body> serializer;
        BodyStream next;
        std::string piece;
        bool keep_alive;
        StreamState(std::shared_ptr<http::response<http::empty_body>> h, BodyStream n)
            : head(std::move(h)), serializer(*head), next(std::move(n)), keep_alive(head->keep_alive()) {}
    };

    void WriteStream(std::shared_ptr<http::response<http::empty_body>> head, BodyStream next) {
        auto state = std::make_shared<StreamState>(std::move(head), std::move(next));
        Lowest().expires_after(std::chrono::seconds(options_.request_timeout_secs));
        http::async_write_header(stream_, state->serializer,
                                 [self = shared_from_this(), state](beast::error_code ec, std::size_t) {
                                     if (ec) return self->Close();
                                     self->NextPiece(state);
                                 });
    }

    void NextPiece(std::shared_ptr<StreamState> state) {
        bool more = true;
        state->piece.clear();
        while (state->piece.empty() && more) {
            try {
                more = state->next(state->piece);
            } catch (const std::exception& e) {
                // Headers are gone already: the only honest signal left is to cut the connection.
                spdlog::error("api: streamed body failed: {}", e.what());
                return Close();
            }
        }
        Lowest().expires_after(std::chrono::seconds(options_.request_timeout_secs));
        if (state->piece.empty()) {
            return net::async_write(stream_, http::make_chunk_last(),
                                    [self = shared_from_this(), state](beast::error_code ec, std::size_t) {
                                        if (ec || !state->keep_alive) return self->Close();
                                        self->Read();
                                    });
        }
        net::async_write(
            stream_, http::make_chunk(net::buffer(state->piece)),
            [self = shared_from_this(), state, more](beast::error_code ec, std::size_t) {
                if (ec) return self->Close();
                if (more) return self->NextPiece(state);
                self->Lowest().expires_after(std::chrono::seconds(self->options_.request_timeout_secs));
                net::async_write(self->stream_, http::make_chunk_last(),
                                 [self, state](beast::error_code ec2, std::size_t) {
                                     if (ec2 || !state->keep_alive) return self->Close();
                                     self->Read();
                                 });
            });
    }

    void Close() {
        if constexpr (kTls) {
            Lowest().expires_after(std::chrono::seconds(2));
            stream_.async_shutdown(
                [self = shared_from_this()](beast::error_code) { self->Lowest().close(); });
        } else {
            beast::error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    std::shared_ptr<ssl::context> tls_;  // declared before stream_, which refers to it
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const ServerOptions& options_;
    const Handler& handler_;
};

}  // namespace

struct HttpServer::Impl {
    ServerOptions options;
    Handler handler;
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::vector<std::thread> threads;
    int bound_port = 0;
    std::mutex tls_mu;                  // guards tls (swapped by ReloadTls)
    std::shared_ptr<ssl::context> tls;  // set when options name a certificate

    std::shared_ptr<ssl::context> CurrentTls() {
        std::lock_guard g(tls_mu);
        return tls;
    }

    void Accept() {
        acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted) return;
            if (!ec) {
                if (auto context = CurrentTls())
                    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                        std::move(socket), std::move(context), options, handler)
                        ->Run();
                else
                    std::make_shared<Session<beast::tcp_stream>>(std::move(socket), options, handler)->Run();
            }
            if (acceptor.is_open()) Accept();
        });
    }
};

HttpServer::HttpServer(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
    Stop();
}

namespace {

// A server context from the certificate chain and key files; errors name the files, never their content.
Result<std::shared_ptr<ssl::context>> LoadTlsContext(const ServerOptions& options) {
    beast::error_code ec;
    {
        if (options.tls_cert_file.empty() || options.tls_key_file.empty())
            return MakeError(ErrorKind::kInvalidInput, "api.tls",
                             "TLS needs both a certificate and a key file");
        auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
        tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        tls->use_certificate_chain_file(options.tls_cert_file, ec);
        if (ec)
            return MakeError(ErrorKind::kInvalidInput, "api.tls",
                             "cannot load the certificate " + options.tls_cert_file + ": " + ec.message());
        tls->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
        if (ec)
            return MakeError(ErrorKind::kInvalidInput, "api.tls",
                             "cannot load the private key " + options.tls_key_file + ": " + ec.message());
        // A certificate and a key that do not belong together would fail every handshake; refuse them here.
        if (SSL_CTX_check_private_key(tls->native_handle()) != 1)
            return MakeError(ErrorKind::kInvalidInput, "api.tls",
                             "the private key " + options.tls_key_file + " does not match the certificate " +
                                 options.tls_cert_file);
        return tls;
    }
}

}  // namespace

bool HttpServer::tls() const {
    return impl_->CurrentTls() != nullptr;
}

Status HttpServer::ReloadTls() {
    if (!impl_->CurrentTls())
        return MakeError(ErrorKind::kInvalidInput, "api.tls", "the API was started without TLS");
    ADXFLOW_ASSIGN_OR_RETURN(auto context, LoadTlsContext(impl_->options));
    std::lock_guard g(impl_->tls_mu);
    impl_->tls = std::move(context);
    return Ok();
}

Status HttpServer::Start() {
    beast::error_code ec;
    if (!impl_->options.tls_cert_file.empty() || !impl_->options.tls_key_file.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(impl_->tls, LoadTlsContext(impl_->options));
    }
    auto address = net::ip::make_address(impl_->options.host, ec);
    if (ec)
        return MakeError(
            ErrorKind::kInvalidInput, "api.listen",
            "'" + impl_->options.host + "' is not an IP address (use 127.0.0.1, ::1 or 0.0.0.0)");
    tcp::endpoint endpoint(address, static_cast<unsigned short>(impl_->options.port));
    auto& acc = impl_->acceptor;
    acc.open(endpoint.protocol(), ec);
    if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(endpoint, ec);
    if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
        return MakeError(ErrorKind::kInternal, "api.listen",
                         "cannot listen on " + impl_->options.host + ":" +
                             std::to_string(impl_->options.port) + ": " + ec.message());
    impl_->bound_port = acc.local_endpoint().port();
    impl_->Accept();
    for (int i = 0; i < std::max(1, impl_->options.threads); ++i)
        impl_->threads.emplace_back([this] { impl_->ioc.run(); });
    return Ok();
}

void HttpServer::Stop() {
    if (!impl_) return;
    net::post(impl_->ioc, [this] {
        beast::error_code ec;
        impl_->acceptor.close(ec);
    });
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
        if (t.joinable()) t.join();
    impl_->threads.clear();
}

int HttpServer::port() const {
    return impl_->bound_port;
}

}  // namespace adxflow::api
