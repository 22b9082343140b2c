// The adxflow CLI against a real adxflowd: the sample factory of the demo (samples/factory) is applied and
// run exactly as deploy/demo.sh does it, and the exit codes scripts depend on are checked.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct CliResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

class CliTest : public ::testing::Test {
  protected:
    void SetUp() override {
        files_ = dir_ / "files";
        fs::create_directories(files_ / "out");
        fs::copy(SourceDir() / "samples/files/in", files_ / "in", fs::copy_options::recursive);
        DaemonOptions options;
        options.data_dir = dir_ / "data";
        options.file_roots = {files_};
        auto started = DaemonProcess::Start(options);
        ASSERT_TRUE(started.ok()) << started.error().message;
        daemon_ = std::move(started).value();
    }

    CliResult Cli(std::vector<std::string> args, const std::string& server = {}) {
        static int calls = 0;
        const fs::path log = dir_ / ("cli-" + std::to_string(++calls) + ".log");
        args.insert(args.begin(), (BinaryDir() / "adxflow").string());
        std::string error;
        auto child = ChildProcess::Spawn(
            args, {{"ADXFLOW_SERVER", server.empty() ? daemon_->base_url() : server}}, log, error);
        EXPECT_TRUE(child) << error;
        if (!child) return {};
        auto status = child->WaitFor(60s);
        CliResult r;
        r.output = fs::exists(log) ? ReadFile(log) : "";
        EXPECT_TRUE(status) << "adxflow did not finish within 60 s: " << r.output;
        if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
        return r;
    }

    CliResult ApplySample() {
        return Cli(
            {"apply", (SourceDir() / "samples/factory").string(), "--global", "dataRoot=" + files_.string()});
    }

    TempDir dir_;
    fs::path files_;
    std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(CliTest, SampleFactoryAppliesAndRunsToSucceeded) {
    auto applied = ApplySample();
    ASSERT_EQ(applied.exit_code, 0) << applied.output;
    for (const char* name : {"SampleFiles", "SampleCsv", "SampleJson", "CopyPeople"})
        EXPECT_NE(applied.output.find(name), std::string::npos) << applied.output;

    auto run = Cli({"run", "CopyPeople", "--wait", "--timeout", "60"});
    ASSERT_EQ(run.exit_code, 0) << run.output << daemon_->LogTail();
    EXPECT_NE(run.output.find("Succeeded"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("CsvToJson"), std::string::npos) << run.output;

    // The sample names its output after the Lookup's row count: 8 people.
    const fs::path out = files_ / "out/people-8-rows.json";
    ASSERT_TRUE(fs::exists(out)) << run.output;
    std::istringstream lines(ReadFile(out));
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        Json row = Json::parse(line);
        EXPECT_TRUE(row.contains("name") && row.contains("city")) << line;
        ++count;
    }
    EXPECT_EQ(count, 8);
    EXPECT_NE(ReadFile(out).find("Tanenbaum, Andrew"), std::string::npos);  // the quoted comma survived

    // `runs` lists it; `show` shows both activities with their outputs.
    auto runs = Cli({"runs"});
    ASSERT_EQ(runs.exit_code, 0) << runs.output;
    EXPECT_NE(runs.output.find("CopyPeople"), std::string::npos) << runs.output;
    const auto id_start = run.output.find("started run ");
    ASSERT_NE(id_start, std::string::npos) << run.output;
    const std::string run_id = run.output.substr(id_start + 12, 36);
    auto show = Cli({"show", run_id});
    ASSERT_EQ(show.exit_code, 0) << show.output;
    EXPECT_NE(show.output.find("CountRows"), std::string::npos) << show.output;
    EXPECT_NE(show.output.find("CsvToJson"), std::string::npos) << show.output;
}

TEST_F(CliTest, ExitCodesTellScriptsWhatHappened) {
    ASSERT_EQ(ApplySample().exit_code, 0);
    // A run that fails (the input file does not exist): exit 1, with the activity's error shown.
    auto failed = Cli({"run", "CopyPeople", "-p", "fileName=nobody.csv", "--wait", "--timeout", "60"});
    EXPECT_EQ(failed.exit_code, 1) << failed.output;
    EXPECT_NE(failed.output.find("Failed"), std::string::npos) << failed.output;
    EXPECT_NE(failed.output.find("nobody.csv"), std::string::npos) << failed.output;
    // A rejected request (unknown pipeline): exit 1 with the daemon's message.
    auto unknown = Cli({"run", "NoSuchPipeline"});
    EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
    EXPECT_NE(unknown.output.find("NoSuchPipeline"), std::string::npos) << unknown.output;
    // Usage errors and an unreachable daemon: exit 2.
    EXPECT_EQ(Cli({"frobnicate"}).exit_code, 2);
    EXPECT_EQ(Cli({"run", "CopyPeople", "-p", "no-equals-sign"}).exit_code, 2);
    auto unreachable = Cli({"runs"}, "http://127.0.0.1:" + std::to_string(FreeLoopbackPort()));
    EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;
    // A JSON syntax error in the folder: nothing is sent, exit non-zero with the file name.
    fs::create_directories(dir_ / "broken/pipeline");
    WriteFile(dir_ / "broken/pipeline/Bad.json", "{\"name\": \"Bad\", \"properties\": {\"activities\": [}\n");
    auto broken = Cli({"apply", (dir_ / "broken").string()});
    EXPECT_NE(broken.exit_code, 0) << broken.output;
    EXPECT_NE(broken.output.find("Bad.json"), std::string::npos) << broken.output;
    auto pipelines = daemon_->Arm("GET", "pipelines");
    ASSERT_TRUE(pipelines.ok());
    EXPECT_EQ(pipelines->body["value"].size(), 1u) << pipelines->text;  // CopyPeople only
}

TEST_F(CliTest, CancelStopsARunningPipeline) {
    auto put = daemon_->Arm("PUT", "pipelines/Slow", Json::parse(R"({"properties":{"activities":[
                                {"name":"Nap","type":"Wait","typeProperties":{"waitTimeInSeconds":600}}]}})"));
    ASSERT_TRUE(put.ok());
    ASSERT_EQ(put->status, 200) << put->text;
    auto started = Cli({"run", "Slow"});
    ASSERT_EQ(started.exit_code, 0) << started.output;
    std::string run_id = started.output.substr(0, started.output.find('\n'));
    ASSERT_EQ(run_id.size(), 36u) << started.output;
    auto cancelled = Cli({"cancel", run_id});
    EXPECT_EQ(cancelled.exit_code, 0) << cancelled.output;
    auto run = daemon_->WaitForRun(run_id, 30s);
    ASSERT_TRUE(run.ok()) << run.error().message;
    EXPECT_EQ(run->value("status", ""), "Cancelled");
    // Waiting on a cancelled run reports it and exits 1.
    auto show = Cli({"show", run_id});
    EXPECT_NE(show.output.find("Cancelled"), std::string::npos) << show.output;
}

}  // namespace
}  // namespace adxflow::testing
