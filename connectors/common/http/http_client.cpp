#include "connectors/common/http/http_client.hpp"

#include <boost/beast/http/verb.hpp>

#include "connectors/common/http/compression.hpp"
#include "connectors/common/http/connection.hpp"
#include "core/ids.hpp"

namespace adxflow::http {

namespace bhttp = boost::beast::http;

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), tls_(std::make_unique<detail::TlsContext>()) {
    if (!options_.ca_file.empty()) init_status_ = tls_->LoadCaFile(options_.ca_file);
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, const RequestOptions& options) {
    return SendImpl(request, options, nullptr);
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request, const RequestOptions& options,
                                      const BodyChunkHandler& on_body_chunk) {
    return SendImpl(request, options, &on_body_chunk);
}

size_t HttpClient::idle_connections() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [key, list] : idle_) n += list.size();
    return n;
}

uint64_t HttpClient::connections_opened() const {
    std::lock_guard lock(mu_);
    return opened_;
}

std::unique_ptr<detail::Connection> HttpClient::TakeIdle(const std::string& key) {
    std::vector<std::unique_ptr<detail::Connection>> expired;  // closed outside the lock
    std::unique_ptr<detail::Connection> found;
    {
        std::lock_guard lock(mu_);
        auto it = idle_.find(key);
        if (it == idle_.end()) return nullptr;
        auto now = std::chrono::steady_clock::now();
        auto& list = it->second;
        while (!list.empty() && !found) {
            auto candidate = std::move(list.back());
            list.pop_back();
            if (candidate->is_open() && now - candidate->idle_since() < options_.max_idle_age) {
                found = std::move(candidate);
            } else {
                expired.push_back(std::move(candidate));
            }
        }
    }
    return found;
}

void HttpClient::DropIdle(const std::string& key) {
    std::vector<std::unique_ptr<detail::Connection>> dropped;  // closed outside the lock
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it != idle_.end()) dropped.swap(it->second);
}

void HttpClient::ReturnIdle(const std::string& key, std::unique_ptr<detail::Connection> connection) {
    connection->MarkIdle();
    std::lock_guard lock(mu_);
    auto& list = idle_[key];
    if (list.size() < options_.max_idle_per_host)
        list.push_back(std::move(connection));
    else
        connection.reset();
}

Result<HttpResponse> HttpClient::SendImpl(const HttpRequest& request, const RequestOptions& options,
                                          const BodyChunkHandler* on_body_chunk) {
    if (!init_status_.ok()) return init_status_.error();
    ADXFLOW_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
    if (url.scheme == "http" && !options_.allow_plain_http_to_any_host && !IsLoopbackHost(url.host)) {
        return MakeError(
            ErrorKind::kInvalidInput, "http.send",
            "plain http:// to '" + url.host +
                "' is refused: only loopback hosts may be reached without TLS (use https, or allow "
                "plain http explicitly)",
            "InsecureHttpRefused");
    }
    if (options.cancel && options.cancel->cancelled()) return options.cancel->reason();

    detail::Deadline deadline{std::chrono::steady_clock::now() + options.timeout, options.timeout,
                              options.cancel, request.method + " " + url.Redacted()};

    bhttp::request<bhttp::string_body> message;
    bhttp::verb verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
        message.method_string(request.method);
    } else {
        message.method(verb);
    }
    message.target(url.Target());
    message.version(11);
    for (const auto& [name, value] : request.headers) message.insert(name, value);
    if (!request.headers.Has("Host")) message.set(bhttp::field::host, url.Authority());
    if (!request.headers.Has("User-Agent")) message.set(bhttp::field::user_agent, options_.user_agent);
    // Azure services log this id; sending one on every request lets a failure be traced on the server side.
    if (!request.headers.Has("x-ms-client-request-id")) message.set("x-ms-client-request-id", NewUuid());
    if (options.decode_response && !request.headers.Has("Accept-Encoding"))
        message.set(bhttp::field::accept_encoding, "gzip, deflate");
    if (options.gzip_request_body && !request.body.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(message.body(), GzipCompress(request.body));
        message.set(bhttp::field::content_encoding, "gzip");
    } else {
        message.body() = request.body;
    }
    message.prepare_payload();

    detail::BodySink sink{on_body_chunk, options.max_body_bytes, options.decode_response};
    const std::string key = url.scheme + "://" + url.Authority();
    for (int attempt = 0;; ++attempt) {
        // The retry below always opens a fresh connection: the other idle sockets of this host sat in the
        // pool at least as long as the one that just failed and are likely closed by the server too.
        std::unique_ptr<detail::Connection> connection = attempt == 0 ? TakeIdle(key) : nullptr;
        const bool reused = connection != nullptr;
        if (!connection) {
            connection =
                std::make_unique<detail::Connection>(key, url.scheme == "https" ? tls_.get() : nullptr);
            {
                std::lock_guard lock(mu_);
                ++opened_;
            }
            ADXFLOW_TRY(connection->Open(url, deadline));
        }
        detail::Connection::Outcome outcome;
        auto response = connection->RoundTrip(message, sink, deadline, outcome);
        // A pooled socket the server closed while it sat idle fails before any response byte arrives. That is
        // the keep-alive race every HTTP client handles by sending once more on a fresh connection; it is not
        // a retry in the policy sense (a server that closes without answering a fresh connection still
        // fails).
        if (!response.ok() && reused && outcome.nothing_read && attempt == 0) {
            DropIdle(key);
            continue;
        }
        if (response.ok() && outcome.reusable) ReturnIdle(key, std::move(connection));
        return response;
    }
}

}  // namespace adxflow::http
