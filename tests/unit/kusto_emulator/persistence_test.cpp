// Extents with tags, dropping by tag, and the data dir: what was committed is there after a restart.
#include <gtest/gtest.h>

#include "connectors/common/kusto/response.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/kusto_emulator/collect.hpp"

namespace adxflow::kusto_emulator {
namespace {

api::Response Call(Emulator& e, const std::string& path, const std::string& csl) {
    api::Request r;
    r.method = "POST";
    r.path = path;
    r.body = Json{{"db", "Sales"}, {"csl", csl}}.dump();
    return e.Handle(r);
}

std::vector<std::vector<Value>> V1(Emulator& e, const std::string& path, const std::string& csl) {
    auto r = Call(e, path, csl);
    EXPECT_EQ(r.status, 200) << csl << ": " << r.body;
    Collect c;
    EXPECT_TRUE(kusto::ParseV1(r.body, c).ok()) << r.body;
    return c.Primary() ? c.Primary()->rows : std::vector<std::vector<Value>>{};
}

EmulatorOptions InDir(const std::filesystem::path& dir) {
    EmulatorOptions o;
    o.databases = {"NetDefaultDB", "Sales"};
    o.data_dir = dir.string();  // empty: in memory
    return o;
}

TEST(EmulatorExtents, TaggedExtentsAreListedAndDroppedByTag) {
    Emulator e(InDir({}));
    V1(e, "/v1/rest/mgmt", ".create table T (a:long)");
    V1(e, "/v1/rest/mgmt", R"(.ingest inline into table T with (tags='["drop-by:day1"]') <| 1
2)");
    V1(e, "/v1/rest/mgmt",
       R"(.ingest inline into table T with (tags='["drop-by:day2", "ingest-by:b"]') <| 3)");
    auto all = V1(e, "/v1/rest/mgmt", ".show table T extents");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(std::get<int64_t>(all[0][3]), 2);  // RowCount
    EXPECT_EQ(std::get<std::string>(all[1][6]), "drop-by:day2\r\ningest-by:b");
    auto day2 = V1(e, "/v1/rest/mgmt", R"(.show table T extents where tags has "drop-by:day2")");
    ASSERT_EQ(day2.size(), 1u);

    auto dropped =
        V1(e, "/v1/rest/mgmt", R"(.drop extents <| .show table T extents where tags has "drop-by:day1")");
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(V1(e, "/v1/rest/query", "T | count")[0][0], Value{int64_t{1}});
    V1(e, "/v1/rest/mgmt", ".drop extents from T");
    EXPECT_EQ(V1(e, "/v1/rest/query", "T | count")[0][0], Value{int64_t{0}});
}

TEST(EmulatorPersistence, EverythingCommittedSurvivesARestart) {
    testing::TempDir dir;
    {
        Emulator first(InDir(dir.path()));
        ASSERT_TRUE(first.init_status().ok()) << first.init_status().error().message;
        V1(first, "/v1/rest/mgmt", ".create table Orders (id:long, who:string, at:datetime, props:dynamic)");
        V1(first, "/v1/rest/mgmt",
           R"(.ingest inline into table Orders with (tags='["drop-by:a"]') <| 1,ann,2024-01-01T00:00:00Z,"{""k"":1}")");
        V1(first, "/v1/rest/mgmt", ".create-merge table Orders (id:long, note:string)");
        V1(first, "/v1/rest/mgmt",
           R"(.create table Orders ingestion csv mapping "M" '[{"Column":"id","Properties":{"Ordinal":"0"}}]')");
        V1(first, "/v1/rest/mgmt", ".alter table Orders policy streamingingestion enable");
        V1(first, "/v1/rest/mgmt", ".create table Gone (x:long)");
        V1(first, "/v1/rest/mgmt", ".drop table Gone");
        api::Request ingest;
        ingest.method = "POST";
        ingest.path = "/v1/rest/ingest/Sales/Orders";
        ingest.query["streamFormat"] = "csv";
        ingest.query["mappingName"] = "M";
        ingest.body = "2\n";
        ASSERT_EQ(first.Handle(ingest).status, 200);
    }
    Emulator second(InDir(dir.path()));
    ASSERT_TRUE(second.init_status().ok()) << second.init_status().error().message;
    auto rows = V1(second, "/v1/rest/query", "Orders | sort by id asc");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<std::string>(rows[0][1]), "ann");
    EXPECT_EQ(std::get<std::string>(rows[0][2]), "2024-01-01T00:00:00Z");
    EXPECT_EQ(Json::parse(std::get<std::string>(rows[0][3])), Json::parse(R"({"k":1})"));
    EXPECT_TRUE(IsNull(rows[0][4]));  // the merged column
    EXPECT_EQ(std::get<int64_t>(rows[1][0]), 2);
    EXPECT_EQ(V1(second, "/v1/rest/mgmt", R"(.show table Orders extents where tags has "drop-by:a")").size(),
              1u);
    EXPECT_EQ(V1(second, "/v1/rest/mgmt", ".show table Orders ingestion mappings").size(), 1u);
    auto tables = V1(second, "/v1/rest/mgmt", ".show tables");
    ASSERT_EQ(tables.size(), 1u);  // Gone stayed dropped
    api::Request again;
    again.method = "POST";
    again.path = "/v1/rest/ingest/Sales/Orders";
    again.query["streamFormat"] = "csv";
    again.body = "3,bob\n";
    EXPECT_EQ(second.Handle(again).status, 200);  // the policy came back too
}

TEST(EmulatorPersistence, AnUnusableDataDirIsReported) {
    EmulatorOptions o;
    o.data_dir = "/proc/definitely/not/writable";
    Emulator e(o);
    EXPECT_FALSE(e.init_status().ok());
}

}  // namespace
}  // namespace adxflow::kusto_emulator
