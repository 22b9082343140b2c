#pragma once
// What the daemon puts between the trigger scheduler and the rest: the run store seen by the engine,
// wrapped so that a pipeline run reaching a final status wakes the trigger scheduler (a tumbling window
// settles at once instead of at its next poll), the scheduler's host functions (definitions, createRun,
// run status), and the daemon clock (real, or the test-only accelerated one).

#include <functional>
#include <memory>

#include "config/settings.hpp"
#include "core/engine/engine.hpp"
#include "core/triggers/trigger_service.hpp"
#include "daemon/app/store_definitions.hpp"
#include "storage/store.hpp"

namespace adxflow::app {

class NotifyingRuns final : public engine::RunRepository {
  public:
    using OnFinished = std::function<void(const engine::PipelineRun&)>;
    explicit NotifyingRuns(engine::RunRepository& inner) : inner_(inner) {}
    void SetOnFinished(OnFinished f) { on_finished_ = std::move(f); }

    Status InsertPipelineRun(engine::PipelineRun& run) override { return inner_.InsertPipelineRun(run); }
    Status UpdatePipelineRun(const engine::PipelineRun& run) override;
    Result<std::optional<engine::PipelineRun>> GetPipelineRun(const std::string& run_id) override {
        return inner_.GetPipelineRun(run_id);
    }
    Result<std::vector<engine::PipelineRun>> LoadUnfinishedRuns() override {
        return inner_.LoadUnfinishedRuns();
    }
    Status InsertActivityRun(const engine::ActivityRun& run) override {
        return inner_.InsertActivityRun(run);
    }
    Status UpdateActivityRun(const engine::ActivityRun& run) override {
        return inner_.UpdateActivityRun(run);
    }
    Status SaveCheckpoint(const std::string& activity_run_id, const Json& checkpoint) override {
        return inner_.SaveCheckpoint(activity_run_id, checkpoint);
    }
    Result<std::vector<engine::ActivityRun>> LoadActivityRuns(const std::string& run_id) override {
        return inner_.LoadActivityRuns(run_id);
    }
    void BeginWriteBatch() override { inner_.BeginWriteBatch(); }
    Status EndWriteBatch() override { return inner_.EndWriteBatch(); }

  private:
    engine::RunRepository& inner_;
    OnFinished on_finished_;
};

triggers::TriggerHost MakeTriggerHost(storage::Store& store, StoreDefinitions& definitions,
                                      engine::Engine& engine);

// SystemClock, or an AcceleratedClock when test_clock_start is set (refused without
// ADXFLOW_ENABLE_TEST_CLOCK=1 in the environment).
Result<std::unique_ptr<Clock>> MakeDaemonClock(const config::Settings& settings);

}  // namespace adxflow::app
