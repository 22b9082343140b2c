// Data-driven DelimitedText cases: tests/cases/csv/{read,write,options}.test.

#include <gtest/gtest.h>

#include "connectors/common/format/delimited_reader.hpp"
#include "connectors/common/format/delimited_writer.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/formats/format_test_util.hpp"

namespace adxflow::testing {
namespace {

Json FieldJson(const Case& c, const std::string& key, Json fallback) {
    const std::string* v = c.Get(key);
    if (!v) return fallback;
    auto parsed = ParseJson(*v, key);
    if (!parsed.ok()) ADD_FAILURE() << c.file << ":" << c.line << " " << parsed.error().message;
    return parsed.ok() ? *parsed : fallback;
}

std::string Where(const Case& c) {
    const std::string* name = c.Get("name");
    return c.file + ":" + std::to_string(c.line) + " (" + (name ? *name : "?") + ")";
}

std::filesystem::path CaseFile(const char* name) {
    return SourceDir() / "tests/cases/csv" / name;
}

TEST(CsvCases, Read) {
    auto cases = ReadCases(CaseFile("read.test"));
    ASSERT_GT(cases.size(), 20u);
    for (const auto& c : cases) {
        auto spec = format::ParseFormatSpec("DelimitedText", FieldJson(c, "dataset", Json::object()),
                                            FieldJson(c, "source", Json::object()), "source");
        ASSERT_TRUE(spec.ok()) << Where(c) << ": " << spec.error().message;
        std::string input = CaseText(c.Get("input") ? *c.Get("input") : "");
        // Whole-buffer reads and one-byte reads must agree: every state survives a refill.
        for (size_t step : {size_t{1 << 20}, size_t{1}, size_t{3}}) {
            for (size_t batch_rows : {size_t{1}, size_t{1000}}) {
                TrickleReader bytes(input, step);
                format::DelimitedReader reader(spec->text, bytes);
                ReadAll got = ReadAllRows(reader, batch_rows);
                std::string where =
                    Where(c) + " step=" + std::to_string(step) + " batch=" + std::to_string(batch_rows);
                if (const std::string* error = c.Get("error")) {
                    ASSERT_TRUE(got.error.has_value()) << where << ": expected error " << *error;
                    EXPECT_EQ(got.error->code, *error) << where << ": " << got.error->message;
                    EXPECT_EQ(got.error->kind, ErrorKind::kInvalidInput) << where;
                    if (const std::string* msg = c.Get("message")) {
                        EXPECT_NE(got.error->message.find(*msg), std::string::npos)
                            << where << ": " << got.error->message;
                    }
                    continue;
                }
                ASSERT_FALSE(got.error.has_value()) << where << ": " << got.error->message;
                if (c.Get("columns")) {
                    EXPECT_EQ(SchemaNames(got.schema), FieldJson(c, "columns", {})) << where;
                }
                for (const auto& col : got.schema) EXPECT_EQ(col.type, ColumnType::kString) << where;
                EXPECT_EQ(got.rows, FieldJson(c, "rows", Json::array())) << where;
            }
        }
    }
}

TEST(CsvCases, Write) {
    auto cases = ReadCases(CaseFile("write.test"));
    ASSERT_GT(cases.size(), 5u);
    for (const auto& c : cases) {
        auto spec = format::ParseFormatSpec("DelimitedText", FieldJson(c, "dataset", Json::object()),
                                            FieldJson(c, "sink", Json::object()), "sink");
        ASSERT_TRUE(spec.ok()) << Where(c) << ": " << spec.error().message;
        Schema schema;
        for (const auto& name : FieldJson(c, "columns", Json::array()))
            schema.push_back({name.get<std::string>(), ColumnType::kString});
        RowBatch batch = JsonToBatch(FieldJson(c, "rows", Json::array()), schema.size());
        format::StringWriter out;
        format::DelimitedWriter writer(spec->text, out);
        ASSERT_TRUE(writer.Begin(schema, false, 0).ok()) << Where(c);
        ASSERT_TRUE(writer.Write(batch).ok()) << Where(c);
        ASSERT_TRUE(writer.End().ok()) << Where(c);
        EXPECT_EQ(out.data(), CaseText(*c.Get("output"))) << Where(c);

        // Whatever the writer produced reads back as the same cells (as text), nulls included.
        format::StringReader back(out.data());
        format::DelimitedReader reader(spec->text, back);
        ReadAll got = ReadAllRows(reader, 100);
        ASSERT_FALSE(got.error.has_value()) << Where(c) << ": " << got.error->message;
        Json expected = Json::array();
        for (size_t r = 0; r < batch.rows(); ++r) {
            Json row = Json::array();
            for (size_t i = 0; i < batch.width(); ++i) {
                const Value& v = batch.Row(r)[i];
                row.push_back(IsNull(v) ? Json(nullptr) : Json(ValueToText(v)));
            }
            expected.push_back(row);
        }
        EXPECT_EQ(got.rows, expected) << Where(c);
    }
}

TEST(CsvCases, OptionErrorsNameTheOption) {
    for (const auto& c : ReadCases(CaseFile("options.test"))) {
        auto spec = format::ParseFormatSpec("DelimitedText", FieldJson(c, "dataset", Json::object()),
                                            FieldJson(c, "source", Json::object()), "source");
        ASSERT_FALSE(spec.ok()) << Where(c);
        EXPECT_EQ(spec.error().target, *c.Get("target")) << Where(c) << ": " << spec.error().message;
        EXPECT_NE(spec.error().message.find(*c.Get("target")), std::string::npos) << Where(c);
        const std::string* kind = c.Get("kind");
        EXPECT_EQ(spec.error().kind,
                  kind && *kind == "unsupported" ? ErrorKind::kUnsupported : ErrorKind::kInvalidInput)
            << Where(c);
    }
}

}  // namespace
}  // namespace adxflow::testing
