#pragma once
// The real adxflowd binary as a child process on a loopback port, for integration tests: start on a data dir,
// wait until /readyz answers, call the ARM-compatible API with the project's HTTP client, stop gracefully or
// kill -9, and start again on the same data dir and port.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "connectors/common/http/http_client.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "tests/support/child_process.hpp"

namespace adxflow::testing {

struct DaemonOptions {
    std::filesystem::path data_dir;                 // required; created when missing
    std::vector<std::filesystem::path> file_roots;  // each becomes --file-root
    std::vector<std::string> extra_flags;           // e.g. {"--copy-chunk-rows", "500"}
    int port = 0;                                   // 0: pick a free loopback port (kept across restarts)
    std::filesystem::path log_file;                 // default: <data_dir>/../adxflowd-<port>.log
    std::vector<std::pair<std::string, std::string>> env;  // extra environment (NOTIFY_SOCKET, ...)
    std::string token;                  // sent as Authorization: Bearer on every call when set
    std::filesystem::path tls_ca_file;  // set when the daemon serves TLS: https:// and this CA trusted
};

struct ApiReply {
    int status = 0;
    Json body;  // parsed JSON, or null when the body was empty or not JSON
    std::string text;
};

class DaemonProcess {
  public:
    static constexpr const char* kFactoryPath =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
        "Microsoft.DataFactory/factories/adxflow";

    // <build>/adxflowd
    static std::filesystem::path Executable();
    // Starts the daemon and waits (bounded) until /readyz is 200; an early exit is an error with the log
    // tail.
    static Result<std::unique_ptr<DaemonProcess>> Start(
        DaemonOptions options, std::chrono::seconds ready_timeout = std::chrono::seconds(30));
    ~DaemonProcess();

    // Starts a new process on the same options (data dir, port) after Stop() or Kill().
    Status Restart(std::chrono::seconds ready_timeout = std::chrono::seconds(30));
    // SIGTERM, then the exit status (SIGKILL after `grace`).
    int Stop(std::chrono::milliseconds grace = std::chrono::seconds(15));
    // kill -9.
    int Kill();
    bool was_killed() const { return process_ && process_->was_killed(); }
    void set_token(std::string token) { options_.token = std::move(token); }

    int port() const { return options_.port; }
    pid_t pid() const { return process_ ? process_->pid() : -1; }
    std::string base_url() const;
    const DaemonOptions& options() const { return options_; }
    std::string LogTail(size_t max_bytes = 6000) const;

    // A call under the factory: `path` like "pipelines/P" or "pipelineruns/ID/cancel"; api-version is added.
    Result<ApiReply> Arm(const std::string& method, const std::string& path, const Json& body = nullptr);
    // A call on an absolute path ("/healthz", "/metrics").
    Result<ApiReply> Raw(const std::string& method, const std::string& path, const std::string& body = {});

    // Polls GET pipelineruns/{id} until the status is terminal (bounded by `limit`); the last run JSON.
    Result<Json> WaitForRun(const std::string& run_id, std::chrono::seconds limit = std::chrono::seconds(60));
    // POST queryActivityruns for the run (a wide time window); the "value" array.
    Result<Json> ActivityRuns(const std::string& run_id);

  private:
    explicit DaemonProcess(DaemonOptions options);
    Status Launch(std::chrono::seconds ready_timeout);

    DaemonOptions options_;
    std::unique_ptr<ChildProcess> process_;
    http::HttpClient client_;
};

}  // namespace adxflow::testing
