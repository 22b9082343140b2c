#pragma once
// The HTTP/1.1 listener (Boost.Beast). Each connection is a session on its own strand; a deadline is set
// before every read and write so a stalled client cannot hold a connection, request bodies are capped,
// and malformed HTTP gets a 400 before the connection closes.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "daemon/http/api_types.hpp"

namespace adxflow::api {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8420;  // 0 picks a free port (see HttpServer::port())
    int threads = 2;
    size_t body_limit_bytes = 4 * 1024 * 1024;
    int request_timeout_secs = 30;
    // PEM files; with both set the server speaks TLS (1.2 and later) only.
    std::string tls_cert_file;
    std::string tls_key_file;
};

using Handler = std::function<Response(const Request&)>;

class HttpServer {
  public:
    HttpServer(ServerOptions options, Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts serving on background threads. Errors (address in use, ...) are returned.
    Status Start();
    // Stops accepting, closes connections, joins the threads.
    void Stop();
    int port() const;
    bool tls() const;
    // Reads the certificate and key files again and uses them for new connections; the listener and the
    // open connections stay. On error the previous pair stays in use.
    Status ReloadTls();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace adxflow::api
