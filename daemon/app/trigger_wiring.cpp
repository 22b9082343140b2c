#include "daemon/app/trigger_wiring.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "core/accelerated_clock.hpp"

namespace adxflow::app {

Status NotifyingRuns::UpdatePipelineRun(const engine::PipelineRun& run) {
    ADXFLOW_TRY(inner_.UpdatePipelineRun(run));
    // Called inside the engine's write batch: the callback only queues (TriggerService::OnRunFinished).
    if (on_finished_ && engine::IsTerminalRunStatus(run.status)) on_finished_(run);
    return Ok();
}

triggers::TriggerHost MakeTriggerHost(storage::Store& store, StoreDefinitions& definitions,
                                      engine::Engine& engine) {
    triggers::TriggerHost host;
    host.get_trigger = [&store](const std::string& name) -> Result<std::optional<Json>> {
        ADXFLOW_ASSIGN_OR_RETURN(auto stored, store.GetResource("triggers", name));
        if (!stored) return std::optional<Json>();
        Json body = stored->body;
        body["name"] = stored->name;
        return std::optional<Json>(std::move(body));
    };
    host.create_run = [&store, &definitions, &engine](const std::string& pipeline, const Json& parameters,
                                                      const Json& invoked_by) -> Result<std::string> {
        ADXFLOW_ASSIGN_OR_RETURN(auto stored, store.GetResource("pipelines", pipeline));
        if (!stored)
            return MakeError(ErrorKind::kNotFound, "trigger.create_run",
                             "pipeline '" + pipeline + "' does not exist", "PipelineNotFound");
        ADXFLOW_ASSIGN_OR_RETURN(Json props, definitions.GetPipeline(pipeline));
        engine::CreateRunRequest request;
        request.pipeline_name = stored->name;
        request.pipeline = std::move(props);
        request.parameters = parameters;
        request.invoked_by = invoked_by;
        ADXFLOW_ASSIGN_OR_RETURN(auto run, engine.CreateRun(std::move(request)));
        return run.run_id;
    };
    host.run_status =
        [&store](const std::string& run_id) -> Result<std::optional<std::pair<std::string, std::string>>> {
        ADXFLOW_ASSIGN_OR_RETURN(auto run, store.GetPipelineRun(run_id));
        if (!run) return std::optional<std::pair<std::string, std::string>>();
        return std::optional<std::pair<std::string, std::string>>(std::make_pair(run->status, run->message));
    };
    host.cancel_run = [&engine](const std::string& run_id) {
        return engine.Cancel(run_id, /*recursive=*/true);
    };
    return host;
}

namespace {
struct Unowned final : Clock {
    TimePoint Now() const override { return SystemClock::Instance().Now(); }
    void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                   TimePoint deadline) override {
        SystemClock::Instance().WaitUntil(lock, cv, deadline);
    }
};
}  // namespace

Result<std::unique_ptr<Clock>> MakeDaemonClock(const config::Settings& settings) {
    if (settings.test_clock_start.empty() && settings.test_clock_speed == 1)
        return std::unique_ptr<Clock>(std::make_unique<Unowned>());
    const char* enabled = std::getenv("ADXFLOW_ENABLE_TEST_CLOCK");
    if (!enabled || std::string(enabled) != "1")
        return MakeError(
            ErrorKind::kInvalidInput, "daemon.start",
            "test_clock_start / test_clock_speed are for tests only; set ADXFLOW_ENABLE_TEST_CLOCK=1 "
            "in the environment to use them",
            "InvalidConfiguration", "test_clock_start");
    TimePoint start = SystemClock::Instance().Now();
    if (!settings.test_clock_start.empty()) start = *ParseTimestamp(settings.test_clock_start);
    spdlog::warn("adxflowd: TEST CLOCK: time starts at {} and runs {}x faster than real time",
                 FormatTimestamp(start), settings.test_clock_speed);
    return std::unique_ptr<Clock>(std::make_unique<AcceleratedClock>(start, settings.test_clock_speed));
}

}  // namespace adxflow::app
