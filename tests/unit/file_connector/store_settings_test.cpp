// The storeSettings every file-like store shares, on the FileServer store: wildcard folders, prefix, the
// modified window, deleteFilesAfterCompletion, Binary copies with each copyBehavior, deflate.

#include <utime.h>
#include <zlib.h>

#include "connectors/common/format/gzip_stream.hpp"
#include "connectors/common/format/store.hpp"
#include "tests/unit/file_connector/file_test_util.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

const Json kHeader = {{"firstRowAsHeader", true}};

Json RowsOf(const fs::path& root, Json location, Json settings) {
    auto out = ReadSource(FileSpec(root, "DelimitedText", std::move(location), kHeader, std::move(settings)),
                          EnvWithRoot(root));
    EXPECT_TRUE(out.ok()) << out.error().message;
    return out.ok() ? out->rows : Json();
}

void SetMtime(const fs::path& p, time_t t) {
    struct utimbuf times {
        t, t
    };
    ASSERT_EQ(::utime(p.c_str(), &times), 0);
}

TEST(StoreSettings, WildcardFolderPathMatchesFolders) {
    TempDir root;
    WriteFile(root / "logs/2024-01/a.csv", "v\r\njan\r\n");
    WriteFile(root / "logs/2024-02/b.csv", "v\r\nfeb\r\n");
    WriteFile(root / "logs/2024-02/deep/c.csv", "v\r\ndeep\r\n");
    WriteFile(root / "logs/2023-12/d.csv", "v\r\ndec\r\n");
    Json ws = {
        {"storeSettings", {{"type", "FileServerReadSettings"}, {"wildcardFolderPath", "logs/2024-*"}}}};
    EXPECT_EQ(RowsOf(root.path(), Json::object(), ws), Json::parse(R"([["jan"],["feb"],["deep"]])"));
    ws["storeSettings"]["recursive"] = false;
    EXPECT_EQ(RowsOf(root.path(), Json::object(), ws), Json::parse(R"([["jan"],["feb"]])"));
    ws["storeSettings"]["wildcardFileName"] = "b*";
    EXPECT_EQ(RowsOf(root.path(), Json::object(), ws), Json::parse(R"([["feb"]])"));
}

TEST(StoreSettings, PrefixIsRelativeToTheRoot) {
    TempDir root;
    WriteFile(root / "in/sales_1.csv", "v\r\n1\r\n");
    WriteFile(root / "in/sales_2.csv", "v\r\n2\r\n");
    WriteFile(root / "in/other.csv", "v\r\nx\r\n");
    WriteFile(root / "in/sales_dir/3.csv", "v\r\n3\r\n");
    Json s = {{"storeSettings", {{"prefix", "in/sales_"}}}};
    EXPECT_EQ(RowsOf(root.path(), {{"folderPath", "ignored"}}, s), Json::parse(R"([["1"],["2"],["3"]])"));
    s["storeSettings"]["recursive"] = false;
    EXPECT_EQ(RowsOf(root.path(), Json::object(), s), Json::parse(R"([["1"],["2"]])"));
}

TEST(StoreSettings, ModifiedWindowIsStartInclusiveEndExclusive) {
    TempDir root;
    WriteFile(root / "m/old.csv", "v\r\nold\r\n");
    WriteFile(root / "m/mid.csv", "v\r\nmid\r\n");
    WriteFile(root / "m/new.csv", "v\r\nnew\r\n");
    SetMtime(root / "m/old.csv", 1700000000);  // 2023-11-14T22:13:20Z
    SetMtime(root / "m/mid.csv", 1710000000);  // 2024-03-09T16:00:00Z
    SetMtime(root / "m/new.csv", 1720000000);  // 2024-07-03T09:46:40Z
    Json s = {{"storeSettings",
               {{"modifiedDatetimeStart", "2024-03-09T16:00:00Z"},
                {"modifiedDatetimeEnd", "2024-07-03T09:46:40Z"}}}};
    EXPECT_EQ(RowsOf(root.path(), {{"folderPath", "m"}}, s), Json::parse(R"([["mid"]])"));
    s["storeSettings"]["modifiedDatetimeEnd"] = nullptr;
    EXPECT_EQ(RowsOf(root.path(), {{"folderPath", "m"}}, s), Json::parse(R"([["mid"],["new"]])"));

    s["storeSettings"]["modifiedDatetimeStart"] = "yesterday";
    auto bad = ReadSource(FileSpec(root.path(), "DelimitedText", {{"folderPath", "m"}}, kHeader, s),
                          EnvWithRoot(root.path()));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().target, "source.storeSettings.modifiedDatetimeStart");
}

TEST(StoreSettings, DeleteFilesAfterCompletionRemovesWhatWasRead) {
    TempDir root;
    WriteFile(root / "d/a.csv", "v\r\n1\r\n");
    WriteFile(root / "d/b.txt", "v\r\n2\r\n");
    auto spec =
        FileSpec(root.path(), "DelimitedText", {{"folderPath", "d"}}, kHeader,
                 {{"storeSettings", {{"wildcardFileName", "*.csv"}, {"deleteFilesAfterCompletion", true}}}});
    auto source = FileConnector().make_source(spec, EnvWithRoot(root.path()));
    ASSERT_TRUE(source.ok());
    OpContext ctx;
    ASSERT_TRUE((*source)->Open(ctx).ok());
    RowBatch batch;
    while (*(*source)->Next(batch, 10, ctx)) {
    }
    EXPECT_TRUE(fs::exists(root / "d/a.csv"));  // not before the sink published
    ASSERT_TRUE((*source)->Complete(ctx).ok());
    EXPECT_FALSE(fs::exists(root / "d/a.csv"));
    EXPECT_TRUE(fs::exists(root / "d/b.txt"));
}

void Copy(const EndpointSpec& in, const EndpointSpec& out, const ConnectorEnv& env) {
    CopyThroughConnectors(in, out, env, /*batch_rows=*/3, /*chunk_rows=*/1000);
}

TEST(StoreSettings, BinaryCopyHonoursCopyBehavior) {
    TempDir root;
    std::string big(3 * 1024 * 1024 + 17, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
    WriteFile(root / "src/top.bin", big);
    WriteFile(root / "src/sub/inner.txt", "hello");
    WriteFile(root / "src/empty.dat", "");
    const auto env = EnvWithRoot(root.path());
    const EndpointSpec in = FileSpec(root.path(), "Binary", {{"folderPath", "src"}});
    auto out = [&](const char* folder, Json settings, Json location = Json::object()) {
        location["folderPath"] = folder;
        return FileSpec(root.path(), "Binary", location, Json::object(), std::move(settings));
    };
    Copy(in, out("preserved", Json::object()), env);
    EXPECT_EQ(ReadFile(root / "preserved/top.bin"), big);
    EXPECT_EQ(ReadFile(root / "preserved/sub/inner.txt"), "hello");
    EXPECT_TRUE(fs::exists(root / "preserved/empty.dat"));
    EXPECT_EQ(fs::file_size(root / "preserved/empty.dat"), 0u);

    Copy(in, out("flat", {{"storeSettings", {{"copyBehavior", "FlattenHierarchy"}}}}), env);
    EXPECT_EQ(ReadFile(root / "flat/sub_inner.txt"), "hello");
    EXPECT_EQ(ReadFile(root / "flat/top.bin"), big);

    Copy(in, out("merged", {{"storeSettings", {{"copyBehavior", "MergeFiles"}}}}, {{"fileName", "all.bin"}}),
         env);
    EXPECT_EQ(ReadFile(root / "merged/all.bin"),
              "" + std::string("hello") + big);  // path order: empty, sub/, top
}

TEST(StoreSettings, DeflateRoundTripsAndReadsZlibToo) {
    TempDir root;
    const auto env = EnvWithRoot(root.path());
    WriteFile(root / "in/p.csv", "id,name\r\n1,\"a, b\"\r\n2,c\r\n");
    Json deflate = {{"firstRowAsHeader", true}, {"compressionCodec", "deflate"}};
    Copy(FileSpec(root.path(), "DelimitedText", {{"folderPath", "in"}}, kHeader),
         FileSpec(root.path(), "DelimitedText", {{"folderPath", "out"}, {"fileName", "p.csv.deflate"}},
                  deflate),
         env);
    const std::string raw = ReadFile(root / "out/p.csv.deflate");
    ASSERT_FALSE(raw.empty());
    EXPECT_NE(raw.substr(0, 2), "\x1f\x8b");  // not gzip
    auto back = ReadSource(FileSpec(root.path(), "DelimitedText", {{"folderPath", "out"}}, deflate), env);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->rows, Json::parse(R"([["1","a, b"],["2","c"]])"));

    // Some writers put a zlib header around the deflate data.
    const std::string text = "id\r\nz1\r\n";
    std::string zlib(compressBound(text.size()), '\0');
    uLongf len = zlib.size();
    ASSERT_EQ(compress(reinterpret_cast<Bytef*>(zlib.data()), &len,
                       reinterpret_cast<const Bytef*>(text.data()), text.size()),
              Z_OK);
    zlib.resize(len);
    WriteFile(root / "z/z.csv.deflate", zlib);
    auto z = ReadSource(FileSpec(root.path(), "DelimitedText", {{"folderPath", "z"}}, deflate), env);
    ASSERT_TRUE(z.ok()) << z.error().message;
    EXPECT_EQ(z->rows, Json::parse(R"([["z1"]])"));
}

TEST(StoreSettings, UnknownCopyBehaviorNamesItsPath) {
    TempDir root;
    auto sink =
        FileConnector().make_sink(FileSpec(root.path(), "Json", {{"fileName", "o.json"}}, Json::object(),
                                           {{"storeSettings", {{"copyBehavior", "Shuffle"}}}}),
                                  EnvWithRoot(root.path()));
    ASSERT_FALSE(sink.ok());
    EXPECT_EQ(sink.error().target, "sink.storeSettings.copyBehavior");
}

}  // namespace
}  // namespace adxflow::testing
