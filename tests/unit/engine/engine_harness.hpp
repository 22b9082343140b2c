#pragma once
// A real Engine over a real SQLite Store in a temp dir, on a SimulatedClock, with the built-in connectors
// confined to the temp dir. The store is wrapped by a pass-through that also remembers every status the
// engine wrote, so that short-lived states (Canceling) can be asserted without racing the scheduler.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/contract.hpp"
#include "core/engine/engine.hpp"
#include "core/time.hpp"
#include "storage/store.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::engine::testing {

// Definitions held in memory (the engine only reads them).
class MemoryDefinitions final : public DefinitionSource {
  public:
    void PutLinkedService(const std::string& name, Json properties);
    void PutDataset(const std::string& name, Json properties);
    void PutPipeline(const std::string& name, Json properties);
    Result<Json> GetPipeline(const std::string& name) override;
    Result<Json> GetLinkedService(const std::string& name) override;
    Result<Json> GetDataset(const std::string& name) override;
    Result<Json> GetGlobalParameters() override { return Json::object(); }

  private:
    std::mutex mu_;
    std::map<std::string, Json> linked_services_, datasets_, pipelines_;
};

// Forwards to the Store; records the sequence of pipeline-run statuses per run id.
class RecordingRepository final : public RunRepository {
  public:
    explicit RecordingRepository(storage::Store& store) : store_(store) {}
    Status InsertPipelineRun(PipelineRun& run) override;
    Status UpdatePipelineRun(const PipelineRun& run) override;
    Result<std::optional<PipelineRun>> GetPipelineRun(const std::string& id) override {
        return store_.GetPipelineRun(id);
    }
    Result<std::vector<PipelineRun>> LoadUnfinishedRuns() override { return store_.LoadUnfinishedRuns(); }
    Status InsertActivityRun(const ActivityRun& run) override { return store_.InsertActivityRun(run); }
    Status UpdateActivityRun(const ActivityRun& run) override { return store_.UpdateActivityRun(run); }
    Status SaveCheckpoint(const std::string& id, const Json& cp) override {
        return store_.SaveCheckpoint(id, cp);
    }
    Result<std::vector<ActivityRun>> LoadActivityRuns(const std::string& id) override {
        return store_.LoadActivityRuns(id);
    }
    void BeginWriteBatch() override { store_.BeginWriteBatch(); }
    Status EndWriteBatch() override { return store_.EndWriteBatch(); }

    std::vector<std::string> StatusHistory(const std::string& run_id);

  private:
    storage::Store& store_;
    std::mutex mu_;
    std::map<std::string, std::vector<std::string>> history_;
};

inline const TimePoint kT0 = std::chrono::sys_days{std::chrono::year{2024} / 1 / 15} + std::chrono::hours(8);

class EngineHarness {
  public:
    explicit EngineHarness(EngineOptions options = {});
    ~EngineHarness();

    void StartEngine();  // a new Engine on the same store (the previous one must be stopped)
    void StopEngine();

    Result<PipelineRun> Create(const Json& pipeline, const Json& parameters = Json::object(),
                               const std::string& name = "P");
    PipelineRun Run(const std::string& run_id);
    std::vector<ActivityRun> Activities(const std::string& run_id);
    // Every run of pipeline `name` in the store, oldest first.
    std::vector<PipelineRun> RunsOf(const std::string& name);

    // Polls `done` every few ms for up to `limit` of real time.
    static bool WaitFor(const std::function<bool()>& done,
                        std::chrono::milliseconds limit = std::chrono::seconds(5));
    // Waits (real time, bounded) for the run to reach a terminal status; returns it.
    PipelineRun WaitForEnd(const std::string& run_id);
    // Advances the simulated clock by `step` until `done` (bounded: at most `max_steps` steps).
    bool AdvanceUntil(const std::function<bool()>& done, std::chrono::seconds step, int max_steps = 20);
    // True when `still` holds for the whole of a short real-time window (for "nothing happens yet").
    static bool Holds(const std::function<bool()>& still,
                      std::chrono::milliseconds window = std::chrono::milliseconds(250));

    adxflow::testing::TempDir dir;
    SimulatedClock clock{kT0};
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<RecordingRepository> repo;
    MemoryDefinitions definitions;
    ConnectorRegistry connectors;
    EngineOptions options;
    std::unique_ptr<Engine> engine;
};

}  // namespace adxflow::engine::testing
