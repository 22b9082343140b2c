#pragma once
// A pipeline definition parsed for the engine: the activity graph with dependencies, raw policies (they
// may hold expressions, evaluated per attempt) and the declarations that run parameters bind against.
// ParsePipeline expects properties that passed ValidateResource but still fails cleanly on bad input.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/model/parameters.hpp"
#include "core/time.hpp"

namespace adxflow::model {

enum class DependencyCondition { kSucceeded, kFailed, kSkipped, kCompleted };

// Case-insensitive; nullopt for anything else.
std::optional<DependencyCondition> ParseDependencyCondition(std::string_view text);
std::string_view ToString(DependencyCondition condition);

struct Dependency {
    std::string activity;                         // as written; match case-insensitively
    std::vector<DependencyCondition> conditions;  // alternatives: any one satisfies this dependency
};

struct ActivitySpec {
    std::string name;
    std::string type;                               // as written ("Copy", "lookup"); compare with IEquals
    std::vector<Dependency> depends_on;             // all must be satisfied
    Json policy = Json::object();                   // raw; evaluate, then ResolvePolicy
    bool active = true;                             // state != "Inactive"
    std::string on_inactive_mark_as = "Succeeded";  // "Succeeded" | "Failed" | "Skipped", canonical case
    Json definition;                                // the whole activity JSON
};

struct PipelineSpec {
    std::string name;
    std::vector<ActivitySpec> activities;  // top level only; containers keep theirs in `definition`
    Json parameters = Json::object();      // declarations {name: {type, defaultValue}}
    Json variables = Json::object();       // declarations {name: {type, defaultValue}}
    std::optional<int> concurrency;        // max concurrent runs; nullopt = no limit
};

// `properties` is the pipeline's properties object. Activities referenced by dependsOn must exist.
Result<PipelineSpec> ParsePipeline(std::string_view name, const Json& properties);

// Parse a list of activities (a pipeline's, or a container's inner list) with the same rules.
Result<std::vector<ActivitySpec>> ParseActivities(const Json& activities, std::string_view path);

inline constexpr Millis kDefaultActivityTimeout = std::chrono::hours(24 * 7);
inline constexpr Millis kDefaultRetryInterval = std::chrono::seconds(30);

struct ActivityPolicy {
    Millis timeout = kDefaultActivityTimeout;
    int retry = 0;  // extra attempts after the first
    Millis retry_interval = kDefaultRetryInterval;
    bool secure_input = false;
    bool secure_output = false;
};

// From a policy whose expressions were already evaluated; missing/null members keep the defaults.
// Values below ADF's minimum interval (30 s) are kept: validation warned about them.
Result<ActivityPolicy> ResolvePolicy(const Json& evaluated_policy);

}  // namespace adxflow::model
