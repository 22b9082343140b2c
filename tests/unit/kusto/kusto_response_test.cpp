// The Kusto response parser against every response recorded by the official SDKs (tests/fixtures/kusto,
// copied from shared/fixtures/kusto with their README), in small and large batches.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "connectors/common/kusto/response.hpp"
#include "connectors/common/kusto/writer.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::kusto {
namespace {

namespace fs = std::filesystem;

struct CollectedTable {
    TableInfo info;
    std::vector<std::vector<Value>> rows;
    std::vector<KustoError> errors;
    int batches = 0;
    bool ended = false;
};

// Keeps everything the parser reports, and checks the call order as it goes.
class Collector : public ResponseHandler {
  public:
    Status OnTableStart(const TableInfo& table) override {
        EXPECT_EQ(Open(table.id), nullptr) << "table " << table.id << " started twice";
        tables.push_back({table, {}, {}, 0, false});
        return Ok();
    }
    Status OnRows(const TableInfo& table, const RowBatch& rows) override {
        CollectedTable* t = Open(table.id);
        EXPECT_NE(t, nullptr) << "rows for a table that is not open";
        if (!t) return Ok();
        EXPECT_EQ(rows.width(), t->info.schema.size());
        ++t->batches;
        for (size_t r = 0; r < rows.rows(); ++r)
            t->rows.emplace_back(rows.Row(r), rows.Row(r) + rows.width());
        return Ok();
    }
    Status OnTableEnd(const TableInfo& table, const std::vector<KustoError>& errors) override {
        CollectedTable* t = Open(table.id);
        EXPECT_NE(t, nullptr) << "end of a table that is not open";
        if (t) {
            t->ended = true;
            t->errors = errors;
        }
        return Ok();
    }
    void OnCompletion(bool errors, bool was_cancelled, const std::vector<KustoError>& list) override {
        completed = true;
        has_errors = errors;
        cancelled = was_cancelled;
        completion_errors = list;
    }

    const CollectedTable* Named(const std::string& name, int nth = 0) const {
        for (const auto& t : tables)
            if (t.info.name == name && nth-- == 0) return &t;
        return nullptr;
    }

    const CollectedTable* Primary() const {
        for (const auto& t : tables)
            if (t.info.is_primary()) return &t;
        return nullptr;
    }

    std::vector<CollectedTable> tables;
    bool completed = false, has_errors = false, cancelled = false;
    std::vector<KustoError> completion_errors;

  private:
    CollectedTable* Open(int id) {
        for (auto& t : tables)
            if (t.info.id == id && !t.ended) return &t;
        return nullptr;
    }
};

fs::path Fixture(const std::string& name) {
    return testing::SourceDir() / "tests/fixtures/kusto" / name;
}

Collector ParseFile(const std::string& name, size_t batch_rows = 4096) {
    Collector c;
    const std::string body = testing::ReadFile(Fixture(name));
    ParseOptions options;
    options.batch_rows = batch_rows;
    Status s = name.find("-v1-") != std::string::npos ? ParseV1(body, c, options) : ParseV2(body, c, options);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error().Describe();
    return c;
}

std::string Text(const Value& v) {
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : "<not text>";
}

TEST(KustoFixtures, EveryRecordedResponseParsesAndEveryTableEnds) {
    int files = 0;
    for (const auto& entry : fs::directory_iterator(testing::SourceDir() / "tests/fixtures/kusto")) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".json" || name.rfind("java-", 0) == 0)
            continue;  // java: ingestion config
        SCOPED_TRACE(name);
        ++files;
        for (size_t batch : {1, 3, 4096}) {
            Collector c = ParseFile(name, batch);
            ASSERT_FALSE(c.tables.empty());
            for (const auto& t : c.tables) {
                EXPECT_TRUE(t.ended) << t.info.name;
                for (const auto& row : t.rows) EXPECT_EQ(row.size(), t.info.schema.size());
            }
            if (name.find("-v2-") != std::string::npos) {
                EXPECT_TRUE(c.completed);
            }
        }
    }
    EXPECT_EQ(files, 21);
}

TEST(KustoFixtures, DeftDecodesEveryTypeAndTheAllNullRow) {
    Collector c = ParseFile("py-v2-deft.json", 2);
    const CollectedTable* deft = c.Named("Deft");
    ASSERT_TRUE(deft);
    EXPECT_TRUE(deft->info.is_primary());
    EXPECT_EQ(deft->batches, 6);  // 11 rows in batches of 2
    ASSERT_EQ(deft->rows.size(), 11u);
    ASSERT_EQ(deft->info.schema.size(), 19u);
    EXPECT_EQ(deft->info.schema[7].type, ColumnType::kLong);
    EXPECT_EQ(deft->info.schema[16].type, ColumnType::kTimeSpan);
    // Row 0: nulls everywhere but the string columns, which carry "".
    EXPECT_TRUE(IsNull(deft->rows[0][0]));
    EXPECT_EQ(Text(deft->rows[0][1]), "");
    EXPECT_TRUE(IsNull(deft->rows[0][16]));
    const auto& one = deft->rows[2];
    EXPECT_EQ(std::get<int64_t>(one[0]), 1);
    EXPECT_DOUBLE_EQ(std::get<double>(one[2]), 1.0001);
    EXPECT_EQ(std::get<bool>(one[4]), true);
    EXPECT_EQ(Text(one[12]), "2015-01-01T01:01:01.0000001Z");
    EXPECT_EQ(Text(one[16]), "1.00:00:01.0010001");
    EXPECT_EQ(Json::parse(Text(one[18])), Json::parse(R"({"rowId":1,"arr":[0,1]})"));
    ASSERT_TRUE(c.Named("QueryCompletionInformation"));
    EXPECT_EQ(c.Named("QueryCompletionInformation")->info.kind, "QueryCompletionInformation");
    EXPECT_FALSE(c.has_errors);
}

TEST(KustoFixtures, ProgressiveAndFragmentedTablesArriveInPieces) {
    Collector progressive = ParseFile("py-v2-progressive_result.json");
    const CollectedTable* primary = progressive.Named("PrimaryResult");
    ASSERT_TRUE(primary);
    EXPECT_EQ(primary->rows.size(), 5u);

    Collector two = ParseFile("go-v2-fragmented-twoTables.json");
    ASSERT_TRUE(two.Named("PrimaryResult", 0) && two.Named("PrimaryResult", 1));
    EXPECT_EQ(two.Named("PrimaryResult", 0)->rows.size(), 3u);
    EXPECT_EQ(two.Named("PrimaryResult", 1)->rows.size(), 3u);
    EXPECT_EQ(two.Named("PrimaryResult", 0)->batches, 2);  // one per TableFragment

    Collector stray = ParseFile("py-v2-deft_with_progressive_result.json");
    EXPECT_TRUE(stray.completed);
}

TEST(KustoFixtures, TruncationIsReportedInBandWithPermanentFalse) {
    Collector c = ParseFile("py-v2-query_partial_results_defer_is_false.json");
    const CollectedTable* primary = c.Named("PrimaryResult");
    ASSERT_TRUE(primary);
    EXPECT_EQ(primary->rows.size(), 5u);  // the sixth "row" is the error object
    ASSERT_EQ(primary->errors.size(), 1u);
    EXPECT_EQ(primary->errors[0].code, "LimitsExceeded");
    EXPECT_FALSE(primary->errors[0].permanent);
    EXPECT_NE(primary->errors[0].message.find("80DA0003"), std::string::npos) << primary->errors[0].message;
    EXPECT_TRUE(c.has_errors);
    ASSERT_EQ(c.completion_errors.size(), 1u);

    Collector fragmented = ParseFile("go-v2-fragmented-partialError.json");
    ASSERT_TRUE(fragmented.Named("PrimaryResult"));
    ASSERT_EQ(fragmented.Named("PrimaryResult")->errors.size(), 1u);  // from TableCompletion.OneApiErrors
    EXPECT_EQ(fragmented.Named("PrimaryResult")->errors[0].code, "LimitsExceeded");

    Collector deferred = ParseFile("py-v2-query_partial_results_defer_is_true.json");
    EXPECT_FALSE(deferred.has_errors);
    EXPECT_TRUE(deferred.Named("PrimaryResult")->errors.empty());
}

TEST(KustoFixtures, SpecialNumbersTicksAliasesAndMemberOrder) {
    Collector df = ParseFile("py-v2-dataframe.json");
    const CollectedTable* t = df.Named("temp");
    ASSERT_TRUE(t);
    ASSERT_GE(t->rows.size(), 3u);
    EXPECT_TRUE(std::isnan(std::get<double>(t->rows[1][8])));
    EXPECT_TRUE(std::isinf(std::get<double>(t->rows[2][8])));
    EXPECT_EQ(Text(t->rows[0][2]), "00:00:00");               // a timespan given as a tick count
    EXPECT_EQ(t->info.schema[12].type, ColumnType::kString);  // the unknown type "missing" reads as text
    EXPECT_EQ(t->info.type_names[12], "missing");

    Collector aliases = ParseFile("go-v2-fragmented-aliases.json");
    const CollectedTable* a = aliases.Primary();
    ASSERT_TRUE(a);
    std::vector<ColumnType> types;
    for (const auto& col : a->info.schema) types.push_back(col.type);
    for (ColumnType want : {ColumnType::kDateTime, ColumnType::kTimeSpan, ColumnType::kBool,
                            ColumnType::kReal, ColumnType::kGuid})
        EXPECT_NE(std::find(types.begin(), types.end(), want), types.end()) << ToString(want);

    Collector order = ParseFile("py-v2-alternative_order.json");
    EXPECT_TRUE(order.completed);
    ASSERT_TRUE(order.Primary());
    EXPECT_FALSE(order.Primary()->rows.empty());

    Collector nulls = ParseFile("py-v2-null_values.json");
    const CollectedTable* n = nulls.Primary();
    ASSERT_TRUE(n);
    ASSERT_EQ(n->rows.size(), 1u);
    for (size_t i = 0; i < n->rows[0].size(); ++i) {
        if (n->info.schema[i].type != ColumnType::kString) {
            EXPECT_TRUE(IsNull(n->rows[0][i])) << n->info.schema[i].name;
        }
    }
}

// Rows as text with each cell's type, so that NaN equals NaN.
std::string Render(const std::vector<std::vector<Value>>& rows) {
    std::string out;
    for (const auto& row : rows) {
        for (const auto& v : row) out += std::to_string(v.index()) + ":" + ValueToText(v) + "|";
        out += "\n";
    }
    return out;
}

// The network hands the body over in pieces of any size: every split must give what the whole body gives,
// including splits inside a string escape, a number, a member name and between a row's bytes.
TEST(KustoFixtures, StreamParserGivesTheSameResultForEveryChunkSize) {
    for (const auto& entry : fs::directory_iterator(testing::SourceDir() / "tests/fixtures/kusto")) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".json" || name.find("-v2-") == std::string::npos ||
            name.rfind("java-", 0) == 0)
            continue;  // java: ingestion config
        SCOPED_TRACE(name);
        const std::string body = testing::ReadFile(entry.path());
        Collector whole = ParseFile(name);
        for (size_t chunk : {1, 2, 7, 64, 1000}) {
            SCOPED_TRACE(chunk);
            Collector pieces;
            V2StreamParser parser(pieces);
            for (size_t at = 0; at < body.size(); at += chunk) {
                Status s = parser.Feed(std::string_view(body).substr(at, chunk));
                ASSERT_TRUE(s.ok()) << s.error().Describe();
            }
            Status done = parser.Finish();
            ASSERT_TRUE(done.ok()) << done.error().Describe();
            EXPECT_EQ(parser.bytes_fed(), body.size());
            ASSERT_EQ(pieces.tables.size(), whole.tables.size());
            for (size_t t = 0; t < whole.tables.size(); ++t) {
                EXPECT_EQ(pieces.tables[t].info.schema, whole.tables[t].info.schema);
                EXPECT_EQ(Render(pieces.tables[t].rows), Render(whole.tables[t].rows));
                EXPECT_EQ(pieces.tables[t].errors.size(), whole.tables[t].errors.size());
            }
            EXPECT_EQ(pieces.has_errors, whole.has_errors);
        }
    }
}

TEST(KustoMalformed, TruncatedBodiesFailAtFinishAndErrorsNameTheByte) {
    const std::string body = testing::ReadFile(Fixture("py-v2-deft.json"));
    for (size_t cut : {size_t{1}, body.size() / 3, body.size() - 2}) {
        Collector c;
        V2StreamParser parser(c);
        ASSERT_TRUE(parser.Feed(std::string_view(body).substr(0, cut)).ok());
        EXPECT_FALSE(parser.Finish().ok()) << cut;
    }
    Collector c;
    Status s = ParseV2("[{\"FrameType\" 1}]", c);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("at byte 14"), std::string::npos) << s.error().message;
}

TEST(KustoFixtures, V1TablesTableOfContentsAndExceptions) {
    Collector c = ParseFile("go-v1-success.json");
    ASSERT_GE(c.tables.size(), 3u);
    EXPECT_EQ(c.tables.front().info.kind, "QueryResult");
    EXPECT_TRUE(c.tables.front().info.is_primary());
    EXPECT_EQ(c.tables.back().info.kind, "TableOfContents");

    Collector version = ParseFile("py-v1-mgmt-show-version.json");
    ASSERT_EQ(version.tables.size(), 1u);
    ASSERT_EQ(version.tables[0].rows.size(), 1u);
    EXPECT_EQ(Text(version.tables[0].rows[0][0]), "1.0.6693.14577");
    EXPECT_EQ(version.tables[0].info.schema[1].type, ColumnType::kDateTime);

    Collector booleans = ParseFile("go-v1-booleanInt.json");
    const auto& rows = booleans.tables[0].rows;
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(std::get<bool>(rows[0][0]), false);
    EXPECT_EQ(std::get<bool>(rows[1][0]), false);  // 0
    EXPECT_EQ(std::get<bool>(rows[2][0]), true);
    EXPECT_EQ(std::get<bool>(rows[3][0]), true);  // 1
    EXPECT_TRUE(IsNull(rows[4][0]));

    Collector partial = ParseFile("go-v1-partialError.json");
    ASSERT_EQ(partial.tables[0].rows.size(), 1u);
    ASSERT_FALSE(partial.tables[0].errors.empty());
    EXPECT_NE(partial.tables[0].errors[0].message.find("E_QUERY_RESULT_SET_TOO_LARGE"), std::string::npos);
}

TEST(KustoErrors, OneApiAndPlainTextBodies) {
    KustoError v1 = ParseErrorBody(testing::ReadFile(Fixture("go-v1-error.txt")));
    EXPECT_EQ(v1.code, "General_BadRequest") << v1.message;
    EXPECT_FALSE(v1.message.empty());
    KustoError v2 = ParseErrorBody(testing::ReadFile(Fixture("go-v2-error.txt")));
    EXPECT_TRUE(v2.code.empty());
    EXPECT_NE(v2.message.find("Control commands"), std::string::npos) << v2.message;
    KustoError json = ParseErrorBody(
        R"({"error":{"code":"BadRequest_EntityNotFound","message":"Request is invalid","@message":"'T' was not found","@permanent":true}})");
    EXPECT_EQ(json.code, "BadRequest_EntityNotFound");
    EXPECT_EQ(json.message, "'T' was not found");
    EXPECT_TRUE(json.permanent);
}

TEST(KustoValues, TicksBecomeKustoTimespanText) {
    EXPECT_EQ(TimespanFromTicks(0), "00:00:00");
    EXPECT_EQ(TimespanFromTicks(864010010001), "1.00:00:01.0010001");
    EXPECT_EQ(TimespanFromTicks(-1728020020002), "-2.00:00:02.0020002");
    EXPECT_EQ(TimespanFromTicks(36000000000), "01:00:00");
}

// What the writer produces, the parser reads back unchanged: every type, nulls, escapes, special reals.
TEST(KustoWriter, V2AndV1RoundTripEveryTypeAndTrickyText) {
    const Schema schema = {
        {"s", ColumnType::kString}, {"b", ColumnType::kBool},     {"l", ColumnType::kLong},
        {"r", ColumnType::kReal},   {"d", ColumnType::kDateTime}, {"t", ColumnType::kTimeSpan},
        {"g", ColumnType::kGuid},   {"x", ColumnType::kDynamic},  {"m", ColumnType::kDecimal}};
    const std::vector<Value> rows = {
        Value{std::string("quote \" backslash \\ newline \n tab \t bell \x07 \xc3\xa9")}, Value{true},
        Value{int64_t{-9223372036854775807LL}}, Value{1.5},
        Value{std::string("2024-01-01T00:00:00.0000000Z")}, Value{std::string("1.02:03:04.5000000")},
        Value{std::string("6f3c1072-2739-461c-8aa7-3cfc8ff528a8")},
        Value{std::string(R"({"a":[1,2,{"b":null}]})")}, Value{std::string("123.4500")},
        // the second row: nulls, and reals the JSON grammar cannot hold
        Value{}, Value{}, Value{}, Value{std::numeric_limits<double>::infinity()}, Value{}, Value{}, Value{},
        Value{std::string("not json")}, Value{}};
    std::string body;
    kusto::V2Writer writer(body);
    writer.Table("PrimaryResult", "PrimaryResult", schema, rows);
    writer.Finish("rt;1");
    Collector c;
    ASSERT_TRUE(ParseV2(body, c).ok()) << body;
    const CollectedTable* t = c.Primary();
    ASSERT_TRUE(t);
    ASSERT_EQ(t->rows.size(), 2u);
    for (size_t i = 0; i < schema.size(); ++i) {
        SCOPED_TRACE(schema[i].name);
        if (schema[i].type == ColumnType::kDynamic && i < 9 && !IsNull(rows[i])) {
            EXPECT_EQ(Json::parse(std::get<std::string>(t->rows[0][i])),
                      Json::parse(std::get<std::string>(rows[i])));
        } else {
            EXPECT_EQ(t->rows[0][i], rows[i]);
        }
        EXPECT_EQ(t->rows[1][i], rows[schema.size() + i]);
    }
    const std::string v1 = kusto::V1Body({{schema, rows}});
    Collector c1;
    ASSERT_TRUE(ParseV1(v1, c1).ok()) << v1;
    EXPECT_EQ(c1.tables[0].rows[1], std::vector<Value>(rows.begin() + 9, rows.end()));
}

// Hands every batch back recycled, as the ADX source does: the parser then reuses the strings' buffers.
class RecyclingCollector final : public ResponseHandler {
  public:
    Status OnTableStart(const TableInfo&) override { return Ok(); }
    Status OnRows(const TableInfo&, const RowBatch&) override { return Ok(); }
    Status OnRowsOwned(const TableInfo& table, RowBatch& rows) override {
        if (!table.is_primary()) return Ok();
        for (size_t r = 0; r < rows.rows(); ++r)
            this->rows.emplace_back(rows.Row(r), rows.Row(r) + rows.width());
        // Leave long strings in the batch for the parser to reuse, with text that must not leak into later
        // rows.
        for (size_t r = 0; r < rows.rows(); ++r)
            for (size_t c = 0; c < rows.width(); ++c)
                if (auto* s = std::get_if<std::string>(&rows.Row(r)[c])) s->assign(40, '#');
        return Ok();
    }
    Status OnTableEnd(const TableInfo&, const std::vector<KustoError>&) override { return Ok(); }
    void OnCompletion(bool, bool, const std::vector<KustoError>&) override {}
    std::vector<std::vector<Value>> rows;
};

// Strings are scanned eight bytes at a time: quotes, backslash escapes (\", \\, \n, \u00e9, surrogate pairs)
// and chunk boundaries at every offset must still give back exactly the text that was written.
TEST(KustoValues, StringsWithEscapesAtEveryOffsetAndChunkSize) {
    const Schema schema = {{"s", ColumnType::kString}, {"x", ColumnType::kDynamic}, {"l", ColumnType::kLong}};
    const std::vector<std::string> pieces = {
        "a", "bcdefgh", "\"", "\\", "\n", "\xc3\xa9", "\xf0\x9f\x98\x80", "\t", "12345678", ",", "\x01"};
    std::mt19937 rng(20261201);
    std::vector<Value> cells;
    for (int r = 0; r < 300; ++r) {
        std::string text;
        const int n = static_cast<int>(rng() % 12);
        for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
        std::string dynamic = Json{{"k", text}}.dump();
        cells.emplace_back(std::in_place_type<std::string>, text);
        cells.emplace_back(std::in_place_type<std::string>, std::move(dynamic));
        cells.emplace_back(std::in_place_type<int64_t>, r);
    }
    std::string body;
    kusto::V2Writer writer(body);
    writer.Table("PrimaryResult", "PrimaryResult", schema, cells);
    writer.Finish("esc;1");
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{8}, size_t{13}, body.size()}) {
        SCOPED_TRACE(chunk);
        RecyclingCollector c;
        ParseOptions options;
        options.batch_rows = 7;
        V2StreamParser parser(c, options);
        for (size_t at = 0; at < body.size(); at += chunk)
            ASSERT_TRUE(parser.Feed(std::string_view(body).substr(at, chunk)).ok());
        ASSERT_TRUE(parser.Finish().ok());
        ASSERT_EQ(c.rows.size(), 300u);
        for (size_t r = 0; r < c.rows.size(); ++r) {
            EXPECT_EQ(c.rows[r][0], cells[r * 3]) << r;
            EXPECT_EQ(Json::parse(std::get<std::string>(c.rows[r][1])),
                      Json::parse(std::get<std::string>(cells[r * 3 + 1])))
                << r;
            EXPECT_EQ(c.rows[r][2], cells[r * 3 + 2]) << r;
        }
    }
}

TEST(KustoMalformed, BrokenBodiesAreErrorsNotCrashes) {
    for (const char* body :
         {"", "{", "[", "[{\"FrameType\":\"DataTable\",\"Rows\":[[1]]}]", "{\"Tables\":1}",
          "[{\"FrameType\":\"TableFragment\",\"TableId\":9,\"Rows\":[[1]]}]",
          "[{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\","
          "\"TableName\":\"P\",\"Columns\":[{\"ColumnName\":\"a\",\"ColumnType\":\"long\"}],"
          "\"Rows\":[[\"not a number\"]]}]"}) {
        Collector c;
        EXPECT_FALSE(ParseV2(body, c).ok()) << body;
    }
    Collector c;
    EXPECT_FALSE(ParseV1("[]", c).ok());
}

}  // namespace
}  // namespace adxflow::kusto
