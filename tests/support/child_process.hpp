#pragma once
// A child process for tests (adxflowd, node, postgres): own process group, output to a log file, bounded
// waits, SIGTERM then SIGKILL on stop, and a hard kill for crash tests.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace adxflow::testing {

// Absolute path of `program` found on $PATH, or nullopt.
std::optional<std::filesystem::path> FindOnPath(const std::string& program);

// "exit code 3", "killed by signal 9" for a waitpid status.
std::string DescribeWaitStatus(int status);

class ChildProcess {
  public:
    // Starts argv[0] (an absolute path) with the current environment plus `extra_env`, stdout and stderr
    // appended to `log_file`. Nullptr with `error` set when fork/exec fails before the child runs.
    static std::unique_ptr<ChildProcess> Spawn(
        const std::vector<std::string>& argv,
        const std::vector<std::pair<std::string, std::string>>& extra_env,
        const std::filesystem::path& log_file, std::string& error);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    // The waitpid status once the child has exited, waiting at most `timeout`.
    std::optional<int> WaitFor(std::chrono::milliseconds timeout);
    // SIGTERM to the group, SIGKILL after `grace`; returns the waitpid status (or the one seen earlier).
    int Stop(std::chrono::milliseconds grace);
    // SIGKILL to the group at once (a crash, for restart tests); returns the waitpid status.
    int Kill();
    // True when the exit was forced with SIGKILL by Stop.
    bool was_killed() const { return killed_; }

  private:
    ChildProcess() = default;
    pid_t pid_ = -1;
    std::optional<int> status_;
    bool killed_ = false;
};

}  // namespace adxflow::testing
