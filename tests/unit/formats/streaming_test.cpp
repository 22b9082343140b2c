// Large inputs stream: a 200k-row file read in small batches never makes the reader read far ahead of
// the rows it has handed out.

#include <gtest/gtest.h>

#include "connectors/common/format/delimited_reader.hpp"
#include "connectors/common/format/json_reader.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/formats/format_test_util.hpp"

namespace adxflow::testing {
namespace {

constexpr size_t kRows = 200000;
constexpr size_t kBatch = 64;
// Read-ahead allowed: the reader's buffer and one row (plus JSON's schema sample, measured separately).
constexpr uint64_t kSlackBytes = 2 * 64 * 1024;

std::string CsvLine(size_t i) {
    return std::to_string(i) + ",name-" + std::to_string(i) + ",\"a,b\"\r\n";
}
std::string JsonLine(size_t i) {
    return "{\"id\":" + std::to_string(i) + ",\"name\":\"name-" + std::to_string(i) + "\"}\n";
}

void WriteLines(const std::filesystem::path& path, const std::string& header, std::string (*line)(size_t),
                bool gzip) {
    auto file = format::FileWriter::Open(path, format::FileWriter::Mode::kTruncate);
    ASSERT_TRUE(file.ok());
    std::unique_ptr<format::ByteWriter> gz;
    if (gzip) gz = std::make_unique<format::GzipWriter>(**file, format::kGzipFastest);
    format::ByteWriter& out = gz ? *gz : static_cast<format::ByteWriter&>(**file);
    ASSERT_TRUE(out.Write(header).ok());
    for (size_t i = 0; i < kRows; ++i) ASSERT_TRUE(out.Write(line(i)).ok());
    ASSERT_TRUE(out.Flush().ok());
    ASSERT_TRUE((*file)->Sync().ok());
}

// Counts what the row reader pulled from below (decompressed bytes when gzip).
class CountingReader : public format::ByteReader {
  public:
    explicit CountingReader(format::ByteReader& inner) : inner_(inner) {}
    Result<size_t> Read(char* buf, size_t n) override {
        auto got = inner_.Read(buf, n);
        if (got.ok()) count_ += *got;
        return got;
    }
    uint64_t count() const { return count_; }

  private:
    format::ByteReader& inner_;
    uint64_t count_ = 0;
};

void StreamAndCheck(const std::filesystem::path& path, bool gzip, bool json, const std::string& header,
                    std::string (*line)(size_t)) {
    auto file = format::FileReader::Open(path);
    ASSERT_TRUE(file.ok());
    std::unique_ptr<format::ByteReader> gz;
    if (gzip) gz = std::make_unique<format::GzipReader>(**file);
    CountingReader counted(gz ? *gz : static_cast<format::ByteReader&>(**file));
    format::FormatSpec spec;
    spec.text.first_row_as_header = true;
    const size_t sample = 100;
    std::unique_ptr<format::RowReader> reader;
    if (json)
        reader = std::make_unique<format::JsonReader>(counted, sample);
    else
        reader = std::make_unique<format::DelimitedReader>(spec.text, counted);
    auto schema = reader->ReadSchema();
    ASSERT_TRUE(schema.ok()) << schema.error().message;
    ASSERT_EQ(schema->size(), json ? 2u : 3u);

    RowBatch batch;
    size_t rows = 0;
    uint64_t handed_out = header.size();
    for (bool more = true; more;) {
        auto r = reader->Next(batch, kBatch);
        ASSERT_TRUE(r.ok()) << r.error().message;
        more = *r;
        ASSERT_LE(batch.rows(), kBatch);
        for (size_t i = 0; i < batch.rows(); ++i, ++rows) {
            ASSERT_EQ(std::get<std::string>(batch.Row(i)[1]), "name-" + std::to_string(rows));
            handed_out += line(rows).size();
        }
        // JSON keeps its schema sample until it is handed out; beyond it, only a buffer of read-ahead.
        uint64_t sample_bytes = json && rows < sample ? sample * line(sample).size() : 0;
        ASSERT_LE(counted.count(), handed_out + kSlackBytes + sample_bytes) << "after " << rows << " rows";
    }
    EXPECT_EQ(rows, kRows);
    if (!gzip) {
        EXPECT_EQ((*file)->bytes_read(), std::filesystem::file_size(path));
    }
}

TEST(Streaming, LargeCsvInSmallBatches) {
    TempDir dir;
    WriteLines(dir / "big.csv", "id,name,note\r\n", CsvLine, false);
    ASSERT_GT(std::filesystem::file_size(dir / "big.csv"), 4u * 1024 * 1024);
    StreamAndCheck(dir / "big.csv", false, false, "id,name,note\r\n", CsvLine);
}

TEST(Streaming, LargeGzipCsvInSmallBatches) {
    TempDir dir;
    WriteLines(dir / "big.csv.gz", "id,name,note\r\n", CsvLine, true);
    StreamAndCheck(dir / "big.csv.gz", true, false, "id,name,note\r\n", CsvLine);
}

TEST(Streaming, LargeJsonLinesInSmallBatches) {
    TempDir dir;
    WriteLines(dir / "big.json", "", JsonLine, false);
    StreamAndCheck(dir / "big.json", false, true, "", JsonLine);
}

}  // namespace
}  // namespace adxflow::testing
