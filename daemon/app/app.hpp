#pragma once
// The daemon as a library: start the parts in order (key, store, connectors, engine with recovery, API),
// stop them in reverse. main() only parses the command line and calls Run().

#include <atomic>
#include <functional>
#include <memory>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "daemon/http/api_types.hpp"

namespace adxflow::app {

class Daemon {
  public:
    explicit Daemon(config::Settings settings);
    ~Daemon();
    Status Start();
    void Stop();
    int port() const;  // the bound API port (useful with --listen 127.0.0.1:0)
    // The API handler itself (authentication included), for in-process tests that need no socket.
    api::Response Call(const api::Request& request);
    // Re-reads the API's TLS certificate and key (SIGHUP); Ok without TLS.
    Status ReloadTls();
    // Re-reads api_tokens_file (SIGHUP); the number of tokens now in force, or nullopt without a token file.
    // An unreadable or empty file keeps the previous tokens.
    Result<std::optional<size_t>> ReloadTokens();

  private:
    struct Parts;
    config::Settings settings_;
    std::unique_ptr<Parts> parts_;
    std::function<api::Response(const api::Request&)> handler_;  // authentication around the API
};

// Start, wait for SIGTERM or SIGINT, stop. Returns the process exit code.
int RunUntilSignalled(const config::Settings& settings);

// Logging: one line per event on stdout, "ts level [component] message key=value ...".
void ConfigureLogging(const std::string& level);

}  // namespace adxflow::app
