#pragma once
// Trigger runtime state and trigger runs on SQLite (tables of migration 4). Its own connection to the
// store's database file: trigger writes are few and short, and keeping them apart from the run store's
// group-commit writer means the trigger scheduler never waits inside a scheduler batch.

#include <filesystem>
#include <memory>
#include <mutex>

#include "core/runs/trigger_records.hpp"
#include "storage/sqlite.hpp"

namespace adxflow::storage {

class TriggerStore final : public engine::TriggerRepository {
  public:
    // The database must already be migrated (Store::Open does it).
    static Result<std::unique_ptr<TriggerStore>> Open(const std::filesystem::path& path);

    Result<std::vector<engine::TriggerState>> LoadTriggerStates() override;
    Result<std::optional<engine::TriggerState>> GetTriggerState(const std::string& name_key) override;
    Status SaveTriggerState(const engine::TriggerState& state) override;
    Status DeleteTriggerState(const std::string& name_key) override;
    Status DeleteTriggerRuns(const std::string& trigger_name) override;
    Result<bool> InsertTriggerRun(engine::TriggerRun& run) override;
    Status UpdateTriggerRun(const engine::TriggerRun& run) override;
    Result<std::optional<engine::TriggerRun>> GetTriggerRun(const std::string& trigger_run_id) override;
    Result<std::vector<engine::TriggerRun>> OpenWindows(const std::string& trigger_name) override;
    Result<std::vector<engine::TriggerRun>> WindowsBetween(const std::string& trigger_name, TimePoint from,
                                                           TimePoint to) override;
    Result<std::optional<TimePoint>> LastWindowStart(const std::string& trigger_name) override;
    Result<std::vector<engine::TriggerRun>> QueryTriggerRuns(const engine::TriggerRunFilter& filter) override;
    Result<std::vector<std::string>> RunsInvokedBy(const std::string& trigger_run_id) override;

  private:
    explicit TriggerStore(Connection conn) : conn_(std::move(conn)) {}
    Result<std::vector<engine::TriggerRun>> Select(const std::string& where,
                                                   const std::vector<std::string>& args);
    std::mutex mu_;
    Connection conn_;
};

}  // namespace adxflow::storage
