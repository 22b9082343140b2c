// Lookup and Copy through the engine over real files: an activity's output feeds another activity's
// dataset parameter, and a Copy from a missing file fails the run with the connector's error.

#include <gtest/gtest.h>

#include "tests/unit/engine/engine_harness.hpp"

namespace adxflow::engine {
namespace {

using adxflow::testing::ReadFile;
using adxflow::testing::WriteFile;
using testing::EngineHarness;

// A CSV dataset whose folder and file are dataset parameters.
Json CsvDataset() {
    return {{"type", "DelimitedText"},
            {"linkedServiceName", {{"referenceName", "LS_Files"}, {"type", "LinkedServiceReference"}}},
            {"parameters", {{"folder", {{"type", "String"}}}, {"file", {{"type", "String"}}}}},
            {"typeProperties",
             {{"location",
               {{"type", "FileServerLocation"},
                {"folderPath", {{"value", "@dataset().folder"}, {"type", "Expression"}}},
                {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}}},
              {"columnDelimiter", ","},
              {"firstRowAsHeader", true}}}};
}

Json DatasetRef(Json folder, Json file) {
    return {{"referenceName", "DS_Csv"},
            {"type", "DatasetReference"},
            {"parameters", {{"folder", folder}, {"file", file}}}};
}

Json LookupThenCopy() {
    Json lookup = {
        {"name", "Lookup"},
        {"type", "Lookup"},
        {"typeProperties",
         {{"source", {{"type", "DelimitedTextSource"}}}, {"dataset", DatasetRef("config", "control.csv")}}}};
    Json copy = {
        {"name", "Copy"},
        {"type", "Copy"},
        {"dependsOn", Json::array({{{"activity", "Lookup"}, {"dependencyConditions", {"Succeeded"}}}})},
        {"inputs", Json::array({DatasetRef("data", "@activity('Lookup').output.firstRow.source")})},
        {"outputs", Json::array({DatasetRef("out", "@{activity('Lookup').output.firstRow.target}")})},
        {"typeProperties",
         {{"source", {{"type", "DelimitedTextSource"}}}, {"sink", {{"type", "DelimitedTextSink"}}}}}};
    return {{"activities", Json::array({lookup, copy})}};
}

TEST(EngineData, LookupOutputFeedsCopyDatasetParameters) {
    EngineHarness h;
    h.definitions.PutDataset("DS_Csv", CsvDataset());
    WriteFile(h.dir / "config/control.csv",
              "source,target\norders.csv,orders_copy.csv\nignored.csv,nope.csv\n");
    WriteFile(h.dir / "data/orders.csv", "id,amount\n1,10.5\n2,20\n3,\n");
    WriteFile(h.dir / "data/ignored.csv", "id,amount\n9,9\n");

    auto created = h.Create(LookupThenCopy());
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    ASSERT_EQ(run.status, "Succeeded") << run.message;

    // Copy writes DelimitedText rows with "\r\n" unless the dataset sets rowDelimiter (as ADF does).
    EXPECT_EQ(ReadFile(h.dir / "out/orders_copy.csv"), "id,amount\r\n1,10.5\r\n2,20\r\n3,\r\n");
    EXPECT_FALSE(std::filesystem::exists(h.dir / "out/nope.csv"));

    auto records = h.Activities(run.run_id);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].activity_name, "Lookup");
    EXPECT_EQ(records[0].output["firstRow"], (Json{{"source", "orders.csv"}, {"target", "orders_copy.csv"}}));
    EXPECT_EQ(records[1].activity_name, "Copy");
    EXPECT_EQ(records[1].status, "Succeeded");
    EXPECT_EQ(records[1].output["rowsRead"], 3);
    EXPECT_EQ(records[1].output["rowsCopied"], 3);
}

TEST(EngineData, CopyFromAMissingFileFailsTheRun) {
    EngineHarness h;
    h.definitions.PutDataset("DS_Csv", CsvDataset());
    WriteFile(h.dir / "config/control.csv", "source,target\nmissing.csv,x.csv\n");
    auto created = h.Create(LookupThenCopy());
    ASSERT_TRUE(created.ok());
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Failed");
    auto records = h.Activities(run.run_id);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1].status, "Failed");
    EXPECT_NE(records[1].error["message"].get<std::string>().find("missing.csv"), std::string::npos)
        << records[1].error.dump();
    EXPECT_EQ(run.message.rfind("Operation on target Copy failed: ", 0), 0u) << run.message;
    EXPECT_FALSE(std::filesystem::exists(h.dir / "out/x.csv"));
}

TEST(EngineData, LookupOfAnUnknownDatasetFails) {
    EngineHarness h;  // DS_Csv deliberately not defined
    auto created = h.Create(LookupThenCopy());
    ASSERT_TRUE(created.ok());
    PipelineRun run = h.WaitForEnd(created->run_id);
    EXPECT_EQ(run.status, "Failed");
    auto records = h.Activities(run.run_id);
    ASSERT_EQ(records.size(), 1u);  // Copy is skipped
    EXPECT_EQ(records[0].error["errorCode"], "NotFound");
    EXPECT_NE(run.message.find("DS_Csv"), std::string::npos) << run.message;
}

// The system variables reach activity expressions: the Copy's output file is named after them.
TEST(EngineData, SystemVariablesAreAvailableToExpressions) {
    EngineHarness h;
    h.definitions.PutDataset("DS_Csv", CsvDataset());
    WriteFile(h.dir / "data/in.csv", "id\n1\n");
    Json copy = {
        {"name", "Copy"},
        {"type", "Copy"},
        {"inputs", Json::array({DatasetRef("data", "in.csv")})},
        {"outputs", Json::array({DatasetRef("out",
                                            "@{pipeline().DataFactory}|@{pipeline().Pipeline}|"
                                            "@{pipeline().TriggerType}|@{pipeline().TriggerName}|"
                                            "@{pipeline().RunId}|@{pipeline().GroupId}|"
                                            "@{formatDateTime(pipeline().TriggerTime, 'yyyyMMddHH')}|"
                                            "@{equals(pipeline().TriggerId, '')}.csv")})},
        {"typeProperties",
         {{"source", {{"type", "DelimitedTextSource"}}}, {"sink", {{"type", "DelimitedTextSink"}}}}}};
    auto created = h.Create({{"activities", Json::array({copy})}}, Json::object(), "NamesItself");
    ASSERT_TRUE(created.ok()) << created.error().Describe();
    PipelineRun run = h.WaitForEnd(created->run_id);
    ASSERT_EQ(run.status, "Succeeded") << run.message;
    // Manual runs: ADF reports TriggerType "Manual" and TriggerName "Manual"; the group is the run itself.
    const std::string id = created->run_id;
    const std::string expected =
        "adxflow|NamesItself|Manual|Manual|" + id + "|" + id + "|2024011508|false.csv";
    EXPECT_TRUE(std::filesystem::exists(h.dir / "out" / expected))
        << "expected out/" << expected << "; found: " << [&] {
               std::string names;
               for (const auto& e : std::filesystem::directory_iterator(h.dir / "out"))
                   names += e.path().filename().string() + " ";
               return names;
           }();
}

}  // namespace
}  // namespace adxflow::engine
