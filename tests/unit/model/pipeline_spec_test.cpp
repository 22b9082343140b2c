// ParsePipeline, ResolvePolicy and BindParameters: what the engine reads from a stored pipeline.

#include <gtest/gtest.h>

#include "core/model/pipeline_spec.hpp"

namespace adxflow::model {
namespace {

Json MustParse(const char* text) {
    auto json = ParseJson(text);
    EXPECT_TRUE(json.ok()) << text;
    return json.ok() ? *json : Json();
}

TEST(ParsePipeline, ReadsGraphStateAndDeclarations) {
    Json props = MustParse(R"({
        "parameters": {"table": {"type": "String", "defaultValue": "T1"}},
        "variables": {"v": {"type": "Array"}},
        "concurrency": "2",
        "activities": [
          {"name": "L", "type": "Lookup", "policy": {"retry": "@pipeline().parameters.r"},
           "typeProperties": {"source": {"type": "AzureDataExplorerSource"}, "dataset": {"referenceName": "DS"}}},
          {"name": "C", "type": "copy", "state": "INACTIVE", "onInactiveMarkAs": "failed",
           "dependsOn": [{"activity": "L", "dependencyConditions": ["Succeeded", "skipped"]},
                         {"activity": "W", "dependencyConditions": ["Completed"]}]},
          {"name": "W", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}
        ]})");
    auto spec = ParsePipeline("PL", props);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    EXPECT_EQ(spec->name, "PL");
    EXPECT_EQ(spec->concurrency, 2);
    EXPECT_EQ(spec->parameters, props["parameters"]);
    EXPECT_EQ(spec->variables, props["variables"]);
    ASSERT_EQ(spec->activities.size(), 3u);

    const ActivitySpec& lookup = spec->activities[0];
    EXPECT_EQ(lookup.name, "L");
    EXPECT_EQ(lookup.type, "Lookup");
    EXPECT_TRUE(lookup.active);
    EXPECT_EQ(lookup.on_inactive_mark_as, "Succeeded");
    EXPECT_EQ(lookup.policy, props["activities"][0]["policy"]);
    EXPECT_TRUE(lookup.depends_on.empty());
    EXPECT_EQ(lookup.definition, props["activities"][0]);

    const ActivitySpec& copy = spec->activities[1];
    EXPECT_FALSE(copy.active);
    EXPECT_EQ(copy.on_inactive_mark_as, "Failed");
    EXPECT_EQ(copy.policy, Json::object());
    ASSERT_EQ(copy.depends_on.size(), 2u);
    EXPECT_EQ(copy.depends_on[0].activity, "L");
    EXPECT_EQ(
        copy.depends_on[0].conditions,
        (std::vector<DependencyCondition>{DependencyCondition::kSucceeded, DependencyCondition::kSkipped}));
    EXPECT_EQ(copy.depends_on[1].conditions,
              std::vector<DependencyCondition>{DependencyCondition::kCompleted});
}

TEST(ParsePipeline, EmptyPipelineHasNoLimit) {
    auto spec = ParsePipeline("PL", Json::object());
    ASSERT_TRUE(spec.ok());
    EXPECT_TRUE(spec->activities.empty());
    EXPECT_FALSE(spec->concurrency.has_value());
    EXPECT_EQ(spec->parameters, Json::object());
}

TEST(ParsePipeline, RefusesBrokenGraphs) {
    auto unknown = ParsePipeline("PL", MustParse(R"({"activities": [
        {"name": "A", "type": "Wait", "dependsOn": [{"activity": "B", "dependencyConditions": ["Succeeded"]}]}]})"));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().target, "properties.activities[0].dependsOn[0].activity");

    auto condition = ParsePipeline("PL", MustParse(R"({"activities": [{"name": "A", "type": "Wait"},
        {"name": "B", "type": "Wait", "dependsOn": [{"activity": "A", "dependencyConditions": ["Done"]}]}]})"));
    ASSERT_FALSE(condition.ok());
    EXPECT_EQ(condition.error().target, "properties.activities[1].dependsOn[0].dependencyConditions[0]");

    auto twice = ParsePipeline(
        "PL", MustParse(R"({"activities": [{"name": "A", "type": "Wait"}, {"name": "a", "type": "Wait"}]})"));
    ASSERT_FALSE(twice.ok());

    auto concurrency = ParsePipeline("PL", MustParse(R"({"concurrency": 0})"));
    ASSERT_FALSE(concurrency.ok());
    EXPECT_EQ(concurrency.error().target, "properties.concurrency");
}

TEST(DependencyConditionNames, ParseCaseInsensitively) {
    EXPECT_EQ(ParseDependencyCondition("COMPLETED"), DependencyCondition::kCompleted);
    EXPECT_EQ(ParseDependencyCondition("failed"), DependencyCondition::kFailed);
    EXPECT_FALSE(ParseDependencyCondition("Cancelled").has_value());
    EXPECT_EQ(ToString(DependencyCondition::kSkipped), "Skipped");
}

TEST(ResolvePolicy, DefaultsMatchAdf) {
    for (const Json& empty : {Json(), Json::object()}) {
        auto policy = ResolvePolicy(empty);
        ASSERT_TRUE(policy.ok());
        EXPECT_EQ(policy->timeout, std::chrono::hours(24 * 7));
        EXPECT_EQ(policy->retry, 0);
        EXPECT_EQ(policy->retry_interval, std::chrono::seconds(30));
        EXPECT_FALSE(policy->secure_input);
        EXPECT_FALSE(policy->secure_output);
    }
}

TEST(ResolvePolicy, ReadsEvaluatedValuesIncludingStringSpellings) {
    auto policy =
        ResolvePolicy(MustParse(R"({"timeout": "0.12:30:00", "retry": "3", "retryIntervalInSeconds": 5,
                                              "secureInput": "true", "secureOutput": true, "unknown": 1})"));
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    EXPECT_EQ(policy->timeout, std::chrono::minutes(12 * 60 + 30));
    EXPECT_EQ(policy->retry, 3);
    EXPECT_EQ(policy->retry_interval, std::chrono::seconds(5));  // below ADF's minimum, kept on purpose
    EXPECT_TRUE(policy->secure_input);
    EXPECT_TRUE(policy->secure_output);
}

TEST(ResolvePolicy, RefusesBadValuesNamingTheField) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"timeout": "forever"})", "policy.timeout"},
        {R"({"timeout": "00:00:00"})", "policy.timeout"},
        {R"({"timeout": 60})", "policy.timeout"},
        {R"({"retry": -1})", "policy.retry"},
        {R"({"retry": "x"})", "policy.retry"},
        {R"({"retryIntervalInSeconds": 90000})", "policy.retryIntervalInSeconds"},
        {R"({"secureInput": "no"})", "policy.secureInput"},
        {R"({"secureOutput": 0})", "policy.secureOutput"},
        {R"([1])", "policy"},
    };
    for (const auto& [text, target] : cases) {
        auto policy = ResolvePolicy(MustParse(text));
        ASSERT_FALSE(policy.ok()) << text;
        EXPECT_EQ(policy.error().kind, ErrorKind::kInvalidInput);
        EXPECT_EQ(policy.error().target, target) << text;
    }
}

const char* kDeclared = R"({
    "table": {"type": "String", "defaultValue": "T1"},
    "Limit": {"type": "Int", "defaultValue": 10},
    "ratio": {"type": "Float"},
    "full": {"type": "bool", "defaultValue": false},
    "files": {"type": "Array", "defaultValue": []},
    "cfg": {"type": "Object", "defaultValue": {"a": 1}},
    "pw": {"type": "SecureString", "defaultValue": "s3cret"}
})";

TEST(BindParameters, AppliesDefaultsAndConvertsStrings) {
    auto bound =
        BindParameters(MustParse(kDeclared),
                       MustParse(R"({"limit": "15", "RATIO": "0.25", "full": "true", "files": "[\"a.csv\"]",
                                              "table": 7})"));
    ASSERT_TRUE(bound.ok()) << bound.error().message;
    EXPECT_EQ(*bound,
              MustParse(R"({"table": "7", "Limit": 15, "ratio": 0.25, "full": true, "files": ["a.csv"],
                                    "cfg": {"a": 1}, "pw": "s3cret"})"));
}

TEST(BindParameters, NullGivenMeansNone) {
    auto declared = MustParse(R"({"a": {"type": "Int", "defaultValue": "4"}})");
    auto bound = BindParameters(declared, Json());
    ASSERT_TRUE(bound.ok());
    EXPECT_EQ(*bound, MustParse(R"({"a": 4})"));
    auto nothing = BindParameters(Json(), Json::object());
    ASSERT_TRUE(nothing.ok());
    EXPECT_EQ(*nothing, Json::object());
}

TEST(BindParameters, RefusesUnknownMissingAndUnconvertible) {
    auto declared = MustParse(kDeclared);
    auto unknown = BindParameters(declared, MustParse(R"({"ratio": 1, "colour": "red"})"));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(unknown.error().target, "colour");
    EXPECT_NE(unknown.error().message.find("'colour'"), std::string::npos);

    auto missing = BindParameters(declared, Json::object());
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().target, "ratio");
    EXPECT_NE(missing.error().message.find("no default value"), std::string::npos);

    auto bad_int = BindParameters(declared, MustParse(R"({"ratio": 1, "limit": "fifteen"})"));
    ASSERT_FALSE(bad_int.ok());
    EXPECT_EQ(bad_int.error().target, "Limit");

    auto bad_array = BindParameters(declared, MustParse(R"({"ratio": 1, "files": "a.csv"})"));
    ASSERT_FALSE(bad_array.ok());
    EXPECT_EQ(bad_array.error().target, "files");

    // A SecureString value that does not convert is not echoed.
    auto bad_secret = BindParameters(declared, MustParse(R"({"ratio": 1, "pw": {"hidden": "zzz-secret"}})"));
    ASSERT_FALSE(bad_secret.ok());
    EXPECT_EQ(bad_secret.error().message.find("zzz-secret"), std::string::npos);

    auto not_object = BindParameters(declared, MustParse("[1]"));
    ASSERT_FALSE(not_object.ok());
}

TEST(ConvertToType, FollowsAdfLeniency) {
    EXPECT_EQ(ConvertToType(Json("15"), ParameterType::kInt), Json(15));
    EXPECT_EQ(ConvertToType(Json(2.0), ParameterType::kInt), Json(2));
    EXPECT_FALSE(ConvertToType(Json(2.5), ParameterType::kInt).has_value());
    EXPECT_EQ(ConvertToType(Json("FALSE"), ParameterType::kBool), Json(false));
    EXPECT_FALSE(ConvertToType(Json(1), ParameterType::kBool).has_value());
    EXPECT_FALSE(ConvertToType(Json(true), ParameterType::kFloat).has_value());
    EXPECT_EQ(ConvertToType(Json("{\"k\": 1}"), ParameterType::kObject), MustParse(R"({"k": 1})"));
    EXPECT_EQ(ConvertToType(Json(), ParameterType::kInt), Json());
    EXPECT_EQ(ConvertToType(Json(true), ParameterType::kString), Json("true"));
}

}  // namespace
}  // namespace adxflow::model
