#include "tests/support/daemon_process.hpp"

#include <cstdlib>
#include <thread>

#include "tests/support/test_support.hpp"

namespace adxflow::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool IsTerminal(const std::string& status) {
    return status == "Succeeded" || status == "Failed" || status == "Cancelled";
}

}  // namespace

DaemonProcess::DaemonProcess(DaemonOptions options)
    : options_(std::move(options)), client_([this] {
          http::HttpClientOptions o;
          o.ca_file = options_.tls_ca_file.string();
          return o;
      }()) {}

fs::path DaemonProcess::Executable() {
    // A copy elsewhere keeps a long test running while the shared build dir relinks the binary.
    if (const char* exe = std::getenv("ADXFLOW_TEST_DAEMON"); exe && *exe) return exe;
    return BinaryDir() / "adxflowd";
}

Result<std::unique_ptr<DaemonProcess>> DaemonProcess::Start(DaemonOptions options,
                                                            std::chrono::seconds ready_timeout) {
    if (options.data_dir.empty())
        return MakeError(ErrorKind::kInvalidInput, "test.daemon", "DaemonOptions.data_dir is required");
    if (options.port == 0) options.port = FreeLoopbackPort();
    if (options.log_file.empty())
        options.log_file =
            options.data_dir.parent_path() / ("adxflowd-" + std::to_string(options.port) + ".log");
    std::unique_ptr<DaemonProcess> daemon(new DaemonProcess(std::move(options)));
    ADXFLOW_TRY(daemon->Launch(ready_timeout));
    return daemon;
}

DaemonProcess::~DaemonProcess() {
    if (process_) process_->Stop(5s);
}

std::string DaemonProcess::base_url() const {
    return (options_.tls_ca_file.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
           std::to_string(options_.port);
}

std::string DaemonProcess::LogTail(size_t max_bytes) const {
    std::error_code ec;
    if (!fs::exists(options_.log_file, ec)) return "(no daemon log)";
    std::string text = ReadFile(options_.log_file);
    return text.size() > max_bytes ? "...\n" + text.substr(text.size() - max_bytes) : text;
}

Status DaemonProcess::Launch(std::chrono::seconds ready_timeout) {
    const fs::path exe = Executable();
    if (!fs::exists(exe))
        return MakeError(ErrorKind::kNotFound, "test.daemon", exe.string() + " is not built");
    fs::create_directories(options_.data_dir);
    std::vector<std::string> argv = {exe.string(), "--listen", "127.0.0.1:" + std::to_string(options_.port),
                                     "--data-dir", options_.data_dir.string()};
    for (const auto& root : options_.file_roots) {
        argv.push_back("--file-root");
        argv.push_back(root.string());
    }
    argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
    std::string error;
    process_ = ChildProcess::Spawn(argv, options_.env, options_.log_file, error);
    if (!process_) return MakeError(ErrorKind::kInternal, "test.daemon", error);

    const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    for (;;) {
        if (auto status = process_->WaitFor(0ms))
            return MakeError(
                ErrorKind::kInternal, "test.daemon",
                "adxflowd exited during startup (" + DescribeWaitStatus(*status) + "):\n" + LogTail());
        http::HttpRequest request;
        request.url = base_url() + "/readyz";
        http::RequestOptions opts;
        opts.timeout = 2s;
        auto reply = client_.Send(request, opts);
        if (reply.ok() && reply->status == 200) return Ok();
        if (std::chrono::steady_clock::now() > deadline)
            return MakeError(
                ErrorKind::kTimeout, "test.daemon",
                "adxflowd not ready within " + std::to_string(ready_timeout.count()) + " s:\n" + LogTail());
        std::this_thread::sleep_for(50ms);
    }
}

Status DaemonProcess::Restart(std::chrono::seconds ready_timeout) {
    if (process_ && !process_->WaitFor(0ms))
        return MakeError(ErrorKind::kConflict, "test.daemon", "Restart while the daemon is still running");
    return Launch(ready_timeout);
}

int DaemonProcess::Stop(std::chrono::milliseconds grace) {
    return process_ ? process_->Stop(grace) : -1;
}

int DaemonProcess::Kill() {
    return process_ ? process_->Kill() : -1;
}

Result<ApiReply> DaemonProcess::Raw(const std::string& method, const std::string& path,
                                    const std::string& body) {
    http::HttpRequest request;
    request.method = method;
    request.url = base_url() + path;
    request.body = body;
    if (!options_.token.empty()) request.headers.Set("Authorization", "Bearer " + options_.token);
    if (!body.empty()) request.headers.Set("Content-Type", "application/json");
    http::RequestOptions opts;
    opts.timeout = 30s;
    ADXFLOW_ASSIGN_OR_RETURN(auto response, client_.Send(request, opts));
    ApiReply reply;
    reply.status = response.status;
    reply.text = std::move(response.body);
    if (!reply.text.empty()) {
        auto parsed = ParseJson(reply.text, "response body");
        if (parsed.ok()) reply.body = std::move(parsed).value();
    }
    return reply;
}

Result<ApiReply> DaemonProcess::Arm(const std::string& method, const std::string& path, const Json& body) {
    return Raw(method, std::string(kFactoryPath) + "/" + path + "?api-version=2018-06-01",
               body.is_null() ? std::string() : body.dump());
}

Result<Json> DaemonProcess::WaitForRun(const std::string& run_id, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    Json last;
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(auto reply, Arm("GET", "pipelineruns/" + run_id));
        if (reply.status != 200)
            return MakeError(ErrorKind::kInternal, "test.daemon",
                             "GET pipelineruns/" + run_id + " answered " + std::to_string(reply.status) +
                                 ": " + reply.text);
        last = reply.body;
        if (IsTerminal(last.value("status", ""))) return last;
        if (std::chrono::steady_clock::now() > deadline)
            return MakeError(ErrorKind::kTimeout, "test.daemon",
                             "run " + run_id + " still " + last.value("status", "?") + " after " +
                                 std::to_string(limit.count()) + " s");
        std::this_thread::sleep_for(20ms);
    }
}

Result<Json> DaemonProcess::ActivityRuns(const std::string& run_id) {
    Json filter = {{"lastUpdatedAfter", "2000-01-01T00:00:00Z"},
                   {"lastUpdatedBefore", "2100-01-01T00:00:00Z"}};
    ADXFLOW_ASSIGN_OR_RETURN(auto reply,
                             Arm("POST", "pipelineruns/" + run_id + "/queryActivityruns", filter));
    if (reply.status != 200 || !reply.body.contains("value"))
        return MakeError(ErrorKind::kInternal, "test.daemon",
                         "queryActivityruns answered " + std::to_string(reply.status) + ": " + reply.text);
    return reply.body["value"];
}

}  // namespace adxflow::testing
