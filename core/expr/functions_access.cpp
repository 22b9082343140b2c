// Accessors: the functions that read the evaluation context rather than their arguments.

#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

Result<Json> Pipeline(std::span<const Json>, const CallEnv& env) {
    return env.ctx.pipeline;
}

Result<Json> Variables(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string name, StringArg(args, 0, env));
    if (const Json* value = FindMember(env.ctx.variables, name)) return *value;
    std::string known;
    if (env.ctx.variables.is_object())
        for (auto it = env.ctx.variables.begin(); it != env.ctx.variables.end(); ++it)
            known += (known.empty() ? "" : ", ") + it.key();
    return FunctionError(env, "found no variable named '" + name + "' (the pipeline declares " +
                                  (known.empty() ? std::string("no variables") : known) + ")");
}

Result<Json> Activity(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string name, StringArg(args, 0, env));
    std::optional<Json> result;
    if (env.ctx.activity) result = env.ctx.activity(name);
    if (!result)
        return FunctionError(env,
                             "found no result for activity '" + name +
                                 "': it does not exist, has not run yet, or is not upstream of this one");
    return *result;
}

Result<Json> Scoped(const std::optional<Json>& value, const CallEnv& env, std::string_view where) {
    if (!value) return FunctionError(env, "can only be used " + std::string(where));
    return *value;
}

Result<Json> Item(std::span<const Json>, const CallEnv& env) {
    return Scoped(env.ctx.item, env, "inside a ForEach or Filter activity");
}
Result<Json> Dataset(std::span<const Json>, const CallEnv& env) {
    return Scoped(env.ctx.dataset, env, "inside a dataset definition");
}
Result<Json> LinkedService(std::span<const Json>, const CallEnv& env) {
    return Scoped(env.ctx.linked_service, env, "inside a linked service definition");
}
Result<Json> Trigger(std::span<const Json>, const CallEnv& env) {
    return Scoped(env.ctx.trigger, env, "inside a trigger definition");
}

// triggerOutputs() is trigger().outputs and triggerBody() is trigger().outputs.body (event triggers).
Result<Json> TriggerOutputs(std::span<const Json>, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(Json trigger, Scoped(env.ctx.trigger, env, "inside a trigger definition"));
    const Json* outputs = FindMember(trigger, "outputs");
    return outputs ? *outputs : Json();
}
Result<Json> TriggerBody(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(Json outputs, TriggerOutputs(args, env));
    const Json* body = FindMember(outputs, "body");
    return body ? *body : Json();
}

constexpr FunctionSpec kFunctions[] = {
    {"pipeline", 0, 0, Pipeline},       {"variables", 1, 1, Variables},
    {"activity", 1, 1, Activity},       {"item", 0, 0, Item},
    {"dataset", 0, 0, Dataset},         {"linkedService", 0, 0, LinkedService},
    {"trigger", 0, 0, Trigger},         {"triggerOutputs", 0, 0, TriggerOutputs},
    {"triggerBody", 0, 0, TriggerBody},
};

}  // namespace

std::span<const FunctionSpec> AccessFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
