// Incompatible rows handed to a handler instead of failing the read (Copy's enableSkipIncompatibleRow).

#include <gtest/gtest.h>

#include "connectors/common/format/delimited_reader.hpp"
#include "connectors/common/format/json_reader.hpp"

namespace adxflow::format {
namespace {

struct Collect final : IncompatibleRowHandler {
    Status Skip(const IncompatibleRow& row) override {
        rows.push_back(row);
        return Ok();
    }
    std::vector<IncompatibleRow> rows;
};

size_t ReadAll(RowReader& reader, std::vector<std::string>* first_cells = nullptr) {
    EXPECT_TRUE(reader.ReadSchema().ok());
    RowBatch batch;
    size_t n = 0;
    for (;;) {
        auto more = reader.Next(batch, 2);
        EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
        if (!more.ok()) return n;
        for (size_t r = 0; r < batch.rows(); ++r)
            if (first_cells) first_cells->push_back(ValueToText(batch.Row(r)[0]));
        n += batch.rows();
        if (!*more) return n;
    }
}

TEST(SkipRows, DelimitedRowsWithTooManyFieldsAreHandedOver) {
    DelimitedTextOptions o;
    o.first_row_as_header = true;
    o.escape_char = '"';
    const std::string csv = "a,b\r\n1,x\r\n2,\"y\r\nz\",extra\r\n3,w\r\n4,\"q\"\"\",more,more\r\n";
    StringReader bytes(csv);
    DelimitedReader strict(o, bytes);
    ASSERT_TRUE(strict.ReadSchema().ok());
    RowBatch batch;
    auto failed = strict.Next(batch, 10);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("line 3"), std::string::npos) << failed.error().message;

    StringReader again(csv);
    DelimitedReader lenient(o, again);
    Collect skipped;
    lenient.SetIncompatibleRowHandler(&skipped, "in/f.csv");
    std::vector<std::string> ids;
    EXPECT_EQ(ReadAll(lenient, &ids), 2u);
    EXPECT_EQ(ids, (std::vector<std::string>{"1", "3"}));
    ASSERT_EQ(skipped.rows.size(), 2u);
    EXPECT_EQ(skipped.rows[0].item, "2,\"y\r\nz\",extra");
    EXPECT_EQ(skipped.rows[0].message,
              "in/f.csv: line 3: the row has 3 columns, more than the 2 of the header");
    EXPECT_EQ(skipped.rows[1].item, "4,\"q\"\"\",more,more");
    EXPECT_NE(skipped.rows[1].message.find("line 6"), std::string::npos) << skipped.rows[1].message;
}

TEST(SkipRows, InvalidJsonObjectsAreHandedOver) {
    const std::string text = "{\"id\":1}\n{\"id\":2,}\n{\"id\":3}\n";
    StringReader strict_bytes(text);
    JsonReader strict(strict_bytes);
    EXPECT_FALSE(strict.ReadSchema().ok());

    StringReader bytes(text);
    JsonReader lenient(bytes);
    Collect skipped;
    lenient.SetIncompatibleRowHandler(&skipped, "j.json");
    std::vector<std::string> ids;
    EXPECT_EQ(ReadAll(lenient, &ids), 2u);
    EXPECT_EQ(ids, (std::vector<std::string>{"1", "3"}));
    ASSERT_EQ(skipped.rows.size(), 1u);
    EXPECT_EQ(skipped.rows[0].item, "{\"id\":2,}");
    EXPECT_EQ(skipped.rows[0].message, "j.json: line 2: object 2 is not valid JSON");
}

}  // namespace
}  // namespace adxflow::format
