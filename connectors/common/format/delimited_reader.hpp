#pragma once
// DelimitedText (CSV) reader with ADF's semantics: configurable column/row delimiters, quoting with a
// doubled quote or the escape character, quoted fields across lines, header or Prop_N names, nullValue,
// skipLineCount, UTF-8 BOM. Streams: memory is the read buffer plus the rows of the current batch.

#include <string>
#include <vector>

#include "connectors/common/format/buffered_input.hpp"
#include "connectors/common/format/row_io.hpp"

namespace adxflow::format {

class DelimitedReader : public RowReader {
  public:
    DelimitedReader(DelimitedTextOptions options, ByteReader& bytes);

    Result<Schema> ReadSchema() override;
    Result<bool> Next(RowBatch& batch, size_t max_rows) override;

    // A record longer than this is refused rather than buffered: usually an unclosed quote.
    static constexpr size_t kMaxRecordBytes = 64 * 1024 * 1024;

  private:
    // Parses the next record into fields_/quoted_; false at end of stream. Blank lines are skipped.
    Result<bool> ReadRecord();
    Status SkipLines(int64_t count);
    bool IsRowEnd(char c) const { return any_line_break_ ? (c == '\n' || c == '\r') : c == row_char_; }
    // After a '\r' that ended a record, a following '\n' belongs to the same line break.
    Status SwallowLineFeed();
    Status AppendRow(RowBatch& batch);

    DelimitedTextOptions options_;
    BufferedInput in_;
    bool any_line_break_ = true;
    char row_char_ = '\n';
    bool after_cr_ = false;
    uint64_t line_ = 1;         // current physical line, for messages
    uint64_t record_line_ = 1;  // first line of the last record
    std::vector<std::string> fields_;
    std::vector<bool> quoted_;
    size_t width_ = 0;
    bool schema_read_ = false;
    bool pending_ = false;  // fields_ hold a data row already read to learn the width
    bool done_ = false;
};

}  // namespace adxflow::format
