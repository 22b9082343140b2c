#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

extern char** environ;

namespace adxflow::testing {

std::optional<std::filesystem::path> FindOnPath(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path) return std::nullopt;
    std::string all(path);
    size_t start = 0;
    while (start <= all.size()) {
        size_t end = all.find(':', start);
        if (end == std::string::npos) end = all.size();
        std::filesystem::path candidate = std::filesystem::path(all.substr(start, end - start)) / program;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

std::string DescribeWaitStatus(int status) {
    if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "wait status " + std::to_string(status);
}

std::unique_ptr<ChildProcess> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& extra_env,
    const std::filesystem::path& log_file, std::string& error) {
    // Everything the child needs is prepared before fork: only async-signal-safe calls happen after it.
    std::vector<std::string> args = argv;
    std::vector<char*> arg_ptrs;
    for (auto& a : args) arg_ptrs.push_back(a.data());
    arg_ptrs.push_back(nullptr);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        bool overridden = false;
        for (const auto& [k, v] : extra_env) overridden |= entry.rfind(k + "=", 0) == 0;
        if (!overridden) env.push_back(std::move(entry));
    }
    for (const auto& [k, v] : extra_env) env.push_back(k + "=" + v);
    std::vector<char*> env_ptrs;
    for (auto& e : env) env_ptrs.push_back(e.data());
    env_ptrs.push_back(nullptr);

    int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        error = "cannot open log file " + log_file.string();
        return nullptr;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        error = "fork failed";
        return nullptr;
    }
    if (pid == 0) {
        // Own process group, so a stop also reaches node's or the daemon's own children.
        ::setpgid(0, 0);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
        ::execve(arg_ptrs[0], arg_ptrs.data(), env_ptrs.data());
        static const char kMsg[] = "exec failed\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
        ::_exit(127);
    }
    ::close(log_fd);
    ::setpgid(pid, pid);  // from the parent too, so the group exists before any signal
    std::unique_ptr<ChildProcess> child(new ChildProcess());
    child->pid_ = pid;
    return child;
}

ChildProcess::~ChildProcess() {
    Stop(std::chrono::seconds(5));
}

std::optional<int> ChildProcess::WaitFor(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            status_ = status;
            return status_;
        }
        if (r < 0) return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return -1;
    if (status_) return *status_;
    ::kill(-pid_, SIGTERM);
    if (auto status = WaitFor(grace)) return *status;
    killed_ = true;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
    return status;
}

int ChildProcess::Kill() {
    if (pid_ <= 0) return -1;
    if (status_) return *status_;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
    return status;
}

}  // namespace adxflow::testing
