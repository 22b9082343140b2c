#include "tests/support/azurite.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace adxflow::testing {
namespace {

// The emulator's documented development account (public, identical in every Azurite install).
constexpr const char* kAccount = "devstoreaccount1";
constexpr const char* kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

bool Accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

Error StartError(const std::string& message) {
    return MakeError(ErrorKind::kInternal, "azurite.start", message);
}

}  // namespace

std::filesystem::path AzuriteProcess::Executable() {
    return SourceDir() / "tests/node/node_modules/.bin/azurite";
}

Result<std::unique_ptr<AzuriteProcess>> AzuriteProcess::Start(std::chrono::seconds startup_timeout) {
    std::filesystem::path exe = Executable();
    if (!std::filesystem::exists(exe)) {
        return StartError("Azurite not found at " + exe.string() +
                          ": run deploy/bootstrap.sh or `cd tests/node && npm ci` to install the test tools");
    }
    std::unique_ptr<AzuriteProcess> p(new AzuriteProcess());
    p->dir_ = std::make_unique<TempDir>();
    p->log_file_ = p->dir_->path() / "azurite.log";
    p->blob_port_ = FreeLoopbackPort();
    do p->queue_port_ = FreeLoopbackPort();
    while (p->queue_port_ == p->blob_port_);
    do p->table_port_ = FreeLoopbackPort();
    while (p->table_port_ == p->blob_port_ || p->table_port_ == p->queue_port_);

    std::vector<std::string> args = {exe.string(),
                                     "--blobHost",
                                     "127.0.0.1",
                                     "--blobPort",
                                     std::to_string(p->blob_port_),
                                     "--queueHost",
                                     "127.0.0.1",
                                     "--queuePort",
                                     std::to_string(p->queue_port_),
                                     "--tableHost",
                                     "127.0.0.1",
                                     "--tablePort",
                                     std::to_string(p->table_port_),
                                     "--inMemoryPersistence",
                                     "--skipApiVersionCheck",
                                     "--loose",
                                     "--disableTelemetry"};
    // Azurite refuses --location together with --inMemoryPersistence; it runs in the temp dir instead, so
    // anything it still writes lands there and is removed with it.
    std::string workdir = (p->dir_->path() / "workspace").string();
    std::filesystem::create_directories(workdir);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) return StartError("fork failed");
    if (pid == 0) {
        // Own process group: the destructor signals the group, so node's helpers die with it.
        ::setpgid(0, 0);
        if (::chdir(workdir.c_str()) != 0) ::_exit(126);
        int fd = ::open(p->log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            ::close(fd);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so the group exists before any kill
    p->pid_ = pid;

    auto deadline = std::chrono::steady_clock::now() + startup_timeout;
    while (!(Accepts(p->blob_port_) && Accepts(p->queue_port_) && Accepts(p->table_port_))) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            p->pid_ = -1;
            return StartError("Azurite exited during startup (status " + std::to_string(status) +
                              "); log:\n" + p->LogTail());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            std::string tail = p->LogTail();
            return StartError("Azurite did not listen on its ports within " +
                              std::to_string(startup_timeout.count()) + " s; log:\n" + tail);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return p;
}

AzuriteProcess::~AzuriteProcess() {
    Stop();
}

void AzuriteProcess::Stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
}

std::string AzuriteProcess::account_name() const {
    return kAccount;
}
std::string AzuriteProcess::account_key() const {
    return kKey;
}

std::string AzuriteProcess::blob_endpoint() const {
    return "http://127.0.0.1:" + std::to_string(blob_port_) + "/" + kAccount;
}
std::string AzuriteProcess::queue_endpoint() const {
    return "http://127.0.0.1:" + std::to_string(queue_port_) + "/" + kAccount;
}
std::string AzuriteProcess::table_endpoint() const {
    return "http://127.0.0.1:" + std::to_string(table_port_) + "/" + kAccount;
}

std::string AzuriteProcess::connection_string() const {
    std::string s = "DefaultEndpointsProtocol=http;AccountName=";
    s.append(kAccount).append(";AccountKey=").append(kKey);
    s.append(";BlobEndpoint=").append(blob_endpoint());
    s.append(";QueueEndpoint=").append(queue_endpoint());
    s.append(";TableEndpoint=").append(table_endpoint()).append(";");
    return s;
}

std::string AzuriteProcess::LogTail(size_t max_bytes) const {
    std::error_code ec;
    if (!std::filesystem::exists(log_file_, ec)) return "(no log)";
    std::string log = ReadFile(log_file_);
    return log.size() > max_bytes ? log.substr(log.size() - max_bytes) : log;
}

}  // namespace adxflow::testing
