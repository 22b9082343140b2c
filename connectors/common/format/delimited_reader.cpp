#include "connectors/common/format/delimited_reader.hpp"

namespace adxflow::format {

namespace {

Error ParseError(uint64_t line, const std::string& message, const char* code = "DelimitedTextInvalidData") {
    return MakeError(ErrorKind::kInvalidInput, "delimited.read",
                     "line " + std::to_string(line) + ": " + message, code);
}

}  // namespace

DelimitedReader::DelimitedReader(DelimitedTextOptions options, ByteReader& bytes)
    : options_(std::move(options)), in_(bytes) {
    const std::string& rd = options_.row_delimiter;
    // "\n", "\r" and "\r\n" all mean "a line break": ADF reads any of them whatever the dataset says.
    any_line_break_ = rd.empty() || rd == "\n" || rd == "\r" || rd == "\r\n";
    if (!any_line_break_) row_char_ = rd[0];
}

Status DelimitedReader::SwallowLineFeed() {
    if (!after_cr_) return Ok();
    after_cr_ = false;
    ADXFLOW_ASSIGN_OR_RETURN(bool any, in_.Ensure());
    if (any && in_.peek() == '\n') in_.take();
    return Ok();
}

Status DelimitedReader::SkipLines(int64_t count) {
    while (count > 0) {
        ADXFLOW_TRY(SwallowLineFeed());
        bool non_empty = false;
        for (;;) {
            ADXFLOW_ASSIGN_OR_RETURN(bool any, in_.Ensure());
            if (!any) return Ok();
            char c = in_.take();
            if (IsRowEnd(c)) {
                if (c == '\n') ++line_;
                after_cr_ = any_line_break_ && c == '\r';
                break;
            }
            non_empty = true;
        }
        // ADF counts only non-empty lines towards skipLineCount.
        if (non_empty) --count;
    }
    return Ok();
}

Result<bool> DelimitedReader::ReadRecord() {
    enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kEscapeQuoted, kEscapeUnquoted };
    const char delim = options_.column_delimiter;
    const int quote = options_.quote_char ? static_cast<unsigned char>(*options_.quote_char) : -1;
    const int escape = options_.escape_char ? static_cast<unsigned char>(*options_.escape_char) : -1;
    // With escape == quote ("" doubling), the doubled-quote rule already covers escaping.
    const bool escape_in_quotes = escape >= 0 && escape != quote;

    for (;;) {  // one iteration per physical record; blank lines loop again
        ADXFLOW_TRY(SwallowLineFeed());
        fields_.clear();
        quoted_.clear();
        std::string field;
        bool field_quoted = false;
        size_t record_bytes = 0;
        State state = State::kFieldStart;
        record_line_ = line_;
        auto end_field = [&] {
            fields_.push_back(std::move(field));
            quoted_.push_back(field_quoted);
            field.clear();
            field_quoted = false;
        };
        bool ended_by_eof = false;
        for (;;) {
            ADXFLOW_ASSIGN_OR_RETURN(bool any, in_.Ensure());
            if (!any) {
                ended_by_eof = true;
                break;
            }
            char c = in_.take();
            if (++record_bytes > kMaxRecordBytes)
                return ParseError(record_line_, "a record is longer than 64 MB (is a quote left open?)",
                                  "DelimitedTextRecordTooLarge");
            const int uc = static_cast<unsigned char>(c);
            if (c == '\n') ++line_;
            bool row_end = false;
            switch (state) {
                case State::kFieldStart:
                    if (uc == quote) {
                        field_quoted = true;
                        state = State::kQuoted;
                    } else if (c == delim) {
                        end_field();
                    } else if (IsRowEnd(c)) {
                        row_end = true;
                    } else if (uc == escape) {
                        state = State::kEscapeUnquoted;
                    } else {
                        field += c;
                        state = State::kUnquoted;
                    }
                    break;
                case State::kUnquoted:
                    if (c == delim) {
                        end_field();
                        state = State::kFieldStart;
                    } else if (IsRowEnd(c)) {
                        row_end = true;
                    } else if (uc == escape) {
                        state = State::kEscapeUnquoted;
                    } else {
                        field += c;  // a quote inside an unquoted field is an ordinary character
                    }
                    break;
                case State::kQuoted:
                    if (escape_in_quotes && uc == escape) {
                        state = State::kEscapeQuoted;
                    } else if (uc == quote) {
                        state = State::kQuoteInQuoted;
                    } else {
                        field += c;  // delimiters and line breaks are data inside quotes
                    }
                    break;
                case State::kQuoteInQuoted:
                    if (uc == quote) {
                        field += c;  // "" is a literal quote
                        state = State::kQuoted;
                    } else if (c == delim) {
                        end_field();
                        state = State::kFieldStart;
                    } else if (IsRowEnd(c)) {
                        row_end = true;
                    } else {
                        // Text after the closing quote ("ab"cd): kept, as lenient readers do.
                        field += c;
                        state = State::kUnquoted;
                    }
                    break;
                case State::kEscapeQuoted:
                    // The escape character protects a quote or itself; before anything else it is literal
                    // (so "C:\temp" keeps its backslash).
                    if (uc != quote && uc != escape) field += static_cast<char>(escape);
                    field += c;
                    state = State::kQuoted;
                    break;
                case State::kEscapeUnquoted:
                    if (c != delim && uc != escape && uc != quote && !IsRowEnd(c))
                        field += static_cast<char>(escape);
                    field += c;
                    state = State::kUnquoted;
                    break;
            }
            if (row_end) {
                after_cr_ = any_line_break_ && c == '\r';
                break;
            }
        }
        if (state == State::kQuoted || state == State::kEscapeQuoted) {
            if (ended_by_eof)
                return ParseError(record_line_, "a quoted field is not closed before the end of the file",
                                  "DelimitedTextUnclosedQuote");
        }
        if (state == State::kEscapeUnquoted) field += static_cast<char>(escape);
        bool blank = fields_.empty() && field.empty() && !field_quoted;
        if (blank) {
            if (ended_by_eof) return false;
            continue;  // ADF skips empty lines
        }
        end_field();
        return true;
    }
}

Result<Schema> DelimitedReader::ReadSchema() {
    schema_read_ = true;
    ADXFLOW_TRY(SkipUtf8Bom(in_));
    ADXFLOW_TRY(SkipLines(options_.skip_line_count));
    ADXFLOW_ASSIGN_OR_RETURN(bool any, ReadRecord());
    Schema schema;
    if (!any) {
        done_ = true;
        return schema;
    }
    if (options_.first_row_as_header) {
        for (size_t i = 0; i < fields_.size(); ++i) {
            // An empty header cell still needs a name to be mapped by.
            std::string name = fields_[i].empty() ? "Prop_" + std::to_string(i) : fields_[i];
            schema.push_back({std::move(name), ColumnType::kString});
        }
    } else {
        for (size_t i = 0; i < fields_.size(); ++i)
            schema.push_back({"Prop_" + std::to_string(i), ColumnType::kString});
        pending_ = true;
    }
    width_ = schema.size();
    return schema;
}

Status DelimitedReader::AppendRow(RowBatch& batch) {
    if (fields_.size() > width_)
        return ParseError(record_line_,
                          "the row has " + std::to_string(fields_.size()) + " columns, more than the " +
                              std::to_string(width_) + " of the " +
                              (options_.first_row_as_header ? "header" : "first row"),
                          "DelimitedTextMoreColumnsThanDefined");
    Value* row = batch.AddRow();
    size_t bytes = 0;
    for (size_t i = 0; i < fields_.size(); ++i) {
        bytes += fields_[i].size() + 1;
        // A quoted field is always text, so "" stays an empty string when nullValue is empty.
        if (!quoted_[i] && fields_[i] == options_.null_value) continue;
        row[i] = std::move(fields_[i]);
    }
    batch.AddBytes(bytes);
    return Ok();
}

Result<bool> DelimitedReader::Next(RowBatch& batch, size_t max_rows) {
    if (!schema_read_) ADXFLOW_TRY(ReadSchema());
    batch.Reset(width_);
    if (done_) return false;
    if (max_rows == 0) max_rows = 1;
    if (pending_) {
        pending_ = false;
        ADXFLOW_TRY(AppendRow(batch));
    }
    while (batch.rows() < max_rows) {
        ADXFLOW_ASSIGN_OR_RETURN(bool any, ReadRecord());
        if (!any) {
            done_ = true;
            return false;
        }
        ADXFLOW_TRY(AppendRow(batch));
    }
    return true;
}

}  // namespace adxflow::format
