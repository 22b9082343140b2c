// The real adxflowd running the common ADF shape Lookup → ForEach → Copy: a Lookup lists the files to copy,
// a ForEach copies each one (CSV → JSON) with @item(), and every nested activity run shows up in
// queryActivityruns. A second run whose list names a missing file fails that iteration, the ForEach and the
// pipeline, while the other iterations still copy.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/daemon_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

Json Location(const std::string& folder, const Json& file) {
    return {{"type", "FileServerLocation"}, {"folderPath", folder}, {"fileName", file}};
}

Json Dataset(const std::string& type, Json type_properties, Json parameters = Json::object()) {
    return {{"properties",
             {{"type", type},
              {"linkedServiceName", {{"referenceName", "LocalFiles"}, {"type", "LinkedServiceReference"}}},
              {"parameters", std::move(parameters)},
              {"typeProperties", std::move(type_properties)}}}};
}

Json FileParam() {
    return {{"file", {{"type", "String"}}}};
}

Json Pipeline() {
    Json lookup = {{"name", "ListFiles"},
                   {"type", "Lookup"},
                   {"typeProperties",
                    {{"source", {{"type", "JsonSource"}}},
                     {"firstRowOnly", false},
                     {"dataset", {{"referenceName", "FileList"}, {"type", "DatasetReference"}}}}}};
    Json copy = {{"name", "CopyOne"},
                 {"type", "Copy"},
                 {"inputs", Json::array({{{"referenceName", "CsvIn"},
                                          {"type", "DatasetReference"},
                                          {"parameters", {{"file", "@item().file"}}}}})},
                 {"outputs", Json::array({{{"referenceName", "JsonOut"},
                                           {"type", "DatasetReference"},
                                           {"parameters", {{"file", "@{item().name}.json"}}}}})},
                 {"typeProperties",
                  {{"source", {{"type", "DelimitedTextSource"}}}, {"sink", {{"type", "JsonSink"}}}}}};
    Json each = {
        {"name", "EachFile"},
        {"type", "ForEach"},
        {"dependsOn",
         Json::array({{{"activity", "ListFiles"}, {"dependencyConditions", Json::array({"Succeeded"})}}})},
        {"typeProperties",
         {{"items", "@activity('ListFiles').output.value"},
          {"batchCount", 2},
          {"activities", Json::array({copy})}}}};
    return {{"properties", {{"activities", Json::array({lookup, each})}}}};
}

size_t Count(const Json& runs, const std::string& name, const std::string& status) {
    size_t n = 0;
    for (const auto& a : runs) n += a.value("activityName", "") == name && a.value("status", "") == status;
    return n;
}

TEST(DaemonForEach, LookupThenForEachCopiesEveryListedFile) {
    TempDir dir;
    const fs::path root = dir / "files";
    fs::create_directories(root / "out");
    for (const std::string name : {"a", "b", "c"})
        WriteFile(root / "in" / (name + ".csv"), "id,name\n1," + name + "\n2," + name + "\n");
    WriteFile(root / "config/files.json",
              "{\"name\":\"a\",\"file\":\"a.csv\"}\n{\"name\":\"b\",\"file\":\"b.csv\"}\n"
              "{\"name\":\"c\",\"file\":\"c.csv\"}\n");

    DaemonOptions options;
    options.data_dir = dir / "data";
    options.file_roots = {root};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    DaemonProcess& d = **started;
    auto put = [&](const std::string& path, const Json& body) {
        auto reply = d.Arm("PUT", path, body);
        ASSERT_TRUE(reply.ok()) << reply.error().message;
        ASSERT_EQ(reply->status, 200) << path << ": " << reply->text;
    };
    put("linkedservices/LocalFiles",
        {{"properties",
          {{"type", "FileServer"}, {"typeProperties", {{"host", root.string()}, {"userId", "etl"}}}}}});
    put("datasets/FileList", Dataset("Json", {{"location", Location("config", "files.json")}}));
    put("datasets/CsvIn",
        Dataset("DelimitedText",
                {{"location", Location("in", {{"value", "@dataset().file"}, {"type", "Expression"}})},
                 {"columnDelimiter", ","},
                 {"firstRowAsHeader", true}},
                FileParam()));
    put("datasets/JsonOut",
        Dataset("Json",
                {{"location", Location("out", {{"value", "@dataset().file"}, {"type", "Expression"}})}},
                FileParam()));
    put("pipelines/CopyEach", Pipeline());

    auto created = d.Arm("POST", "pipelines/CopyEach/createRun", Json::object());
    ASSERT_TRUE(created.ok() && created->status == 200) << (created.ok() ? created->text : "");
    const std::string run_id = created->body.value("runId", "");
    auto run = d.WaitForRun(run_id);
    ASSERT_TRUE(run.ok()) << run.error().message;
    ASSERT_EQ(run->value("status", ""), "Succeeded") << run->dump() << d.LogTail();
    for (const std::string name : {"a", "b", "c"}) {
        std::string out = ReadFile(root / "out" / (name + ".json"));
        EXPECT_NE(out.find("\"" + name + "\""), std::string::npos) << name << ": " << out;
    }
    auto activities = d.ActivityRuns(run_id);
    ASSERT_TRUE(activities.ok()) << activities.error().message;
    EXPECT_EQ(Count(*activities, "ListFiles", "Succeeded"), 1u) << activities->dump();
    EXPECT_EQ(Count(*activities, "EachFile", "Succeeded"), 1u) << activities->dump();
    EXPECT_EQ(Count(*activities, "CopyOne", "Succeeded"), 3u) << activities->dump();

    // A listed file that does not exist fails its iteration; the others still copy; the ForEach and the
    // pipeline fail.
    WriteFile(root / "config/files.json",
              "{\"name\":\"a2\",\"file\":\"a.csv\"}\n{\"name\":\"x\",\"file\":\"missing.csv\"}\n");
    auto second = d.Arm("POST", "pipelines/CopyEach/createRun", Json::object());
    ASSERT_TRUE(second.ok() && second->status == 200);
    const std::string second_id = second->body.value("runId", "");
    auto failed = d.WaitForRun(second_id);
    ASSERT_TRUE(failed.ok());
    EXPECT_EQ(failed->value("status", ""), "Failed") << failed->dump();
    EXPECT_NE(failed->value("message", "").find("Operation on target EachFile failed"), std::string::npos)
        << failed->dump();
    auto second_runs = d.ActivityRuns(second_id);
    ASSERT_TRUE(second_runs.ok());
    EXPECT_EQ(Count(*second_runs, "CopyOne", "Succeeded"), 1u) << second_runs->dump();
    EXPECT_EQ(Count(*second_runs, "CopyOne", "Failed"), 1u) << second_runs->dump();
    EXPECT_EQ(Count(*second_runs, "EachFile", "Failed"), 1u) << second_runs->dump();
    EXPECT_TRUE(fs::exists(root / "out" / "a2.json"));
    EXPECT_EQ(d.Stop(), 0);
}

}  // namespace
}  // namespace adxflow::testing
