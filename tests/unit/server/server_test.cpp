// The HTTP server on a real loopback socket, spoken to byte by byte: keep-alive, body limit, malformed
// requests and the per-connection deadline. Raw sockets on purpose: a well-behaved client library would
// refuse to send most of these requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "connectors/common/http/http_client.hpp"
#include "daemon/app/app.hpp"
#include "daemon/http/server.hpp"
#include "tests/support/test_support.hpp"
#include "tests/support/tls_cert.hpp"

namespace adxflow {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPipelines =
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.DataFactory/factories/adxflow/pipelines";

class Socket {
  public:
    explicit Socket(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{10, 0};  // bounds every read of the test
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~Socket() { ::close(fd_); }
    bool connected() const { return connected_; }
    void Send(const std::string& bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
    // Reads one response (headers + Content-Length body); empty when the peer closed first.
    std::string ReadResponse() {
        std::string data;
        char buf[4096];
        while (true) {
            auto head_end = data.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                size_t length = 0;
                auto cl = data.find("Content-Length: ");
                if (cl == std::string::npos) cl = data.find("content-length: ");
                if (cl != std::string::npos && cl < head_end) length = std::stoul(data.substr(cl + 16));
                if (data.size() >= head_end + 4 + length) return data.substr(0, head_end + 4 + length);
            }
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return data;
            data.append(buf, static_cast<size_t>(n));
        }
    }
    // True when the peer closes the connection within `limit` (any bytes sent before are skipped).
    bool ClosedWithin(std::chrono::seconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        char buf[512];
        while (std::chrono::steady_clock::now() < until) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) return true;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;  // reset counts as closed
        }
        return false;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

int StatusOf(const std::string& response) {
    return response.size() > 12 && response.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(response.substr(9, 3)) : 0;
}

class ServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        config::Settings s;
        s.listen = "127.0.0.1:0";
        s.data_dir = dir_ / "data";
        s.database_path = dir_ / "data/adxflow.db";
        s.secrets_key_file = dir_ / "data/secrets.key";
        s.http_body_limit_bytes = 64 * 1024;
        s.http_request_timeout_secs = 1;
        daemon_ = std::make_unique<app::Daemon>(s);
        ASSERT_TRUE(daemon_->Start().ok());
    }
    void TearDown() override { daemon_->Stop(); }

    std::string Put(const std::string& name, const std::string& body, const char* connection = "keep-alive") {
        return "PUT " + std::string(kPipelines) + "/" + name +
               "?api-version=2018-06-01 HTTP/1.1\r\nHost: x\r\n" +
               "Content-Type: application/json\r\nConnection: " + connection +
               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }

    testing::TempDir dir_;
    std::unique_ptr<app::Daemon> daemon_;
};

const std::string kWaitPipeline =
    R"({"properties":{"activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":1}}]}})";

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    Socket s(daemon_->port());
    ASSERT_TRUE(s.connected());
    s.Send(Put("A", kWaitPipeline));
    EXPECT_EQ(StatusOf(s.ReadResponse()), 200);
    s.Send(Put("B", kWaitPipeline));
    EXPECT_EQ(StatusOf(s.ReadResponse()), 200);
    s.Send("GET " + std::string(kPipelines) + "?api-version=2018-06-01 HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string list = s.ReadResponse();
    EXPECT_EQ(StatusOf(list), 200);
    EXPECT_NE(list.find("\"A\""), std::string::npos);
    EXPECT_NE(list.find("\"B\""), std::string::npos);
}

TEST_F(ServerTest, BodyOverTheLimitIs413AndStoresNothing) {
    std::string big =
        R"({"properties":{"description":")" + std::string(100 * 1024, 'x') +
        R"(","activities":[{"name":"W","type":"Wait","typeProperties":{"waitTimeInSeconds":1}}]}})";
    Socket s(daemon_->port());
    ASSERT_TRUE(s.connected());
    s.Send(Put("Big", big));
    std::string response = s.ReadResponse();
    EXPECT_EQ(StatusOf(response), 413) << response.substr(0, 300);
    EXPECT_NE(response.find("RequestEntityTooLarge"), std::string::npos) << response.substr(0, 300);
    Socket again(daemon_->port());
    again.Send("GET " + std::string(kPipelines) + "/Big?api-version=2018-06-01 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(StatusOf(again.ReadResponse()), 404);
}

TEST_F(ServerTest, MalformedRequestsGet400AndTheServerKeepsServing) {
    {
        Socket s(daemon_->port());
        s.Send("THIS IS NOT HTTP\r\n\r\n");
        std::string response = s.ReadResponse();
        EXPECT_EQ(StatusOf(response), 400) << response;
    }
    {
        Socket s(daemon_->port());
        s.Send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
        EXPECT_EQ(StatusOf(s.ReadResponse()), 400);
    }
    {
        Socket s(daemon_->port());  // a body that is not JSON: the API's 400 with line and column
        s.Send(Put("Bad", "{\"properties\": {\"activities\": [}"));
        std::string response = s.ReadResponse();
        EXPECT_EQ(StatusOf(response), 400);
        EXPECT_NE(response.find("line 1"), std::string::npos) << response;
    }
    Socket ok(daemon_->port());
    ok.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(StatusOf(ok.ReadResponse()), 200);
}

TEST_F(ServerTest, AStalledClientIsDisconnectedAtTheDeadline) {
    Socket s(daemon_->port());
    ASSERT_TRUE(s.connected());
    const auto started = std::chrono::steady_clock::now();
    s.Send("PUT " + std::string(kPipelines) +
           "/Slow?api-version=2018-06-01 HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{");
    EXPECT_TRUE(s.ClosedWithin(8s)) << "the connection was still open 8 s after a 1 s deadline";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 8s);
    // An idle keep-alive connection is closed the same way.
    Socket idle(daemon_->port());
    idle.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(StatusOf(idle.ReadResponse()), 200);
    EXPECT_TRUE(idle.ClosedWithin(8s));
}

}  // namespace
}  // namespace adxflow

namespace adxflow {
namespace {

// TLS on the shared server: a client that trusts the certificate gets its answer, one that does not is
// refused during the handshake, and a plain-HTTP client gets nothing.
TEST(ServerTls, ServesHttpsWithTheConfiguredCertificate) {
    testing::TempDir dir;
    auto cert = testing::MakeSelfSignedCertificate(dir.path());
    api::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.request_timeout_secs = 2;
    options.tls_cert_file = cert.cert_file.string();
    options.tls_key_file = cert.key_file.string();
    api::HttpServer server(options, [](const api::Request& r) {
        api::Response res;
        res.body = R"({"path":")" + r.path + R"("})";
        return res;
    });
    ASSERT_TRUE(server.Start().ok());
    const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/hello";

    http::HttpClientOptions trusting;
    trusting.ca_file = cert.cert_file.string();
    http::HttpClient client(trusting);
    http::HttpRequest request;
    request.url = url;
    auto ok = client.Send(request);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->body, R"({"path":"/hello"})");
    auto again = client.Send(request);  // keep-alive over TLS
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(client.connections_opened(), 1u);

    http::HttpClient untrusting;
    auto refused = untrusting.Send(request);
    EXPECT_FALSE(refused.ok()) << "a certificate nobody vouches for must not be accepted";

    http::HttpRequest plain;
    plain.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/hello";
    auto mismatch = untrusting.Send(plain);
    EXPECT_FALSE(mismatch.ok() && mismatch->status == 200);
    server.Stop();

    api::ServerOptions broken = options;
    broken.tls_key_file = (dir.path() / "missing.pem").string();
    api::HttpServer bad(broken, [](const api::Request&) { return api::Response{}; });
    auto started = bad.Start();
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace adxflow
