#pragma once
// DelimitedText (CSV) writer. Quotes a value when it holds the delimiter, the quote or a line break
// (or always, with quoteAllText), doubling inner quotes as RFC 4180 says: ADX ingestion
// reads CSV that way, and so does DelimitedReader. Null writes as nullValue; an empty string writes as ""
// when that would otherwise read back as null.
//
// The escape character is not written inside quotes (ADX would keep it as data). A reader using the
// default escapeChar "\" therefore misreads a value that ends in a backslash; files meant to be read
// back with ADF settings should set escapeChar to the quote character, as RFC 4180 files do.

#include <array>
#include <string>
#include <vector>

#include "connectors/common/format/row_io.hpp"

namespace adxflow::format {

class DelimitedWriter : public RowWriter {
  public:
    DelimitedWriter(DelimitedTextOptions options, ByteWriter& bytes);

    Status Begin(const Schema& schema, bool resume, uint64_t rows_already_written) override;
    Status Write(const RowBatch& batch) override;
    Status End() override { return Ok(); }

  private:
    bool NeedsQuotes(std::string_view text) const;
    // Writes `text` at `out`, quoted or escaped as needed; `out` has room for 2 * size + 2 bytes.
    char* AppendField(char* out, std::string_view text) const;
    DelimitedTextOptions options_;
    ByteWriter& bytes_;
    std::string row_delimiter_;
    // Characters that force quoting (delimiter, quote, CR, LF, row delimiter): one lookup per byte instead
    // of a search of the row delimiter per byte, which dominated the CSV sink's profile.
    std::array<bool, 256> needs_quote_{};
    std::vector<char> specials_;  // the same characters as a list, for the word-at-a-time scan
    std::string line_;
    size_t width_ = 0;
};

}  // namespace adxflow::format
