// Runs every block of tests/cases/mapping/*.test through BuildMapping + ApplyMapping (the Copy activity's
// translator step).
//
// Keys: name; source (JSON array of {"name", "type"}: the source schema); sink_schema (optional, the sink
// dataset's schema, same shape); translator (optional JSON); rows (JSON array of rows, cells as JSON:
// integers are long/int cells, fractions real, strings text, null null). Then either expect_columns
// ("name:type, ..."), expect_rows (JSON) and optionally skipped (rows handed to the skip log, when the case
// says `skip: true`), or error (substring of the message) with optional target (the error's JSON path).

#include <gtest/gtest.h>

#include <sstream>

#include "core/engine/mapping.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.file << ":" << c.line;
}
}  // namespace adxflow::testing

namespace adxflow::engine {
namespace {

using testing::Case;

std::string Field(const Case& c, const std::string& key) {
    const std::string* v = c.Get(key);
    return v ? *v : std::string();
}

Json JsonField(const Case& c, const std::string& key, Json fallback) {
    const std::string text = Field(c, key);
    if (text.empty()) return fallback;
    Json j = Json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << key << " is not JSON: " << text;
    return j;
}

Schema ToSchema(const Json& columns) {
    Schema s;
    for (const auto& c : columns) {
        auto type = ParseColumnType(c.value("type", "string"));
        EXPECT_TRUE(type.has_value()) << c.dump();
        s.push_back(Column{c.value("name", ""), type.value_or(ColumnType::kString)});
    }
    return s;
}

Value ToCell(const Json& j) {
    if (j.is_null()) return Value();
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_number_float()) return j.get<double>();
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

Json FromCell(const Value& v) {
    switch (v.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(v);
        case 2:
            return std::get<int64_t>(v);
        case 3:
            return std::get<double>(v);
        default:
            return std::get<std::string>(v);
    }
}

class CollectSkips final : public IncompatibleRowHandler {
  public:
    Status Skip(const IncompatibleRow& row) override {
        rows.push_back(row);
        return Ok();
    }
    std::vector<IncompatibleRow> rows;
};

class MappingCase : public ::testing::TestWithParam<Case> {};

TEST_P(MappingCase, Matches) {
    const Case& c = GetParam();
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + " " + Field(c, "name"));
    const Schema source = ToSchema(JsonField(c, "source", Json::array()));
    const Schema sink = ToSchema(JsonField(c, "sink_schema", Json::array()));
    const Json translator = JsonField(c, "translator", Json());
    const Json rows = JsonField(c, "rows", Json::array());
    const std::string expected_error = Field(c, "error");

    RowBatch in(source.size());
    for (const auto& row : rows) {
        Value* cells = in.AddRow();
        for (size_t i = 0; i < source.size() && i < row.size(); ++i) cells[i] = ToCell(row[i]);
    }
    CollectSkips skips;
    Status status;
    RowBatch out;
    auto mapping = BuildMapping(source, sink, translator);
    if (!mapping.ok()) {
        status = mapping.error();
    } else {
        if (mapping->identity) {  // the Copy activity passes such batches through untouched
            out = in;
        } else {
            status = ApplyMapping(*mapping, in, out, Field(c, "skip") == "true" ? &skips : nullptr);
        }
    }
    if (!expected_error.empty()) {
        ASSERT_FALSE(status.ok()) << "expected an error containing: " << expected_error;
        EXPECT_NE(status.error().message.find(expected_error), std::string::npos) << status.error().message;
        if (c.Get("target")) {
            EXPECT_EQ(status.error().target, Field(c, "target"));
        }
        return;
    }
    ASSERT_TRUE(status.ok()) << status.error().Describe();
    if (c.Get("expect_columns")) {
        std::string columns;
        for (const auto& col : mapping->output)
            columns += (columns.empty() ? "" : ", ") + col.name + ":" + ToString(col.type);
        EXPECT_EQ(columns, Field(c, "expect_columns"));
    }
    Json got = Json::array();
    for (size_t r = 0; r < out.rows(); ++r) {
        Json row = Json::array();
        for (size_t i = 0; i < out.width(); ++i) row.push_back(FromCell(out.Row(r)[i]));
        got.push_back(row);
    }
    EXPECT_EQ(got, JsonField(c, "expect_rows", Json::array()));
    if (c.Get("skipped")) {
        EXPECT_EQ(std::to_string(skips.rows.size()), Field(c, "skipped"));
        if (c.Get("skip_message") && !skips.rows.empty()) {
            EXPECT_NE(skips.rows[0].message.find(Field(c, "skip_message")), std::string::npos)
                << skips.rows[0].message;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, MappingCase,
                         ::testing::ValuesIn(testing::ReadCaseDir(testing::SourceDir() /
                                                                  "tests/cases/mapping")),
                         [](const ::testing::TestParamInfo<Case>& info) {
                             std::string name = std::filesystem::path(info.param.file).stem().string() + "_" +
                                                std::to_string(info.param.line);
                             for (char& ch : name)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return name;
                         });

}  // namespace
}  // namespace adxflow::engine
