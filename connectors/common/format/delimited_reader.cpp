#include "connectors/common/format/delimited_reader.hpp"

#include <bit>
#include <cstring>
#include <initializer_list>

namespace adxflow::format {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;

// Fills four words with the stop characters (-1: none), repeating the first ('\n', always there) in the
// unused places, so that ScanRun tests a fixed four.
void SetStopWords(uint64_t* words, std::initializer_list<int> chars) {
    int count = 0;
    for (int uc : chars)
        if (uc >= 0) words[count++] = kOnes * static_cast<uint64_t>(uc);
    for (; count < 4; ++count) words[count] = words[0];
}

// The first index in [k, n) whose byte `stop` marks, or n. Eight bytes at a time: a word XORed with a
// repeated stop character has a zero byte exactly where the character is, and (x - 0x01..) & ~x & 0x80..
// marks the lowest zero byte of x exactly (bits above it may be false alarms, which the lowest set bit
// never is). On a little-endian machine the lowest byte comes first in memory.
size_t ScanRun(const char* p, size_t k, size_t n, const bool* stop, const uint64_t* words) {
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        std::memcpy(&w, p + k, 8);
        const uint64_t a = w ^ words[0], b = w ^ words[1], c = w ^ words[2], d = w ^ words[3];
        const uint64_t marks =
            (((a - kOnes) & ~a) | ((b - kOnes) & ~b) | ((c - kOnes) & ~c) | ((d - kOnes) & ~d)) &
            0x8080808080808080ull;
        if (marks) {
            if constexpr (std::endian::native == std::endian::little)
                return k + static_cast<size_t>(std::countr_zero(marks)) / 8;
            break;
        }
    }
    while (k < n && !stop[static_cast<unsigned char>(p[k])]) ++k;
    return k;
}

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
    // The characters ReadRecord's state machine treats specially in each state; '\n' always stops a run
    // so that line numbers stay exact.
    const int quote = options_.quote_char ? static_cast<unsigned char>(*options_.quote_char) : -1;
    const int escape = options_.escape_char ? static_cast<unsigned char>(*options_.escape_char) : -1;
    const bool escape_in_quotes = escape >= 0 && escape != quote;
    for (int uc = 0; uc < 256; ++uc) {
        const char c = static_cast<char>(uc);
        stop_unquoted_[uc] = c == '\n' || c == options_.column_delimiter || IsRowEnd(c) || uc == escape;
        stop_quoted_[uc] = c == '\n' || uc == quote || (escape_in_quotes && uc == escape);
    }
    SetStopWords(stop_words_unquoted_,
                 {'\n', static_cast<unsigned char>(options_.column_delimiter),
                  any_line_break_ ? '\r' : static_cast<unsigned char>(row_char_), escape});
    SetStopWords(stop_words_quoted_, {'\n', quote, escape_in_quotes ? escape : -1});
}

std::string& DelimitedReader::StartField() {
    if (nfields_ == fields_.size()) {
        fields_.emplace_back();
        quoted_.push_back(false);
    }
    std::string& field = fields_[nfields_];
    // An exceptionally long field gives its memory back rather than keeping it for the reader's lifetime.
    if (field.capacity() > (1u << 20))
        std::string().swap(field);
    else
        field.clear();
    // A slot whose buffer went into a cell (AppendRow) takes a recycled one, so that a steady stream of
    // rows allocates nothing.
    if (field.capacity() <= kShortString && !spare_.empty()) {
        field = std::move(spare_.back());
        spare_.pop_back();
        field.clear();
    }
    return field;
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
                if (c == '\n' || c == '\r') ++line_;
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
        nfields_ = 0;
        std::string* field = &StartField();
        bool field_quoted = false;
        size_t record_bytes = 0;
        State state = State::kFieldStart;
        record_line_ = line_;
        auto end_field = [&] {
            quoted_[nfields_] = field_quoted;
            ++nfields_;
            field = &StartField();
            field_quoted = false;
        };
        bool ended_by_eof = false;
        // The record is parsed straight from the input buffer, one buffer window at a time.
        for (;;) {
            if (!in_.has_data()) {
                ADXFLOW_ASSIGN_OR_RETURN(bool any, in_.Refill());
                if (!any) {
                    ended_by_eof = true;
                    break;
                }
            }
            const char* p = in_.data();
            const size_t n = in_.available();
            size_t k = 0;
            bool row_end = false;
            char c = 0;
            while (k < n && !row_end) {
                // Inside a field, a run of characters the state machine would append one by one (staying
                // in the same state) is appended at once: this is where almost all bytes of a file go.
                if (state == State::kUnquoted) {
                    const size_t from = k;
                    k = ScanRun(p, k, n, stop_unquoted_, stop_words_unquoted_);
                    field->append(p + from, k - from);
                    if (k == n) break;
                } else if (state == State::kQuoted) {
                    size_t from = k;
                    for (;;) {
                        k = ScanRun(p, k, n, stop_quoted_, stop_words_quoted_);
                        // "" inside quotes is one literal quote (kQuoted -> kQuoteInQuoted -> kQuoted below):
                        // taken here when both are in the window, the scan goes on in the same field.
                        if (k + 1 < n && static_cast<unsigned char>(p[k]) == quote && p[k + 1] == p[k]) {
                            field->append(p + from, k + 1 - from);
                            k += 2;
                            from = k;
                            continue;
                        }
                        break;
                    }
                    field->append(p + from, k - from);
                    if (k == n) break;
                }
                c = p[k++];
                const int uc = static_cast<unsigned char>(c);
                if (c == '\n') ++line_;
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
                            *field += c;
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
                            *field += c;  // a quote inside an unquoted field is an ordinary character
                        }
                        break;
                    case State::kQuoted:
                        if (escape_in_quotes && uc == escape) {
                            state = State::kEscapeQuoted;
                        } else if (uc == quote) {
                            state = State::kQuoteInQuoted;
                        } else {
                            *field += c;  // delimiters and line breaks are data inside quotes
                        }
                        break;
                    case State::kQuoteInQuoted:
                        if (uc == quote) {
                            *field += c;  // "" is a literal quote
                            state = State::kQuoted;
                        } else if (c == delim) {
                            end_field();
                            state = State::kFieldStart;
                        } else if (IsRowEnd(c)) {
                            row_end = true;
                        } else {
                            // Text after the closing quote ("ab"cd): kept, as lenient readers do.
                            *field += c;
                            state = State::kUnquoted;
                        }
                        break;
                    case State::kEscapeQuoted:
                        // The escape character protects a quote or itself; before anything else it is
                        // literal (so "C:\temp" keeps its backslash).
                        if (uc != quote && uc != escape) *field += static_cast<char>(escape);
                        *field += c;
                        state = State::kQuoted;
                        break;
                    case State::kEscapeUnquoted:
                        if (c != delim && uc != escape && uc != quote && !IsRowEnd(c))
                            *field += static_cast<char>(escape);
                        *field += c;
                        state = State::kUnquoted;
                        break;
                }
            }
            in_.skip(k);
            // Checked per window rather than per character: a runaway record is still stopped within one
            // buffer of the limit.
            record_bytes += k;
            if (record_bytes > kMaxRecordBytes)
                return ParseError(record_line_, "a record is longer than 64 MB (is a quote left open?)",
                                  "DelimitedTextRecordTooLarge");
            if (row_end) {
                after_cr_ = any_line_break_ && c == '\r';
                if (c == '\r') ++line_;  // a CR ends the line; the LF after it (swallowed) is not counted again
                break;
            }
        }
        if (state == State::kQuoted || state == State::kEscapeQuoted) {
            if (ended_by_eof)
                return ParseError(record_line_, "a quoted field is not closed before the end of the file",
                                  "DelimitedTextUnclosedQuote");
        }
        if (state == State::kEscapeUnquoted) *field += static_cast<char>(escape);
        bool blank = nfields_ == 0 && field->empty() && !field_quoted;
        if (blank) {
            if (ended_by_eof) return false;
            continue;  // ADF skips empty lines
        }
        quoted_[nfields_] = field_quoted;
        ++nfields_;
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
        for (size_t i = 0; i < nfields_; ++i) {
            // An empty header cell still needs a name to be mapped by.
            std::string name = fields_[i].empty() ? "Prop_" + std::to_string(i) : fields_[i];
            schema.push_back({std::move(name), ColumnType::kString});
        }
    } else {
        for (size_t i = 0; i < nfields_; ++i)
            schema.push_back({"Prop_" + std::to_string(i), ColumnType::kString});
        pending_ = true;
    }
    width_ = schema.size();
    return schema;
}

void DelimitedReader::Recycle(RowBatch& batch) {
    // Bounded by the batch size; only heap buffers (a short string needs none), and none of the rare long
    // ones, which would stay allocated for text that does not need them.
    for (size_t r = 0; r < batch.rows(); ++r) {
        Value* row = batch.Row(r);
        for (size_t i = 0; i < batch.width(); ++i) {
            auto* text = std::get_if<std::string>(&row[i]);
            if (!text || text->capacity() <= kShortString || text->capacity() > 4096) continue;
            spare_.push_back(std::move(*text));
        }
    }
}

Status DelimitedReader::AppendRow(RowBatch& batch) {
    if (nfields_ > width_) {
        std::string why = "the row has " + std::to_string(nfields_) + " columns, more than the " +
                          std::to_string(width_) + " of the " +
                          (options_.first_row_as_header ? "header" : "first row");
        if (!skip_) return ParseError(record_line_, why, "DelimitedTextMoreColumnsThanDefined");
        // Skipped: logged with its fields as CSV, and the reason with the file and line.
        IncompatibleRow row;
        for (size_t i = 0; i < nfields_; ++i) {
            if (i) row.item += ',';
            const std::string& f = fields_[i];
            if (f.find_first_of(",\"\r\n") == std::string::npos) {
                row.item += f;
                continue;
            }
            row.item += '"';
            for (char c : f) row.item += c == '"' ? std::string("\"\"") : std::string(1, c);
            row.item += '"';
        }
        row.message = (where_.empty() ? std::string() : where_ + ": ") + "line " +
                      std::to_string(record_line_) + ": " + why;
        return skip_->Skip(row);
    }
    Value* row = batch.AddRow();
    size_t bytes = 0;
    for (size_t i = 0; i < nfields_; ++i) {
        bytes += fields_[i].size() + 1;
        // A quoted field is always text, so "" stays an empty string when nullValue is empty.
        if (!quoted_[i] && fields_[i] == options_.null_value) continue;
        // A long field's buffer moves into the cell (no copy) and StartField refills the slot; a short one
        // is copied into the cell's in-place storage and the slot keeps its buffer.
        if (fields_[i].size() > kShortString)
            row[i].emplace<std::string>(std::move(fields_[i]));
        else
            row[i].emplace<std::string>(fields_[i]);
    }
    batch.AddBytes(bytes);
    return Ok();
}

Result<bool> DelimitedReader::Next(RowBatch& batch, size_t max_rows) {
    if (!schema_read_) ADXFLOW_TRY(ReadSchema());
    Recycle(batch);
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
