// copyBehavior for tabular copies between file stores: PreserveHierarchy writes one output file per source
// file under the same path, FlattenHierarchy puts them all in the sink folder, MergeFiles (or a dataset
// fileName) makes one file. And the per-file output is exactly once across a crash in the middle of the
// second file, and across a crash while Finish publishes the files one by one.

#include <set>

#include "tests/unit/file_connector/file_test_util.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

const Json kHeader = {{"firstRowAsHeader", true}};

// Every file below `folder`, relative to it, hidden temp files included.
std::set<std::string> FilesUnder(const fs::path& folder) {
    std::set<std::string> out;
    if (!fs::exists(folder)) return out;
    for (const auto& e : fs::recursive_directory_iterator(folder))
        if (e.is_regular_file()) out.insert(e.path().lexically_relative(folder).generic_string());
    return out;
}

Json CsvRows(const fs::path& root, const std::string& folder, const std::string& file) {
    auto out =
        ReadSource(FileSpec(root, "DelimitedText", {{"folderPath", folder}, {"fileName", file}}, kHeader),
                   EnvWithRoot(root));
    EXPECT_TRUE(out.ok()) << file << ": " << out.error().message;
    return out.ok() ? out->rows : Json();
}

// A source folder of three CSV files at three depths, with a header-only file that yields no rows.
void WriteSourceFiles(const fs::path& root) {
    WriteFile(root / "src/a.csv", "v\r\n1\r\n2\r\n");
    WriteFile(root / "src/sub/b.csv", "v\r\n3\r\n");
    WriteFile(root / "src/sub/deep/c.csv", "v\r\n4\r\n5\r\n6\r\n");
    WriteFile(root / "src/sub/empty.csv", "v\r\n");
}

// Drives a source and a sink as the Copy activity does (no mapping): batches of `batch_rows`, a commit
// every `chunk_rows` rows, PrepareFinish and Finish.
void Copy(const EndpointSpec& in, const EndpointSpec& out, const ConnectorEnv& env, size_t batch_rows = 1,
          uint64_t chunk_rows = 2) {
    auto source = FileConnector().make_source(in, env);
    ASSERT_TRUE(source.ok()) << source.error().message;
    auto sink = FileConnector().make_sink(out, env);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    OpContext ctx;
    auto schema = (*source)->Open(ctx);
    ASSERT_TRUE(schema.ok()) << schema.error().message;
    ASSERT_TRUE((*sink)->Open(*schema, nullptr, ctx).ok());
    RowBatch batch;
    uint64_t chunk = 0, since_commit = 0;
    for (bool more = true; more;) {
        auto next = (*source)->Next(batch, batch_rows, ctx);
        ASSERT_TRUE(next.ok()) << next.error().message;
        more = *next;
        if (batch.rows() == 0) continue;
        Status written = (*sink)->Write(batch, ctx);
        ASSERT_TRUE(written.ok()) << written.error().message;
        since_commit += batch.rows();
        if (since_commit >= chunk_rows) {
            ASSERT_TRUE((*sink)->CommitChunk({"run-1", "Copy data", chunk++}, ctx).ok());
            since_commit = 0;
        }
    }
    ASSERT_TRUE((*sink)->CommitChunk({"run-1", "Copy data", chunk++}, ctx).ok());
    auto prepared = (*sink)->PrepareFinish(ctx);
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    Status finished = (*sink)->Finish(ctx);
    ASSERT_TRUE(finished.ok()) << finished.error().message;
}

EndpointSpec Out(const fs::path& root, const char* folder, const char* behavior,
                 Json location = Json::object(), const char* dataset_type = "DelimitedText",
                 Json dataset = kHeader) {
    location["folderPath"] = folder;
    return FileSpec(root, dataset_type, std::move(location), std::move(dataset),
                    {{"storeSettings", {{"copyBehavior", behavior}}}});
}

TEST(CopyBehavior, PreserveHierarchyWritesEachFileUnderItsPath) {
    TempDir root;
    WriteSourceFiles(root.path());
    const auto env = EnvWithRoot(root.path());
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader),
         Out(root.path(), "out", "PreserveHierarchy"), env);
    // The header-only file has no rows, so no output file.
    EXPECT_EQ(FilesUnder(root / "out"), (std::set<std::string>{"a.csv", "sub/b.csv", "sub/deep/c.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "out", "a.csv"), Json::parse(R"([["1"],["2"]])"));
    EXPECT_EQ(CsvRows(root.path(), "out/sub", "b.csv"), Json::parse(R"([["3"]])"));
    EXPECT_EQ(CsvRows(root.path(), "out/sub/deep", "c.csv"), Json::parse(R"([["4"],["5"],["6"]])"));
    EXPECT_EQ(ReadFile(root / "out/a.csv"), ReadFile(root / "src/a.csv"));
}

TEST(CopyBehavior, FlattenHierarchyPutsEveryFileInTheSinkFolder) {
    TempDir root;
    WriteSourceFiles(root.path());
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader),
         Out(root.path(), "flat", "FlattenHierarchy"), EnvWithRoot(root.path()));
    EXPECT_EQ(FilesUnder(root / "flat"), (std::set<std::string>{"a.csv", "sub_b.csv", "sub_deep_c.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "flat", "sub_deep_c.csv"), Json::parse(R"([["4"],["5"],["6"]])"));
}

TEST(CopyBehavior, FlattenedNamesThatCollideGetASuffix) {
    TempDir root;
    WriteFile(root / "src/x/y_z.csv", "v\r\nfirst\r\n");
    WriteFile(root / "src/x_y/z.csv", "v\r\nsecond\r\n");
    WriteFile(root / "src/x_y/noext", "v\r\nthird\r\n");
    WriteFile(root / "src/x/y_noext", "v\r\nfourth\r\n");
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader),
         Out(root.path(), "flat", "FlattenHierarchy"), EnvWithRoot(root.path()));
    // Path order ('/' sorts before '_'): x/y_noext, x/y_z.csv, x_y/noext, x_y/z.csv.
    EXPECT_EQ(FilesUnder(root / "flat"),
              (std::set<std::string>{"x_y_noext", "x_y_z.csv", "x_y_noext_2", "x_y_z_2.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "flat", "x_y_z.csv"), Json::parse(R"([["first"]])"));
    EXPECT_EQ(CsvRows(root.path(), "flat", "x_y_z_2.csv"), Json::parse(R"([["second"]])"));
    EXPECT_EQ(CsvRows(root.path(), "flat", "x_y_noext_2"), Json::parse(R"([["third"]])"));
}

TEST(CopyBehavior, MergeFilesOrAFileNameMakeOneFile) {
    TempDir root;
    WriteSourceFiles(root.path());
    const auto env = EnvWithRoot(root.path());
    const auto in = FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader);
    Copy(in, Out(root.path(), "merged", "MergeFiles"), env);
    EXPECT_EQ(FilesUnder(root / "merged"), (std::set<std::string>{"data_run-1.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "merged", "data_run-1.csv"),
              Json::parse(R"([["1"],["2"],["3"],["4"],["5"],["6"]])"));
    Copy(in, Out(root.path(), "named", "PreserveHierarchy", {{"fileName", "all.csv"}}), env);
    EXPECT_EQ(FilesUnder(root / "named"), (std::set<std::string>{"all.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "named", "all.csv").size(), 6u);
}

TEST(CopyBehavior, AFormatChangeKeepsTheSourceNames) {
    TempDir root;
    WriteSourceFiles(root.path());
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader),
         Out(root.path(), "json", "PreserveHierarchy", Json::object(), "Json", Json::object()),
         EnvWithRoot(root.path()));
    EXPECT_EQ(ReadFile(root / "json/sub/deep/c.csv"), "{\"v\":\"4\"}\n{\"v\":\"5\"}\n{\"v\":\"6\"}\n");
    EXPECT_EQ(ReadFile(root / "json/a.csv"), "{\"v\":\"1\"}\n{\"v\":\"2\"}\n");
}

TEST(CopyBehavior, NoRowsAtAllStillWriteOneFileWithTheHeader) {
    TempDir root;
    WriteFile(root / "src/empty.csv", "v\r\n");
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader),
         Out(root.path(), "out", "PreserveHierarchy"), EnvWithRoot(root.path()));
    EXPECT_EQ(FilesUnder(root / "out"), (std::set<std::string>{"data_run-1.csv"}));
    EXPECT_EQ(ReadFile(root / "out/data_run-1.csv"), "v\r\n");
}

// The engine's resume protocol by hand: attempt 1 commits every 2 rows and dies in the middle of the third
// file (after the second file was ended but before that was committed); attempt 2 opens the sink with the
// last saved checkpoint, skips the rows it covers and goes on. Each file must hold its rows once.
TEST(CopyBehavior, ACrashInTheMiddleOfAFileResumesFileByFile) {
    TempDir root;
    WriteFile(root / "src/a.csv", "v\r\n1\r\n2\r\n3\r\n");
    WriteFile(root / "src/b.csv", "v\r\n4\r\n5\r\n6\r\n");
    WriteFile(root / "src/c.csv", "v\r\n7\r\n8\r\n9\r\n");
    const auto env = EnvWithRoot(root.path());
    const auto in = FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader);
    const auto out = Out(root.path(), "out", "PreserveHierarchy");
    OpContext ctx;
    Json saved;  // what the engine persisted
    uint64_t committed_rows = 0;
    {
        auto source = std::move(FileConnector().make_source(in, env)).value();
        auto sink = std::move(FileConnector().make_sink(out, env)).value();
        auto schema = source->Open(ctx);
        ASSERT_TRUE(schema.ok());
        ASSERT_TRUE(sink->Open(*schema, nullptr, ctx).ok());
        RowBatch batch;
        uint64_t seen = 0;
        for (uint64_t chunk = 0; seen < 7;) {
            ASSERT_TRUE(source->Next(batch, 1, ctx).ok());
            ASSERT_TRUE(sink->Write(batch, ctx).ok());
            if (++seen % 2 == 0) {
                auto cp = sink->CommitChunk({"run-1", "Copy data", chunk++}, ctx);
                ASSERT_TRUE(cp.ok()) << cp.error().message;
                saved = Json::parse(cp->dump());
                committed_rows = seen;
            }
        }
        // Rows 1..6 committed (the last checkpoint has a.csv ended, b.csv current with 3 rows), row 7 of
        // c.csv written but not committed, b.csv ended by that write. The process dies here.
        EXPECT_EQ(saved.value("source", ""), "b.csv");
        EXPECT_EQ(saved.value("fileRows", 0), 3);
        ASSERT_EQ(saved["ended"].size(), 1u);
        (void)sink.release();  // no destructor, no Abort: leaked on purpose, as a killed process would
    }
    EXPECT_FALSE(fs::exists(root / "out/a.csv"));  // nothing visible before Finish
    {
        auto source = std::move(FileConnector().make_source(in, env)).value();
        auto sink = std::move(FileConnector().make_sink(out, env)).value();
        auto schema = source->Open(ctx);
        ASSERT_TRUE(schema.ok());
        Status opened = sink->Open(*schema, saved, ctx);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        RowBatch batch;
        uint64_t seen = 0;
        for (bool more = true; more;) {
            auto next = source->Next(batch, 1, ctx);
            ASSERT_TRUE(next.ok());
            more = *next;
            seen += batch.rows();
            if (batch.rows() == 0 || seen <= committed_rows) continue;
            ASSERT_TRUE(sink->Write(batch, ctx).ok());
        }
        ASSERT_TRUE(sink->CommitChunk({"run-1", "Copy data", 9}, ctx).ok());
        ASSERT_TRUE(sink->PrepareFinish(ctx).ok());
        ASSERT_TRUE(sink->Finish(ctx).ok());
        EXPECT_EQ(sink->stats().files_written, 3u);
    }
    EXPECT_EQ(FilesUnder(root / "out"), (std::set<std::string>{"a.csv", "b.csv", "c.csv"}));
    EXPECT_EQ(ReadFile(root / "out/a.csv"), ReadFile(root / "src/a.csv"));
    EXPECT_EQ(ReadFile(root / "out/b.csv"), ReadFile(root / "src/b.csv"));
    EXPECT_EQ(ReadFile(root / "out/c.csv"), ReadFile(root / "src/c.csv"));
}

// PrepareFinish ends every file; a daemon killed after Finish published the first file but not the second
// finishes the rest on the next attempt and leaves the published one as it was.
TEST(CopyBehavior, ACrashWhileFinishPublishesFilesIsFinishedNextTime) {
    TempDir root;
    WriteSourceFiles(root.path());
    const auto env = EnvWithRoot(root.path());
    const auto out = Out(root.path(), "out", "PreserveHierarchy");
    OpContext ctx;
    Json prepared;
    {
        auto source =
            std::move(FileConnector().make_source(
                          FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader), env))
                .value();
        auto sink = std::move(FileConnector().make_sink(out, env)).value();
        auto schema = source->Open(ctx);
        ASSERT_TRUE(schema.ok());
        ASSERT_TRUE(sink->Open(*schema, nullptr, ctx).ok());
        RowBatch batch;
        for (bool more = true; more;) {
            auto next = source->Next(batch, 2, ctx);
            ASSERT_TRUE(next.ok());
            more = *next;
            if (batch.rows()) {
                ASSERT_TRUE(sink->Write(batch, ctx).ok());
            }
        }
        ASSERT_TRUE(sink->CommitChunk({"run-1", "Copy data", 0}, ctx).ok());
        auto p = sink->PrepareFinish(ctx);
        ASSERT_TRUE(p.ok());
        prepared = Json::parse(p->dump());
        ASSERT_EQ(prepared["ended"].size(), 3u);
        EXPECT_EQ(prepared.value("rows", 0), 6);
        // Finish got as far as the first rename before the process died.
        const Json& first = prepared["ended"][0]["upload"];
        fs::rename(first.value("path", ""), root / "out/a.csv");
        (void)sink.release();
    }
    const std::string a = ReadFile(root / "out/a.csv");
    auto sink = std::move(FileConnector().make_sink(out, env)).value();
    ASSERT_TRUE(sink->Open(Schema{}, prepared, ctx).ok());
    Status finished = sink->Finish(ctx);
    ASSERT_TRUE(finished.ok()) << finished.error().message;
    EXPECT_EQ(FilesUnder(root / "out"), (std::set<std::string>{"a.csv", "sub/b.csv", "sub/deep/c.csv"}));
    EXPECT_EQ(ReadFile(root / "out/a.csv"), a);
    EXPECT_EQ(CsvRows(root.path(), "out/sub/deep", "c.csv"), Json::parse(R"([["4"],["5"],["6"]])"));
}

}  // namespace
}  // namespace adxflow::testing
