// Streaming ingestion into the emulator: the policy gate, CSV and JSON with and without mappings, gzip
// bodies, the 4 MB limit, and the rows read back with a query.
#include <gtest/gtest.h>

#include "connectors/common/http/compression.hpp"
#include "connectors/common/kusto/response.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/kusto_emulator/ingest.hpp"
#include "tests/unit/kusto_emulator/collect.hpp"

namespace adxflow::kusto_emulator {
namespace {

class StreamingIngestTest : public ::testing::Test {
  protected:
    void SetUp() override {
        EmulatorOptions options;
        options.databases = {"NetDefaultDB", "Sales"};
        options.streaming_ingest_limit_bytes = 64 * 1024;
        emulator_ = std::make_unique<Emulator>(options);
        ASSERT_EQ(Mgmt(".create table Events (id:long, name:string, at:datetime, props:dynamic)").status,
                  200);
    }
    api::Response Mgmt(const std::string& csl) {
        api::Request r;
        r.method = "POST";
        r.path = "/v1/rest/mgmt";
        r.body = Json{{"db", "Sales"}, {"csl", csl}}.dump();
        return emulator_->Handle(r);
    }
    api::Response Ingest(const std::string& format, const std::string& body, const std::string& mapping = {},
                         bool gzip = false, const std::string& table = "Events") {
        api::Request r;
        r.method = "POST";
        r.path = "/v1/rest/ingest/Sales/" + table;
        r.query["streamFormat"] = format;
        if (!mapping.empty()) r.query["mappingName"] = mapping;
        r.body = body;
        if (gzip) {
            r.body = *http::GzipCompress(body);
            r.headers["content-encoding"] = "gzip";
        }
        return emulator_->Handle(r);
    }
    std::vector<std::vector<Value>> Rows() {
        api::Request r;
        r.method = "POST";
        r.path = "/v1/rest/query";
        r.body = Json{{"db", "Sales"}, {"csl", "Events | sort by id asc"}}.dump();
        auto response = emulator_->Handle(r);
        Collect c;
        EXPECT_TRUE(kusto::ParseV1(response.body, c).ok()) << response.body;
        return c.Primary() ? c.Primary()->rows : std::vector<std::vector<Value>>{};
    }
    std::unique_ptr<Emulator> emulator_;
};

TEST_F(StreamingIngestTest, RefusedUntilThePolicyIsEnabled) {
    auto refused = Ingest("csv", "1,a,2024-01-01T00:00:00Z,{}\n");
    EXPECT_EQ(refused.status, 400);
    EXPECT_NE(refused.body.find("BadRequest_StreamingIngestionPolicyNotEnabled"), std::string::npos)
        << refused.body;
    EXPECT_TRUE(Rows().empty());
    ASSERT_EQ(Mgmt(".alter table Events policy streamingingestion enable").status, 200);
    auto ok = Ingest("csv", "1,a,2024-01-01T00:00:00Z,{}\n");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_NE(ok.body.find("ConsumedRecordsCount"), std::string::npos);
    EXPECT_EQ(Rows().size(), 1u);
    ASSERT_EQ(Mgmt(".alter table Events policy streamingingestion disable").status, 200);
    EXPECT_EQ(Ingest("csv", "2,b,,\n").status, 400);
    ASSERT_EQ(Mgmt(".alter database Sales policy streamingingestion enable").status,
              200);  // the database's counts too
    EXPECT_EQ(Ingest("csv", "2,b,,\n").status, 200);
}

TEST_F(StreamingIngestTest, CsvAndJsonWithMappingsAndGzip) {
    ASSERT_EQ(Mgmt(".alter database Sales policy streamingingestion enable").status, 200);
    // CSV, quoted fields across lines, gzip body, identity mapping.
    auto csv = Ingest(
        "Csv",
        "1,\"multi\nline, "
        "\"\"quoted\"\"\",2024-01-01T00:00:00Z,\"{\"\"k\"\":1}\"\n2,plain,not-a-date-is-kept-as-text,\n",
        {}, /*gzip=*/true);
    ASSERT_EQ(csv.status, 200) << csv.body;
    // A CSV mapping that reorders columns and sets a constant.
    ASSERT_EQ(
        Mgmt(
            R"(.create table Events ingestion csv mapping "Reordered" '[{"Column":"id","Properties":{"Ordinal":"1"}},{"Column":"name","Properties":{"Ordinal":"0"}},{"column":"props","properties":{"ConstValue":"{\"src\":\"csv\"}"}}]')")
            .status,
        200);
    ASSERT_EQ(Ingest("csv", "third,3\n", "Reordered").status, 200);
    // JSON lines by name (identity), and MultiJSON through a path mapping; a malformed JSON line is skipped.
    ASSERT_EQ(
        Ingest("json", "{\"id\":4,\"name\":\"four\",\"props\":{\"a\":[1,2]}}\nnot json\n{\"id\":5}\n").status,
        200);
    ASSERT_EQ(
        Mgmt(
            R"(.create table Events ingestion json mapping "Nested" '[{"Column":"id","Properties":{"Path":"$.event.id"}},{"Column":"name","Properties":{"Path":"$.event.who"}}]')")
            .status,
        200);
    ASSERT_EQ(Ingest("multijson",
                     "[{\"event\":{\"id\":6,\"who\":\"six\"}},\n {\"event\":{\"id\":7,\"who\":\"seven\"}}]",
                     "Nested")
                  .status,
              200);
    EXPECT_EQ(Ingest("json", "{}", "NoSuchMapping").status, 400);

    auto rows = Rows();
    ASSERT_EQ(rows.size(), 7u);
    EXPECT_EQ(std::get<std::string>(rows[0][1]), "multi\nline, \"quoted\"");
    EXPECT_EQ(Json::parse(std::get<std::string>(rows[0][3])), Json::parse(R"({"k":1})"));
    EXPECT_EQ(std::get<std::string>(rows[2][1]), "third");
    EXPECT_EQ(Json::parse(std::get<std::string>(rows[2][3])), Json::parse(R"({"src":"csv"})"));
    EXPECT_EQ(Json::parse(std::get<std::string>(rows[3][3])), Json::parse(R"({"a":[1,2]})"));
    EXPECT_TRUE(IsNull(rows[4][1]));
    EXPECT_EQ(std::get<std::string>(rows[6][1]), "seven");

    auto shown = Mgmt(".show table Events ingestion mappings");
    ASSERT_EQ(shown.status, 200);
    EXPECT_NE(shown.body.find("Reordered"), std::string::npos);
    EXPECT_NE(shown.body.find("Nested"), std::string::npos);
}

TEST_F(StreamingIngestTest, LimitsAndBadInput) {
    ASSERT_EQ(Mgmt(".alter database Sales policy streamingingestion enable").status, 200);
    EXPECT_EQ(Ingest("csv", std::string(70 * 1024, 'x')).status, 413);
    EXPECT_EQ(Ingest("csv", "1,\"never closed\n").status, 400);
    EXPECT_EQ(Ingest("parquet", "PAR1").status, 400);
    EXPECT_EQ(Ingest("csv", "1", {}, false, "NoSuchTable").status, 400);
    EXPECT_EQ(
        Mgmt(
            R"(.create table Events ingestion csv mapping "Bad" '[{"Column":"nope","Properties":{"Ordinal":"0"}}]')")
            .status,
        400);
    EXPECT_TRUE(Rows().empty());
}

TEST_F(StreamingIngestTest, ShowTableSchemaAsJsonAndCslSchema) {
    auto json = Mgmt(".show table Events schema as json");
    ASSERT_EQ(json.status, 200) << json.body;
    Collect c;
    ASSERT_TRUE(kusto::ParseV1(json.body, c).ok());
    ASSERT_EQ(c.Primary()->rows.size(), 1u);
    const auto schema = Json::parse(std::get<std::string>(c.Primary()->rows[0][1]));
    EXPECT_EQ(schema["Name"], "Events");
    ASSERT_EQ(schema["OrderedColumns"].size(), 4u);
    EXPECT_EQ(schema["OrderedColumns"][0]["CslType"], "long");
    EXPECT_EQ(schema["OrderedColumns"][0]["Type"], "System.Int64");
    auto csl = Mgmt(".show table Events cslschema");
    Collect d;
    ASSERT_TRUE(kusto::ParseV1(csl.body, d).ok());
    EXPECT_EQ(std::get<std::string>(d.Primary()->rows[0][1]),
              "id:long,name:string,at:datetime,props:dynamic");
    EXPECT_EQ(Mgmt(".show table Nope schema as json").status, 400);
}

// .set-or-append and its siblings: a query's result becomes one extent, columns matched by position.
TEST_F(StreamingIngestTest, SetOrAppendFromAQuery) {
    ASSERT_EQ(Mgmt(".ingest inline into table Events <| 1,a,,\n2,b,,\n3,c,,").status, 200);
    auto created = Mgmt(".set-or-append Copy <| Events | where id >= 2 | project id, name");
    ASSERT_EQ(created.status, 200) << created.body;
    Collect c;
    ASSERT_TRUE(kusto::ParseV1(created.body, c).ok());
    ASSERT_EQ(c.Primary()->rows.size(), 1u);
    EXPECT_EQ(std::get<int64_t>(c.Primary()->rows[0][5]), 2);  // RowCount
    auto appended =
        Mgmt(".append Copy with (tags='[\"drop-by:again\"]') <| Events | where id == 1 | project id, name");
    ASSERT_EQ(appended.status, 200) << appended.body;
    auto query = [&](const std::string& csl) {
        api::Request r;
        r.method = "POST";
        r.path = "/v1/rest/query";
        r.body = Json{{"db", "Sales"}, {"csl", csl}}.dump();
        Collect rows;
        EXPECT_TRUE(kusto::ParseV1(emulator_->Handle(r).body, rows).ok());
        return rows.Primary() ? rows.Primary()->rows : std::vector<std::vector<Value>>{};
    };
    auto rows = query("Copy | sort by id asc");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(std::get<std::string>(rows[0][1]), "a");
    auto extents = Mgmt(".show table Copy extents where tags has \"drop-by:again\"");
    Collect e;
    ASSERT_TRUE(kusto::ParseV1(extents.body, e).ok());
    EXPECT_EQ(e.Primary()->rows.size(), 1u);
    // .set refuses an existing table, .append a missing one; a different column count is refused.
    EXPECT_EQ(Mgmt(".set Copy <| Events | project id, name").status, 400);
    EXPECT_EQ(Mgmt(".append Missing <| Events | project id, name").status, 400);
    EXPECT_EQ(Mgmt(".append Copy <| Events").status, 400);
    // .set-or-replace keeps only the new extent; a type difference is converted by position (long -> string).
    ASSERT_EQ(Mgmt(".set-or-replace Copy <| Events | where id == 3 | project id, name").status, 200);
    EXPECT_EQ(query("Copy").size(), 1u);
    ASSERT_EQ(Mgmt(".set-or-append Names <| Events | project name, id | take 1").status, 200);
    ASSERT_EQ(Mgmt(".append Copy <| Names").status, 200);
    EXPECT_EQ(query("Copy").size(), 2u);
}

}  // namespace
}  // namespace adxflow::kusto_emulator
