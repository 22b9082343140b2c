#include "connectors/common/format/delimited_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace adxflow::format {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHigh = 0x8080808080808080ull;
// Up to this many special characters the eight-bytes-at-a-time test beats a table lookup per byte.
constexpr size_t kMaxWordScanChars = 6;

// The text of a non-string value, formatted into `buf` (at least 32 bytes) as ValueToText would.
std::string_view ScalarText(const Value& v, char* buf) {
    switch (v.index()) {
        case 1:
            return std::get<bool>(v) ? "True" : "False";
        case 2:
            return {buf, static_cast<size_t>(std::to_chars(buf, buf + 32, std::get<int64_t>(v)).ptr - buf)};
        case 3: {
            const double d = std::get<double>(v);
            if (std::isnan(d)) return "NaN";
            if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
            return {buf, static_cast<size_t>(std::to_chars(buf, buf + 32, d).ptr - buf)};
        }
        default:
            return {};
    }
}

}  // namespace

DelimitedWriter::DelimitedWriter(DelimitedTextOptions options, ByteWriter& bytes)
    : options_(std::move(options)), bytes_(bytes) {
    row_delimiter_ = options_.row_delimiter.empty() ? "\r\n" : options_.row_delimiter;
    auto mark = [this](char c) {
        if (!needs_quote_[static_cast<unsigned char>(c)]) specials_.push_back(c);
        needs_quote_[static_cast<unsigned char>(c)] = true;
    };
    mark(options_.column_delimiter);
    mark('\r');
    mark('\n');
    if (options_.quote_char) mark(*options_.quote_char);
    for (char c : row_delimiter_) mark(c);
}

bool DelimitedWriter::NeedsQuotes(std::string_view text) const {
    if (options_.quote_all_text) return true;
    const char* p = text.data();
    const size_t n = text.size();
    size_t i = 0;
    if (specials_.size() <= kMaxWordScanChars) {
        // A word XORed with a special character repeated has a zero byte exactly where that character is;
        // (x - 0x01..) & ~x & 0x80.. is non-zero exactly when x has a zero byte.
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            std::memcpy(&w, p + i, 8);
            uint64_t zero_bytes = 0;
            for (char c : specials_) {
                const uint64_t x = w ^ (kOnes * static_cast<unsigned char>(c));
                zero_bytes |= (x - kOnes) & ~x;
            }
            if (zero_bytes & kHigh) return true;
        }
    }
    for (; i < n; ++i)
        if (needs_quote_[static_cast<unsigned char>(p[i])]) return true;
    // Otherwise the value would read back as null.
    return text == options_.null_value;
}

char* DelimitedWriter::AppendField(char* out, std::string_view text) const {
    const bool needs_quotes = NeedsQuotes(text);
    if (!needs_quotes || (!options_.quote_char && !options_.escape_char)) {
        std::memcpy(out, text.data(), text.size());  // plain, or no way to protect it: written as is
        return out + text.size();
    }
    if (options_.quote_char) {
        const char quote = *options_.quote_char;
        *out++ = quote;
        for (size_t at = 0;;) {  // copy runs between quotes; each inner quote is doubled (RFC 4180)
            const void* q = std::memchr(text.data() + at, quote, text.size() - at);
            const size_t next =
                q ? static_cast<size_t>(static_cast<const char*>(q) - text.data()) : text.size();
            std::memcpy(out, text.data() + at, next - at);
            out += next - at;
            if (!q) break;
            *out++ = quote;
            *out++ = quote;
            at = next + 1;
        }
        *out++ = quote;
        return out;
    }
    // No quote character: protect delimiters and line breaks with the escape character.
    const char escape = *options_.escape_char;
    for (char c : text) {
        if (needs_quote_[static_cast<unsigned char>(c)] || c == escape) *out++ = escape;
        *out++ = c;
    }
    return out;
}

Status DelimitedWriter::Begin(const Schema& schema, bool resume, uint64_t rows_already_written) {
    width_ = schema.size();
    if (resume || !options_.first_row_as_header) return Ok();
    line_.clear();
    size_t bound = row_delimiter_.size() + schema.size();
    for (const auto& column : schema) bound += 2 * column.name.size() + 2;
    line_.resize(bound);
    char* out = line_.data();
    for (size_t i = 0; i < schema.size(); ++i) {
        if (i) *out++ = options_.column_delimiter;
        out = AppendField(out, schema[i].name);
    }
    std::memcpy(out, row_delimiter_.data(), row_delimiter_.size());
    out += row_delimiter_.size();
    line_.resize(static_cast<size_t>(out - line_.data()));
    return bytes_.Write(line_);
}

// Each row is written into space reserved for its worst case with plain stores (no capacity check per
// character), then trimmed to what was written.
Status DelimitedWriter::Write(const RowBatch& batch) {
    line_.clear();
    const size_t width = batch.width();
    const std::string& null_value = options_.null_value;
    char scalar[32];
    constexpr size_t kAhead = 4;
    for (size_t r = 0; r < batch.rows(); ++r) {
        // The text of long strings lives on the heap, written by the source's thread and out of this core's
        // cache: ask for a later row's while this one is written (the first read of each was most of the
        // writer's time).
        if (r + kAhead < batch.rows()) {
            const Value* ahead = batch.Row(r + kAhead);
            for (size_t c = 0; c < width; ++c)
                if (const auto* text = std::get_if<std::string>(&ahead[c])) __builtin_prefetch(text->data());
        }
        const Value* row = batch.Row(r);
        size_t bound = width + row_delimiter_.size();
        for (size_t i = 0; i < width; ++i) {
            const Value& v = row[i];
            if (const auto* s = std::get_if<std::string>(&v))
                bound += 2 * s->size() + 2;
            else
                bound += IsNull(v) ? null_value.size() : 2 * sizeof scalar + 2;
        }
        const size_t at = line_.size();
        line_.resize(at + bound);
        char* out = line_.data() + at;
        for (size_t i = 0; i < width; ++i) {
            if (i) *out++ = options_.column_delimiter;
            const Value& v = row[i];
            if (const auto* s = std::get_if<std::string>(&v)) {
                out = AppendField(out, *s);
            } else if (IsNull(v)) {
                std::memcpy(out, null_value.data(), null_value.size());
                out += null_value.size();
            } else {
                out = AppendField(out, ScalarText(v, scalar));
            }
        }
        std::memcpy(out, row_delimiter_.data(), row_delimiter_.size());
        out += row_delimiter_.size();
        line_.resize(static_cast<size_t>(out - line_.data()));
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
