#include "connectors/common/format/delimited_writer.hpp"

namespace adxflow::format {

DelimitedWriter::DelimitedWriter(DelimitedTextOptions options, ByteWriter& bytes)
    : options_(std::move(options)), bytes_(bytes) {
    row_delimiter_ = options_.row_delimiter.empty() ? "\r\n" : options_.row_delimiter;
    auto mark = [this](char c) { needs_quote_[static_cast<unsigned char>(c)] = true; };
    mark(options_.column_delimiter);
    mark('\r');
    mark('\n');
    if (options_.quote_char) mark(*options_.quote_char);
    for (char c : row_delimiter_) mark(c);
}

void DelimitedWriter::AppendField(std::string_view text, bool is_null) {
    if (is_null) {
        line_ += options_.null_value;
        return;
    }
    const char delim = options_.column_delimiter;
    const auto quote = options_.quote_char;
    const auto escape = options_.escape_char;
    bool needs_quotes = options_.quote_all_text;
    if (!needs_quotes) {
        for (char c : text) {
            if (needs_quote_[static_cast<unsigned char>(c)]) {
                needs_quotes = true;
                break;
            }
        }
        // Otherwise the value would read back as null.
        if (!needs_quotes && text == options_.null_value) needs_quotes = true;
    }
    if (needs_quotes && quote) {
        line_ += *quote;
        for (size_t at = 0;;) {  // copy runs between quotes; each inner quote is doubled (RFC 4180)
            const size_t next = text.find(*quote, at);
            line_.append(
                text.substr(at, next == std::string_view::npos ? std::string_view::npos : next + 1 - at));
            if (next == std::string_view::npos) break;
            line_ += *quote;
            at = next + 1;
        }
        line_ += *quote;
        return;
    }
    if (!needs_quotes || !escape) {
        line_.append(text);  // no way to protect the value: written as is
        return;
    }
    // No quote character: protect delimiters and line breaks with the escape character.
    for (char c : text) {
        if (c == delim || c == '\r' || c == '\n' || c == *escape ||
            row_delimiter_.find(c) != std::string::npos)
            line_ += *escape;
        line_ += c;
    }
}

Status DelimitedWriter::Begin(const Schema& schema, bool resume, uint64_t rows_already_written) {
    width_ = schema.size();
    if (resume || !options_.first_row_as_header) return Ok();
    line_.clear();
    for (size_t i = 0; i < schema.size(); ++i) {
        if (i) line_ += options_.column_delimiter;
        AppendField(schema[i].name, false);
    }
    line_ += row_delimiter_;
    return bytes_.Write(line_);
}

Status DelimitedWriter::Write(const RowBatch& batch) {
    line_.clear();
    for (size_t r = 0; r < batch.rows(); ++r) {
        const Value* row = batch.Row(r);
        for (size_t i = 0; i < batch.width(); ++i) {
            if (i) line_ += options_.column_delimiter;
            const Value& v = row[i];
            if (const auto* s = std::get_if<std::string>(&v)) {
                AppendField(*s, false);
            } else {
                AppendField(ValueToText(v), IsNull(v));
            }
        }
        line_ += row_delimiter_;
        // Hand over in pieces so that a huge batch does not double its memory as text.
        if (line_.size() >= 64 * 1024) {
            ADXFLOW_TRY(bytes_.Write(line_));
            line_.clear();
        }
    }
    if (!line_.empty()) ADXFLOW_TRY(bytes_.Write(line_));
    line_.clear();
    return Ok();
}

}  // namespace adxflow::format
