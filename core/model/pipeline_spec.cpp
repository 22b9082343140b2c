#include "core/model/pipeline_spec.hpp"

#include <limits>
#include <set>

#include "core/model/checker.hpp"

namespace adxflow::model {
namespace {

using detail::InvalidAt;
using detail::Quoted;

std::string CanonicalInactiveMark(const Json* mark) {
    if (mark && mark->is_string()) {
        for (std::string_view canonical : {"Succeeded", "Failed", "Skipped"})
            if (IEquals(mark->get_ref<const std::string&>(), canonical)) return std::string(canonical);
    }
    return "Succeeded";
}

}  // namespace

std::optional<DependencyCondition> ParseDependencyCondition(std::string_view text) {
    for (auto c : {DependencyCondition::kSucceeded, DependencyCondition::kFailed,
                   DependencyCondition::kSkipped, DependencyCondition::kCompleted})
        if (IEquals(ToString(c), text)) return c;
    return std::nullopt;
}

std::string_view ToString(DependencyCondition condition) {
    switch (condition) {
        case DependencyCondition::kSucceeded:
            return "Succeeded";
        case DependencyCondition::kFailed:
            return "Failed";
        case DependencyCondition::kSkipped:
            return "Skipped";
        case DependencyCondition::kCompleted:
            return "Completed";
    }
    return "Succeeded";
}

Result<std::vector<ActivitySpec>> ParseActivities(const Json& activities, std::string_view path) {
    std::vector<ActivitySpec> out;
    if (activities.is_null()) return out;
    if (!activities.is_array()) return InvalidAt(path, "must be an array of activities");
    std::set<std::string> names;
    for (size_t i = 0; i < activities.size(); ++i) {
        const Json& a = activities[i];
        std::string item_path = JoinIndex(path, i);
        if (!a.is_object()) return InvalidAt(item_path, "an activity must be an object");
        ActivitySpec spec;
        const Json* name = FindMember(a, "name");
        const Json* type = FindMember(a, "type");
        if (!name || !name->is_string()) return InvalidAt(JoinPath(item_path, "name"), "is required");
        if (!type || !type->is_string()) return InvalidAt(JoinPath(item_path, "type"), "is required");
        spec.name = name->get<std::string>();
        spec.type = type->get<std::string>();
        if (!names.insert(ToLower(spec.name)).second)
            return InvalidAt(JoinPath(item_path, "name"),
                             "activity name " + Quoted(spec.name) + " is used twice");
        if (const Json* policy = FindMember(a, "policy"); policy && policy->is_object())
            spec.policy = *policy;
        const Json* state = FindMember(a, "state");
        spec.active =
            !(state && state->is_string() && IEquals(state->get_ref<const std::string&>(), "Inactive"));
        spec.on_inactive_mark_as = CanonicalInactiveMark(FindMember(a, "onInactiveMarkAs"));
        if (const Json* deps = FindMember(a, "dependsOn"); deps && deps->is_array()) {
            for (size_t k = 0; k < deps->size(); ++k) {
                std::string dep_path = JoinIndex(JoinPath(item_path, "dependsOn"), k);
                const Json* target = FindMember((*deps)[k], "activity");
                if (!target || !target->is_string())
                    return InvalidAt(JoinPath(dep_path, "activity"), "is required");
                Dependency dep{target->get<std::string>(), {}};
                if (const Json* conds = FindMember((*deps)[k], "dependencyConditions");
                    conds && conds->is_array()) {
                    for (size_t j = 0; j < conds->size(); ++j) {
                        const Json& c = (*conds)[j];
                        auto parsed = c.is_string()
                                          ? ParseDependencyCondition(c.get_ref<const std::string&>())
                                          : std::nullopt;
                        if (!parsed)
                            return InvalidAt(JoinIndex(JoinPath(dep_path, "dependencyConditions"), j),
                                             "unknown dependency condition " + Quoted(c));
                        dep.conditions.push_back(*parsed);
                    }
                }
                if (dep.conditions.empty())
                    return InvalidAt(JoinPath(dep_path, "dependencyConditions"), "must not be empty");
                spec.depends_on.push_back(std::move(dep));
            }
        }
        spec.definition = a;
        out.push_back(std::move(spec));
    }
    for (size_t i = 0; i < out.size(); ++i)
        for (size_t k = 0; k < out[i].depends_on.size(); ++k)
            if (!names.count(ToLower(out[i].depends_on[k].activity)))
                return InvalidAt(
                    JoinPath(JoinIndex(JoinPath(JoinIndex(path, i), "dependsOn"), k), "activity"),
                    "depends on unknown activity " + Quoted(out[i].depends_on[k].activity));
    return out;
}

Result<PipelineSpec> ParsePipeline(std::string_view name, const Json& properties) {
    if (!properties.is_object()) return InvalidAt("properties", "pipeline properties must be an object");
    PipelineSpec spec;
    spec.name = std::string(name);
    const Json* activities = FindMember(properties, "activities");
    ADXFLOW_ASSIGN_OR_RETURN(spec.activities,
                             ParseActivities(activities ? *activities : Json(), "properties.activities"));
    if (const Json* p = FindMember(properties, "parameters"); p && p->is_object()) spec.parameters = *p;
    if (const Json* v = FindMember(properties, "variables"); v && v->is_object()) spec.variables = *v;
    if (const Json* c = FindMember(properties, "concurrency"); c && !c->is_null()) {
        auto value = AsInt(*c);
        if (!value || *value < 1 || *value > std::numeric_limits<int>::max())
            return InvalidAt("properties.concurrency", "must be an integer of at least 1");
        spec.concurrency = static_cast<int>(*value);
    }
    return spec;
}

Result<ActivityPolicy> ResolvePolicy(const Json& evaluated_policy) {
    ActivityPolicy policy;
    if (evaluated_policy.is_null()) return policy;
    if (!evaluated_policy.is_object()) return InvalidAt("policy", "must be an object");
    auto member = [&](std::string_view key) -> const Json* {
        const Json* v = FindMember(evaluated_policy, key);
        return v && !v->is_null() ? v : nullptr;
    };
    if (const Json* timeout = member("timeout")) {
        if (!timeout->is_string()) return InvalidAt("policy.timeout", "must be a timespan \"d.hh:mm:ss\"");
        auto span = ParseTimespan(timeout->get_ref<const std::string&>());
        if (!span.ok()) return InvalidAt("policy.timeout", span.error().message);
        if (*span <= Millis::zero()) return InvalidAt("policy.timeout", "must be longer than zero");
        policy.timeout = *span;
    }
    if (const Json* retry = member("retry")) {
        auto value = AsInt(*retry);
        if (!value || *value < 0 || *value > std::numeric_limits<int>::max())
            return InvalidAt("policy.retry", "must be an integer of at least 0, got " + Quoted(*retry));
        policy.retry = static_cast<int>(*value);
    }
    if (const Json* interval = member("retryIntervalInSeconds")) {
        auto value = AsInt(*interval);
        if (!value || *value < 0 || *value > 86400)
            return InvalidAt("policy.retryIntervalInSeconds",
                             "must be an integer between 0 and 86400, got " + Quoted(*interval));
        policy.retry_interval = std::chrono::seconds(*value);
    }
    for (auto [key, field] : {std::pair{"secureInput", &ActivityPolicy::secure_input},
                              std::pair{"secureOutput", &ActivityPolicy::secure_output}}) {
        if (const Json* flag = member(key)) {
            auto value = AsBool(*flag);
            if (!value)
                return InvalidAt(std::string("policy.") + key, "must be true or false, got " + Quoted(*flag));
            policy.*field = *value;
        }
    }
    return policy;
}

}  // namespace adxflow::model
