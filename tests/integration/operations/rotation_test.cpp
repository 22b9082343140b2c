// Rotations on the real daemon. Secrets key: `adxflowd --rotate-secrets-key` on a stopped daemon re-encrypts
// a linked service's password, installs the new key and keeps the old one as .previous; the restarted daemon
// runs a pipeline that needs the password, and the same database with the old key back fails that run (the
// password really is under the new key). API tokens: rewriting the token file and sending SIGHUP swaps
// the tokens without a restart; an empty file is refused and the tokens in force stay.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPassword = "Rotation-Secret-5d2e8a";

std::string RunStatus(DaemonProcess& d) {
    auto created = d.Arm("POST", "pipelines/ReadConfig/createRun", Json::object());
    if (!created.ok() || created->status != 200) return "createRun failed";
    auto run = d.WaitForRun(created->body["runId"]);
    return run.ok() ? (*run)["status"].get<std::string>() + ": " + (*run)["message"].get<std::string>()
                    : "no run";
}

TEST(Rotation, SecretsKeyRotationReencryptsAndInstallsTheNewKey) {
    TempDir dir;
    const fs::path files = dir.path() / "files";
    fs::create_directories(files / "config");
    WriteFile(files / "config/job.json", R"({"table": "Events"})");
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.file_roots = {files};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;
    ASSERT_EQ(d.Arm("PUT", "linkedservices/LocalFiles",
                    {{"properties",
                      {{"type", "FileServer"},
                       {"typeProperties",
                        {{"host", files.string()},
                         {"userId", "etl"},
                         {"password", {{"type", "SecureString"}, {"value", kPassword}}}}}}}})
                  ->status,
              200);
    ASSERT_EQ(
        d.Arm(
             "PUT", "datasets/JobConfig",
             {{"properties",
               {{"type", "Json"},
                {"linkedServiceName", {{"referenceName", "LocalFiles"}, {"type", "LinkedServiceReference"}}},
                {"typeProperties",
                 {{"location",
                   {{"type", "FileServerLocation"}, {"folderPath", "config"}, {"fileName", "job.json"}}}}}}}})
            ->status,
        200);
    ASSERT_EQ(
        d.Arm(
             "PUT", "pipelines/ReadConfig",
             {{"properties",
               {{"activities",
                 Json::array(
                     {{{"name", "Read"},
                       {"type", "Lookup"},
                       {"typeProperties",
                        {{"source", {{"type", "JsonSource"}}},
                         {"dataset", {{"referenceName", "JobConfig"}, {"type", "DatasetReference"}}}}}}})}}}})
            ->status,
        200);
    ASSERT_EQ(RunStatus(d).rfind("Succeeded", 0), 0u);
    ASSERT_EQ(d.Stop(), 0);
    const std::string old_key = ReadFile(options.data_dir / "secrets.key");

    // The rotation command, with the daemon stopped.
    std::string error;
    auto rotate =
        ChildProcess::Spawn({DaemonProcess::Executable().string(), "--data-dir", options.data_dir.string(),
                             "--rotate-secrets-key", (dir.path() / "new.key").string()},
                            {}, dir.path() / "rotate.log", error);
    ASSERT_TRUE(rotate) << error;
    auto status = rotate->WaitFor(60s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << ReadFile(dir.path() / "rotate.log");
    const std::string report = ReadFile(dir.path() / "rotate.log");
    EXPECT_NE(report.find("1 secret(s) re-encrypted"), std::string::npos) << report;
    EXPECT_EQ(report.find(kPassword), std::string::npos);
    EXPECT_FALSE(fs::exists(dir.path() / "new.key"));
    EXPECT_EQ(ReadFile(options.data_dir / "secrets.key.previous"), old_key);
    EXPECT_NE(ReadFile(options.data_dir / "secrets.key"), old_key);
    EXPECT_EQ(ReadFile(options.data_dir / "adxflow.db").find(kPassword), std::string::npos);

    // The daemon on the new key reads the password; on the old key it cannot.
    ASSERT_TRUE(d.Restart().ok());
    EXPECT_EQ(RunStatus(d).rfind("Succeeded", 0), 0u);
    ASSERT_EQ(d.Stop(), 0);
    const std::string new_key = ReadFile(options.data_dir / "secrets.key");
    fs::copy_file(options.data_dir / "secrets.key.previous", options.data_dir / "secrets.key",
                  fs::copy_options::overwrite_existing);
    ASSERT_TRUE(d.Restart().ok());
    const std::string with_old = RunStatus(d);
    EXPECT_EQ(with_old.rfind("Failed", 0), 0u) << with_old;
    EXPECT_EQ(with_old.find(kPassword), std::string::npos);
    d.Stop();
}

TEST(Rotation, SighupReloadsTheTokenFile) {
    TempDir dir;
    const fs::path creds = dir.path() / "creds";
    fs::create_directories(creds);
    const std::string first = "adm-first-1f2e3d4c5b6a", second = "adm-second-9a8b7c6d5e4f";
    WriteFile(creds / "api-tokens", "admin:" + first + "\n");
    DaemonOptions options;
    options.data_dir = dir.path() / "data";
    options.env = {{"CREDENTIALS_DIRECTORY", creds.string()}};
    options.token = first;
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;
    auto status_with = [&d](const std::string& token) {
        d.set_token(token);
        auto r = d.Arm("GET", "pipelines");
        return r.ok() ? r->status : 0;
    };
    ASSERT_EQ(status_with(first), 200);

    WriteFile(creds / "api-tokens", "# rotated\nadmin:" + second + "\n");
    ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
    int now = 0;
    for (int i = 0; i < 100 && (now = status_with(second)) != 200; ++i) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(now, 200);
    EXPECT_EQ(status_with(first), 401);

    // An empty file would open the API: refused, the second token stays in force.
    WriteFile(creds / "api-tokens", "# nothing\n");
    ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
    bool logged = false;
    for (int i = 0; i < 100 && !logged; ++i) {
        logged = d.LogTail(1 << 16).find("token reload failed") != std::string::npos;
        if (!logged) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(logged) << d.LogTail();
    EXPECT_EQ(status_with(second), 200);
    EXPECT_EQ(status_with(""), 401);
    d.set_token(second);
    EXPECT_EQ(d.Stop(), 0);
    EXPECT_EQ(d.LogTail(1 << 20).find(second), std::string::npos);
}

}  // namespace
}  // namespace adxflow::testing
