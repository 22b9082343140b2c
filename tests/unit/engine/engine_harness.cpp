#include "tests/unit/engine/engine_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "connectors/builtin.hpp"

namespace adxflow::engine::testing {

void MemoryDefinitions::PutLinkedService(const std::string& name, Json properties) {
    std::lock_guard g(mu_);
    linked_services_[ToLower(name)] = std::move(properties);
}

void MemoryDefinitions::PutDataset(const std::string& name, Json properties) {
    std::lock_guard g(mu_);
    datasets_[ToLower(name)] = std::move(properties);
}

void MemoryDefinitions::PutPipeline(const std::string& name, Json properties) {
    std::lock_guard g(mu_);
    pipelines_[ToLower(name)] = std::move(properties);
}

Result<Json> MemoryDefinitions::GetPipeline(const std::string& name) {
    std::lock_guard g(mu_);
    auto it = pipelines_.find(ToLower(name));
    if (it == pipelines_.end())
        return MakeError(ErrorKind::kNotFound, "test.definitions", "pipeline '" + name + "' not found");
    return it->second;
}

Result<Json> MemoryDefinitions::GetLinkedService(const std::string& name) {
    std::lock_guard g(mu_);
    auto it = linked_services_.find(ToLower(name));
    if (it == linked_services_.end())
        return MakeError(ErrorKind::kNotFound, "test.definitions", "linked service '" + name + "' not found");
    return it->second;
}

Result<Json> MemoryDefinitions::GetDataset(const std::string& name) {
    std::lock_guard g(mu_);
    auto it = datasets_.find(ToLower(name));
    if (it == datasets_.end())
        return MakeError(ErrorKind::kNotFound, "test.definitions", "dataset '" + name + "' not found");
    return it->second;
}

Status RecordingRepository::InsertPipelineRun(PipelineRun& run) {
    ADXFLOW_TRY(store_.InsertPipelineRun(run));
    std::lock_guard g(mu_);
    history_[run.run_id].push_back(run.status);
    return Ok();
}

Status RecordingRepository::UpdatePipelineRun(const PipelineRun& run) {
    ADXFLOW_TRY(store_.UpdatePipelineRun(run));
    std::lock_guard g(mu_);
    auto& h = history_[run.run_id];
    if (h.empty() || h.back() != run.status) h.push_back(run.status);
    return Ok();
}

std::vector<std::string> RecordingRepository::StatusHistory(const std::string& run_id) {
    std::lock_guard g(mu_);
    return history_[run_id];
}

EngineHarness::EngineHarness(EngineOptions opts) : options(std::move(opts)) {
    auto opened = storage::Store::Open(dir / "adxflow.db");
    if (!opened.ok()) throw std::runtime_error(opened.error().Describe());
    store = std::move(opened).value();
    repo = std::make_unique<RecordingRepository>(*store);
    RegisterBuiltinConnectors(connectors);
    definitions.PutLinkedService(
        "LS_Files", {{"type", "FileServer"}, {"typeProperties", {{"host", dir.path().string()}}}});
    StartEngine();
}

EngineHarness::~EngineHarness() {
    StopEngine();
}

void EngineHarness::StartEngine() {
    ConnectorEnv env;
    env.file_roots = {dir.path()};
    engine = std::make_unique<Engine>(options, clock, *repo, definitions, connectors, env, nullptr);
    auto started = engine->Start();
    if (!started.ok()) throw std::runtime_error(started.error().Describe());
}

void EngineHarness::StopEngine() {
    if (engine) engine->Stop();
    engine.reset();
}

Result<PipelineRun> EngineHarness::Create(const Json& pipeline, const Json& parameters,
                                          const std::string& name) {
    CreateRunRequest req;
    req.pipeline_name = name;
    req.pipeline = pipeline;
    req.parameters = parameters;
    return engine->CreateRun(std::move(req));
}

PipelineRun EngineHarness::Run(const std::string& run_id) {
    auto r = store->GetPipelineRun(run_id);
    if (!r.ok() || !r->has_value()) throw std::runtime_error("run " + run_id + " not in the store");
    return **r;
}

std::vector<ActivityRun> EngineHarness::Activities(const std::string& run_id) {
    auto r = store->LoadActivityRuns(run_id);
    if (!r.ok()) throw std::runtime_error(r.error().Describe());
    return *r;
}

std::vector<PipelineRun> EngineHarness::RunsOf(const std::string& name) {
    RunFilter filter;
    filter.last_updated_before = TimePoint::max();
    filter.conditions.push_back({"PipelineName", "Equals", {name}});
    filter.order_by = "RunStart";
    filter.descending = false;
    filter.limit = 1000;
    auto page = store->QueryPipelineRuns(filter);
    if (!page.ok()) throw std::runtime_error(page.error().Describe());
    std::sort(page->runs.begin(), page->runs.end(),
              [](const PipelineRun& a, const PipelineRun& b) { return a.sequence < b.sequence; });
    return page->runs;
}

bool EngineHarness::WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
}

PipelineRun EngineHarness::WaitForEnd(const std::string& run_id) {
    PipelineRun last;
    bool ended = WaitFor([&] {
        last = Run(run_id);
        return IsTerminalRunStatus(last.status);
    });
    EXPECT_TRUE(ended) << "run " << run_id << " still " << last.status;
    return last;
}

bool EngineHarness::AdvanceUntil(const std::function<bool()>& done, std::chrono::seconds step,
                                 int max_steps) {
    for (int i = 0; i < max_steps; ++i) {
        if (WaitFor(done, std::chrono::milliseconds(200))) return true;
        clock.Advance(step);
    }
    return WaitFor(done);
}

bool EngineHarness::Holds(const std::function<bool()>& still, std::chrono::milliseconds window) {
    const auto until = std::chrono::steady_clock::now() + window;
    while (std::chrono::steady_clock::now() < until) {
        if (!still()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return still();
}

}  // namespace adxflow::engine::testing
