// The AzureBlobStorage connector against a real Azurite: every way of authenticating the emulator accepts
// (account key, SAS in a connection string, sasUri), the shared storeSettings on a container (wildcards over
// virtual folders, prefix, modified window, delete after completion), reads by ranged GETs, uploads by blocks
// that stay invisible until the last one is committed, resume after an aborted attempt, Binary copies.

#include <gtest/gtest.h>

#include "connectors/blob/blob_store.hpp"
#include "connectors/builtin.hpp"
#include "connectors/common/azure/blob_client.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/kusto_emulator/queued_ingest.hpp"
#include "tests/unit/formats/format_test_util.hpp"

namespace adxflow::testing {
namespace {

using namespace std::chrono_literals;

class BlobConnectorTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto started = AzuriteProcess::Start();
        ASSERT_TRUE(started.ok()) << started.error().Describe();
        azurite_ = started->release();
        registry_ = new ConnectorRegistry();
        RegisterBuiltinConnectors(*registry_);
        http_ = new http::HttpClient();
        auto account = azure::ParseConnectionString(azurite_->connection_string());
        ASSERT_TRUE(account.ok());
        client_ = new azure::BlobClient(*account, *http_);
    }
    static void TearDownTestSuite() {
        delete client_;
        delete http_;
        delete registry_;
        delete azurite_;
    }

    void SetUp() override {
        ASSERT_NE(azurite_, nullptr);
        container_ = "case-" + std::to_string(++counter_);  // container names have 3 to 63 characters
        ASSERT_TRUE(client_->CreateContainer(container_).ok());
    }

    static const ConnectorDescriptor& Blob() { return *registry_->ForLinkedService("AzureBlobStorage"); }

    void Put(const std::string& name, const std::string& data) {
        ASSERT_TRUE(client_->PutBlob(container_, name, data).ok()) << name;
    }

    EndpointSpec Spec(const std::string& dataset_type, Json location, Json props = Json::object(),
                      Json settings = Json::object(), Json linked = Json()) const {
        EndpointSpec spec;
        spec.linked_service_type = "AzureBlobStorage";
        spec.linked_service =
            linked.is_null() ? Json{{"connectionString", azurite_->connection_string()}} : linked;
        spec.dataset_type = dataset_type;
        spec.dataset = std::move(props);
        location["type"] = "AzureBlobStorageLocation";
        if (!location.contains("container")) location["container"] = container_;
        spec.dataset["location"] = std::move(location);
        spec.settings = std::move(settings);
        spec.run_id = "run-" + container_;
        spec.activity_name = "Copy data";
        return spec;
    }

    static Result<Json> Read(const EndpointSpec& spec, SourceStats* stats = nullptr, bool complete = false) {
        ADXFLOW_ASSIGN_OR_RETURN(auto source, Blob().make_source(spec, ConnectorEnv{}));
        OpContext ctx;
        ADXFLOW_TRY(source->Open(ctx));
        Json rows = Json::array();
        RowBatch batch;
        for (;;) {
            ADXFLOW_ASSIGN_OR_RETURN(bool more, source->Next(batch, 1000, ctx));
            for (auto& row : BatchToJson(batch)) rows.push_back(row);
            if (!more) break;
        }
        if (complete) ADXFLOW_TRY(source->Complete(ctx));
        if (stats) *stats = source->stats();
        return rows;
    }

    std::vector<std::string> Names(const std::string& prefix = "") const {
        azure::ListBlobsOptions list;
        list.prefix = prefix;
        auto page = client_->ListBlobs(container_, list);
        std::vector<std::string> out;
        if (page.ok())
            for (auto& b : page->blobs) out.push_back(b.name);
        return out;
    }

    static AzuriteProcess* azurite_;
    static ConnectorRegistry* registry_;
    static http::HttpClient* http_;
    static azure::BlobClient* client_;
    static int counter_;
    std::string container_;
};

AzuriteProcess* BlobConnectorTest::azurite_ = nullptr;
ConnectorRegistry* BlobConnectorTest::registry_ = nullptr;
http::HttpClient* BlobConnectorTest::http_ = nullptr;
azure::BlobClient* BlobConnectorTest::client_ = nullptr;
int BlobConnectorTest::counter_ = 0;

const Json kHeader = {{"firstRowAsHeader", true}};

TEST_F(BlobConnectorTest, WildcardsOverVirtualFolders) {
    Put("in/2024/01/a.csv", "v\r\na\r\n");
    Put("in/2024/02/b.csv", "v\r\nb\r\n");
    Put("in/2024/02/b.txt", "v\r\nt\r\n");
    Put("in/2023/12/c.csv", "v\r\nc\r\n");
    Put("in/top.csv", "v\r\ntop\r\n");
    auto rows = [&](Json location, Json store) {
        auto r =
            Read(Spec("DelimitedText", std::move(location), kHeader, {{"storeSettings", std::move(store)}}));
        EXPECT_TRUE(r.ok()) << r.error().Describe();
        return r.ok() ? *r : Json();
    };
    EXPECT_EQ(rows({{"folderPath", "in"}}, Json::object()),
              Json::parse(R"([["c"],["a"],["b"],["t"],["top"]])"));
    EXPECT_EQ(rows({{"folderPath", "in"}}, {{"recursive", false}}), Json::parse(R"([["top"]])"));
    EXPECT_EQ(rows(Json::object(), {{"wildcardFolderPath", "in/2024/*"}, {"wildcardFileName", "*.csv"}}),
              Json::parse(R"([["a"],["b"]])"));
    EXPECT_EQ(rows(Json::object(), {{"prefix", "in/2024/0"}}), Json::parse(R"([["a"],["b"],["t"]])"));
    EXPECT_EQ(rows({{"folderPath", "in"}, {"fileName", "top.csv"}}, Json::object()),
              Json::parse(R"([["top"]])"));

    auto missing = Read(Spec("DelimitedText", {{"folderPath", "in"}, {"fileName", "nope.csv"}}, kHeader));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
    EXPECT_NE(missing.error().message.find(container_ + "/in/nope.csv"), std::string::npos)
        << missing.error().message;
}

TEST_F(BlobConnectorTest, ModifiedWindowUsesTheBlobsLastModified) {
    Put("m/a.csv", "v\r\na\r\n");
    const std::string now = FormatTimestamp(std::chrono::system_clock::now() + 1h);
    const std::string past = FormatTimestamp(std::chrono::system_clock::now() - 1h);
    auto read = [&](Json store) {
        auto r = Read(
            Spec("DelimitedText", {{"folderPath", "m"}}, kHeader, {{"storeSettings", std::move(store)}}));
        EXPECT_TRUE(r.ok()) << r.error().Describe();
        return r.ok() ? r->size() : 99u;
    };
    EXPECT_EQ(read({{"modifiedDatetimeStart", past}}), 1u);
    EXPECT_EQ(read({{"modifiedDatetimeStart", now}}), 0u);
    EXPECT_EQ(read({{"modifiedDatetimeEnd", past}}), 0u);
}

TEST_F(BlobConnectorTest, ReadsALargeBlobByRangesAndDeletesAfterCompletion) {
    // More than one 4 MiB range, with rows split across ranges.
    std::string csv = "id,text\n";
    for (int i = 0; i < 200000; ++i)
        csv += std::to_string(i) + ",\"row " + std::to_string(i) + ", padded out\"\n";
    ASSERT_GT(csv.size(), blob::kReadRangeBytes);
    Put("big/data.csv", csv);
    SourceStats stats;
    auto rows = Read(Spec("DelimitedText", {{"folderPath", "big"}}, kHeader,
                          {{"storeSettings", {{"deleteFilesAfterCompletion", true}}}}),
                     &stats, /*complete=*/true);
    ASSERT_TRUE(rows.ok()) << rows.error().Describe();
    ASSERT_EQ(rows->size(), 200000u);
    EXPECT_EQ((*rows)[199999], Json::parse(R"(["199999","row 199999, padded out"])"));
    EXPECT_EQ(stats.bytes_read, csv.size());
    EXPECT_EQ(stats.files_read, 1u);
    EXPECT_TRUE(Names("big/").empty());
}

struct Written {
    std::unique_ptr<Sink> sink;
    Json checkpoint;
};

RowBatch Rows(int first, int count) {
    RowBatch batch(2);
    for (int i = first; i < first + count; ++i) {
        Value* row = batch.AddRow();
        row[0] = int64_t{i};
        row[1] = "name " + std::to_string(i) + (i % 2 ? ", \"quoted\"\nline" : " é ✓");
    }
    return batch;
}

const Schema kSchema = {{"id", ColumnType::kLong}, {"name", ColumnType::kString}};

TEST_F(BlobConnectorTest, UploadIsInvisibleUntilFinishedAndResumesAfterAnAbort) {
    const Json props = {{"firstRowAsHeader", true}, {"escapeChar", "\""}};
    const Json settings = {
        {"storeSettings", {{"type", "AzureBlobStorageWriteSettings"}, {"blockSizeInMB", 1}}}};
    const EndpointSpec spec =
        Spec("DelimitedText", {{"folderPath", "out"}, {"fileName", "o.csv"}}, props, settings);
    OpContext ctx;
    Json checkpoint;
    {
        auto sink = Blob().make_sink(spec, ConnectorEnv{});
        ASSERT_TRUE(sink.ok()) << sink.error().Describe();
        ASSERT_TRUE((*sink)->Open(kSchema, nullptr, ctx).ok());
        ASSERT_TRUE((*sink)->Write(Rows(0, 60000), ctx).ok());  // > 1 MiB: blocks staged as it goes
        auto cp = (*sink)->CommitChunk({spec.run_id, spec.activity_name, 0}, ctx);
        ASSERT_TRUE(cp.ok()) << cp.error().Describe();
        checkpoint = *cp;
        EXPECT_GE(checkpoint.value("blocks", 0), 2);
        ASSERT_TRUE((*sink)->Write(Rows(60000, 500), ctx).ok());  // never committed: the attempt dies
        (*sink)->Abort();
    }
    EXPECT_TRUE(Names("out/").empty()) << "staged blocks must not show as a blob";

    auto sink = Blob().make_sink(spec, ConnectorEnv{});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Open(kSchema, checkpoint, ctx).ok());
    ASSERT_TRUE((*sink)->Write(Rows(60000, 20000), ctx).ok());
    ASSERT_TRUE((*sink)->CommitChunk({spec.run_id, spec.activity_name, 1}, ctx).ok());
    EXPECT_TRUE(Names("out/").empty());
    ASSERT_TRUE((*sink)->Finish(ctx).ok());
    EXPECT_EQ(Names("out/"), std::vector<std::string>{"out/o.csv"});
    EXPECT_EQ((*sink)->stats().rows_written, 80000u);

    auto back = Read(Spec("DelimitedText", {{"folderPath", "out"}}, props));
    ASSERT_TRUE(back.ok()) << back.error().Describe();
    ASSERT_EQ(back->size(), 80000u);
    for (int i : {0, 1, 59999, 60000, 79999})
        EXPECT_EQ((*back)[i], Json::array({std::to_string(i), ValueToText(Rows(i, 1).Row(0)[1])})) << i;
}

TEST_F(BlobConnectorTest, SasConnectionStringAndSasUri) {
    Put("s/a.json", "{\"k\":1}\n{\"k\":2}\n");
    auto account = azure::ParseConnectionString(azurite_->connection_string());
    ASSERT_TRUE(account.ok());
    const std::string sas = kusto_emulator::AccountSas(*account, std::chrono::system_clock::now() + 1h);
    Json by_sas_string = {
        {"connectionString",
         {{"type", "SecureString"},
          {"value", "BlobEndpoint=" + azurite_->blob_endpoint() + ";SharedAccessSignature=" + sas}}}};
    auto a = Read(Spec("Json", {{"folderPath", "s"}}, Json::object(), Json::object(), by_sas_string));
    ASSERT_TRUE(a.ok()) << a.error().Describe();
    EXPECT_EQ(*a, Json::parse("[[1],[2]]"));
    // sasUri naming the container: the dataset may leave it out.
    Json by_uri = {
        {"sasUri",
         {{"type", "SecureString"}, {"value", azurite_->blob_endpoint() + "/" + container_ + "?" + sas}}}};
    EndpointSpec spec = Spec("Json", {{"folderPath", "s"}}, Json::object(), Json::object(), by_uri);
    spec.dataset["location"].erase("container");
    auto b = Read(spec);
    ASSERT_TRUE(b.ok()) << b.error().Describe();
    EXPECT_EQ(*b, Json::parse("[[1],[2]]"));
    // A wrong key is refused as unauthorized, never quoting it.
    Json wrong = {
        {"connectionString", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
                                 std::string(44, 'A') + ";BlobEndpoint=" + azurite_->blob_endpoint()}};
    auto c = Read(Spec("Json", {{"folderPath", "s"}}, Json::object(), Json::object(), wrong));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().kind, ErrorKind::kUnauthorized) << c.error().Describe();
}

TEST_F(BlobConnectorTest, BadLinkedServicesNameTheField) {
    auto none =
        Blob().make_source(Spec("Json", Json::object(), Json::object(), Json::object(), Json::object()), {});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().target, "linkedService.typeProperties");
    auto bad = Blob().make_source(
        Spec("Json", Json::object(), Json::object(), Json::object(), {{"connectionString", "AccountName=x"}}),
        {});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().target, "linkedService.typeProperties.connectionString");
    EndpointSpec no_container = Spec("Json", Json::object());
    no_container.dataset["location"].erase("container");
    auto c = Blob().make_source(no_container, {});
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().target, "dataset.typeProperties.location.container");
    auto sp = Blob().make_source(
        Spec("Json", Json::object(), Json::object(), Json::object(),
             {{"serviceEndpoint", azurite_->blob_endpoint()}, {"servicePrincipalId", "app"}}),
        {});
    ASSERT_FALSE(sp.ok());
    EXPECT_NE(sp.error().target.find("servicePrincipalKey"), std::string::npos) << sp.error().Describe();
}

TEST_F(BlobConnectorTest, BinaryCopyPreservesTheHierarchyAcrossContainers) {
    std::string big(2 * 1024 * 1024 + 5, 'x');
    Put("bin/a/one.bin", big);
    Put("bin/two.txt", "two");
    auto source = Blob().make_source(Spec("Binary", {{"folderPath", "bin"}}), {});
    ASSERT_TRUE(source.ok());
    EndpointSpec out = Spec("Binary", {{"folderPath", "copy"}});
    auto sink = Blob().make_sink(out, {});
    ASSERT_TRUE(sink.ok());
    OpContext ctx;
    auto schema = (*source)->Open(ctx);
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE((*sink)->Open(*schema, nullptr, ctx).ok());
    RowBatch batch;
    bool more = true;
    while (more) {
        auto next = (*source)->Next(batch, 10, ctx);
        ASSERT_TRUE(next.ok()) << next.error().Describe();
        more = *next;
        ASSERT_TRUE((*sink)->Write(batch, ctx).ok());
    }
    ASSERT_TRUE((*sink)->Finish(ctx).ok());
    EXPECT_EQ(Names("copy/"), (std::vector<std::string>{"copy/a/one.bin", "copy/two.txt"}));
    auto one = client_->GetBlob(container_, "copy/a/one.bin");
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(*one, big);
    EXPECT_EQ((*sink)->stats().files_written, 2u);
}

}  // namespace
}  // namespace adxflow::testing
