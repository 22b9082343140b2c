#include "tests/support/postgres_process.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

namespace adxflow::testing {

namespace {

Error StartError(const std::string& message) {
    return MakeError(ErrorKind::kInternal, "postgres.start", message);
}

std::string RandomPassword() {
    static const char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::random_device rd;
    std::string s;
    for (int i = 0; i < 24; ++i) s += kAlphabet[rd() % (sizeof kAlphabet - 1)];
    return s;
}

std::string Tail(const std::filesystem::path& file, size_t max_bytes) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return "";
    std::string all = ReadFile(file);
    return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

}  // namespace

std::filesystem::path PostgresProcess::BinDir() {
    std::error_code ec;
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
        if (std::filesystem::exists(entry.path() / "bin/postgres") &&
            std::filesystem::exists(entry.path() / "bin/initdb"))
            found.push_back(entry.path() / "bin");
    if (found.empty()) return {};
    // Versions are integers ("15", "16"): compare numerically so that 16 beats 9.6.
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        return std::atof(a.parent_path().filename().c_str()) < std::atof(b.parent_path().filename().c_str());
    });
    return found.back();
}

Result<std::unique_ptr<PostgresProcess>> PostgresProcess::Start(std::chrono::seconds startup_timeout) {
    const auto started = std::chrono::steady_clock::now();
    std::filesystem::path bin = BinDir();
    if (bin.empty())
        return StartError("no PostgreSQL server under /usr/lib/postgresql/*/bin: run deploy/bootstrap.sh");
    std::unique_ptr<PostgresProcess> p(new PostgresProcess());
    p->bin_ = bin;
    p->dir_ = std::make_unique<TempDir>();
    p->password_ = RandomPassword();
    const auto& dir = p->dir_->path();
    WriteFile(dir / "pwfile", p->password_ + "\n");

    // initdb and postgres refuse root: drop to nobody, who must own the data and socket directory.
    std::vector<std::string> as_user;
    if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam("nobody");
        if (!pw) return StartError("running as root and there is no 'nobody' user to run postgres as");
        for (const auto& path : {dir, dir / "pwfile"})
            if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
                return StartError("cannot hand " + path.string() + " to nobody");
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all |
                                              std::filesystem::perms::group_exec |
                                              std::filesystem::perms::others_exec);
        auto setpriv = FindOnPath("setpriv");
        if (!setpriv) return StartError("running as root and setpriv (util-linux) is not on PATH");
        as_user = {setpriv->string(), "--reuid=" + std::to_string(pw->pw_uid),
                   "--regid=" + std::to_string(pw->pw_gid), "--clear-groups"};
    }
    auto command = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = as_user;
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    };
    // A locale-independent, UTF-8 cluster; scram-sha-256 so that the tests exercise a real password login.
    std::string error;
    auto initdb = ChildProcess::Spawn(
        command({(bin / "initdb").string(), "-D", (dir / "data").string(), "-U", "adxflow",
                 "--pwfile=" + (dir / "pwfile").string(), "-A", "scram-sha-256", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync", "--no-instructions"}),
        {}, dir / "initdb.log", error);
    if (!initdb) return StartError("cannot start initdb: " + error);
    auto status = initdb->WaitFor(startup_timeout);
    if (!status) {
        initdb->Kill();
        return StartError("initdb did not finish within " + std::to_string(startup_timeout.count()) +
                          " s; log:\n" + Tail(dir / "initdb.log", 4000));
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
        return StartError("initdb failed (" + DescribeWaitStatus(*status) + "); log:\n" +
                          Tail(dir / "initdb.log", 4000));

    p->port_ = FreeLoopbackPort();
    // fsync/full_page_writes off: test data is thrown away with the directory, and startup stays ~1 s.
    p->server_ = ChildProcess::Spawn(
        command({(bin / "postgres").string(), "-D", (dir / "data").string(), "-k", dir.string(), "-h",
                 "127.0.0.1", "-p", std::to_string(p->port_), "-c", "fsync=off", "-c", "full_page_writes=off",
                 "-c", "synchronous_commit=off", "-c", "max_connections=50"}),
        {}, dir / "postgres.log", error);
    if (!p->server_) return StartError("cannot start postgres: " + error);

    const auto deadline = started + startup_timeout;
    while (true) {
        if (auto exited = p->server_->WaitFor(std::chrono::milliseconds(0))) {
            std::string log = p->LogTail();
            p->server_.reset();
            return StartError("postgres exited during startup (" + DescribeWaitStatus(*exited) + "); log:\n" +
                              log);
        }
        // A real login with the password (not just an open port): the server is ready for the tests.
        if (auto ok = p->Psql("SELECT 1"); ok.ok() && *ok == "1\n") break;
        if (std::chrono::steady_clock::now() > deadline)
            return StartError("postgres did not accept a login within " +
                              std::to_string(startup_timeout.count()) + " s; log:\n" + p->LogTail());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    p->startup_time_ =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return p;
}

std::string PostgresProcess::ConnInfo(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=adxflow password=" + password_ +
           " dbname=" + database + " connect_timeout=5";
}

Result<std::string> PostgresProcess::Psql(const std::string& sql, const std::string& database) const {
    static int counter = 0;
    const auto out = dir_->path() / ("psql-" + std::to_string(++counter) + ".out");
    std::string error;
    auto child = ChildProcess::Spawn(
        {(bin_ / "psql").string(), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
         std::to_string(port_), "-U", "adxflow", "-d", database, "-c", sql},
        {{"PGPASSWORD", password_}, {"PGCONNECT_TIMEOUT", "5"}}, out, error);
    if (!child) return StartError("cannot start psql: " + error);
    auto status = child->WaitFor(std::chrono::seconds(60));
    if (!status) {
        child->Kill();
        return StartError("psql did not finish within 60 s");
    }
    std::string text = ReadFile(out);
    std::error_code ec;
    std::filesystem::remove(out, ec);
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
        return MakeError(ErrorKind::kInternal, "postgres.psql",
                         "psql failed (" + DescribeWaitStatus(*status) + "): " + text);
    return text;
}

std::string PostgresProcess::LogTail(size_t max_bytes) const {
    return dir_ ? Tail(dir_->path() / "postgres.log", max_bytes) : std::string();
}

PostgresProcess::~PostgresProcess() {
    Stop();
}

void PostgresProcess::Stop() {
    if (!server_) return;
    // SIGINT is PostgreSQL's fast shutdown: it disconnects clients instead of waiting for them (SIGTERM).
    ::kill(-server_->pid(), SIGINT);
    if (!server_->WaitFor(std::chrono::seconds(10))) server_->Kill();
    server_.reset();
}

}  // namespace adxflow::testing
