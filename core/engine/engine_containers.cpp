// ForEach, IfCondition, Switch and Until (adf-semantics §5.4, §5.5), and the variable updates of
// SetVariable/AppendVariable (§5.6).
//
// A control activity does not occupy a worker: it is an InProgress activity on the scheduler thread that
// runs frames of inner activities (one per ForEach iteration, If/Switch branch or Until pass) with the same
// dependency and leaf rules as the pipeline itself. A frame's status is its leaf-rule verdict; the container
// fails when a frame failed. ForEach records which iterations finished in its activity run's checkpoint,
// so after a restart only unfinished iterations run again.
#include <spdlog/spdlog.h>

#include "core/engine/engine_state.hpp"
#include "core/ids.hpp"

namespace adxflow::engine {

namespace {

constexpr size_t kDefaultBatchCount = 20;
constexpr size_t kMaxBatchCount = 50;
constexpr size_t kMaxForEachItems = 100000;  // ADF's limit
constexpr Millis kDefaultUntilTimeout = std::chrono::hours(24 * 7);

std::string TypeName(const Json& value) {
    return value.type_name();
}

Node NodeFor(const model::ActivitySpec& a) {
    Node n;
    n.name = a.name;
    for (const auto& d : a.depends_on) {
        Edge e;
        e.upstream = d.activity;
        for (auto c : d.conditions) e.conditions.push_back(ToCondition(c));
        n.depends_on.push_back(std::move(e));
    }
    return n;
}

Error ContainerError(const std::string& activity, std::string message, std::string code = "InvalidTemplate") {
    return MakeError(ErrorKind::kInvalidInput, "activity", std::move(message), std::move(code), activity);
}

// ADF matches declared variable types: String, Bool (Boolean), Array; newer factories also Integer.
bool MatchesType(const std::string& type, const Json& value) {
    if (IEquals(type, "String")) return value.is_string();
    if (IEquals(type, "Bool") || IEquals(type, "Boolean")) return value.is_boolean();
    if (IEquals(type, "Array")) return value.is_array();
    if (IEquals(type, "Integer") || IEquals(type, "Int")) return value.is_number_integer();
    return true;
}

// "0-4,7,9-12": the indexes whose flag is set.
std::string EncodeRanges(const std::vector<char>& flags) {
    std::string out;
    for (size_t i = 0; i < flags.size();) {
        if (!flags[i]) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < flags.size() && flags[j + 1]) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(i);
        if (j > i) out += '-' + std::to_string(j);
        i = j + 1;
    }
    return out;
}

void DecodeRanges(const std::string& text, std::vector<char>& flags) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t comma = text.find(',', pos);
        std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        size_t dash = part.find('-');
        size_t first = std::stoul(part.substr(0, dash));
        size_t last = dash == std::string::npos ? first : std::stoul(part.substr(dash + 1));
        for (size_t i = first; i <= last && i < flags.size(); ++i) flags[i] = 1;
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
}

Json ForEachCheckpoint(const std::string& items_text, const std::vector<char>& finished,
                       const std::optional<std::string>& first_failure) {
    Json cp = {{"itemsText", items_text}, {"finished", EncodeRanges(finished)}};
    if (first_failure) cp["firstFailure"] = *first_failure;
    return cp;
}

}  // namespace

Status Engine::ApplyVariableUpdate(RunState& run, const Json& update) {
    if (const Json* ret = FindMember(update, "pipelineReturnValue")) {
        run.return_value = *ret;
    } else {
        const std::string name = update.value("name", "");
        std::string declared;
        std::string type;
        for (auto it = run.spec.variables.begin(); it != run.spec.variables.end(); ++it) {
            if (!IEquals(it.key(), name)) continue;
            declared = it.key();
            type = it.value().is_object() ? it.value().value("type", "") : "";
        }
        if (declared.empty())
            return MakeError(ErrorKind::kInvalidInput, "variables",
                             "the pipeline declares no variable named '" + name + "'", "InvalidVariable");
        const Json& value = update["value"];
        const bool append = update.value("append", false);
        if (append && !IEquals(type, "Array"))
            return MakeError(
                ErrorKind::kInvalidInput, "variables",
                "AppendVariable needs an Array variable; '" + declared + "' is of type '" + type + "'",
                "InvalidVariableType");
        if (!append && !MatchesType(type, value))
            return MakeError(ErrorKind::kInvalidInput, "variables",
                             "The variable '" + declared + "' of type '" + type +
                                 "' cannot be initialized or updated with value of type '" +
                                 std::string(TypeName(value)) + "'",
                             "InvalidVariableType");
        Json& slot = run.variables[declared];
        if (append) {
            if (!slot.is_array()) slot = Json::array();
            slot.push_back(value);
        } else {
            slot = value;
        }
    }
    // Persisted in this pass's write batch, with the activity's Succeeded record: a resumed run sees it.
    // Other members (a recovery rerun's plan) stay.
    if (!run.run.run_state.is_object()) run.run.run_state = Json::object();
    run.run.run_state["variables"] = run.variables;
    run.run.run_state["pipelineReturnValue"] = run.return_value;
    return runs_.UpdatePipelineRun(run.run);
}

Engine::Frame& Engine::AddFrame(RunState& run, ActivityState& act, std::optional<Json> item) {
    ContainerState& cs = *act.container;
    auto frame = std::make_unique<Frame>();
    frame->index = cs.kind == ContainerState::Kind::kForEach ? cs.next : cs.frames.size();
    frame->prefix =
        act.key + "\t" + std::to_string(frame->index) + "\t" + std::to_string(cs.frames.size()) + "\t";
    frame->specs = cs.specs;
    frame->item = std::move(item);
    for (const auto& spec : *cs.specs) {
        frame->nodes.push_back(NodeFor(spec));
        ActivityState& inner = run.activities[frame->prefix + ToLower(spec.name)];
        inner.spec = &spec;
        inner.key = frame->prefix + ToLower(spec.name);
        inner.frame = frame.get();
    }
    cs.frames.push_back(std::move(frame));
    return *cs.frames.back();
}

void Engine::StartContainer(RunState& run, ActivityState& act, const expr::EvalContext& ctx) {
    const Json* tp_ptr = FindMember(act.spec->definition, "typeProperties");
    const Json tp = tp_ptr ? *tp_ptr : Json::object();
    const std::string& name = act.spec->name;
    auto cs = std::make_unique<ContainerState>();
    auto evaluate = [&](std::string_view member) -> Result<Json> {
        const Json* v = FindMember(tp, member);
        if (!v)
            return ContainerError(name, "typeProperties." + std::string(member) + " is required",
                                  "InvalidInput");
        return expr::Evaluate(*v, ctx);
    };
    auto inner_list = [&](std::string_view member) -> Result<std::vector<model::ActivitySpec>> {
        const Json* list = FindMember(tp, member);
        return model::ParseActivities(list ? *list : Json(), "typeProperties." + std::string(member));
    };
    auto fail = [&](Error e) {
        e.target = name;
        act.failures = 1 << 20;  // a definition problem: retrying cannot help
        FailAttempt(run, act, e);
    };
    std::string list_member = "activities";
    Json input = Json::object();
    if (IEquals(act.spec->type, "ForEach")) {
        cs->kind = ContainerState::Kind::kForEach;
        const Json& cp = act.record.checkpoint;
        Json saved_items = nullptr;
        if (const Json* text = FindMember(cp, "itemsText"); text && text->is_string())
            saved_items = Json::parse(text->get<std::string>(), nullptr, /*allow_exceptions=*/false);
        else if (const Json* items = FindMember(cp, "items"))  // checkpoints written before itemsText
            saved_items = *items;
        if (saved_items.is_array()) {
            // A resumed attempt iterates the items the first attempt evaluated, skipping finished ones.
            cs->items = std::move(saved_items);
            cs->finished.assign(cs->items.size(), 0);
            if (const Json* f = FindMember(cp, "finished"); f && f->is_string()) {
                try {
                    DecodeRanges(f->get<std::string>(), cs->finished);
                } catch (const std::exception&) {
                    return fail(ContainerError(name, "the ForEach checkpoint is damaged", "InternalError"));
                }
            }
            if (const Json* done = FindMember(cp, "done"); done && done->is_object())
                for (auto it = done->begin(); it != done->end(); ++it) {
                    if (it.key() == "firstFailure") continue;
                    size_t i = std::strtoul(it.key().c_str(), nullptr, 10);
                    if (i < cs->finished.size()) cs->finished[i] = 1;
                }
            const Json* done = FindMember(cp, "done");
            const Json* first = FindMember(cp, "firstFailure");
            if (!first && done) first = FindMember(*done, "firstFailure");
            if (first && first->is_string()) cs->first_failure = first->get<std::string>();
        } else {
            auto items = evaluate("items");
            if (!items.ok()) return fail(std::move(items).error());
            if (!items->is_array())
                return fail(ContainerError(name, "typeProperties.items must evaluate to an array, got " +
                                                     std::string(TypeName(*items))));
            if (items->size() > kMaxForEachItems)
                return fail(ContainerError(name, "typeProperties.items has " + std::to_string(items->size()) +
                                                     " items; a ForEach iterates at most 100000"));
            cs->items = std::move(items).value();
            cs->finished.assign(cs->items.size(), 0);
        }
        cs->items_text = cs->items.dump();
        auto sequential =
            FindMember(tp, "isSequential") ? evaluate("isSequential") : Result<Json>(Json(false));
        auto batch =
            FindMember(tp, "batchCount") ? evaluate("batchCount") : Result<Json>(Json(kDefaultBatchCount));
        if (!sequential.ok()) return fail(std::move(sequential).error());
        if (!batch.ok()) return fail(std::move(batch).error());
        auto count = AsInt(*batch);
        if (!count || *count < 1 || *count > static_cast<long long>(kMaxBatchCount))
            return fail(ContainerError(name, "typeProperties.batchCount must be an integer from 1 to 50"));
        cs->parallel = AsBool(*sequential).value_or(false) ? 1 : static_cast<size_t>(*count);
        input = {
            {"itemsCount", cs->items.size()}, {"isSequential", cs->parallel == 1}, {"batchCount", *count}};
    } else if (IEquals(act.spec->type, "IfCondition")) {
        cs->kind = ContainerState::Kind::kIf;
        auto result = evaluate("expression");
        if (!result.ok()) return fail(std::move(result).error());
        if (!result->is_boolean())
            return fail(ContainerError(
                name, "typeProperties.expression must evaluate to true or false, got " + result->dump()));
        list_member = result->get<bool>() ? "ifTrueActivities" : "ifFalseActivities";
        input = {{"expression", *result}};
    } else if (IEquals(act.spec->type, "Switch")) {
        cs->kind = ContainerState::Kind::kSwitch;
        auto on = evaluate("on");
        if (!on.ok()) return fail(std::move(on).error());
        std::string value = on->is_string() ? on->get<std::string>() : on->dump();
        list_member = "defaultActivities";
        if (const Json* cases = FindMember(tp, "cases"); cases && cases->is_array())
            for (size_t i = 0; i < cases->size(); ++i)
                if (const Json* v = FindMember((*cases)[i], "value"); v && v->is_string() && *v == value)
                    list_member = "cases[" + std::to_string(i) + "]";
        input = {{"on", value}};
    } else {
        cs->kind = ContainerState::Kind::kUntil;
        Millis timeout = kDefaultUntilTimeout;
        if (const Json* t = FindMember(tp, "timeout"); t && !t->is_null()) {
            auto evaluated = expr::Evaluate(*t, ctx);
            auto span = evaluated.ok() && evaluated->is_string()
                            ? ParseTimespan(evaluated->get<std::string>())
                            : Result<Millis>(ContainerError(name, "bad"));
            if (!span.ok())
                return fail(ContainerError(name, "typeProperties.timeout must be a timespan \"d.hh:mm:ss\""));
            timeout = *span;
        }
        cs->until_deadline = clock_.Now() + timeout;
        AddTimer(*cs->until_deadline, run.run.run_id);
    }
    Result<std::vector<model::ActivitySpec>> specs = std::vector<model::ActivitySpec>{};
    if (list_member.rfind("cases[", 0) == 0) {
        size_t i = std::stoul(list_member.substr(6));
        const Json* list = FindMember(FindMember(tp, "cases")->at(i), "activities");
        specs =
            model::ParseActivities(list ? *list : Json(), "typeProperties." + list_member + ".activities");
    } else {
        specs = inner_list(list_member);
    }
    if (!specs.ok()) return fail(std::move(specs).error());
    cs->specs = std::make_shared<const std::vector<model::ActivitySpec>>(std::move(specs).value());
    act.record.input = input;
    (void)runs_.UpdateActivityRun(act.record);
    act.container = std::move(cs);
    if (act.container->kind != ContainerState::Kind::kForEach) AddFrame(run, act, std::nullopt);
    dirty_.insert(run.run.run_id);
}

void Engine::AdvanceContainer(RunState& run, ActivityState& act) {
    ContainerState& cs = *act.container;
    const TimePoint now = clock_.Now();
    if (cs.until_deadline && *cs.until_deadline <= now) {
        // Until timed out: stop the pass that is running; the container fails once it ended.
        for (auto& frame : cs.frames)
            for (const auto& node : frame->nodes)
                if (ActivityState* inner = run.FindIn(frame.get(), node.name);
                    inner && inner->status == status::kInProgress)
                    inner->token.Cancel(MakeError(ErrorKind::kTimeout, "activity.timeout",
                                                  "Until '" + act.spec->name + "' timed out",
                                                  "ActivityTimedOut"));
    }
    auto frame_status = [&run](Frame* frame) {
        return [&run, frame](std::string_view name) -> std::optional<std::string> {
            ActivityState* a = run.FindIn(frame, name);
            if (!a) return std::nullopt;
            return a->status;
        };
    };
    std::optional<Error> failure;
    auto inner_failure = [&](Frame& frame) {
        std::string inner = frame.failed.empty() ? "" : frame.failed.front();
        ActivityState* a = inner.empty() ? nullptr : run.FindIn(&frame, inner);
        std::string message = a && a->error.is_object() ? a->error.value("message", "") : "";
        std::string code = a && a->error.is_object() ? a->error.value("errorCode", "") : "";
        return MakeError(ErrorKind::kInvalidInput, "activity",
                         "Activity failed because an inner activity failed; Inner activity name: " + inner +
                             ", Error: " + message,
                         code.empty() ? "ActivityFailed" : code, act.spec->name);
    };
    for (bool progress = true; progress && !failure;) {
        progress = false;
        for (size_t i = 0; i < cs.frames.size(); ++i) {
            Frame& frame = *cs.frames[i];
            if (!frame.status.empty() || !ProcessFrame(run, &frame)) continue;
            LeafVerdict verdict = EvaluateLeafRule(frame.nodes, frame_status(&frame));
            frame.status = verdict.succeeded ? status::kSucceeded : status::kFailed;
            frame.failed = verdict.failed;
            progress = true;
            if (cs.kind == ContainerState::Kind::kForEach) {
                cs.finished[frame.index] = 1;
                if (!verdict.succeeded && !cs.first_failure) cs.first_failure = inner_failure(frame).message;
                cs.checkpoint_dirty = true;
                // A finished iteration is only a line in the checkpoint: drop its activities so a long
                // ForEach holds only the iterations in flight.
                for (const auto& node : frame.nodes) run.activities.erase(frame.prefix + ToLower(node.name));
                cs.frames.erase(cs.frames.begin() + static_cast<std::ptrdiff_t>(i));
                --i;
                continue;
            }
            if (!verdict.succeeded) {
                failure = cs.until_deadline && *cs.until_deadline <= now
                              ? MakeError(ErrorKind::kTimeout, "activity",
                                          "Until '" + act.spec->name + "' timed out", "ActivityTimedOut",
                                          act.spec->name)
                              : inner_failure(frame);
                break;
            }
            if (cs.kind != ContainerState::Kind::kUntil) break;
            // do-until: the body ran, now the condition (it sees this pass's activities and the variables).
            const Json* tp = FindMember(act.spec->definition, "typeProperties");
            const Json* condition = tp ? FindMember(*tp, "expression") : nullptr;
            auto done =
                condition
                    ? expr::Evaluate(*condition, BuildContext(run, &frame))
                    : Result<Json>(ContainerError(act.spec->name, "typeProperties.expression is required"));
            if (!done.ok()) {
                failure = std::move(done).error();
            } else if (!done->is_boolean()) {
                failure = ContainerError(act.spec->name,
                                         "typeProperties.expression must evaluate to true or false");
            } else if (!done->get<bool>()) {
                if (*cs.until_deadline <= now) {
                    failure =
                        MakeError(ErrorKind::kTimeout, "activity", "Until '" + act.spec->name + "' timed out",
                                  "ActivityTimedOut", act.spec->name);
                } else if (!draining_) {
                    AddFrame(run, act, std::nullopt);
                }
            }
            break;
        }
        if (failure || cs.kind != ContainerState::Kind::kForEach || draining_) continue;
        while (cs.frames.size() < cs.parallel && cs.next < cs.items.size()) {
            if (cs.finished[cs.next]) {
                ++cs.next;
                continue;
            }
            AddFrame(run, act, cs.items[cs.next]);
            ++cs.next;
            progress = true;
        }
    }
    if (cs.checkpoint_dirty) {
        // Once per pass, in the pass's write batch with the inner activities' final records.
        cs.checkpoint_dirty = false;
        act.record.checkpoint = ForEachCheckpoint(cs.items_text, cs.finished, cs.first_failure);
        (void)runs_.SaveCheckpoint(act.record.activity_run_id, act.record.checkpoint);
    }
    if (failure) return FinishContainer(run, act, &*failure);
    if (cs.kind == ContainerState::Kind::kForEach) {
        if (!cs.frames.empty() || cs.next < cs.items.size()) return;
        if (cs.first_failure) {
            Error e = MakeError(ErrorKind::kInvalidInput, "activity", *cs.first_failure, "ActivityFailed",
                                act.spec->name);
            return FinishContainer(run, act, &e);
        }
        return FinishContainer(run, act, nullptr);
    }
    bool all_done = !cs.frames.empty() && !cs.frames.back()->status.empty();
    if (all_done) FinishContainer(run, act, nullptr);
}

void Engine::FinishContainer(RunState& run, ActivityState& act, const Error* error) {
    for (auto& frame : act.container->frames) {
        // An iteration still running when a sibling failed (If/Switch/Until stop at the first failure) is
        // left to finish on its own: only frames whose activities are all final are dropped.
        bool idle = true;
        for (const auto& node : frame->nodes)
            if (ActivityState* a = run.FindIn(frame.get(), node.name); a && a->status == status::kInProgress)
                idle = false;
        if (!idle) return;
    }
    for (auto& frame : act.container->frames)
        for (const auto& node : frame->nodes) run.activities.erase(frame->prefix + ToLower(node.name));
    act.container.reset();
    const TimePoint now = clock_.Now();
    act.record.end = now;
    act.record.last_updated = now;
    if (error) {
        FailAttempt(run, act, *error);
        return;
    }
    act.output = Json::object();
    act.error = {{"errorCode", ""}, {"message", ""}, {"failureType", ""}, {"target", act.spec->name}};
    act.record.output = act.output;
    act.record.error = act.error;
    act.record.status = status::kSucceeded;
    (void)runs_.UpdateActivityRun(act.record);
    FinishActivity(run, act, status::kSucceeded);
}

}  // namespace adxflow::engine
