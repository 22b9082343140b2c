// Json reader and writer: layouts, types, schema sampling, errors, and the CSV -> JSON -> CSV round trip.

#include <gtest/gtest.h>

#include "connectors/common/format/delimited_reader.hpp"
#include "connectors/common/format/delimited_writer.hpp"
#include "connectors/common/format/json_reader.hpp"
#include "connectors/common/format/json_writer.hpp"
#include "tests/unit/formats/format_test_util.hpp"

namespace adxflow::testing {
namespace {

using format::JsonReader;

ReadAll ReadJson(const std::string& text, size_t batch = 2, size_t step = 1 << 20, size_t sample = 1000) {
    TrickleReader bytes(text, step);
    JsonReader reader(bytes, sample);
    return ReadAllRows(reader, batch);
}

TEST(JsonReader, DetectsEveryLayout) {
    const Json expected = Json::parse(R"([[1,"x"],[2,"y"]])");
    const char* layouts[] = {
        "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n",                   // JSON Lines
        "{\"a\":1,\"b\":\"x\"}{\"a\":2,\"b\":\"y\"}",                       // concatenated
        "  {\"a\":1,\n  \"b\":\"x\"}\r\n\r\n{\"a\":2,\"b\":\"y\"}",         // pretty, CRLF
        "[{\"a\":1,\"b\":\"x\"},\n {\"a\":2,\"b\":\"y\"}]",                 // arrayOfObjects
        "\xEF\xBB\xBF[ {\"a\":1,\"b\":\"x\"} , {\"a\":2,\"b\":\"y\"} ]\n",  // BOM, spaces
    };
    for (const char* text : layouts) {
        for (size_t step : {size_t{1}, size_t{1 << 20}}) {
            ReadAll got = ReadJson(text, 1, step);
            ASSERT_FALSE(got.error) << text << ": " << got.error->message;
            EXPECT_EQ(SchemaNames(got.schema), Json::parse(R"(["a","b"])")) << text;
            EXPECT_EQ(got.rows, expected) << text;
        }
    }
}

TEST(JsonReader, SingleObjectIsOneRow) {
    ReadAll got = ReadJson(R"({"id": 7, "tags": ["a","b"], "meta": {"k": "v"}})");
    ASSERT_FALSE(got.error);
    ASSERT_EQ(got.schema.size(), 3u);
    EXPECT_EQ(got.schema[0].type, ColumnType::kLong);
    EXPECT_EQ(got.schema[1].type, ColumnType::kDynamic);
    EXPECT_EQ(got.schema[2].type, ColumnType::kDynamic);
    EXPECT_EQ(got.rows, Json::parse(R"([[7, "[\"a\",\"b\"]", "{\"k\":\"v\"}"]])"));
}

TEST(JsonReader, TypesFromTheSample) {
    ReadAll got = ReadJson(
        "{\"i\":1,\"r\":1,\"b\":true,\"s\":\"x\",\"m\":1,\"n\":null,\"big\":18446744073709551615}\n"
        "{\"i\":2,\"r\":2.5,\"b\":false,\"s\":\"y\",\"m\":\"two\",\"n\":null,\"big\":1}\n");
    ASSERT_FALSE(got.error) << got.error->message;
    std::vector<ColumnType> types;
    for (const auto& c : got.schema) types.push_back(c.type);
    EXPECT_EQ(types, (std::vector<ColumnType>{ColumnType::kLong, ColumnType::kReal, ColumnType::kBool,
                                              ColumnType::kString, ColumnType::kString, ColumnType::kString,
                                              ColumnType::kReal}));
    EXPECT_EQ(got.rows[0][4], "1");  // a number in a string column travels as its text
    EXPECT_EQ(got.rows[1][1], 2.5);
    EXPECT_TRUE(got.rows[1][5].is_null());
}

TEST(JsonReader, KeysUnionInOrderOfFirstAppearance) {
    ReadAll got = ReadJson("{\"b\":1}\n{\"a\":2,\"b\":3}\n{\"c\":4}\n");
    ASSERT_FALSE(got.error);
    EXPECT_EQ(SchemaNames(got.schema), Json::parse(R"(["b","a","c"])"));
    EXPECT_EQ(got.rows, Json::parse("[[1,null,null],[3,2,null],[null,null,4]]"));
}

TEST(JsonReader, KeysFirstSeenAfterTheSampleAreDropped) {
    TrickleReader bytes("{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"late\":true}\n", 1 << 20);
    JsonReader reader(bytes, /*sample_rows=*/2);
    ReadAll got = ReadAllRows(reader, 10);
    ASSERT_FALSE(got.error);
    EXPECT_EQ(SchemaNames(got.schema), Json::parse(R"(["a"])"));
    EXPECT_EQ(got.rows, Json::parse("[[1],[2],[3]]"));
    EXPECT_EQ(reader.dropped_keys(), 1u);
}

TEST(JsonReader, ValueNotFittingItsColumnTravelsAsText) {
    TrickleReader bytes("{\"a\":1}\n{\"a\":1.5}\n{\"a\":{\"x\":1}}\n", 1 << 20);
    JsonReader reader(bytes, 1);
    ReadAll got = ReadAllRows(reader, 10);
    ASSERT_FALSE(got.error);
    EXPECT_EQ(got.schema[0].type, ColumnType::kLong);
    EXPECT_EQ(got.rows, Json::parse(R"([[1],["1.5"],["{\"x\":1}"]])"));
}

TEST(JsonReader, BracesInsideStringsDoNotConfuseTheScanner) {
    ReadAll got = ReadJson(R"({"s":"}{ \"[ ]\\"} {"s":"ok"})", 1, 1);
    ASSERT_FALSE(got.error) << got.error->message;
    EXPECT_EQ(got.rows, Json::parse(R"([["}{ \"[ ]\\"],["ok"]])"));
}

TEST(JsonReader, ErrorsAreInvalidInputWithALine) {
    struct Bad {
        const char* text;
        const char* code;
    } bad[] = {
        {"{\"a\":1}\n{\"a\":", "JsonTruncated"},       {"[{\"a\":1}", "JsonTruncated"},
        {"{\"a\":1}\n42\n", "JsonNotAnObject"},        {"[{\"a\":1}, 3]", "JsonNotAnObject"},
        {"{\"a\":1}\n{\"a\" 1}\n", "JsonInvalidData"}, {"[{\"a\":1}] {\"b\":2}", "JsonInvalidData"},
    };
    for (const auto& b : bad) {
        ReadAll got = ReadJson(b.text, 1);
        ASSERT_TRUE(got.error) << b.text;
        EXPECT_EQ(got.error->kind, ErrorKind::kInvalidInput) << b.text;
        EXPECT_EQ(got.error->code, b.code) << b.text << ": " << got.error->message;
        EXPECT_NE(got.error->message.find("line "), std::string::npos);
    }
}

TEST(JsonReader, EmptyInputHasNoColumnsAndNoRows) {
    for (const char* text : {"", "  \n", "[]", "[ \n ]"}) {
        ReadAll got = ReadJson(text);
        ASSERT_FALSE(got.error) << text;
        EXPECT_TRUE(got.schema.empty());
        EXPECT_TRUE(got.rows.empty());
    }
}

Schema TypedSchema() {
    return {{"id", ColumnType::kLong},    {"name", ColumnType::kString}, {"ok", ColumnType::kBool},
            {"score", ColumnType::kReal}, {"bag", ColumnType::kDynamic}, {"when", ColumnType::kDateTime}};
}

RowBatch TypedRows() {
    RowBatch batch(6);
    Value* r = batch.AddRow();
    r[0] = int64_t{1};
    r[1] = std::string("ann \"a\"");
    r[2] = true;
    r[3] = 2.5;
    r[4] = std::string(R"({"k":[1,2]})");
    r[5] = std::string("2024-05-01T10:00:00.0000000Z");
    r = batch.AddRow();  // text cells in typed columns, as a CSV source delivers them
    r[0] = std::string("42");
    r[2] = std::string("False");
    r[3] = std::string("n/a");
    r[4] = std::string("not json");
    return batch;
}

TEST(JsonWriter, SetOfObjectsWritesTypedJsonLines) {
    format::StringWriter out;
    format::JsonWriter writer({}, out);
    ASSERT_TRUE(writer.Begin(TypedSchema(), false, 0).ok());
    ASSERT_TRUE(writer.Write(TypedRows()).ok());
    ASSERT_TRUE(writer.End().ok());
    EXPECT_EQ(
        out.data(),
        "{\"id\":1,\"name\":\"ann \\\"a\\\"\",\"ok\":true,\"score\":2.5,\"bag\":{\"k\":[1,2]},"
        "\"when\":\"2024-05-01T10:00:00.0000000Z\"}\n"
        "{\"id\":42,\"name\":null,\"ok\":false,\"score\":\"n/a\",\"bag\":\"not json\",\"when\":null}\n");
}

TEST(JsonWriter, ArrayOfObjectsClosesOnlyAtEnd) {
    format::StringWriter out;
    format::JsonWriter writer({format::JsonFilePattern::kArrayOfObjects}, out);
    Schema schema{{"a", ColumnType::kLong}};
    ASSERT_TRUE(writer.Begin(schema, false, 0).ok());
    ASSERT_TRUE(writer.Write(JsonToBatch(Json::parse("[[1],[2]]"), 1)).ok());
    EXPECT_EQ(out.data(), "[\n{\"a\":1},\n{\"a\":2}");
    ASSERT_TRUE(writer.End().ok());
    EXPECT_EQ(out.data(), "[\n{\"a\":1},\n{\"a\":2}\n]\n");
    EXPECT_TRUE(Json::parse(out.data()).is_array());

    format::StringWriter empty;
    format::JsonWriter none({format::JsonFilePattern::kArrayOfObjects}, empty);
    ASSERT_TRUE(none.Begin(schema, false, 0).ok());
    ASSERT_TRUE(none.End().ok());
    EXPECT_EQ(Json::parse(empty.data()), Json::array());
}

TEST(JsonWriter, ArrayResumeContinuesAfterCommittedRows) {
    Schema schema{{"a", ColumnType::kLong}};
    format::StringWriter first;
    format::JsonWriter w1({format::JsonFilePattern::kArrayOfObjects}, first);
    ASSERT_TRUE(w1.Begin(schema, false, 0).ok());
    ASSERT_TRUE(w1.Write(JsonToBatch(Json::parse("[[1]]"), 1)).ok());
    // A resumed writer appends to the committed prefix without a new '['.
    format::StringWriter rest;
    format::JsonWriter w2({format::JsonFilePattern::kArrayOfObjects}, rest);
    ASSERT_TRUE(w2.Begin(schema, true, 1).ok());
    ASSERT_TRUE(w2.Write(JsonToBatch(Json::parse("[[2]]"), 1)).ok());
    ASSERT_TRUE(w2.End().ok());
    EXPECT_EQ(Json::parse(first.data() + rest.data()), Json::parse(R"([{"a":1},{"a":2}])"));
}

TEST(RoundTrip, CsvToJsonToCsv) {
    const std::string csv =
        "id,name,note\r\n1,ann,\"x,y\"\r\n2,,\"multi\r\nline \"\"q\"\"\"\r\n3,\"\",plain\r\n";
    auto spec =
        format::ParseFormatSpec("DelimitedText", Json{{"firstRowAsHeader", true}}, Json::object(), "source");
    ASSERT_TRUE(spec.ok());

    format::StringReader csv_in(csv);
    format::DelimitedReader csv_reader(spec->text, csv_in);
    auto schema = csv_reader.ReadSchema();
    ASSERT_TRUE(schema.ok());
    format::StringWriter json_out;
    format::JsonWriter json_writer({}, json_out);
    ASSERT_TRUE(json_writer.Begin(*schema, false, 0).ok());
    RowBatch batch;
    for (bool more = true; more;) {
        auto r = csv_reader.Next(batch, 2);
        ASSERT_TRUE(r.ok());
        more = *r;
        ASSERT_TRUE(json_writer.Write(batch).ok());
    }
    ASSERT_TRUE(json_writer.End().ok());

    format::StringReader json_in(json_out.data());
    format::JsonReader json_reader(json_in);
    auto json_schema = json_reader.ReadSchema();
    ASSERT_TRUE(json_schema.ok());
    EXPECT_EQ(SchemaNames(*json_schema), SchemaNames(*schema));
    format::StringWriter csv_out;
    format::DelimitedWriter csv_writer(spec->text, csv_out);
    ASSERT_TRUE(csv_writer.Begin(*json_schema, false, 0).ok());
    for (bool more = true; more;) {
        auto r = json_reader.Next(batch, 3);
        ASSERT_TRUE(r.ok());
        more = *r;
        ASSERT_TRUE(csv_writer.Write(batch).ok());
    }
    EXPECT_EQ(csv_out.data(), csv);
}

}  // namespace
}  // namespace adxflow::testing
