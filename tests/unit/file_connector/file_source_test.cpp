// FileServer source against real files: one file, folders, wildcards, gzip, roots and their escapes.

#include <unistd.h>

#include <cerrno>

#include "connectors/common/format/gzip_stream.hpp"
#include "tests/unit/file_connector/file_test_util.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

const Json kHeader = {{"firstRowAsHeader", true}};

TEST(FileConnector, RegisteredUnderItsAdfTypeNames) {
    ConnectorRegistry registry;
    RegisterBuiltinConnectors(registry);
    EXPECT_TRUE(registry.KnowsLinkedServiceType("fileserver"));
    for (const char* t : {"DelimitedText", "Json"}) EXPECT_TRUE(registry.KnowsDatasetType(t));
    for (const char* t : {"DelimitedTextSource", "JsonSource", "JSONSource"})
        EXPECT_TRUE(registry.KnowsSourceType(t));
    for (const char* t : {"DelimitedTextSink", "JsonSink", "JSONSink"})
        EXPECT_TRUE(registry.KnowsSinkType(t));
}

TEST(FileSource, ReadsOneCsvFileAndReportsStats) {
    TempDir root;
    WriteFile(root / "in/people.csv", "id,name\r\n1,ann\r\n2,bob\r\n3,\"c, d\"\r\n");
    auto out = ReadSource(
        FileSpec(root.path(), "DelimitedText", {{"folderPath", "in"}, {"fileName", "people.csv"}}, kHeader),
        EnvWithRoot(root.path()));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(SchemaNames(out->schema), Json::parse(R"(["id","name"])"));
    EXPECT_EQ(out->rows, Json::parse(R"([["1","ann"],["2","bob"],["3","c, d"]])"));
    EXPECT_EQ(out->stats.rows_read, 3u);
    EXPECT_EQ(out->stats.files_read, 1u);
    EXPECT_EQ(out->stats.bytes_read, fs::file_size(root / "in/people.csv"));
}

TEST(FileSource, ReadsEveryFileOfAFolderSortedByPath) {
    TempDir root;
    WriteFile(root / "d/b.csv", "id\r\nb1\r\n");
    WriteFile(root / "d/a.csv", "id\r\na1\r\na2\r\n");
    WriteFile(root / "d/sub/c.csv", "id\r\nc1\r\n");
    WriteFile(root / "d/notes.txt", "id\r\nt1\r\n");
    WriteFile(root / "d/.hidden.csv", "id\r\nh1\r\n");  // hidden: the sink's temp files look like this
    const auto env = EnvWithRoot(root.path());
    auto rows_of = [&](Json settings) {
        auto out =
            ReadSource(FileSpec(root.path(), "DelimitedText", {{"folderPath", "d"}}, kHeader, settings), env);
        EXPECT_TRUE(out.ok()) << out.error().message;
        return out.ok() ? out->rows : Json();
    };
    EXPECT_EQ(rows_of(Json::object()), Json::parse(R"([["a1"],["a2"],["b1"],["t1"],["c1"]])"));
    EXPECT_EQ(rows_of({{"storeSettings", {{"type", "FileServerReadSettings"}, {"recursive", "false"}}}}),
              Json::parse(R"([["a1"],["a2"],["b1"],["t1"]])"));
    EXPECT_EQ(rows_of({{"storeSettings", {{"wildcardFileName", "*.csv"}}}}),
              Json::parse(R"([["a1"],["a2"],["b1"],["c1"]])"));
    EXPECT_EQ(rows_of({{"storeSettings", {{"wildcardFileName", "?.csv"}, {"recursive", false}}}}),
              Json::parse(R"([["a1"],["a2"],["b1"]])"));

    auto out = ReadSource(FileSpec(root.path(), "DelimitedText", {{"folderPath", "d"}}, kHeader), env);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->stats.files_read, 4u);
    EXPECT_EQ(out->stats.rows_read, 5u);
}

TEST(FileSource, FilesOfAFolderAreMatchedByColumnName) {
    TempDir root;
    WriteFile(root / "j/1.json", "{\"id\":1,\"name\":\"a\"}\n");
    WriteFile(root / "j/2.json", "[{\"name\":\"b\",\"extra\":true,\"id\":2}]");
    auto out = ReadSource(FileSpec(root.path(), "Json", {{"folderPath", "j"}}), EnvWithRoot(root.path()));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(SchemaNames(out->schema), Json::parse(R"(["id","name"])"));
    EXPECT_EQ(out->rows, Json::parse(R"([[1,"a"],[2,"b"]])"));
}

TEST(FileSource, ReadsGzipCsv) {
    TempDir root;
    {
        auto file = format::FileWriter::Open(root / "x.csv.gz", format::FileWriter::Mode::kTruncate);
        ASSERT_TRUE(file.ok());
        format::GzipWriter gz(**file, format::kGzipOptimal);
        ASSERT_TRUE(gz.Write("a;b\n1;2\n").ok());
        ASSERT_TRUE(gz.Flush().ok());
    }
    Json props = {{"firstRowAsHeader", true}, {"columnDelimiter", ";"}, {"compressionCodec", "gzip"}};
    auto out = ReadSource(FileSpec(root.path(), "DelimitedText", {{"fileName", "x.csv.gz"}}, props),
                          EnvWithRoot(root.path()));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->rows, Json::parse(R"([["1","2"]])"));
    EXPECT_EQ(out->stats.bytes_read, fs::file_size(root / "x.csv.gz"));
}

TEST(FileSource, MissingFileIsNotFoundNamingThePath) {
    TempDir root;
    auto out =
        ReadSource(FileSpec(root.path(), "DelimitedText", {{"folderPath", "in"}, {"fileName", "nope.csv"}}),
                   EnvWithRoot(root.path()));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, ErrorKind::kNotFound);
    EXPECT_NE(out.error().message.find("in/nope.csv"), std::string::npos) << out.error().message;

    auto folder =
        ReadSource(FileSpec(root.path(), "Json", {{"folderPath", "missing"}}), EnvWithRoot(root.path()));
    ASSERT_FALSE(folder.ok());
    EXPECT_EQ(folder.error().kind, ErrorKind::kNotFound);
}

TEST(FileSource, UnreadableFileIsForbidden) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
    TempDir root;
    WriteFile(root / "secret.csv", "a\n1\n");
    fs::permissions(root / "secret.csv", fs::perms::none);
    auto out = ReadSource(FileSpec(root.path(), "DelimitedText", {{"fileName", "secret.csv"}}),
                          EnvWithRoot(root.path()));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, ErrorKind::kForbidden);
}

TEST(FileSource, SystemErrorsAreClassified) {
    // Exercised here because the permission test cannot run as root.
    EXPECT_EQ(format::ErrnoError(EACCES, "file.open", "/x").kind, ErrorKind::kForbidden);
    EXPECT_EQ(format::ErrnoError(EPERM, "file.open", "/x").kind, ErrorKind::kForbidden);
    EXPECT_EQ(format::ErrnoError(ENOENT, "file.open", "/x").kind, ErrorKind::kNotFound);
    EXPECT_EQ(format::ErrnoError(ENOSPC, "file.write", "/x").kind, ErrorKind::kTransient);
    EXPECT_NE(format::ErrnoError(EACCES, "file.open", "/some/path").message.find("/some/path"),
              std::string::npos);
}

TEST(FileSource, CorruptDataNamesTheFile) {
    TempDir root;
    WriteFile(root / "bad.csv", "a,b\n\"open\n");
    auto out = ReadSource(FileSpec(root.path(), "DelimitedText", {{"fileName", "bad.csv"}}),
                          EnvWithRoot(root.path()));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(out.error().message.find("bad.csv"), std::string::npos) << out.error().message;
}

TEST(FileSource, BadOptionNamesItsJsonPath) {
    TempDir root;
    auto out = ReadSource(
        FileSpec(root.path(), "DelimitedText", {{"fileName", "a.csv"}}, {{"columnDelimiter", ";;"}}),
        EnvWithRoot(root.path()));
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(out.error().target, "dataset.typeProperties.columnDelimiter");

    auto rec =
        ReadSource(FileSpec(root.path(), "Json", {}, {}, {{"storeSettings", {{"recursive", "often"}}}}),
                   EnvWithRoot(root.path()));
    ASSERT_FALSE(rec.ok());
    EXPECT_EQ(rec.error().target, "source.storeSettings.recursive");

    EndpointSpec no_host = FileSpec(root.path(), "Json", {});
    no_host.linked_service = Json::object();
    auto host = ReadSource(no_host, EnvWithRoot(root.path()));
    ASSERT_FALSE(host.ok());
    EXPECT_EQ(host.error().target, "linkedService.typeProperties.host");
}

TEST(FileRoots, NoRootsConfiguredIsRefusedNamingTheOption) {
    TempDir root;
    auto out = ReadSource(FileSpec(root.path(), "Json", {}), ConnectorEnv{});
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, ErrorKind::kForbidden);
    EXPECT_NE(out.error().message.find("file_roots"), std::string::npos);
    EXPECT_NE(out.error().message.find("--file-root"), std::string::npos);
}

TEST(FileRoots, EscapesAreRefused) {
    TempDir root, outside;
    WriteFile(outside / "secret.csv", "a\n1\n");
    WriteFile(root / "data/ok.csv", "a\n1\n");
    fs::create_directory_symlink(outside.path(), root / "data/link_dir");
    fs::create_symlink(outside / "secret.csv", root / "data/link.csv");
    const auto env = EnvWithRoot(root.path() / "data");

    struct Attempt {
        const char* what;
        EndpointSpec spec;
    } attempts[] = {
        {"host outside", FileSpec(outside.path(), "DelimitedText", {{"fileName", "secret.csv"}})},
        {"dot-dot folder", FileSpec(root / "data", "DelimitedText",
                                    {{"folderPath", "../../" + outside.path().filename().string()},
                                     {"fileName", "secret.csv"}})},
        {"dot-dot host", FileSpec(root / "data/../..", "DelimitedText", {{"fileName", "secret.csv"}})},
        {"dot-dot file",
         FileSpec(root / "data", "DelimitedText",
                  {{"fileName", "../../" + outside.path().filename().string() + "/secret.csv"}})},
        {"symlinked folder",
         FileSpec(root / "data", "DelimitedText", {{"folderPath", "link_dir"}, {"fileName", "secret.csv"}})},
        {"symlinked file", FileSpec(root / "data", "DelimitedText", {{"fileName", "link.csv"}})},
        {"symlink inside a listed folder", FileSpec(root / "data", "DelimitedText", {})},
    };
    for (auto& a : attempts) {
        auto out = ReadSource(a.spec, env);
        ASSERT_FALSE(out.ok()) << a.what;
        EXPECT_EQ(out.error().kind, ErrorKind::kForbidden) << a.what << ": " << out.error().message;
    }
    // The same folder without the planted symlinks is fine.
    fs::remove(root / "data/link.csv");
    fs::remove(root / "data/link_dir");
    auto ok = ReadSource(FileSpec(root / "data", "DelimitedText", {}), env);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->rows.size(), 2u);  // headerless: "a" and "1"
}

}  // namespace
}  // namespace adxflow::testing
