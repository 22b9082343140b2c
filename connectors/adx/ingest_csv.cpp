#include "connectors/adx/ingest_csv.hpp"

#include <libdeflate.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>

namespace adxflow::adx {

namespace {

// The characters that make RFC 4180 quote a field (ADX reads CSV that way): comma, quote, line breaks.
constexpr std::array<bool, 256> kNeedsQuote = [] {
    std::array<bool, 256> t{};
    t[static_cast<unsigned char>(',')] = t[static_cast<unsigned char>('"')] = true;
    t[static_cast<unsigned char>('\n')] = t[static_cast<unsigned char>('\r')] = true;
    return t;
}();

// True when `text` holds a comma, a quote or a line break. Eight bytes at a time: a word XORed with one of
// those characters repeated has a zero byte exactly when the character is there, and
// (x - 0x01..) & ~x & 0x80.. is non-zero exactly when x has a zero byte.
bool NeedsQuote(const char* p, size_t n) {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        const uint64_t comma = w ^ (kOnes * ','), quote = w ^ (kOnes * '"');
        const uint64_t lf = w ^ (kOnes * '\n'), cr = w ^ (kOnes * '\r');
        const uint64_t zero_bytes = ((comma - kOnes) & ~comma) | ((quote - kOnes) & ~quote) |
                                    ((lf - kOnes) & ~lf) | ((cr - kOnes) & ~cr);
        if (zero_bytes & kHigh) return true;
    }
    for (; i < n; ++i)
        if (kNeedsQuote[static_cast<unsigned char>(p[i])]) return true;
    return false;
}

// Writes `text` at `out`, quoted when it holds a comma, a quote or a line break; returns the end.
char* AppendCsvText(char* out, std::string_view text) {
    const char* p = text.data();
    const size_t n = text.size();
    if (!NeedsQuote(p, n)) {
        std::memcpy(out, p, n);
        return out + n;
    }
    *out++ = '"';
    if (n < 64) {  // short text: a plain loop beats a memchr call per quote
        for (size_t i = 0; i < n; ++i) {
            if (p[i] == '"') *out++ = '"';
            *out++ = p[i];
        }
        *out++ = '"';
        return out;
    }
    for (size_t at = 0;;) {
        const void* q = std::memchr(p + at, '"', n - at);
        const size_t next = q ? static_cast<size_t>(static_cast<const char*>(q) - p) : n;
        std::memcpy(out, p + at, next - at);
        out += next - at;
        if (!q) break;
        *out++ = '"';
        *out++ = '"';
        at = next + 1;
    }
    *out++ = '"';
    return out;
}

}  // namespace

size_t MaxCsvBytes(const Value& v) {
    switch (v.index()) {
        case 0:
            return 0;
        case 1:
            return 5;
        case 2:
            return 20;
        case 3:
            return 32;
        default:
            return 2 * std::get<std::string>(v).size() + 2;  // every character a doubled quote, plus quotes
    }
}

char* AppendCsvValue(char* out, const Value& v) {
    switch (v.index()) {
        case 0:
            return out;  // null: an empty field, which ADX reads as null for every non-string type
        case 1:
            if (std::get<bool>(v)) {
                std::memcpy(out, "true", 4);
                return out + 4;
            }
            std::memcpy(out, "false", 5);
            return out + 5;
        case 2:
            return std::to_chars(out, out + 20, std::get<int64_t>(v)).ptr;
        case 3: {
            const double d = std::get<double>(v);
            std::string_view special;
            if (std::isnan(d))
                special = "NaN";
            else if (std::isinf(d))
                special = d > 0 ? "Infinity" : "-Infinity";
            else
                return std::to_chars(out, out + 32, d).ptr;
            std::memcpy(out, special.data(), special.size());
            return out + special.size();
        }
        default:
            return AppendCsvText(out, std::get<std::string>(v));
    }
}

Result<std::string> GzipCsv(const std::string& raw) {
    libdeflate_compressor* c = libdeflate_alloc_compressor(1);  // level 1: upload-bound, not size-bound
    if (!c) return MakeError(ErrorKind::kInternal, "adx.sink", "libdeflate_alloc_compressor failed");
    // Into an uninitialised buffer of the worst-case size (about the input's), then copied at its real size
    // (about a quarter): zero-filling the worst case would touch every page of it for nothing.
    const size_t bound = libdeflate_gzip_compress_bound(c, raw.size());
    std::unique_ptr<char[]> buffer(new char[bound]);
    const size_t n = libdeflate_gzip_compress(c, raw.data(), raw.size(), buffer.get(), bound);
    libdeflate_free_compressor(c);
    if (n == 0) return MakeError(ErrorKind::kInternal, "adx.sink", "gzip compression failed");
    return std::string(buffer.get(), n);
}

}  // namespace adxflow::adx
