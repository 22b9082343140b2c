// copyBehavior for tabular copies between file stores: PreserveHierarchy writes one output file per source
// file under the same path, FlattenHierarchy puts them all in the sink folder, MergeFiles (or a dataset
// fileName) makes one file; maxRowsPerFile splits each output into numbered parts. The several-file output
// is exactly once across a crash in the middle of a file, and across a crash while Finish publishes the
// files one by one.

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

void Copy(const EndpointSpec& in, const EndpointSpec& out, const ConnectorEnv& env, size_t batch_rows = 1) {
    CopyThroughConnectors(in, out, env, batch_rows, /*chunk_rows=*/2);
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

// Rows [first, first + count) of a source without files (ADX, PostgreSQL): batches name no file.
RowBatch Numbers(int first, int count) {
    RowBatch batch(1);
    for (int i = first; i < first + count; ++i) batch.AddRow()[0] = std::to_string(i);
    return batch;
}

Json NumberRows(int first, int count) {
    Json rows = Json::array();
    for (int i = first; i < first + count; ++i) rows.push_back(Json::array({std::to_string(i)}));
    return rows;
}

const Schema kNumberSchema = {{"v", ColumnType::kString}};

// Writes rows 0..count-1 in batches of `batch_rows`, committing after each batch, and finishes.
void WriteNumbers(Sink& sink, int count, int batch_rows) {
    OpContext ctx;
    ASSERT_TRUE(sink.Open(kNumberSchema, nullptr, ctx).ok());
    uint64_t chunk = 0;
    for (int first = 0; first < count; first += batch_rows) {
        Status w = sink.Write(Numbers(first, std::min(batch_rows, count - first)), ctx);
        ASSERT_TRUE(w.ok()) << w.error().message;
        ASSERT_TRUE(sink.CommitChunk({"run-1", "Copy data", chunk++}, ctx).ok());
    }
    ASSERT_TRUE(sink.PrepareFinish(ctx).ok());
    Status f = sink.Finish(ctx);
    ASSERT_TRUE(f.ok()) << f.error().message;
}

EndpointSpec SplitOut(const fs::path& root, Json format_settings, Json location = Json::object(),
                      Json dataset = kHeader) {
    location["folderPath"] = "parts";
    return FileSpec(root, "DelimitedText", std::move(location), std::move(dataset),
                    {{"formatSettings", std::move(format_settings)}});
}

TEST(MaxRowsPerFile, SplitsAResultIntoNumberedParts) {
    TempDir root;
    auto sink = std::move(FileConnector().make_sink(
                              SplitOut(root.path(), {{"maxRowsPerFile", 4}, {"fileNamePrefix", "sales"}}),
                              EnvWithRoot(root.path())))
                    .value();
    WriteNumbers(*sink, 10, 3);  // part boundaries fall inside batches
    EXPECT_EQ(FilesUnder(root / "parts"),
              (std::set<std::string>{"sales_00000.csv", "sales_00001.csv", "sales_00002.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "parts", "sales_00000.csv"), NumberRows(0, 4));
    EXPECT_EQ(CsvRows(root.path(), "parts", "sales_00001.csv"), NumberRows(4, 4));
    EXPECT_EQ(CsvRows(root.path(), "parts", "sales_00002.csv"), NumberRows(8, 2));
    EXPECT_EQ(sink->stats().files_written, 3u);
    EXPECT_EQ(sink->stats().rows_written, 10u);
}

TEST(MaxRowsPerFile, PartsAreNamedAfterThePrefixTheFileNameOrTheRun) {
    TempDir root;
    const auto env = EnvWithRoot(root.path());
    // No prefix: the generated name; compressed: the number goes before ".csv.gz".
    Json gzip = kHeader;
    gzip["compressionCodec"] = "gzip";
    auto sink = std::move(FileConnector().make_sink(
                              SplitOut(root.path(), {{"maxRowsPerFile", 5}}, Json::object(), gzip), env))
                    .value();
    WriteNumbers(*sink, 6, 6);
    EXPECT_EQ(FilesUnder(root / "parts"),
              (std::set<std::string>{"data_run-1_00000.csv.gz", "data_run-1_00001.csv.gz"}));
    fs::remove_all(root / "parts");
    // A dataset fileName is split the same way.
    sink = std::move(FileConnector().make_sink(
                         SplitOut(root.path(), {{"maxRowsPerFile", 5}}, {{"fileName", "all.csv"}}), env))
               .value();
    WriteNumbers(*sink, 5, 2);  // exactly one full part: no empty second one
    EXPECT_EQ(FilesUnder(root / "parts"), (std::set<std::string>{"all_00000.csv"}));
    fs::remove_all(root / "parts");
    // No rows at all: one part with the header.
    sink = std::move(FileConnector().make_sink(
                         SplitOut(root.path(), {{"maxRowsPerFile", 5}, {"fileNamePrefix", "x"}}), env))
               .value();
    WriteNumbers(*sink, 0, 1);
    EXPECT_EQ(FilesUnder(root / "parts"), (std::set<std::string>{"x_00000.csv"}));
    EXPECT_EQ(ReadFile(root / "parts/x_00000.csv"), "v\r\n");
}

TEST(MaxRowsPerFile, JsonArrayPartsAreWholeArrays) {
    TempDir root;
    auto spec = FileSpec(root.path(), "Json", {{"folderPath", "parts"}}, Json::object(),
                         {{"formatSettings", {{"filePattern", "arrayOfObjects"}, {"maxRowsPerFile", 3}}}});
    auto sink = std::move(FileConnector().make_sink(spec, EnvWithRoot(root.path()))).value();
    WriteNumbers(*sink, 7, 2);
    EXPECT_EQ(Json::parse(ReadFile(root / "parts/data_run-1_00000.json")),
              Json::parse(R"([{"v":"0"},{"v":"1"},{"v":"2"}])"));
    EXPECT_EQ(Json::parse(ReadFile(root / "parts/data_run-1_00001.json")),
              Json::parse(R"([{"v":"3"},{"v":"4"},{"v":"5"}])"));
    EXPECT_EQ(Json::parse(ReadFile(root / "parts/data_run-1_00002.json")), Json::parse(R"([{"v":"6"}])"));
}

TEST(MaxRowsPerFile, SplitsEachSourceFileOfAFileCopy) {
    TempDir root;
    WriteSourceFiles(root.path());
    auto out = Out(root.path(), "out", "PreserveHierarchy");
    out.settings["formatSettings"] = {{"maxRowsPerFile", 2}, {"fileNamePrefix", "ignored"}};
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "src"}}, kHeader), out,
         EnvWithRoot(root.path()),
         /*batch_rows=*/3);
    EXPECT_EQ(FilesUnder(root / "out"),
              (std::set<std::string>{"a_00000.csv", "sub/b_00000.csv", "sub/deep/c_00000.csv",
                                     "sub/deep/c_00001.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "out/sub/deep", "c_00000.csv"), Json::parse(R"([["4"],["5"]])"));
    EXPECT_EQ(CsvRows(root.path(), "out/sub/deep", "c_00001.csv"), Json::parse(R"([["6"]])"));
}

// Attempt 1 commits rows 0-5 with parts of 4 (part 1 holds 4 and 5), then writes 6-8 without committing
// them (6 and 7 fill part 1, 8 begins part 2) and dies; attempt 2 resumes in part 1 after row 5.
TEST(MaxRowsPerFile, ACrashInsideAPartResumesInThatPart) {
    TempDir root;
    const auto env = EnvWithRoot(root.path());
    const auto spec = SplitOut(root.path(), {{"maxRowsPerFile", 4}, {"fileNamePrefix", "p"}});
    OpContext ctx;
    Json saved;
    {
        auto sink = std::move(FileConnector().make_sink(spec, env)).value();
        ASSERT_TRUE(sink->Open(kNumberSchema, nullptr, ctx).ok());
        ASSERT_TRUE(sink->Write(Numbers(0, 3), ctx).ok());
        ASSERT_TRUE(sink->CommitChunk({"run-1", "Copy data", 0}, ctx).ok());
        ASSERT_TRUE(sink->Write(Numbers(3, 3), ctx).ok());
        auto cp = sink->CommitChunk({"run-1", "Copy data", 1}, ctx);
        ASSERT_TRUE(cp.ok());
        saved = Json::parse(cp->dump());
        EXPECT_EQ(saved.value("part", 0), 1);
        EXPECT_EQ(saved.value("fileRows", 0), 2);
        ASSERT_TRUE(sink->Write(Numbers(6, 3), ctx).ok());  // ends part 1 after row 7, starts part 2
        (void)sink.release();
    }
    auto sink = std::move(FileConnector().make_sink(spec, env)).value();
    Status opened = sink->Open(kNumberSchema, saved, ctx);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    ASSERT_TRUE(sink->Write(Numbers(6, 5), ctx).ok());
    ASSERT_TRUE(sink->CommitChunk({"run-1", "Copy data", 2}, ctx).ok());
    ASSERT_TRUE(sink->PrepareFinish(ctx).ok());
    ASSERT_TRUE(sink->Finish(ctx).ok());
    EXPECT_EQ(FilesUnder(root / "parts"),
              (std::set<std::string>{"p_00000.csv", "p_00001.csv", "p_00002.csv"}));
    EXPECT_EQ(CsvRows(root.path(), "parts", "p_00000.csv"), NumberRows(0, 4));
    EXPECT_EQ(CsvRows(root.path(), "parts", "p_00001.csv"), NumberRows(4, 4));
    EXPECT_EQ(CsvRows(root.path(), "parts", "p_00002.csv"), NumberRows(8, 3));
}

TEST(MaxRowsPerFile, BadSettingsNameTheirPath) {
    TempDir root;
    const auto env = EnvWithRoot(root.path());
    auto zero = FileConnector().make_sink(SplitOut(root.path(), {{"maxRowsPerFile", 0}}), env);
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().target, "sink.formatSettings.maxRowsPerFile");
    auto slash = FileConnector().make_sink(
        SplitOut(root.path(), {{"maxRowsPerFile", 3}, {"fileNamePrefix", "a/b"}}), env);
    ASSERT_FALSE(slash.ok());
    EXPECT_EQ(slash.error().target, "sink.formatSettings.fileNamePrefix");
}

}  // namespace
}  // namespace adxflow::testing
