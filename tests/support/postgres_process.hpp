#pragma once
// Starts a real PostgreSQL server (Debian `postgresql`, /usr/lib/postgresql/<v>/bin) for integration tests:
// initdb in a fresh temp dir, `postgres` on a free 127.0.0.1 port with its Unix socket in that dir, a
// password-protected superuser role, fsync off (test data only). initdb and postgres refuse to run as root,
// so when the test runs as root both run as `nobody` (setpriv) and the temp dir is handed to that user.
// Stopped (fast shutdown, then SIGKILL) and removed when the object dies. A missing server is an error,
// not a skip: run deploy/bootstrap.sh.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {

class PostgresProcess {
  public:
    // The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres, or empty.
    static std::filesystem::path BinDir();
    static Result<std::unique_ptr<PostgresProcess>> Start(
        std::chrono::seconds startup_timeout = std::chrono::seconds(30));

    ~PostgresProcess();
    PostgresProcess(const PostgresProcess&) = delete;
    PostgresProcess& operator=(const PostgresProcess&) = delete;

    int port() const { return port_; }
    std::string host() const { return "127.0.0.1"; }
    std::string user() const { return "adxflow"; }
    std::string password() const { return password_; }
    std::string database() const { return "postgres"; }
    // libpq keyword/value form for `database` ("host=127.0.0.1 port=... user=... password=... dbname=...").
    std::string ConnInfo(const std::string& database = "postgres") const;
    // Runs `sql` through psql (-v ON_ERROR_STOP=1, -tA); returns its stdout, or an error with its output.
    Result<std::string> Psql(const std::string& sql, const std::string& database = "postgres") const;
    std::string LogTail(size_t max_bytes = 4000) const;
    // Time from the start of initdb until the server accepted a connection.
    std::chrono::milliseconds startup_time() const { return startup_time_; }

  private:
    PostgresProcess() = default;
    void Stop();

    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<ChildProcess> server_;
    std::filesystem::path bin_;
    std::string password_;
    int port_ = 0;
    std::chrono::milliseconds startup_time_{0};
};

}  // namespace adxflow::testing
