#pragma once
// What the crash harness and the chaos test share: one Azurite and one Kusto emulator (TLS, a service
// principal) for the whole binary, the factory they submit (file -> file copies, a folder copied file by
// file, a Wait, a failing Copy with a retry, a CSV -> ADX copy, a CSV -> Blob copy into Azurite), and the
// checks of the invariants: every accepted run terminal with the status its pipeline must end in, no
// activity left InProgress or Queued, no two runs for one submission, every copied row exactly once in the
// files, the blobs and the ADX table.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/common/azure/account.hpp"
#include "connectors/common/azure/blob_client.hpp"
#include "core/json.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing::crash {

constexpr int kRows = 25000;  // per source file: three 10,000-row source batches, so several chunks

// One createRun the test sent. `tag` is a run parameter unique to the submission: it names the output file
// and lets the test tell a duplicated run (two runs with one tag) from two submissions.
struct Submission {
    std::string pipeline;  // CopyFiles, CopyTree, CopyToBlob, Pause, Failing, CsvToAdx, AdxToFile
    std::string tag;
    std::string run_id;  // empty when createRun got no answer (the daemon died during the call)
    std::string table;   // CsvToAdx: its target table (rows counted there); AdxToFile: its source
};

// The pipelines and what each must end as.
std::string ExpectedStatus(const std::string& pipeline);

class CrashEnv {
  public:
    // Starts Azurite and the emulator and writes the source files. Failures are gtest failures (fatal
    // when `ok()` is false afterwards).
    CrashEnv();
    ~CrashEnv();
    bool ok() const { return emulator_ != nullptr; }

    const std::filesystem::path& work() const { return work_->path(); }
    std::filesystem::path files() const { return work_->path() / "files"; }
    EmulatorProcess& emulator() { return *emulator_; }

    // Daemon options on `data_dir` trusting the emulator; `crash_at` empty: unarmed.
    DaemonOptions Options(const std::filesystem::path& data_dir, int port, const std::string& crash_at,
                          const std::filesystem::path& log) const;
    // PUTs the linked services, datasets and pipelines; false (with a gtest failure) when one is refused.
    // `copy_retry` is the policy.retry of the copies that must succeed (the chaos test's faults need it).
    bool PutFactory(DaemonProcess& daemon, int copy_retry = 0) const;
    // createRun of `pipeline` with the tag and the scenario's output folder and table. No answer (the
    // daemon died) is not a failure: the submission is kept without a run id.
    Submission Submit(DaemonProcess& daemon, const std::string& pipeline, const std::string& tag,
                      const std::string& out_folder, const std::string& table) const;

    // The same for several submissions sent at once, one connection each, so that they are all in flight
    // together when an early crash point fires.
    std::vector<Submission> SubmitAll(DaemonProcess& daemon, const std::vector<Submission>& wanted,
                                      const std::string& out_folder) const;

    // A command (leading dot) or query against the emulator's database; the primary table as text.
    std::vector<std::vector<std::string>> Kusto(const std::string& csl);
    int64_t Count(const std::string& query);

    // Waits (bounded) until every run in the daemon's store is terminal, then checks the invariants for
    // the submissions of one scenario. Returns the runs (queryPipelineRuns). A run that failed with a
    // message containing `known_gap` (when not empty) is counted in `*gaps` instead of failing the test;
    // its rows are checked all the same.
    Json CheckInvariants(DaemonProcess& daemon, const std::vector<Submission>& submitted,
                         const std::string& out_folder, std::chrono::seconds limit,
                         const std::string& known_gap = {}, int* gaps = nullptr);

  private:
    std::unique_ptr<TempDir> work_;
    std::unique_ptr<AzuriteProcess> azurite_;
    std::unique_ptr<EmulatorProcess> emulator_;
    std::unique_ptr<http::HttpClient> http_;
    std::unique_ptr<azure::BlobClient> blobs_;  // the test's own view of Azurite (container "crash")
    std::string token_;
};

// Every run in the daemon's store (queryPipelineRuns over a wide window, all pages).
Json AllRuns(DaemonProcess& daemon);

// The crash point names in the sources (every ADXFLOW_CRASH_POINT("...") under core, storage, connectors
// and daemon), sorted.
std::vector<std::string> CrashPointsInCode();

}  // namespace adxflow::testing::crash
