#pragma once
// Scanning JSON text in a buffer that may end mid-value: the streaming v2 parser finds where values end
// without building a JSON tree, and decodes strings itself. Not part of the public interface.

#include <cstdint>
#include <string>

namespace adxflow::kusto::detail {

inline bool IsSpace(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

inline bool IsNumberStart(char c) {
    return c == '-' || (c >= '0' && c <= '9');
}

// Outcome of trying to read one token or value from the buffered bytes.
enum class Scan { kDone, kNeedMore, kBad };

// Finds the end of the JSON string starting at `p` (which is '"'): sets `end` one past the closing quote, and
// `escaped` (when given) to whether the string holds a backslash escape. Plain runs are scanned eight bytes
// at a time.
Scan SkipString(const char* p, const char* limit, const char*& end, bool* escaped = nullptr);

// Finds the end of any JSON value starting at `p` (no leading whitespace). Structure only: the value's
// own syntax is checked by whoever parses it.
Scan SkipValue(const char* p, const char* limit, const char*& end);

// Decodes the JSON string [p, end) (quotes included) into `out`; false on a bad escape.
bool DecodeString(const char* p, const char* end, std::string& out);

}  // namespace adxflow::kusto::detail
