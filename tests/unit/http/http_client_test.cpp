#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <regex>
#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/unit/http/test_server.hpp"

namespace adxflow::http {
namespace {

using adxflow::testing::TestHttpServer;
using namespace std::chrono_literals;

// Compression done with zlib directly, so that the client's decoder is checked against an independent
// encoder.
std::string Compress(const std::string& data, int window_bits) {
    z_stream zs{};
    deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, data.size()) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string Gunzip(const std::string& data) {
    z_stream zs{};
    inflateInit2(&zs, 15 + 16);
    std::string out(data.size() * 20 + 1024, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return rc == Z_STREAM_END ? out : "<invalid gzip>";
}

std::string Repetitive(size_t size) {
    std::string s;
    s.reserve(size);
    for (size_t i = 0; s.size() < size; ++i) s += "row " + std::to_string(i) + ",value\n";
    s.resize(size);
    return s;
}

HttpRequest Get(const std::string& url) {
    HttpRequest r;
    r.url = url;
    return r;
}

TEST(HttpClient, ReusesKeepAliveConnections) {
    TestHttpServer server([](const auto& req, auto& res) {
        res.body() = "hello " + std::string(req.target());
        return true;
    });
    HttpClient client;
    for (int i = 0; i < 3; ++i) {
        auto response = client.Send(Get(server.url("/r" + std::to_string(i))));
        ASSERT_TRUE(response.ok()) << response.error().Describe();
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "hello /r" + std::to_string(i));
    }
    EXPECT_EQ(server.connections_accepted(), 1);
    EXPECT_EQ(client.connections_opened(), 1u);
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClient, OpensANewConnectionWhenThePooledOneWasClosedByTheServer) {
    TestHttpServer server([](const auto& req, auto& res) {
        res.body() = "ok";
        return true;
    });
    HttpClient client;
    ASSERT_TRUE(client.Send(Get(server.url("/a"))).ok());
    // The next request is answered without keep-alive, so the server closes the socket after it.
    auto closing = Get(server.url("/b"));
    closing.headers.Set("Connection", "close");
    ASSERT_TRUE(client.Send(closing).ok());
    EXPECT_EQ(client.idle_connections(), 0u);
    ASSERT_TRUE(client.Send(Get(server.url("/c"))).ok());
    EXPECT_EQ(server.connections_accepted(), 2);
}

TEST(HttpClient, RecoversWhenAnIdlePooledSocketWasDropped) {
    std::atomic<int> calls{0};
    TestHttpServer server([&](const auto&, auto& res) {
        res.body() = "n" + std::to_string(++calls);
        return true;
    });
    server.set_drop_after_response(true);
    HttpClient client;
    for (int i = 1; i <= 3; ++i) {
        if (i == 3) std::this_thread::sleep_for(50ms);  // let the FIN arrive before reuse, too
        auto response = client.Send(Get(server.url("/" + std::to_string(i))));
        ASSERT_TRUE(response.ok()) << i << ": " << response.error().Describe();
        EXPECT_EQ(response->body, "n" + std::to_string(i));
    }
    EXPECT_EQ(server.connections_accepted(), 3);
    EXPECT_EQ(calls.load(), 3);  // each request reached the handler exactly once
}

TEST(HttpClient, RetriesOnAFreshConnectionWhenSeveralPooledSocketsWereDropped) {
    // Three concurrent requests leave three pooled sockets that the server closed after answering. The
    // keep-alive retry must not take the next dead socket from the pool: one request, one fresh connection.
    std::atomic<int> calls{0};
    TestHttpServer server([&](const auto&, auto& res) {
        std::this_thread::sleep_for(100ms);  // keeps the three requests in flight together
        res.body() = "n" + std::to_string(++calls);
        return true;
    });
    server.set_drop_after_response(true);
    HttpClient client;
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&] { EXPECT_TRUE(client.Send(Get(server.url("/p"))).ok()); });
    for (auto& t : threads) t.join();
    ASSERT_EQ(client.idle_connections(), 3u);
    std::this_thread::sleep_for(50ms);  // the FINs arrive
    auto response = client.Send(Get(server.url("/after")));
    ASSERT_TRUE(response.ok()) << response.error().Describe();
    EXPECT_EQ(response->body, "n4");
    EXPECT_EQ(client.connections_opened(), 4u);
    // Only the fresh connection is pooled: the two other dead sockets were dropped, not kept for later.
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClient, DecodesGzipAndDeflateBodies) {
    const std::string plain = Repetitive(300000);
    TestHttpServer server([&](const auto& req, auto& res) {
        if (req.target() == "/gzip") {
            res.set("Content-Encoding", "gzip");
            res.body() = Compress(plain, 15 + 16);
        } else if (req.target() == "/zlib") {
            res.set("Content-Encoding", "deflate");
            res.body() = Compress(plain, 15);
        } else if (req.target() == "/raw-deflate") {
            res.set("Content-Encoding", "deflate");
            res.body() = Compress(plain, -15);
        } else {
            res.set("Content-Encoding", "gzip");
            res.body() = Compress(plain, 15 + 16).substr(0, 1000);  // truncated stream
        }
        return true;
    });
    HttpClient client;
    for (const char* path : {"/gzip", "/zlib", "/raw-deflate"}) {
        auto response = client.Send(Get(server.url(path)));
        ASSERT_TRUE(response.ok()) << path << ": " << response.error().Describe();
        EXPECT_EQ(response->body.size(), plain.size()) << path;
        EXPECT_TRUE(response->body == plain) << path;
        EXPECT_FALSE(response->headers.Has("Content-Encoding")) << path;
    }
    EXPECT_EQ(server.requests().front()["Accept-Encoding"], "gzip, deflate");

    auto truncated = client.Send(Get(server.url("/truncated")));
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error().kind, ErrorKind::kTransient);

    RequestOptions raw;
    raw.decode_response = false;
    auto undecoded = client.Send(Get(server.url("/gzip")), raw);
    ASSERT_TRUE(undecoded.ok());
    EXPECT_EQ(Gunzip(undecoded->body), plain);
}

TEST(HttpClient, GzipsRequestBodiesOnRequest) {
    TestHttpServer server([](const auto& req, auto& res) {
        res.body() = std::string(req["Content-Encoding"]) + ":" + Gunzip(req.body());
        return true;
    });
    HttpClient client;
    HttpRequest request = Get(server.url("/ingest"));
    request.method = "POST";
    request.body = Repetitive(50000);
    RequestOptions options;
    options.gzip_request_body = true;
    auto response = client.Send(request, options);
    ASSERT_TRUE(response.ok()) << response.error().Describe();
    EXPECT_EQ(response->body, "gzip:" + request.body);
    EXPECT_LT(server.requests().front().body().size(), request.body.size() / 4);
}

TEST(HttpClient, DeadlineCoversAStalledServer) {
    TestHttpServer* self = nullptr;
    TestHttpServer server([&](const auto&, auto&) {
        self->WaitForStop();
        return false;
    });
    self = &server;
    HttpClient client;
    RequestOptions options;
    options.timeout = 300ms;
    auto start = std::chrono::steady_clock::now();
    auto response = client.Send(Get(server.url("/slow?sig=secret")), options);
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kTimeout);
    EXPECT_EQ(response.error().message.find("secret"), std::string::npos) << response.error().message;
    EXPECT_GE(elapsed, 290ms);
    EXPECT_LT(elapsed, 2s);
    EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClient, CancellationClosesTheSocketPromptly) {
    TestHttpServer* self = nullptr;
    TestHttpServer server([&](const auto&, auto&) {
        self->WaitForStop();
        return false;
    });
    self = &server;
    HttpClient client;
    CancellationToken token;
    RequestOptions options;
    options.timeout = 30s;
    options.cancel = &token;
    std::thread canceller([&] {
        std::this_thread::sleep_for(150ms);
        token.Cancel(MakeError(ErrorKind::kCancelled, "test", "user cancelled"));
    });
    auto start = std::chrono::steady_clock::now();
    auto response = client.Send(Get(server.url("/slow")), options);
    auto elapsed = std::chrono::steady_clock::now() - start;
    canceller.join();
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kCancelled);
    EXPECT_EQ(response.error().message, "user cancelled");
    EXPECT_LT(elapsed, 1s);
}

TEST(HttpClient, EnforcesTheBodyLimit) {
    TestHttpServer server([](const auto&, auto& res) {
        res.body() = std::string(200000, 'x');
        return true;
    });
    HttpClient client;
    RequestOptions options;
    options.max_body_bytes = 100000;
    auto response = client.Send(Get(server.url("/big")), options);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kTooLarge);
    options.max_body_bytes = 200000;
    EXPECT_TRUE(client.Send(Get(server.url("/big")), options).ok());
}

TEST(HttpClient, StreamsSuccessfulBodiesInChunks) {
    const std::string big = Repetitive(3 << 20);
    TestHttpServer server([&](const auto& req, auto& res) {
        if (req.target() == "/missing") {
            res.result(404);
            res.body() = R"({"error":"no such table"})";
        } else {
            res.body() = big;
        }
        return true;
    });
    HttpClient client;
    std::string received;
    int chunks = 0;
    BodyChunkHandler collect = [&](std::string_view chunk) {
        received.append(chunk);
        ++chunks;
        return Ok();
    };
    auto response = client.Send(Get(server.url("/big")), {}, collect);
    ASSERT_TRUE(response.ok()) << response.error().Describe();
    EXPECT_TRUE(response->body.empty());
    EXPECT_TRUE(received == big);
    EXPECT_GT(chunks, 10);

    received.clear();
    auto missing = client.Send(Get(server.url("/missing")), {}, collect);
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(missing->body, R"({"error":"no such table"})");
    EXPECT_TRUE(received.empty());

    // A handler error aborts the exchange and comes back unchanged.
    auto aborted = client.Send(Get(server.url("/big")), {}, [](std::string_view) -> Status {
        return MakeError(ErrorKind::kInvalidInput, "parse", "bad frame");
    });
    ASSERT_FALSE(aborted.ok());
    EXPECT_EQ(aborted.error().message, "bad frame");
}

TEST(HttpClient, AddsARequestIdUnlessTheCallerSetOne) {
    TestHttpServer server([](const auto&, auto& res) { return true; });
    HttpClient client;
    ASSERT_TRUE(client.Send(Get(server.url("/a"))).ok());
    ASSERT_TRUE(client.Send(Get(server.url("/b"))).ok());
    HttpRequest mine = Get(server.url("/c"));
    mine.headers.Set("x-ms-client-request-id", "adxflow;run-1");
    ASSERT_TRUE(client.Send(mine).ok());
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::string first(requests[0]["x-ms-client-request-id"]), second(requests[1]["x-ms-client-request-id"]);
    EXPECT_TRUE(std::regex_match(first, uuid_v4)) << first;
    EXPECT_TRUE(std::regex_match(second, uuid_v4)) << second;
    EXPECT_NE(first, second);
    EXPECT_EQ(requests[2]["x-ms-client-request-id"], "adxflow;run-1");
    EXPECT_EQ(requests[0]["Host"], "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpClient, PlainHttpOnlyToLoopbackUnlessAllowed) {
    HttpClient client;
    for (const char* url : {"http://example.com/", "http://10.1.2.3:8080/x", "http://[2001:db8::1]/"}) {
        auto response = client.Send(Get(url));
        ASSERT_FALSE(response.ok()) << url;
        EXPECT_EQ(response.error().kind, ErrorKind::kInvalidInput) << url;
        EXPECT_EQ(response.error().code, "InsecureHttpRefused") << url;
    }
    EXPECT_EQ(client.connections_opened(), 0u);

    TestHttpServer server([](const auto&, auto& res) { return true; });
    auto via_localhost = client.Send(Get("http://localhost:" + std::to_string(server.port()) + "/"));
    // localhost may resolve to ::1 first where nothing listens; either way the rule let it through.
    if (!via_localhost.ok()) {
        EXPECT_NE(via_localhost.error().code, "InsecureHttpRefused");
    }

    HttpClientOptions permissive;
    permissive.allow_plain_http_to_any_host = true;
    HttpClient lenient(permissive);
    RequestOptions quick;
    quick.timeout = 200ms;
    // 192.0.2.0/24 is TEST-NET-1: never routed, so this stops at connect, not at the rule.
    auto response = lenient.Send(Get("http://192.0.2.1:9/"), quick);
    ASSERT_FALSE(response.ok());
    EXPECT_NE(response.error().code, "InsecureHttpRefused");
}

TEST(HttpClient, ConnectionRefusedIsTransient) {
    int port = 0;
    {
        TestHttpServer server([](const auto&, auto&) { return true; });
        port = server.port();
    }
    HttpClient client;
    auto response = client.Send(Get("http://127.0.0.1:" + std::to_string(port) + "/"));
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kTransient);
}

TEST(HttpClient, HeadResponsesHaveNoBodyAndKeepTheConnection) {
    TestHttpServer server([](const auto& req, auto& res) {
        res.set("Content-Length", "12345");
        res.set("x-ms-blob-type", "BlockBlob");
        return true;
    });
    HttpClient client;
    HttpRequest head = Get(server.url("/c/blob"));
    head.method = "HEAD";
    auto response = client.Send(head);
    ASSERT_TRUE(response.ok()) << response.error().Describe();
    EXPECT_EQ(*response->headers.Get("content-length"), "12345");
    EXPECT_TRUE(response->body.empty());
    EXPECT_EQ(client.idle_connections(), 1u);
}

TEST(HttpClient, MissingCaFileIsReported) {
    HttpClientOptions options;
    options.ca_file = "/nonexistent/ca.pem";
    HttpClient client(options);
    ASSERT_FALSE(client.init_status().ok());
    auto response = client.Send(Get("https://127.0.0.1:1/"));
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace adxflow::http
