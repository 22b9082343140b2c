#pragma once
// DelimitedText (CSV) reader with ADF's semantics: configurable column/row delimiters, quoting with a
// doubled quote or the escape character, quoted fields across lines, header or Prop_N names, nullValue,
// skipLineCount, UTF-8 BOM. Streams: memory is the read buffer plus the rows of the current batch.

#include <cstdint>
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
    void SetIncompatibleRowHandler(IncompatibleRowHandler* handler, std::string where) override {
        skip_ = handler;
        where_ = std::move(where);
    }

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
    // The next field slot of the record being read, emptied. Slots keep their capacity across records, so
    // a steady stream of records allocates nothing here.
    std::string& StartField();
    // Keeps the heap buffers of the batch's strings (rows the caller is done with) for the next rows' cells.
    void Recycle(RowBatch& batch);
    // The capacity of a std::string that has no heap buffer (libstdc++'s and libc++'s 64-bit layouts hold
    // at least 15 characters in place; a smaller guess only costs a useless recycle).
    static constexpr size_t kShortString = 15;

    DelimitedTextOptions options_;
    BufferedInput in_;
    bool any_line_break_ = true;
    char row_char_ = '\n';
    bool after_cr_ = false;
    uint64_t line_ = 1;         // current physical line, for messages
    uint64_t record_line_ = 1;  // first line of the last record
    // The last record: the first nfields_ slots of fields_/quoted_ (the rest are spare capacity).
    std::vector<std::string> fields_;
    std::vector<char> quoted_;  // bools, without vector<bool>'s bit twiddling on the per-field path
    size_t nfields_ = 0;
    std::vector<std::string> spare_;  // strings with heap buffers from Recycle, for StartField
    // Per byte value: true when it ends a run of plain field content in an unquoted / a quoted field (a
    // delimiter, a line break, the quote or escape character). Runs between them are copied at once.
    bool stop_unquoted_[256] = {};
    bool stop_quoted_[256] = {};
    // The same sets as 8-byte words (a character repeated), to skip 8 plain bytes at a time.
    uint64_t stop_words_unquoted_[4] = {};
    uint64_t stop_words_quoted_[4] = {};
    size_t width_ = 0;
    bool schema_read_ = false;
    bool pending_ = false;  // fields_ hold a data row already read to learn the width
    bool done_ = false;
    IncompatibleRowHandler* skip_ = nullptr;
    std::string where_;
};

}  // namespace adxflow::format
