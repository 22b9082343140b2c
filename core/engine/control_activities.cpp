// Control activities that run on a worker like any other: SetVariable, AppendVariable, Filter and Fail
// (adf-semantics §5.5–§5.7). Variables are run state owned by the scheduler thread, so SetVariable and
// AppendVariable only compute the new value here and hand it back in ActivityResult::variable_update.
#include "core/engine/control_activities.hpp"

namespace adxflow::engine {

namespace {

Result<std::string> RequiredString(const Json& tp, std::string_view member, const ActivityTask& task) {
    const Json* v = FindMember(tp, member);
    if (!v || !v->is_string() || v->get_ref<const std::string&>().empty())
        return MakeError(ErrorKind::kInvalidInput, "activity",
                         "typeProperties." + std::string(member) + " is required", "InvalidInput",
                         task.activity_name);
    return v->get<std::string>();
}

// pipelineReturnValue is written as [{"key": k, "value": {"type": T, "content": c}}]; an Expression's
// content was evaluated with the rest of typeProperties, an Array's content holds typed values again.
Json ReturnValueOf(const Json& typed) {
    if (!typed.is_object() || !typed.contains("content")) return typed;
    const Json& content = typed["content"];
    if (IEquals(typed.value("type", ""), "Array") && content.is_array()) {
        Json out = Json::array();
        for (const auto& v : content) out.push_back(ReturnValueOf(v));
        return out;
    }
    return content;
}

class SetVariableExecutor final : public ActivityExecutor {
  public:
    explicit SetVariableExecutor(bool append) : append_(append) {}

    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        auto tp = EvaluateTypeProperties(task);
        if (!tp.ok()) {
            result.output = std::move(tp).error();
            return result;
        }
        result.input = *tp;
        auto name = RequiredString(*tp, "variableName", task);
        if (!name.ok()) {
            result.output = std::move(name).error();
            return result;
        }
        const Json* value = FindMember(*tp, "value");
        Json v = value ? *value : Json(nullptr);
        const Json* system = FindMember(*tp, "setSystemVariable");
        if (!append_ && system && system->is_boolean() && system->get<bool>()) {
            if (!IEquals(*name, "pipelineReturnValue") || !v.is_array()) {
                result.output =
                    MakeError(ErrorKind::kInvalidInput, "activity",
                              "setSystemVariable only sets pipelineReturnValue, given as [{key, value}]",
                              "InvalidSystemVariable", task.activity_name);
                return result;
            }
            Json ret = Json::object();
            for (const auto& entry : v)
                if (entry.is_object() && entry.contains("key") && entry["key"].is_string())
                    ret[entry["key"].get<std::string>()] = ReturnValueOf(entry.value("value", Json()));
            result.variable_update = {{"pipelineReturnValue", ret}};
            result.output = Json{{"name", "pipelineReturnValue"}, {"value", ret}};
            return result;
        }
        result.variable_update = {{"name", *name}, {"value", v}, {"append", append_}};
        result.output = append_ ? Json::object() : Json{{"name", *name}, {"value", v}};
        return result;
    }

  private:
    bool append_;
};

// Filter: items evaluated once, then condition once per item with item() bound to it.
class FilterExecutor final : public ActivityExecutor {
  public:
    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        const Json* tp = FindMember(task.definition, "typeProperties");
        const Json* items_expr = tp ? FindMember(*tp, "items") : nullptr;
        const Json* condition = tp ? FindMember(*tp, "condition") : nullptr;
        auto fail = [&](std::string message, std::string code) {
            result.output = MakeError(ErrorKind::kInvalidInput, "filter", std::move(message), std::move(code),
                                      task.activity_name);
            return result;
        };
        if (!items_expr || !condition)
            return fail("typeProperties.items and condition are required", "InvalidInput");
        auto items = expr::Evaluate(*items_expr, task.eval);
        if (!items.ok()) return fail(items.error().message, "InvalidTemplate");
        if (!items->is_array())
            return fail("typeProperties.items must evaluate to an array", "InvalidTemplate");
        result.input = {{"items", *items}, {"condition", *condition}};
        Json kept = Json::array();
        expr::EvalContext ctx = task.eval;
        for (const auto& item : *items) {
            ctx.item = item;
            auto keep = expr::Evaluate(*condition, ctx);
            if (!keep.ok()) return fail(keep.error().message, "InvalidTemplate");
            if (!keep->is_boolean())
                return fail("typeProperties.condition must evaluate to true or false, got " + keep->dump(),
                            "InvalidTemplate");
            if (keep->get<bool>()) kept.push_back(item);
        }
        result.output =
            Json{{"ItemsCount", items->size()}, {"FilteredItemsCount", kept.size()}, {"Value", kept}};
        return result;
    }
};

// Fail: the activity fails with the user's message and errorCode; ADF's edge cases keep their wording.
class FailExecutor final : public ActivityExecutor {
  public:
    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        const Json* raw = FindMember(task.definition, "typeProperties");
        const std::string uninterpretable =
            "Failed to interpret " + task.activity_name + " fail message or error code";
        auto user_error = [&](std::string message, std::string code) {
            result.output = MakeError(ErrorKind::kInvalidInput, "fail", std::move(message), std::move(code),
                                      task.activity_name);
            return result;
        };
        if (!raw || !FindMember(*raw, "message"))
            return user_error("Fail message wasn't provided", "ErrorCodeNotString");
        auto tp = EvaluateTypeProperties(task);
        if (!tp.ok()) return user_error(uninterpretable, "ErrorCodeNotString");
        result.input = *tp;
        const Json* message = FindMember(*tp, "message");
        const Json* code = FindMember(*tp, "errorCode");
        std::string code_text = code && code->is_string() ? code->get<std::string>() : "";
        if (code_text.empty()) code_text = "ErrorCodeNotString";
        if (!message || !message->is_string() || message->get_ref<const std::string&>().empty())
            return user_error(uninterpretable, code_text);
        return user_error(message->get<std::string>(), code_text);
    }
};

}  // namespace

void AddControlExecutors(std::map<std::string, std::unique_ptr<ActivityExecutor>>& executors) {
    executors["setvariable"] = std::make_unique<SetVariableExecutor>(false);
    executors["appendvariable"] = std::make_unique<SetVariableExecutor>(true);
    executors["filter"] = std::make_unique<FilterExecutor>();
    executors["fail"] = std::make_unique<FailExecutor>();
}

}  // namespace adxflow::engine
