// FileServer sink: publish on Finish only, and exactly-once output across an aborted and resumed attempt.

#include <fstream>

#include "connectors/common/format/gzip_stream.hpp"
#include "tests/unit/file_connector/file_test_util.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

const Schema kSchema = {{"id", ColumnType::kLong}, {"name", ColumnType::kString}};

RowBatch Chunk(int first, int count) {
    RowBatch batch(2);
    for (int i = first; i < first + count; ++i) {
        Value* row = batch.AddRow();
        row[0] = int64_t{i};
        row[1] = "name " + std::to_string(i) + (i % 3 == 0 ? ", with comma" : "");
    }
    return batch;
}

Json ExpectedRows(int count, bool typed) {
    Json rows = Json::array();
    for (int i = 0; i < count; ++i) {
        Json id = typed ? Json(i) : Json(std::to_string(i));
        rows.push_back({id, "name " + std::to_string(i) + (i % 3 == 0 ? ", with comma" : "")});
    }
    return rows;
}

std::unique_ptr<Sink> MakeSink(const EndpointSpec& spec, const ConnectorEnv& env) {
    auto sink = FileConnector().make_sink(spec, env);
    EXPECT_TRUE(sink.ok()) << sink.error().message;
    return sink.ok() ? std::move(sink).value() : nullptr;
}

std::string GunzipFile(const fs::path& path) {
    auto file = format::FileReader::Open(path);
    EXPECT_TRUE(file.ok());
    format::GzipReader gz(**file);
    std::string out;
    char buf[4096];
    for (;;) {
        auto n = gz.Read(buf, sizeof buf);
        EXPECT_TRUE(n.ok());
        if (!n.ok() || *n == 0) return out;
        out.append(buf, *n);
    }
}

TEST(FileSink, PublishesOnlyOnFinish) {
    TempDir root;
    auto spec = FileSpec(root.path(), "DelimitedText", {{"folderPath", "out/day1"}, {"fileName", "o.csv"}},
                         {{"firstRowAsHeader", true}});
    auto sink = MakeSink(spec, EnvWithRoot(root.path()));
    OpContext ctx;
    ASSERT_TRUE(sink->Open(kSchema, nullptr, ctx).ok());
    ASSERT_TRUE(sink->Write(Chunk(0, 4), ctx).ok());
    auto cp = sink->CommitChunk({"run-1", "Copy data", 0}, ctx);
    ASSERT_TRUE(cp.ok()) << cp.error().message;
    EXPECT_FALSE(fs::exists(root / "out/day1/o.csv"));
    EXPECT_TRUE(fs::exists((*cp)["path"].get<std::string>()));
    EXPECT_EQ((*cp)["rows"], 4);
    EXPECT_EQ((*cp)["bytes"].get<uint64_t>(), fs::file_size((*cp)["path"].get<std::string>()));
    ASSERT_TRUE(sink->Finish(ctx).ok());
    EXPECT_FALSE(fs::exists((*cp)["path"].get<std::string>()));
    EXPECT_EQ(ReadFile(root / "out/day1/o.csv"),
              "id,name\r\n0,\"name 0, with comma\"\r\n1,name 1\r\n2,name 2\r\n3,\"name 3, with comma\"\r\n");
    EXPECT_EQ(sink->stats().rows_written, 4u);
    EXPECT_EQ(sink->stats().files_written, 1u);
    EXPECT_EQ(sink->stats().bytes_written, fs::file_size(root / "out/day1/o.csv"));
}

TEST(FileSink, GeneratesANameWhenTheDatasetHasNone) {
    TempDir root;
    auto sink = MakeSink(FileSpec(root.path(), "Json", {{"folderPath", "o"}}), EnvWithRoot(root.path()));
    OpContext ctx;
    ASSERT_TRUE(sink->Open(kSchema, nullptr, ctx).ok());
    ASSERT_TRUE(sink->Write(Chunk(0, 1), ctx).ok());
    ASSERT_TRUE(sink->Finish(ctx).ok());
    EXPECT_EQ(ReadFile(root / "o/data_run-1.json"), "{\"id\":0,\"name\":\"name 0, with comma\"}\n");
}

TEST(FileSink, AbortWithoutCommitLeavesNothing) {
    TempDir root;
    auto sink =
        MakeSink(FileSpec(root.path(), "DelimitedText", {{"fileName", "o.csv"}}), EnvWithRoot(root.path()));
    OpContext ctx;
    ASSERT_TRUE(sink->Open(kSchema, nullptr, ctx).ok());
    ASSERT_TRUE(sink->Write(Chunk(0, 3), ctx).ok());
    sink->Abort();
    EXPECT_TRUE(fs::is_empty(root.path()));
}

TEST(FileSink, RefusesACheckpointForAnotherFile) {
    TempDir root;
    WriteFile(root / "precious.txt", "keep me");
    auto sink =
        MakeSink(FileSpec(root.path(), "DelimitedText", {{"fileName", "o.csv"}}), EnvWithRoot(root.path()));
    OpContext ctx;
    Json forged = {{"path", (root / "precious.txt").string()}, {"bytes", 0}, {"rows", 0}};
    Status st = sink->Open(kSchema, forged, ctx);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind, ErrorKind::kConflict);
    EXPECT_EQ(ReadFile(root / "precious.txt"), "keep me");
}

TEST(FileSink, RepeatedCommitOfOneKeyCommitsOnce) {
    TempDir root;
    auto sink = MakeSink(FileSpec(root.path(), "Json", {{"fileName", "o.json"}}), EnvWithRoot(root.path()));
    OpContext ctx;
    ASSERT_TRUE(sink->Open(kSchema, nullptr, ctx).ok());
    ASSERT_TRUE(sink->Write(Chunk(0, 2), ctx).ok());
    auto a = sink->CommitChunk({"run-1", "Copy data", 0}, ctx);
    auto b = sink->CommitChunk({"run-1", "Copy data", 0}, ctx);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
}

// The same crash story for every format: 3 chunks written, 2 committed, the attempt dies (Abort, or
// garbage left after the last commit); the next attempt resumes from the 2nd checkpoint and finishes.
struct ResumeCase {
    const char* name;
    const char* dataset_type;
    Json dataset;
    Json sink_settings;
    const char* file_name;
    bool gzip;
};

class FileSinkResume : public ::testing::TestWithParam<ResumeCase> {};

Json ReadBack(const fs::path& root, const ResumeCase& c) {
    auto spec = FileSpec(root, c.dataset_type, {{"folderPath", "out"}, {"fileName", c.file_name}}, c.dataset);
    auto out = ReadSource(spec, EnvWithRoot(root), 1000);
    EXPECT_TRUE(out.ok()) << out.error().message;
    return out.ok() ? out->rows : Json();
}

void RunResume(const fs::path& root, const ResumeCase& c, bool crash_instead_of_abort) {
    auto spec = FileSpec(root, c.dataset_type, {{"folderPath", "out"}, {"fileName", c.file_name}}, c.dataset,
                         c.sink_settings);
    const auto env = EnvWithRoot(root);
    OpContext ctx;
    Json checkpoint;
    fs::path temp;
    {
        auto sink = MakeSink(spec, env);
        ASSERT_TRUE(sink->Open(kSchema, nullptr, ctx).ok());
        ASSERT_TRUE(sink->Write(Chunk(0, 5), ctx).ok());
        auto cp1 = sink->CommitChunk({"run-1", "Copy data", 1}, ctx);
        ASSERT_TRUE(cp1.ok());
        ASSERT_TRUE(sink->Write(Chunk(5, 5), ctx).ok());
        auto cp2 = sink->CommitChunk({"run-1", "Copy data", 2}, ctx);
        ASSERT_TRUE(cp2.ok());
        checkpoint = *cp2;
        temp = checkpoint["path"].get<std::string>();
        EXPECT_EQ(checkpoint["rows"], 10);
        ASSERT_TRUE(sink->Write(Chunk(10, 5), ctx).ok());  // chunk 3: written, never committed
        if (crash_instead_of_abort) {
            // A crash leaves whatever reached the disk after the last commit.
            std::ofstream(temp, std::ios::app | std::ios::binary) << "GARBAGE,\"half a row";
            (void)sink.release();  // the process died: no destructor, no Abort (leaked on purpose)
        } else {
            sink->Abort();
        }
    }
    EXPECT_FALSE(fs::exists(root / "out" / c.file_name));
    ASSERT_TRUE(fs::exists(temp));
    if (!crash_instead_of_abort) {
        EXPECT_EQ(fs::file_size(temp), checkpoint["bytes"].get<uint64_t>());
    }

    // The checkpoint went through the run store as JSON text.
    Json persisted = Json::parse(checkpoint.dump());
    auto sink = MakeSink(spec, env);
    ASSERT_TRUE(sink->Open(kSchema, persisted, ctx).ok());
    ASSERT_TRUE(sink->Write(Chunk(10, 3), ctx).ok());
    ASSERT_TRUE(sink->CommitChunk({"run-1", "Copy data", 3}, ctx).ok());
    ASSERT_TRUE(sink->Write(Chunk(13, 2), ctx).ok());
    ASSERT_TRUE(sink->Finish(ctx).ok());
    EXPECT_EQ(sink->stats().rows_written, 15u);
    EXPECT_FALSE(fs::exists(temp));

    bool typed = std::string(c.dataset_type) == "Json";
    EXPECT_EQ(ReadBack(root, c), ExpectedRows(15, typed));
    std::string text = c.gzip ? GunzipFile(root / "out" / c.file_name) : ReadFile(root / "out" / c.file_name);
    if (std::string(c.dataset_type) == "DelimitedText") {
        EXPECT_EQ(text.rfind("id,name\r\n", 0), 0u);  // the header once, at the top
        EXPECT_EQ(text.find("id,name", 1), std::string::npos);
    }
    if (c.sink_settings.dump().find("arrayOfObjects") != std::string::npos) {
        Json whole = Json::parse(text);  // one well-formed array, closed once
        ASSERT_TRUE(whole.is_array());
        EXPECT_EQ(whole.size(), 15u);
    }
}

TEST_P(FileSinkResume, AbortThenResumeWritesEveryRowOnce) {
    TempDir root;
    RunResume(root.path(), GetParam(), false);
}

TEST_P(FileSinkResume, CrashThenResumeDropsUncommittedBytes) {
    TempDir root;
    RunResume(root.path(), GetParam(), true);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, FileSinkResume,
    ::testing::Values(
        ResumeCase{"csv", "DelimitedText", {{"firstRowAsHeader", true}}, Json::object(), "o.csv", false},
        ResumeCase{
            "csv_gzip",
            "DelimitedText",
            {{"firstRowAsHeader", true}, {"compressionCodec", "gzip"}, {"compressionLevel", "Fastest"}},
            Json::object(),
            "o.csv.gz",
            true},
        ResumeCase{"json_lines", "Json", Json::object(), Json::object(), "o.json", false},
        ResumeCase{"json_array",
                   "Json",
                   Json::object(),
                   {{"formatSettings", {{"type", "JsonWriteSettings"}, {"filePattern", "arrayOfObjects"}}}},
                   "o.json",
                   false},
        ResumeCase{"json_array_gzip",
                   "Json",
                   {{"compression", {{"type", "gzip"}}}},
                   {{"formatSettings", {{"filePattern", "arrayOfObjects"}}}},
                   "o.json.gz",
                   true}),
    [](const ::testing::TestParamInfo<ResumeCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace adxflow::testing
