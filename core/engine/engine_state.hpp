#pragma once
// The scheduler thread's in-memory state of a run, shared by engine.cpp (activities, retries, recovery) and
// engine_containers.cpp (ForEach, IfCondition, Switch, Until). Not part of the engine's interface.
//
// Every activity of a run, nested ones included, lives in RunState::activities under a key: the lower-cased
// name for top-level activities, and "<container>\t<frame>\t<name>" for an inner activity of one frame (one
// ForEach iteration, one If/Switch branch, one Until pass). One flat map keeps every activity reachable by
// the code that must see them all (cancel, shutdown, timeouts, attempt completion), while a Frame knows
// which of them form its own dependency graph.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/engine/graph.hpp"

namespace adxflow::engine {

inline bool IsContainerType(std::string_view type) {
    return IEquals(type, "ForEach") || IEquals(type, "IfCondition") || IEquals(type, "Switch") ||
           IEquals(type, "Until");
}

struct Engine::Frame {
    std::string prefix;  // key prefix of this frame's activities in RunState::activities
    std::shared_ptr<const std::vector<model::ActivitySpec>> specs;
    std::vector<Node> nodes;
    std::optional<Json> item;         // item() of a ForEach iteration
    size_t index = 0;                 // iteration / pass number
    std::string status;               // "" while running, then Succeeded or Failed by the leaf rule
    std::vector<std::string> failed;  // leaf-rule nodes that did not succeed
};

// A container activity's progress (its ActivityState::container).
struct Engine::ContainerState {
    enum class Kind { kForEach, kIf, kSwitch, kUntil } kind = Kind::kForEach;
    std::shared_ptr<const std::vector<model::ActivitySpec>> specs;  // the inner list being run
    std::vector<std::unique_ptr<Engine::Frame>> frames;             // started frames, in start order
    Json items = Json::array();                                     // ForEach: evaluated once at start
    // ForEach's resume checkpoint: which iterations finished (whatever their status) and the first failure.
    // Saved once per scheduler pass that finished iterations, as {"itemsText", "finished": "0-99,120",
    // "firstFailure"}: the items as JSON text dumped once, the finished set as ranges, so that a save costs
    // a copy of one string however many iterations already ran.
    std::string items_text;
    std::vector<char> finished;
    std::optional<std::string> first_failure;
    bool checkpoint_dirty = false;
    size_t next = 0;      // ForEach: next iteration to start
    size_t parallel = 1;  // ForEach: iterations at once
    std::optional<TimePoint> until_deadline;
};

struct Engine::ActivityState {
    const model::ActivitySpec* spec = nullptr;
    std::string key;         // in RunState::activities
    Frame* frame = nullptr;  // the frame this activity belongs to; null at top level
    std::string status;      // "" not started; Queued (retry wait); InProgress; or a final status
    ActivityRun record;      // the current attempt
    bool has_record = false;
    int failures = 0;  // failed attempts that count against policy.retry (DaemonRestart does not)
    model::ActivityPolicy policy;
    std::optional<TimePoint> deadline;
    CancellationToken token;
    Json output = nullptr;
    Json error = nullptr;
    std::unique_ptr<ContainerState> container;  // set while a control activity runs its frames
    std::string child_run_id;                   // ExecutePipeline waiting on this child run
};

struct Engine::RunState {
    PipelineRun run;
    model::PipelineSpec spec;
    std::vector<Node> nodes;
    std::map<std::string, ActivityState> activities;  // see the header comment for the keys
    Json variables = Json::object();
    Json return_value = nullptr;  // pipelineReturnValue, set by SetVariable with setSystemVariable
    Json global_parameters = Json::object();
    int running = 0;
    bool cancel_recursive = false;     // cancel the child runs of ExecutePipeline activities too
    std::vector<std::string> secrets;  // SecureString parameter values: kept out of log lines

    // A top-level activity.
    ActivityState* Find(std::string_view name) { return FindIn(nullptr, name); }
    // An activity of `frame` (top level when null).
    ActivityState* FindIn(const Frame* frame, std::string_view name) {
        auto it = activities.find((frame ? frame->prefix : std::string()) + ToLower(name));
        return it == activities.end() ? nullptr : &it->second;
    }
};

}  // namespace adxflow::engine
