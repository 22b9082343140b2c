// A prepared publication (PrepareFinish) survives a crash on either side of the rename: the next attempt
// opens the sink with the prepared checkpoint and Finish either renames the temp file (the crash came
// before) or recognises the published file (the crash came after), never failing on the missing temp file
// and never writing a row twice. Found by the kill -9 harness (tests/integration/crash).

#include "tests/unit/file_connector/file_test_util.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

const Schema kSchema = {{"id", ColumnType::kLong}, {"name", ColumnType::kString}};

RowBatch Rows(int count) {
    RowBatch batch(2);
    for (int i = 0; i < count; ++i) {
        Value* row = batch.AddRow();
        row[0] = int64_t{i};
        row[1] = "n" + std::to_string(i);
    }
    return batch;
}

struct PreparedCase {
    const char* name;
    const char* dataset_type;
    Json dataset;
    const char* file;
};

class FileSinkPrepared : public ::testing::TestWithParam<PreparedCase> {
  protected:
    // Writes 5 rows, commits and prepares; returns the prepared checkpoint and leaves the sink unfinished.
    Json Prepare(const fs::path& root, std::unique_ptr<Sink>& sink) {
        auto made = FileConnector().make_sink(Spec(root), EnvWithRoot(root));
        EXPECT_TRUE(made.ok());
        sink = std::move(made).value();
        OpContext ctx;
        EXPECT_TRUE(sink->Open(kSchema, nullptr, ctx).ok());
        EXPECT_TRUE(sink->Write(Rows(5), ctx).ok());
        EXPECT_TRUE(sink->CommitChunk({"run-1", "Copy data", 0}, ctx).ok());
        auto prepared = sink->PrepareFinish(ctx);
        EXPECT_TRUE(prepared.ok());
        return prepared.ok() ? *prepared : Json();
    }
    EndpointSpec Spec(const fs::path& root) const {
        return FileSpec(root, GetParam().dataset_type, {{"folderPath", "out"}, {"fileName", GetParam().file}},
                        GetParam().dataset);
    }
    // A later attempt: Open with the prepared checkpoint, then Finish.
    Status Resume(const fs::path& root, const Json& prepared) {
        auto made = FileConnector().make_sink(Spec(root), EnvWithRoot(root));
        if (!made.ok()) return std::move(made).error();
        OpContext ctx;
        ADXFLOW_TRY((*made)->Open(Schema{}, prepared, ctx));
        return (*made)->Finish(ctx);
    }
};

TEST_P(FileSinkPrepared, KilledAfterTheRenameTheNextAttemptFindsItPublished) {
    TempDir root;
    std::unique_ptr<Sink> sink;
    const Json prepared = Prepare(root.path(), sink);
    ASSERT_TRUE(prepared.value("prepared", false)) << prepared.dump();
    ASSERT_TRUE(sink->Finish(OpContext{}).ok());
    const std::string published = ReadFile(root / "out" / GetParam().file);
    // The daemon died here, before the activity's success was recorded.
    Status again = Resume(root.path(), prepared);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(ReadFile(root / "out" / GetParam().file), published);
}

TEST_P(FileSinkPrepared, KilledBeforeTheRenameTheNextAttemptPublishes) {
    TempDir root;
    std::unique_ptr<Sink> sink;
    const Json prepared = Prepare(root.path(), sink);
    const fs::path temp = prepared.value("path", "");
    ASSERT_TRUE(fs::exists(temp));
    const std::string content = ReadFile(temp);
    sink.reset();  // the attempt dies (its destructor aborts: the prepared temp file stays whole)
    ASSERT_TRUE(fs::exists(temp));
    Status again = Resume(root.path(), prepared);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(ReadFile(root / "out" / GetParam().file), content);
    EXPECT_FALSE(fs::exists(temp));
}

TEST_P(FileSinkPrepared, AMissingTempFileWithoutThePublishedFileIsStillAnError) {
    TempDir root;
    std::unique_ptr<Sink> sink;
    const Json prepared = Prepare(root.path(), sink);
    sink.reset();
    fs::remove(prepared.value("path", ""));
    EXPECT_FALSE(Resume(root.path(), prepared).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Formats, FileSinkPrepared,
    ::testing::Values(PreparedCase{"csv", "DelimitedText", {{"firstRowAsHeader", true}}, "o.csv"},
                      PreparedCase{"csv_gzip",
                                   "DelimitedText",
                                   {{"firstRowAsHeader", true}, {"compressionCodec", "gzip"}},
                                   "o.csv.gz"},
                      PreparedCase{"json_array", "Json", Json::object(), "o.json"}),
    [](const ::testing::TestParamInfo<PreparedCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace adxflow::testing
