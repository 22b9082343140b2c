// Resource kinds, names, and the parts of ValidateResource that a table cannot express well: the exact
// normalised body, the reference list, warnings, and global parameters.

#include <gtest/gtest.h>

#include "core/model/resource.hpp"
#include "core/model/validate.hpp"
#include "tests/unit/model/fake_catalog.hpp"

namespace adxflow::model {
namespace {

TEST(ResourceKindNames, RoundTripEveryForm) {
    for (ResourceKind kind : kAllResourceKinds) {
        EXPECT_EQ(ParseCollectionName(CollectionName(kind)), kind);
        EXPECT_EQ(ParseArmType(ArmType(kind)), kind);
        EXPECT_EQ(ParseGitFolder(GitFolder(kind)), kind);
        EXPECT_EQ(ParseReferenceType(ReferenceType(kind)), kind);
    }
}

TEST(ResourceKindNames, MatchAdfSpellingsCaseInsensitively) {
    EXPECT_EQ(CollectionName(ResourceKind::kLinkedService), "linkedservices");
    EXPECT_EQ(ArmType(ResourceKind::kDataset), "Microsoft.DataFactory/factories/datasets");
    EXPECT_EQ(GitFolder(ResourceKind::kLinkedService), "linkedService");
    EXPECT_EQ(ParseCollectionName("LinkedServices"), ResourceKind::kLinkedService);
    EXPECT_EQ(ParseCollectionName("PIPELINES"), ResourceKind::kPipeline);
    EXPECT_EQ(ParseArmType("microsoft.datafactory/factories/triggers"), ResourceKind::kTrigger);
    EXPECT_EQ(ParseGitFolder("Credential"), ResourceKind::kCredential);
    EXPECT_FALSE(ParseCollectionName("dataflows").has_value());
    EXPECT_FALSE(ParseCollectionName("pipeline").has_value());
}

TEST(ValidateName, LengthBoundariesDifferByKind) {
    EXPECT_TRUE(ValidateName(ResourceKind::kPipeline, std::string(140, 'p')).ok());
    EXPECT_FALSE(ValidateName(ResourceKind::kPipeline, std::string(141, 'p')).ok());
    EXPECT_TRUE(ValidateName(ResourceKind::kDataset, std::string(260, 'd')).ok());
    auto too_long = ValidateName(ResourceKind::kDataset, std::string(261, 'd'));
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(too_long.error().target, "name");
}

TEST(ValidateName, ControlCharactersAreRefusedAndNotEchoed) {
    auto status = ValidateName(ResourceKind::kPipeline, std::string("a\nb"));
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().message.find('\n'), std::string::npos);
}

TEST(ValidateActivityName, BoundaryAndTarget) {
    EXPECT_TRUE(ValidateActivityName(std::string(55, 'a')).ok());
    auto status = ValidateActivityName(std::string(56, 'a'), "properties.activities[3].name");
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().target, "properties.activities[3].name");
    EXPECT_NE(status.error().message.find("properties.activities[3].name"), std::string::npos);
}

TEST(ValidateResource, NormalisesGitFileToNameAndProperties) {
    Json body = {{"name", "ds_in"},
                 {"type", "Microsoft.DataFactory/factories/datasets"},
                 {"etag", "00001"},
                 {"id", "/subscriptions/s/.../datasets/ds_in"},
                 {"properties",
                  {{"type", "Json"},
                   {"linkedServiceName", {{"referenceName", "LS_Blob"}, {"type", "LinkedServiceReference"}}},
                   {"brandNewMember", {1, 2, 3}}}}};
    auto result = ValidateResource(ResourceKind::kDataset, "DS_In", body, testing::FakeCatalog());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->body, (Json{{"name", "DS_In"}, {"properties", body["properties"]}}));
    EXPECT_EQ(result->type, "Json");
    EXPECT_EQ(result->kind, ResourceKind::kDataset);
    ASSERT_EQ(result->references.size(), 1u);
    EXPECT_EQ(result->references[0].kind, ResourceKind::kLinkedService);
    EXPECT_EQ(result->references[0].name, "LS_Blob");
    EXPECT_EQ(result->references[0].path, "properties.linkedServiceName");
}

TEST(ValidateResource, ExecutionActivityReferencesAreReportedOncePerPath) {
    auto body = ParseJson(R"({"properties": {"activities": [
        {"name": "C", "type": "Copy",
         "inputs": [{"referenceName": "DS_In", "type": "DatasetReference"}],
         "outputs": [{"referenceName": "DS_In", "type": "DatasetReference"}],
         "typeProperties": {"source": {"type": "JsonSource"}, "sink": {"type": "JsonSink"}}}]}})");
    ASSERT_TRUE(body.ok());
    auto result = ValidateResource(ResourceKind::kPipeline, "PL", *body, testing::FakeCatalog());
    ASSERT_TRUE(result.ok()) << result.error().message;
    // The same dataset twice (input and output) is two references: the API reports both paths.
    ASSERT_EQ(result->references.size(), 2u);
    EXPECT_EQ(result->references[0].path, "properties.activities[0].inputs[0]");
    EXPECT_EQ(result->references[1].path, "properties.activities[0].outputs[0]");
    EXPECT_TRUE(result->type.empty());
}

TEST(ValidateResource, EmptyPredicatesAcceptAnyType) {
    TypeCatalog open;  // nothing registered: only shapes are checked
    Json ls = {{"properties", {{"type", "AnythingAtAll"}, {"typeProperties", Json::object()}}}};
    EXPECT_TRUE(ValidateResource(ResourceKind::kLinkedService, "LS", ls, open).ok());
    Json pl = {{"properties", {{"activities", {{{"name", "W"}, {"type", "Wait"}}}}}}};
    auto refused = ValidateResource(ResourceKind::kPipeline, "PL", pl, open);
    ASSERT_FALSE(refused.ok());  // activity types are an explicit list
    EXPECT_EQ(refused.error().target, "properties.activities[0].type");
}

// Container activities keep inner lists: names are unique across the whole pipeline, and dependsOn
// refers only to siblings in the same list.
TEST(ValidateResource, ContainerInnerActivitiesAreCheckedInTheirOwnScope) {
    TypeCatalog catalog = testing::FakeCatalog();
    catalog.activity_types.insert("ForEach");
    auto pipeline = [](const char* inner) {
        auto json = ParseJson(std::string(R"({"properties": {"activities": [
            {"name": "Outer", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}},
            {"name": "Each", "type": "ForEach", "typeProperties": {"items": "@pipeline().parameters.list",
             "activities": )") +
                              inner + "}}]}}");
        EXPECT_TRUE(json.ok()) << inner;
        return json.ok() ? *json : Json();
    };
    auto ok = ValidateResource(
        ResourceKind::kPipeline, "PL",
        pipeline(R"([{"name": "A", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}},
                                            {"name": "B", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1},
                                             "dependsOn": [{"activity": "A", "dependencyConditions": ["Succeeded"]}]}])"),
        catalog);
    EXPECT_TRUE(ok.ok()) << ok.error().message;

    auto outside = ValidateResource(
        ResourceKind::kPipeline, "PL",
        pipeline(R"([{"name": "A", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1},
                      "dependsOn": [{"activity": "Outer", "dependencyConditions": ["Succeeded"]}]}])"),
        catalog);
    ASSERT_FALSE(outside.ok());
    EXPECT_EQ(outside.error().target,
              "properties.activities[1].typeProperties.activities[0].dependsOn[0].activity");

    auto clash = ValidateResource(
        ResourceKind::kPipeline, "PL",
        pipeline(R"([{"name": "outer", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}])"),
        catalog);
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.error().target, "properties.activities[1].typeProperties.activities[0].name");

    auto unknown =
        ValidateResource(ResourceKind::kPipeline, "PL",
                         pipeline(R"([{"name": "X", "type": "Script", "typeProperties": {}}])"), catalog);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().target, "properties.activities[1].typeProperties.activities[0].type");
}

TEST(ValidateResource, RefusesNonObjectBody) {
    auto result = ValidateResource(ResourceKind::kPipeline, "PL", Json::array(), testing::FakeCatalog());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidInput);
}

TEST(ValidateResource, WarningsDoNotFailValidation) {
    Json pl = {{"properties",
                {{"activities",
                  {{{"name", "W"},
                    {"type", "Wait"},
                    {"policy", {{"retry", 1}, {"retryIntervalInSeconds", 1}}},
                    {"typeProperties", {{"waitTimeInSeconds", 0}}}}}}}}};
    auto result = ValidateResource(ResourceKind::kPipeline, "PL", pl, testing::FakeCatalog());
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->warnings.size(), 1u);
    EXPECT_NE(result->warnings[0].find("properties.activities[0].policy.retryIntervalInSeconds"),
              std::string::npos);
}

TEST(ValidateGlobalParameters, AcceptsTypedValues) {
    auto gp = ParseJson(R"({"env": {"type": "String", "value": "prod"}, "n": {"type": "int", "value": "3"},
                            "list": {"type": "Array", "value": [1, 2]}, "cfg": {"type": "Object", "value": {"a": 1}},
                            "on": {"type": "Bool", "value": true}, "ratio": {"type": "Float", "value": 0.5}})");
    ASSERT_TRUE(gp.ok());
    EXPECT_TRUE(ValidateGlobalParameters(*gp).ok());
    EXPECT_TRUE(ValidateGlobalParameters(Json()).ok());
}

TEST(ValidateGlobalParameters, NamesTheBrokenMember) {
    struct Bad {
        const char* json;
        const char* target;
        const char* message;
    };
    const Bad cases[] = {
        {R"({"env": {"type": "SecureString", "value": "x"}})", "env.type", "unknown type 'SecureString'"},
        {R"({"env": {"value": "x"}})", "env.type", "is required"},
        {R"({"env": {"type": "String"}})", "env.value", "is required"},
        {R"({"n": {"type": "Int", "value": "three"}})", "n.value", "is not a valid Int"},
        {R"({"n": {"type": "Int", "value": 1}, "N": {"type": "Int", "value": 2}})", "n", "declared twice"},
        {R"({"n": 5})", "n", "must be an object"},
        {R"([1])", "globalParameters", "must be an object"},
    };
    for (const auto& c : cases) {
        auto json = ParseJson(c.json);
        ASSERT_TRUE(json.ok()) << c.json;
        auto status = ValidateGlobalParameters(*json);
        ASSERT_FALSE(status.ok()) << c.json;
        EXPECT_EQ(status.error().kind, ErrorKind::kInvalidInput);
        EXPECT_EQ(status.error().target, c.target) << c.json;
        EXPECT_NE(status.error().message.find(c.message), std::string::npos) << status.error().message;
    }
}

}  // namespace
}  // namespace adxflow::model
