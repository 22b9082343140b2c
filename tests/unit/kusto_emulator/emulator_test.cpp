// The Kusto emulator's first slice: management commands, v1 and v2 queries over the KQL subset, truncation
// and errors in the service's shapes. Every response is read back with the project's own protocol parser
// (connectors/common/kusto), as the ADX connector will read the real service.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "connectors/common/http/compression.hpp"
#include "connectors/common/http/http_client.hpp"
#include "connectors/common/kusto/response.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/kusto_emulator/collect.hpp"

namespace adxflow::kusto_emulator {
namespace {

using kusto::KustoError;
using kusto::TableInfo;


class EmulatorTest : public ::testing::Test {
  protected:
    api::Response Post(const std::string& path, const std::string& csl, const std::string& db = "Sales") {
        api::Request r;
        r.method = "POST";
        r.path = path;
        r.headers["x-ms-client-request-id"] = "test;1";
        r.body = Json{{"db", db}, {"csl", csl}, {"properties", {{"Options", Json::object()}}}}.dump();
        return emulator_.Handle(r);
    }
    Collect Mgmt(const std::string& csl) {
        auto r = Post("/v1/rest/mgmt", csl);
        EXPECT_EQ(r.status, 200) << csl << " -> " << r.body;
        Collect c;
        EXPECT_TRUE(kusto::ParseV1(r.body, c).ok()) << r.body;
        return c;
    }
    Collect QueryV2(const std::string& csl) {
        auto r = Post("/v2/rest/query", csl);
        EXPECT_EQ(r.status, 200) << csl << " -> " << r.body;
        Collect c;
        const std::string text = api::BodyText(r);
        Status s = kusto::ParseV2(text, c);
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message) << "\n" << text;
        return c;
    }
    void Seed() {
        Mgmt(".create table Orders (id:long, customer:string, amount:real, paid:bool, at:datetime)");
        Mgmt(
            ".ingest inline into table Orders <|\n"
            "1,alice,10.5,true,2024-01-01T00:00:00Z\n"
            "2,bob,20,false,2024-01-02T00:00:00Z\n"
            "3,\"carol, jr\",,true,2024-01-03T00:00:00Z\n"
            "4,alice,7.25,false,\n");
    }

    static EmulatorOptions TwoDatabases() {
        EmulatorOptions o;
        o.databases = {"NetDefaultDB", "Sales"};
        return o;
    }
    Emulator emulator_{TwoDatabases()};
};

TEST_F(EmulatorTest, CloudMetadataNamesTheTokenAudience) {
    api::Request r;
    r.method = "GET";
    r.path = "/v1/rest/auth/metadata";
    auto response = emulator_.Handle(r);
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(Json::parse(response.body)["AzureAD"]["KustoServiceResourceId"],
              "https://kusto.kusto.windows.net");
}

TEST_F(EmulatorTest, CreateIngestAndQueryRoundTripThroughTheParser) {
    Seed();
    Collect all = QueryV2("Orders");
    const Table* t = all.Primary();
    ASSERT_TRUE(t);
    ASSERT_EQ(t->info.schema.size(), 5u);
    EXPECT_EQ(t->info.schema[2].type, ColumnType::kReal);
    ASSERT_EQ(t->rows.size(), 4u);
    EXPECT_EQ(std::get<int64_t>(t->rows[0][0]), 1);
    EXPECT_EQ(std::get<std::string>(t->rows[2][1]), "carol, jr");
    EXPECT_TRUE(IsNull(t->rows[2][2]));  // empty real -> null
    EXPECT_EQ(std::get<bool>(t->rows[0][3]), true);
    EXPECT_TRUE(IsNull(t->rows[3][4]));
    EXPECT_FALSE(all.has_errors);
    ASSERT_TRUE(std::any_of(all.tables.begin(), all.tables.end(),
                            [](const Table& x) { return x.info.kind == "QueryCompletionInformation"; }));

    auto v1 = Post("/v1/rest/query", "Orders | where customer == 'alice' | project id, amount");
    ASSERT_EQ(v1.status, 200) << v1.body;
    Collect c1;
    ASSERT_TRUE(kusto::ParseV1(v1.body, c1).ok());
    ASSERT_EQ(c1.tables.size(), 1u);
    ASSERT_EQ(c1.tables[0].rows.size(), 2u);
    EXPECT_EQ(c1.tables[0].info.schema[1].name, "amount");
    EXPECT_DOUBLE_EQ(std::get<double>(c1.tables[0].rows[1][1]), 7.25);
}

TEST_F(EmulatorTest, OperatorsOfTheSubset) {
    Seed();
    auto ids = [this](const std::string& csl) {
        std::vector<int64_t> out;
        Collect c = QueryV2(csl);
        if (const Table* t = c.Primary())
            for (const auto& row : t->rows) out.push_back(std::get<int64_t>(row[0]));
        return out;
    };
    EXPECT_EQ(ids("Orders | take 2"), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(ids("Orders | where amount > 8 and paid == false"), (std::vector<int64_t>{2}));
    EXPECT_EQ(ids("Orders | where customer has 'jr'"), (std::vector<int64_t>{3}));
    EXPECT_EQ(ids("Orders | where id == 1 or id == 3"), (std::vector<int64_t>{1, 3}));
    // `and` binds tighter than `or`: (paid and amount > 8) or customer == 'bob'
    EXPECT_EQ(ids("Orders | where paid == true and amount > 8 or customer == 'bob'"),
              (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(ids("Orders | where customer startswith 'AL'"), (std::vector<int64_t>{1, 4}));
    EXPECT_EQ(ids("Orders | sort by amount desc | project id"),
              (std::vector<int64_t>{2, 1, 4, 3}));  // null last
    EXPECT_EQ(ids("Orders | top 2 by id asc"), (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(ids("Orders | where id != 2 | count"), (std::vector<int64_t>{3}));
    Collect print = QueryV2("print x=1, y='two', z=2.5");
    ASSERT_TRUE(print.Primary());
    EXPECT_EQ(print.Primary()->info.schema[1].name, "y");
    EXPECT_EQ(std::get<std::string>(print.Primary()->rows[0][1]), "two");
}

TEST_F(EmulatorTest, SummarizeExtendDistinctRangeDatatableAndLet) {
    Seed();
    auto rows = [this](const std::string& csl) {
        Collect c = QueryV2(csl);
        return c.Primary() ? c.Primary()->rows : std::vector<std::vector<Value>>{};
    };
    // summarize by a column, first-seen group order; nulls are skipped by sum/avg/min/max.
    auto by_customer = rows(
        "Orders | summarize n = count(), total = sum(amount), low = min(amount), mean = avg(amount) by "
        "customer");
    ASSERT_EQ(by_customer.size(), 3u);
    EXPECT_EQ(std::get<std::string>(by_customer[0][0]), "alice");
    EXPECT_EQ(std::get<int64_t>(by_customer[0][1]), 2);
    EXPECT_DOUBLE_EQ(std::get<double>(by_customer[0][2]), 17.75);
    EXPECT_DOUBLE_EQ(std::get<double>(by_customer[0][3]), 7.25);
    EXPECT_DOUBLE_EQ(std::get<double>(by_customer[0][4]), 8.875);
    EXPECT_TRUE(IsNull(by_customer[2][2]));  // carol's only amount is null
    auto total = rows("Orders | summarize count(), max(id)");
    ASSERT_EQ(total.size(), 1u);
    EXPECT_EQ(std::get<int64_t>(total[0][0]), 4);
    EXPECT_EQ(std::get<int64_t>(total[0][1]), 4);
    EXPECT_EQ(std::get<int64_t>(rows("Orders | where id > 100 | summarize count()")[0][0]), 0);
    auto binned = rows("range x from 0 to 9 step 1 | summarize c = count() by bin(x, 5)");
    ASSERT_EQ(binned.size(), 2u);
    EXPECT_EQ(binned[1][0], Value{int64_t{5}});
    EXPECT_EQ(binned[1][1], Value{int64_t{5}});
    // extend with precedence, distinct, let, datatable.
    auto extended =
        rows("Orders | where id == 2 | extend twice = id * 2 + 1, half = amount / 2 | project twice, half");
    ASSERT_EQ(extended.size(), 1u);
    EXPECT_EQ(std::get<int64_t>(extended[0][0]), 5);
    EXPECT_DOUBLE_EQ(std::get<double>(extended[0][1]), 10.0);
    EXPECT_EQ(rows("Orders | distinct customer").size(), 3u);
    auto let = rows("let limit = 2; let who = 'alice'; Orders | where customer == who | take limit");
    EXPECT_EQ(let.size(), 2u);
    auto table = rows("datatable(k:string, v:long) ['a', 1, 'b', 2, 'a', 3] | summarize s = sum(v) by k");
    ASSERT_EQ(table.size(), 2u);
    EXPECT_EQ(std::get<int64_t>(table[0][1]), 4);
    EXPECT_EQ(rows("range i from 1 to 10 step 3").size(), 4u);
    EXPECT_EQ(Post("/v2/rest/query", "Orders | summarize percentile(id, 50)").status, 400);
    EXPECT_EQ(Post("/v2/rest/query", "datatable(a:long) [1, 2").status, 400);
}

TEST_F(EmulatorTest, GzipWhenTheClientAcceptsIt) {
    Seed();
    api::Request r;
    r.method = "POST";
    r.path = "/v2/rest/query";
    r.headers["accept-encoding"] = "gzip, deflate";
    r.body = Json{{"db", "Sales"}, {"csl", "Orders"}}.dump();
    auto response = emulator_.Handle(r);
    ASSERT_EQ(response.status, 200);
    bool gzip = false;
    for (const auto& [k, v] : response.headers) gzip |= k == "Content-Encoding" && v == "gzip";
    ASSERT_TRUE(gzip);
    const std::string compressed = api::BodyText(response);
    ASSERT_GE(compressed.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);  // gzip magic
    http::BodyDecoder decoder(http::BodyDecoder::Encoding::kGzip);
    std::string plain;
    ASSERT_TRUE(decoder.Feed(compressed, plain).ok());
    ASSERT_TRUE(decoder.Finish().ok());
    Collect c;
    ASSERT_TRUE(kusto::ParseV2(plain, c).ok());
    EXPECT_EQ(c.Primary()->rows.size(), 4u);
    r.headers.clear();  // no Accept-Encoding: plain
    auto plain_response = emulator_.Handle(r);
    EXPECT_EQ(api::BodyText(plain_response).front(), '[');
}

TEST_F(EmulatorTest, TruncationIsInBandAndNotruncationLiftsIt) {
    Seed();
    Collect cut = QueryV2("set truncationmaxrecords=2; Orders");
    ASSERT_TRUE(cut.Primary());
    EXPECT_EQ(cut.Primary()->rows.size(), 2u);
    ASSERT_EQ(cut.Primary()->errors.size(), 1u);
    EXPECT_EQ(cut.Primary()->errors[0].code, "LimitsExceeded");
    EXPECT_FALSE(cut.Primary()->errors[0].permanent);
    EXPECT_TRUE(cut.has_errors);

    Collect whole = QueryV2("set notruncation; set truncationmaxrecords=2; Orders");
    EXPECT_EQ(whole.Primary()->rows.size(), 4u);
    EXPECT_TRUE(whole.Primary()->errors.empty());
}

TEST_F(EmulatorTest, ErrorsAreOneApiBodiesThatNameTheProblem) {
    auto missing = Post("/v2/rest/query", "NoSuchTable | take 1");
    EXPECT_EQ(missing.status, 400);
    KustoError e = kusto::ParseErrorBody(missing.body);
    EXPECT_EQ(e.code, "General_BadRequest");
    EXPECT_NE(e.message.find("NoSuchTable"), std::string::npos) << e.message;
    EXPECT_TRUE(e.permanent);

    auto unsupported = Post("/v2/rest/query", "Orders | join (Orders) on id");
    EXPECT_EQ(unsupported.status, 400);
    EXPECT_NE(kusto::ParseErrorBody(unsupported.body).message.find("join"), std::string::npos);
    auto syntax = Post("/v2/rest/query", "Orders | take");
    EXPECT_EQ(syntax.status, 400);
    EXPECT_NE(kusto::ParseErrorBody(syntax.body).message.find("Syntax error"), std::string::npos);
    EXPECT_EQ(Post("/v2/rest/query", ".show tables").status, 400);  // commands go to /v1/rest/mgmt
    EXPECT_EQ(Post("/v2/rest/query", "print 1", "NoSuchDb").status, 400);
    EXPECT_EQ(Post("/v1/rest/mgmt", ".frobnicate").status, 400);
    Mgmt(".create table Small (a:long)");
    // An unclosed quote fails the whole ingestion: nothing is half-ingested.
    EXPECT_EQ(Post("/v1/rest/mgmt", ".ingest inline into table Small <| 1\n2\n\"3").status, 400);
    EXPECT_EQ(QueryV2("Small | count").Primary()->rows[0][0], Value{int64_t{0}});
    // A value that does not parse as the column type becomes null, as Kusto documents.
    EXPECT_EQ(Post("/v1/rest/mgmt", ".ingest inline into table Small <| notanumber").status, 200);
    EXPECT_TRUE(IsNull(QueryV2("Small").Primary()->rows.at(0)[0]));
}

TEST_F(EmulatorTest, TablesCanBeListedMergedAndDropped) {
    Seed();
    Collect tables = Mgmt(".show tables");
    ASSERT_EQ(tables.tables[0].rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(tables.tables[0].rows[0][0]), "Orders");

    Mgmt(".create-merge table Orders (id:long, note:string)");
    Collect widened = QueryV2("Orders | project id, note");
    ASSERT_EQ(widened.Primary()->rows.size(), 4u);
    EXPECT_TRUE(IsNull(widened.Primary()->rows[0][1]));
    EXPECT_EQ(Post("/v1/rest/mgmt", ".create-merge table Orders (id:string)").status, 400);

    Mgmt(".drop table Orders");
    EXPECT_EQ(Post("/v2/rest/query", "Orders").status, 400);
    EXPECT_EQ(Post("/v1/rest/mgmt", ".drop table Orders").status, 400);
    EXPECT_EQ(Post("/v1/rest/mgmt", ".drop table Orders ifexists").status, 200);
}

// Generated rows, streamed in pieces: the count of pieces shows the body never existed whole.
TEST(EmulatorSynthetic, GeneratedRowsStreamInPiecesAndTruncateLikeTheService) {
    EmulatorOptions options;
    options.synthetic_tables = {{"Synthetic", 5000}};
    options.default_truncation_max_records = 1000;
    options.stream_piece_bytes = 4096;
    Emulator emulator(options);
    auto post = [&](const std::string& csl) {
        api::Request r;
        r.method = "POST";
        r.path = "/v2/rest/query";
        r.body = Json{{"db", "NetDefaultDB"}, {"csl", csl}}.dump();
        return emulator.Handle(r);
    };
    auto parse = [](const api::Response& r, size_t* pieces = nullptr) {
        std::string all;
        size_t n = 0;
        if (r.stream) {
            std::string piece;
            bool more = true;
            while (more) {
                piece.clear();
                more = r.stream(piece);
                all += piece;
                ++n;
            }
        } else {
            all = r.body;
        }
        if (pieces) *pieces = n;
        Collect c;
        Status s = kusto::ParseV2(all, c);
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
        return c;
    };

    Collect three = parse(post("Synthetic | take 3"));
    ASSERT_TRUE(three.Primary());
    ASSERT_EQ(three.Primary()->rows.size(), 3u);
    EXPECT_EQ(three.Primary()->info.schema.size(), 8u);
    std::vector<Value> expected(8);
    SyntheticRow(2, expected.data());
    for (size_t c = 0; c < 8; ++c) {
        if (c == 7) {
            EXPECT_EQ(Json::parse(std::get<std::string>(three.Primary()->rows[2][c])),
                      Json::parse(std::get<std::string>(expected[c])));
        } else {
            EXPECT_EQ(three.Primary()->rows[2][c], expected[c]) << three.Primary()->info.schema[c].name;
        }
    }

    size_t pieces = 0;
    Collect cut = parse(post("Synthetic"), &pieces);
    EXPECT_EQ(cut.Primary()->rows.size(), 1000u);
    ASSERT_EQ(cut.Primary()->errors.size(), 1u);
    EXPECT_EQ(cut.Primary()->errors[0].code, "LimitsExceeded");
    EXPECT_GT(pieces, 20u);  // ~150 KB of rows in 4 KB pieces

    Collect all = parse(post("set notruncation; Synthetic"));
    EXPECT_EQ(all.Primary()->rows.size(), 5000u);
    EXPECT_EQ(std::get<int64_t>(all.Primary()->rows[4999][0]), 4999);
    EXPECT_TRUE(all.Primary()->errors.empty());

    // The text fast path and SyntheticRow agree far from row 0 too (dates roll over every 86,400 rows).
    EmulatorOptions wide_options;
    wide_options.synthetic_tables = {{"Wide", 200000}};
    Emulator wide(wide_options);
    api::Request wide_request;
    wide_request.method = "POST";
    wide_request.path = "/v2/rest/query";
    wide_request.body = Json{{"db", "NetDefaultDB"}, {"csl", "Wide"}}.dump();
    Collect far = parse(wide.Handle(wide_request));
    ASSERT_EQ(far.Primary()->rows.size(), 200000u);
    for (int64_t i : {int64_t{86399}, int64_t{86400}, int64_t{199999}}) {
        SyntheticRow(i, expected.data());
        for (size_t c = 0; c < 7; ++c)
            EXPECT_EQ(far.Primary()->rows[static_cast<size_t>(i)][c], expected[c])
                << "row " << i << " column " << c;
    }

    Collect count = parse(post("Synthetic | count"));
    EXPECT_EQ(std::get<int64_t>(count.Primary()->rows[0][0]), 5000);
    // Other operators pull the generated rows through the KQL pipeline, never storing the table.
    Collect filtered = parse(post("Synthetic | where Id % 1000 == 999 | project Id, Name | take 3"));
    ASSERT_EQ(filtered.Primary()->rows.size(), 3u);
    EXPECT_EQ(filtered.Primary()->info.schema.size(), 2u);
    EXPECT_EQ(filtered.Primary()->rows[2][0], Value{int64_t{2999}});
    EXPECT_EQ(filtered.Primary()->rows[2][1], Value{std::string("name-999")});
    Collect grouped = parse(post("Synthetic | summarize n = count() by Flag | sort by Flag asc"));
    ASSERT_EQ(grouped.Primary()->rows.size(), 2u);
    EXPECT_EQ(grouped.Primary()->rows[1][1], Value{int64_t{1667}});  // Id % 3 == 0
    Collect limited = parse(post("Synthetic | where Id >= 0"));  // truncated like any result
    EXPECT_EQ(limited.Primary()->rows.size(), 1000u);
    ASSERT_EQ(limited.Primary()->errors.size(), 1u);
    EXPECT_EQ(post("Synthetic | where Nope > 3").status, 400);
}

// The binary over a real socket: what users run and what later integration tests will start.
TEST(EmulatorBinary, ServesQueriesOnALoopbackPort) {
    testing::TempDir dir;
    auto started = testing::EmulatorProcess::Start(dir.path(), {"--database", "Sales"});
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& emulator = **started;
    auto post = [&](const std::string& path, const std::string& csl) {
        return emulator.Post(path, Json{{"db", "Sales"}, {"csl", csl}}.dump());
    };
    ASSERT_EQ(post("/v1/rest/mgmt", ".create table T (a:long, b:string)")->status, 200);
    ASSERT_EQ(post("/v1/rest/mgmt", ".ingest inline into table T <| 1,x\n2,y")->status, 200);
    auto result = post("/v2/rest/query", "T | where a >= 2");
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result->status, 200) << result->body;
    Collect c;
    ASSERT_TRUE(kusto::ParseV2(result->body, c).ok());
    ASSERT_TRUE(c.Primary());
    ASSERT_EQ(c.Primary()->rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(c.Primary()->rows[0][1]), "y");
    const int status = emulator.Stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::DescribeWaitStatus(status);
}

}  // namespace
}  // namespace adxflow::kusto_emulator
