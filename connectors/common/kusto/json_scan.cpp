// JSON scanning for the streaming v2 parser: see json_scan.hpp.
#include "connectors/common/kusto/json_scan.hpp"

#include <cstring>

#include "core/utf8.hpp"

namespace adxflow::kusto::detail {

namespace {

bool Hex4(const char* p, uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
        const char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= static_cast<uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= static_cast<uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= static_cast<uint32_t>(c - 'A' + 10);
        else
            return false;
    }
    return true;
}

}  // namespace

// Finds the end of the JSON string starting at `p` (which is '"'): sets `end` one past the closing quote, and
// `escaped` (when given) to whether the string holds a backslash escape.
Scan SkipString(const char* p, const char* limit, const char*& end, bool* escaped) {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    bool saw_escape = false;
    for (++p; p < limit;) {
        // Runs of plain text eight bytes at a time: a word XORed with '"' (or '\\') repeated has a zero byte
        // exactly where that character is, and (x - 0x01..) & ~x & 0x80.. is non-zero exactly then.
        while (p + 8 <= limit) {
            uint64_t w;
            std::memcpy(&w, p, 8);
            const uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
            if ((((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHigh) break;
            p += 8;
        }
        if (p >= limit) break;
        if (*p == '\\') {
            saw_escape = true;
            p += 2;
            continue;
        }
        if (*p == '"') {
            end = p + 1;
            if (escaped) *escaped = saw_escape;
            return Scan::kDone;
        }
        ++p;
    }
    return Scan::kNeedMore;
}

// Finds the end of any JSON value starting at `p` (no leading whitespace). Structure only: the value's
// own syntax is checked by whoever parses it.
Scan SkipValue(const char* p, const char* limit, const char*& end) {
    if (p >= limit) return Scan::kNeedMore;
    if (*p == '"') return SkipString(p, limit, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < limit; ++p) {
            const char c = *p;
            if (c == '"') {
                const char* s_end = nullptr;
                if (SkipString(p, limit, s_end) != Scan::kDone) return Scan::kNeedMore;
                p = s_end - 1;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    end = p + 1;
                    return Scan::kDone;
                }
            }
        }
        return Scan::kNeedMore;
    }
    // A literal or number ends at a delimiter; at the end of the buffer it may still go on.
    const char* q = p;
    while (q < limit && *q != ',' && *q != ']' && *q != '}' && !IsSpace(*q)) ++q;
    if (q == limit) return Scan::kNeedMore;
    if (q == p) return Scan::kBad;
    end = q;
    return Scan::kDone;
}

// Decodes the JSON string [p, end) (quotes included) into `out`.
bool DecodeString(const char* p, const char* end, std::string& out) {
    ++p;
    --end;
    out.clear();
    const char* run = p;
    while (p < end) {
        if (*p != '\\') {
            ++p;
            continue;
        }
        out.append(run, static_cast<size_t>(p - run));
        if (p + 1 >= end) return false;
        const char e = p[1];
        p += 2;
        switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                uint32_t cp = 0;
                if (end - p < 4 || !Hex4(p, cp)) return false;
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    uint32_t low = 0;
                    if (Hex4(p + 2, low) && low >= 0xDC00 && low < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        p += 6;
                    }
                }
                AppendUtf8(out, cp);
                break;
            }
            default:
                return false;
        }
        run = p;
    }
    out.append(run, static_cast<size_t>(end - run));
    return true;
}

}  // namespace adxflow::kusto::detail
