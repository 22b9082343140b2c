// ExecutePipeline (adf-semantics §5.7): the activity starts a run of another pipeline, a separate pipeline
// run whose invokedBy names the parent (invokedByType "PipelineActivity", the activity's name and run id,
// the parent pipeline and run). With waitOnCompletion (false when absent, as in the ARM API) the activity
// stays InProgress until the child ends and takes its status; the output is {pipelineName, pipelineRunId}
// plus the child's pipelineReturnValue.
//
// Like the containers it runs on the scheduler thread and holds no worker. The child's run id is saved as
// the activity's checkpoint before the child can start, so after a restart the re-queued attempt attaches
// to the same child instead of starting another one.
#include <spdlog/spdlog.h>

#include "core/engine/engine_state.hpp"
#include "core/ids.hpp"

namespace adxflow::engine {

namespace {

// A pipeline that runs itself through ExecutePipeline, directly or through others, would never end; ADF
// rejects direct self-reference at publish, the engine bounds the chain at run time.
constexpr int kMaxPipelineDepth = 10;

constexpr const char* kPipelineActivity = "PipelineActivity";

Error ExecError(const std::string& activity, std::string message, std::string code) {
    return MakeError(ErrorKind::kInvalidInput, "activity", std::move(message), std::move(code), activity);
}

Json OutputFor(const PipelineRun& child, const Json& return_value) {
    Json out = {{"pipelineName", child.pipeline_name}, {"pipelineRunId", child.run_id}};
    if (!return_value.is_null()) out["pipelineReturnValue"] = return_value;
    return out;
}

}  // namespace

void Engine::StartExecutePipeline(RunState& run, ActivityState& act, const expr::EvalContext& ctx) {
    const std::string& name = act.spec->name;
    auto fail = [&](Error e) {
        e.target = name;
        act.failures = 1 << 20;  // ExecutePipeline has no retry policy in ADF
        FailAttempt(run, act, e);
    };
    const Json& cp = act.record.checkpoint;
    if (const Json* child_id = FindMember(cp, "pipelineRunId"); child_id && child_id->is_string()) {
        // A resumed attempt: the child was started before the restart; attach to it. The engine's own view
        // comes first: a child that ended in this very pass is still in active_, its end not yet committed.
        const std::string id = child_id->get<std::string>();
        if (auto live = active_.find(id); live != active_.end()) {
            RunState& c = *live->second;
            if (!cp.value("waitOnCompletion", false) || IsTerminalRunStatus(c.run.status))
                return FinishExecutePipeline(run, act, c.run, c.return_value, &c);
            act.child_run_id = id;
            return;
        }
        for (const auto& queued : waiting_)
            if (queued->run.run_id == id) {
                if (!cp.value("waitOnCompletion", false))
                    return FinishExecutePipeline(run, act, queued->run, nullptr);
                act.child_run_id = id;
                return;
            }
        auto child = runs_.GetPipelineRun(id);
        if (!child.ok()) return fail(std::move(child).error());
        if (!*child)
            return fail(ExecError(name, "the child pipeline run " + child_id->get<std::string>() + " is gone",
                                  "PipelineRunNotFound"));
        const PipelineRun& c = **child;
        const Json* ret = FindMember(c.run_state, "pipelineReturnValue");
        if (!cp.value("waitOnCompletion", false) || IsTerminalRunStatus(c.status))
            return FinishExecutePipeline(run, act, c, ret ? *ret : Json(nullptr));
        act.child_run_id = c.run_id;
        return;
    }

    const Json* tp_ptr = FindMember(act.spec->definition, "typeProperties");
    const Json tp = tp_ptr ? *tp_ptr : Json::object();
    const Json* ref = FindMember(tp, "pipeline");
    const Json* ref_name = ref ? FindMember(*ref, "referenceName") : nullptr;
    if (!ref_name)
        return fail(ExecError(name, "typeProperties.pipeline.referenceName is required", "InvalidInput"));
    auto child_name = expr::Evaluate(*ref_name, ctx);
    if (!child_name.ok()) return fail(std::move(child_name).error());
    if (!child_name->is_string() || child_name->get_ref<const std::string&>().empty())
        return fail(
            ExecError(name, "typeProperties.pipeline.referenceName must be a pipeline name", "InvalidInput"));
    Json parameters = Json::object();
    if (const Json* p = FindMember(tp, "parameters"); p && !p->is_null()) {
        auto evaluated = expr::EvaluateTree(*p, ctx);
        if (!evaluated.ok()) {
            Error e = std::move(evaluated).error();
            e.message = "typeProperties.parameters." + e.target + ": " + e.message;
            return fail(e);
        }
        if (!evaluated->is_object())
            return fail(ExecError(name, "typeProperties.parameters must be an object", "InvalidInput"));
        parameters = std::move(evaluated).value();
    }
    bool wait = false;
    const Json* w = FindMember(tp, "waitOnCompletion");
    if (!w || w->is_null())
        // ADF's activity page says true, its ARM API and SDKs false; ADF Studio always writes it. Say which.
        spdlog::warn(
            "run {} activity={}: waitOnCompletion is not set; not waiting for the child (the ARM default)",
            run.run.run_id, name);
    if (w && !w->is_null()) {
        auto evaluated = expr::Evaluate(*w, ctx);
        auto flag = evaluated.ok() ? AsBool(*evaluated) : std::nullopt;
        if (!flag)
            return fail(
                ExecError(name, "typeProperties.waitOnCompletion must be true or false", "InvalidInput"));
        wait = *flag;
    }

    // The chain of parents, to refuse runaway recursion with the path that led there.
    std::string chain = run.run.pipeline_name;
    int depth = 1;
    for (Json invoked = run.run.invoked_by; invoked.value("invokedByType", "") == kPipelineActivity;) {
        auto parent = runs_.GetPipelineRun(invoked.value("pipelineRunId", ""));
        if (!parent.ok() || !*parent) break;
        chain = (*parent)->pipeline_name + " -> " + chain;
        invoked = (*parent)->invoked_by;
        if (++depth > kMaxPipelineDepth) break;
    }
    if (depth >= kMaxPipelineDepth)
        return fail(ExecError(name,
                              "ExecutePipeline nests pipelines deeper than " +
                                  std::to_string(kMaxPipelineDepth) + " levels: " + chain + " -> " +
                                  child_name->get<std::string>(),
                              "ExecutePipelineDepthExceeded"));

    auto definition = services_.definitions->GetPipeline(*child_name);
    if (!definition.ok()) {
        Error e = std::move(definition).error();
        if (e.kind == ErrorKind::kNotFound) e.code = "PipelineNotFound";
        return fail(e);
    }
    CreateRunRequest request;
    request.pipeline_name = *child_name;
    request.pipeline = std::move(definition).value();
    request.parameters = parameters;
    request.invoked_by = {{"id", act.record.activity_run_id},
                          {"name", name},
                          {"invokedByType", kPipelineActivity},
                          {"pipelineName", run.run.pipeline_name},
                          {"pipelineRunId", run.run.run_id}};
    auto child = PrepareRun(std::move(request));
    if (!child.ok()) {
        Error e = std::move(child).error();
        e.message = "cannot start pipeline '" + child_name->get<std::string>() + "': " + e.message;
        return fail(e);
    }
    const PipelineRun child_run = (*child)->run;
    // policy.secureInput (the one policy ADF gives ExecutePipeline) keeps the parameters out of the record.
    act.record.input =
        act.policy.secure_input
            ? Json{{"secure", true}}
            : Json{{"pipeline", {{"referenceName", *child_name}, {"type", "PipelineReference"}}},
                   {"parameters", parameters},
                   {"waitOnCompletion", wait}};
    act.record.checkpoint = {{"pipelineRunId", child_run.run_id}, {"waitOnCompletion", wait}};
    (void)runs_.UpdateActivityRun(act.record);
    (void)runs_.SaveCheckpoint(act.record.activity_run_id, act.record.checkpoint);
    // Children go ahead of other queued runs (see PromoteQueuedRuns).
    waiting_.push_front(std::move(child).value());
    spdlog::info("run {} activity={} started pipeline {} as run {}", run.run.run_id, name,
                 child_run.pipeline_name, child_run.run_id);
    if (!wait) return FinishExecutePipeline(run, act, child_run, nullptr);
    act.child_run_id = child_run.run_id;
}

void Engine::FinishExecutePipeline(RunState& run, ActivityState& act, const PipelineRun& child,
                                   const Json& return_value, RunState* child_state) {
    act.child_run_id.clear();
    const TimePoint now = clock_.Now();
    act.record.end = now;
    act.record.last_updated = now;
    const bool waited = act.record.checkpoint.value("waitOnCompletion", false);
    if (run.run.cancel_requested) {
        act.record.status = status::kCancelled;
        act.record.output = OutputFor(child, return_value);
        (void)runs_.UpdateActivityRun(act.record);
        FinishActivity(run, act, status::kCancelled);
        return;
    }
    if (!waited || child.status == status::kSucceeded) {
        act.output = OutputFor(child, waited ? return_value : Json(nullptr));
        act.error = {{"errorCode", ""}, {"message", ""}, {"failureType", ""}, {"target", act.spec->name}};
        act.record.output = act.output;
        act.record.error = act.error;
        act.record.status = status::kSucceeded;
        (void)runs_.UpdateActivityRun(act.record);
        FinishActivity(run, act, status::kSucceeded);
        return;
    }
    // The child failed: the activity fails with the child's message ("Operation on target X failed: ..."),
    // so the parent's own message nests it, and with the failing inner activity's error code.
    std::string code = child.status == status::kCancelled ? "PipelineRunCancelled" : "PipelineRunFailed";
    std::string message = child.message;
    if (child.status == status::kCancelled)
        message = "the pipeline run " + child.run_id + " of '" + child.pipeline_name + "' was cancelled";
    const std::string prefix = "Operation on target ";
    if (message.rfind(prefix, 0) == 0) {
        std::string inner = message.substr(prefix.size(), message.find(" failed: ") - prefix.size());
        // From the child's memory when it just ended (its records may not be committed yet), else the store.
        ActivityState* failed = child_state ? child_state->Find(inner) : nullptr;
        if (failed && failed->error.is_object() && !failed->error.value("errorCode", "").empty())
            code = failed->error.value("errorCode", "");
        else if (auto records = runs_.LoadActivityRuns(child.run_id); records.ok())
            for (const auto& r : *records)
                if (r.activity_name == inner && r.status == status::kFailed && r.error.is_object() &&
                    !r.error.value("errorCode", "").empty())
                    code = r.error.value("errorCode", "");
    }
    act.record.output = OutputFor(child, return_value);
    act.failures = 1 << 20;
    FailAttempt(run, act, ExecError(act.spec->name, message, code));
}

void Engine::OnChildRunEnded(RunState& child) {
    const Json& invoked = child.run.invoked_by;
    if (invoked.value("invokedByType", "") != kPipelineActivity) return;
    auto parent = active_.find(invoked.value("pipelineRunId", ""));
    if (parent == active_.end()) return;  // not running here (finished, or resumed later from the store)
    RunState& run = *parent->second;
    for (auto& [key, act] : run.activities) {
        if (act.child_run_id != child.run.run_id || act.status != status::kInProgress) continue;
        FinishExecutePipeline(run, act, child.run, child.return_value, &child);
        dirty_.insert(run.run.run_id);
        return;
    }
}

}  // namespace adxflow::engine
