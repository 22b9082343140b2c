#pragma once
// The SQLite store: resource definitions (with sealed secrets and etags) and run history. One writer
// connection serialised by a mutex (SQLite allows one writer anyway) and a pool of reader connections, so
// that API reads proceed in parallel with the scheduler's writes (WAL).

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/runs/records.hpp"
#include "storage/secret_box.hpp"
#include "storage/sqlite.hpp"

namespace adxflow::storage {

struct StoredResource {
    std::string name;  // as first spelled by the user
    Json body;         // {"name", "properties"}; secrets sealed
    std::string etag;
    std::string updated_at;
};

class Store final : public engine::RunRepository {
  public:
    static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path);
    ~Store() override;

    // ---- definitions; `kind` is the ARM collection name ("pipelines", "datasets", ...)
    Result<std::optional<StoredResource>> GetResource(std::string_view kind, std::string_view name);
    Result<std::vector<StoredResource>> ListResources(std::string_view kind);
    // Creates or replaces. With `if_match` ("*" or an etag) the current row must match, else kConflict
    // (HTTP 412). Keeps the first spelling of the name, as ADF does.
    Result<StoredResource> PutResource(std::string_view kind, std::string_view name, const Json& body,
                                       const std::optional<std::string>& if_match);
    Result<bool> DeleteResource(std::string_view kind, std::string_view name);  // false when absent
    Result<Json> GetGlobalParameters();
    Status PutGlobalParameters(const Json& parameters);

    // ---- run history (engine::RunRepository)
    Status InsertPipelineRun(engine::PipelineRun& run) override;
    Status UpdatePipelineRun(const engine::PipelineRun& run) override;
    Result<std::optional<engine::PipelineRun>> GetPipelineRun(const std::string& run_id) override;
    Result<std::vector<engine::PipelineRun>> LoadUnfinishedRuns() override;
    Status InsertActivityRun(const engine::ActivityRun& run) override;
    Status UpdateActivityRun(const engine::ActivityRun& run) override;
    Status SaveCheckpoint(const std::string& activity_run_id, const Json& checkpoint) override;
    Result<std::vector<engine::ActivityRun>> LoadActivityRuns(const std::string& run_id) override;
    void BeginWriteBatch() override;
    Status EndWriteBatch() override;

    Result<engine::RunPage> QueryPipelineRuns(const engine::RunFilter& filter);
    // Activity runs of one pipeline run, filtered (ActivityName, ActivityType, Status) and ordered.
    Result<std::vector<engine::ActivityRun>> QueryActivityRuns(const std::string& run_id,
                                                               const engine::RunFilter& filter);

    // Retention (storage/store_history.cpp): deletes up to `max_runs` finished runs last updated before
    // `cutoff`, with their activity runs, in one short transaction; the number deleted (0: nothing left).
    Result<size_t> PruneHistory(TimePoint cutoff, size_t max_runs);
    // Runs accepted and not yet started (createRun back-pressure).
    Result<int64_t> CountQueuedRuns();

    int schema_version() const;

    // From now on, SecureString run parameters are stored sealed with `box` and scrubbed from what their run
    // writes afterwards (storage/run_secrets.hpp). The daemon calls this right after Open; without it (unit
    // tests of the engine), parameters are stored as given.
    void ProtectRunSecrets(const SecretBox& box);

  private:
    struct PooledConnection;
    class Lease;
    explicit Store(std::filesystem::path path);
    Result<Lease> Reader();
    std::filesystem::path path_;
    // Recursive so that the writes of a batch (taken by BeginWriteBatch) re-enter it on the same thread.
    std::recursive_mutex write_mu_;
    int batch_depth_ = 0;        // guarded by write_mu_
    bool batch_open_ = false;    // a batch transaction is open (guarded by write_mu_)
    int64_t batch_changes_ = 0;  // sqlite3_total_changes64 when the batch began (guarded by write_mu_)
    std::unique_ptr<PooledConnection> writer_;
    // Seals or opens a run's parameters and pipeline copy; registers the secrets of unfinished runs.
    Status OpenRun(engine::PipelineRun& run, bool remember_secrets);
    std::vector<std::string> SecretsOf(const std::string& run_id);
    engine::ActivityRun Scrubbed(const engine::ActivityRun& run);  // the record with the run's secrets masked
    std::optional<SecretBox> box_;
    std::mutex secrets_mu_;
    std::map<std::string, std::vector<std::string>>
        run_secrets_;  // run id -> plaintexts, unfinished runs only
    std::mutex readers_mu_;
    std::vector<std::unique_ptr<PooledConnection>> idle_readers_;
};

}  // namespace adxflow::storage
