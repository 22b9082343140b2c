#include "connectors/common/http/connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>

#include "connectors/common/http/compression.hpp"
#include "core/json.hpp"

namespace adxflow::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// How often a blocked call looks at its cancellation token. Short enough that "cancel" feels immediate.
constexpr auto kCancelPollInterval = std::chrono::milliseconds(20);

bool IsIpLiteral(const std::string& host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

bool IsConnectionDrop(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == bhttp::error::end_of_stream || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

TlsContext::TlsContext() : ctx_(asio::ssl::context::tls_client) {
    ctx_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    error_code ec;
    ctx_.set_default_verify_paths(ec);  // a machine without a CA bundle still works with an explicit ca_file
    ctx_.set_verify_mode(asio::ssl::verify_peer);
}

Status TlsContext::LoadCaFile(const std::string& path) {
    error_code ec;
    ctx_.load_verify_file(path, ec);
    if (ec)
        return MakeError(ErrorKind::kInvalidInput, "http.tls",
                         "cannot load CA file '" + path + "': " + ec.message());
    return Ok();
}

Connection::Connection(std::string pool_key, TlsContext* tls)
    : pool_key_(std::move(pool_key)), tls_context_(tls), resolver_(ioc_) {}

Connection::~Connection() {
    Close();
}

bool Connection::is_open() const {
    if (tls_) return tls_->next_layer().is_open();
    return plain_ && plain_->is_open();
}

void Connection::Close() {
    error_code ec;
    resolver_.cancel();
    tcp::socket* socket = tls_ ? &tls_->next_layer() : plain_.get();
    if (socket && socket->is_open()) {
        socket->shutdown(tcp::socket::shutdown_both, ec);
        socket->close(ec);
    }
}

Connection::Interrupt Connection::Wait(const bool& done, const Deadline& deadline) {
    Interrupt why = Interrupt::kNone;
    ioc_.restart();
    while (!done) {
        auto now = std::chrono::steady_clock::now();
        if (why == Interrupt::kNone) {
            if (deadline.cancel && deadline.cancel->cancelled()) {
                why = Interrupt::kCancel;
            } else if (now >= deadline.at) {
                why = Interrupt::kTimeout;
            }
            // Closing the socket makes the pending operation complete with operation_aborted.
            if (why != Interrupt::kNone) Close();
        }
        auto slice = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kCancelPollInterval);
        if (why == Interrupt::kNone && !deadline.cancel) slice = deadline.at - now;
        slice = std::clamp(slice, std::chrono::steady_clock::duration(std::chrono::milliseconds(1)),
                           std::chrono::steady_clock::duration(kCancelPollInterval * 50));
        ioc_.run_one_for(slice);
        if (ioc_.stopped()) {
            if (done) break;
            ioc_.restart();
        }
    }
    return why;
}

Error Connection::StepError(const char* step, Interrupt why, const error_code& ec, const Deadline& d) {
    if (why == Interrupt::kCancel) return d.cancel->reason();
    if (why == Interrupt::kTimeout) {
        return MakeError(
            ErrorKind::kTimeout, "http.send",
            d.what + ": no response within " + std::to_string(d.budget.count()) + " ms (while " + step + ")",
            "Timeout");
    }
    return MakeError(ErrorKind::kTransient, "http.send", d.what + ": " + step + " failed: " + ec.message(),
                     "NetworkError");
}

Status Connection::Open(const Url& url, const Deadline& deadline) {
    host_ = url.host;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type endpoints;
    resolver_.async_resolve(url.host, std::to_string(url.port),
                            [&](const error_code& e, tcp::resolver::results_type r) {
                                ec = e;
                                endpoints = std::move(r);
                                done = true;
                            });
    Interrupt why = Wait(done, deadline);
    if (why != Interrupt::kNone || ec) {
        if (why == Interrupt::kNone)
            return MakeError(ErrorKind::kTransient, "http.send",
                             deadline.what + ": cannot resolve host '" + url.host + "': " + ec.message(),
                             "NetworkError");
        return StepError("resolving the host", why, ec, deadline);
    }

    if (tls_context_) {
        tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(ioc_, tls_context_->get());
    } else {
        plain_ = std::make_unique<tcp::socket>(ioc_);
    }
    tcp::socket& socket = tls_ ? tls_->next_layer() : *plain_;
    done = false;
    asio::async_connect(socket, endpoints, [&](const error_code& e, const tcp::endpoint&) {
        ec = e;
        done = true;
    });
    why = Wait(done, deadline);
    if (why != Interrupt::kNone || ec) return StepError("connecting", why, ec, deadline);
    socket.set_option(tcp::no_delay(true), ec);

    if (!tls_) return Ok();
    SSL* ssl = tls_->native_handle();
    // OpenSSL checks the name (or IP) during verification, so a mismatch surfaces as a verify failure with a
    // precise reason instead of a generic handshake error.
    if (IsIpLiteral(url.host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl, url.host.c_str());  // SNI
        SSL_set1_host(ssl, url.host.c_str());
    }
    done = false;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
        ec = e;
        done = true;
    });
    why = Wait(done, deadline);
    if (why == Interrupt::kNone && ec) {
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) {
            return MakeError(ErrorKind::kUnauthorized, "http.tls",
                             deadline.what + ": TLS certificate verification failed for '" + url.host +
                                 "': " + X509_verify_cert_error_string(verify) +
                                 " (configure a CA file if the server uses a private CA)",
                             "TlsVerificationFailed");
        }
    }
    if (why != Interrupt::kNone || ec) return StepError("the TLS handshake", why, ec, deadline);
    return Ok();
}

template <class Stream>
Result<HttpResponse> Connection::RoundTripOn(Stream& stream,
                                             const bhttp::request<bhttp::string_body>& request,
                                             const BodySink& sink, const Deadline& deadline,
                                             Outcome& outcome) {
    outcome = {};
    bool done = false;
    error_code ec;
    bhttp::async_write(stream, request, [&](const error_code& e, size_t) {
        ec = e;
        done = true;
    });
    Interrupt why = Wait(done, deadline);
    if (why != Interrupt::kNone || ec) {
        outcome.nothing_read = why == Interrupt::kNone;
        return StepError("sending the request", why, ec, deadline);
    }

    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);  // the cap applies to decoded bytes, below
    parser.header_limit(64 * 1024);
    if (request.method() == bhttp::verb::head) parser.skip(true);
    done = false;
    bhttp::async_read_header(stream, buffer_, parser, [&](const error_code& e, size_t) {
        ec = e;
        done = true;
    });
    why = Wait(done, deadline);
    if (why != Interrupt::kNone || ec) {
        outcome.nothing_read = why == Interrupt::kNone && IsConnectionDrop(ec) && !parser.got_some();
        return StepError("reading the response headers", why, ec, deadline);
    }

    auto& message = parser.get();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    response.reason = std::string(message.reason());
    for (const auto& field : message)
        response.headers.Add(std::string(field.name_string()), std::string(field.value()));

    std::unique_ptr<BodyDecoder> decoder;
    if (const std::string* encoding = response.headers.Get("Content-Encoding"); encoding && sink.decode) {
        std::string lower = ToLower(*encoding);
        if (lower == "gzip" || lower == "x-gzip")
            decoder = std::make_unique<BodyDecoder>(BodyDecoder::Encoding::kGzip);
        if (lower == "deflate") decoder = std::make_unique<BodyDecoder>(BodyDecoder::Encoding::kDeflate);
        if (decoder) {
            // The caller sees the body as if it had been sent plain.
            response.headers.Remove("Content-Encoding");
            response.headers.Remove("Content-Length");
        }
    }
    const bool to_callback = sink.on_chunk != nullptr && response.is_success();
    uint64_t delivered = 0;
    std::string decoded;
    auto deliver = [&](std::string_view bytes) -> Status {
        std::string_view out = bytes;
        if (decoder) {
            decoded.clear();
            ADXFLOW_TRY(decoder->Feed(bytes, decoded));
            out = decoded;
        }
        delivered += out.size();
        if (sink.max_body_bytes != 0 && delivered > sink.max_body_bytes) {
            return MakeError(ErrorKind::kTooLarge, "http.send",
                             deadline.what + ": response body exceeds the limit of " +
                                 std::to_string(sink.max_body_bytes) + " bytes",
                             "ResponseTooLarge");
        }
        if (to_callback) return (*sink.on_chunk)(out);
        response.body.append(out);
        return Ok();
    };

    std::vector<char> chunk(64 * 1024);
    while (!parser.is_done()) {
        message.body().data = chunk.data();
        message.body().size = chunk.size();
        done = false;
        bhttp::async_read(stream, buffer_, parser, [&](const error_code& e, size_t) {
            ec = e;
            done = true;
        });
        why = Wait(done, deadline);
        if (ec == bhttp::error::need_buffer) ec = {};  // the chunk buffer is full: hand it over
        if (why != Interrupt::kNone || ec) return StepError("reading the response body", why, ec, deadline);
        size_t got = chunk.size() - message.body().size;
        if (got > 0) {
            Status delivered_ok = deliver(std::string_view(chunk.data(), got));
            if (!delivered_ok.ok()) return std::move(delivered_ok).error();
        }
    }
    if (decoder) ADXFLOW_TRY(decoder->Finish());
    outcome.reusable = parser.keep_alive();
    return response;
}

Result<HttpResponse> Connection::RoundTrip(const bhttp::request<bhttp::string_body>& request,
                                           const BodySink& sink, const Deadline& deadline, Outcome& outcome) {
    if (tls_) return RoundTripOn(*tls_, request, sink, deadline, outcome);
    return RoundTripOn(*plain_, request, sink, deadline, outcome);
}

}  // namespace adxflow::http::detail
