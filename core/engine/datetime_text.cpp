#include "core/engine/datetime_text.hpp"

#include <cstdio>

namespace adxflow::engine {

namespace {

constexpr int64_t kTicksPerSecond = 10'000'000;

// Civil date <-> days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
void CivilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = yoe + era * 400 + (m <= 2);
}
bool ValidDate(int64_t y, int64_t m, int64_t d) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

struct DateTimeParts {
    int64_t year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, ticks = 0;
    int64_t offset_minutes = 0;
    bool pm = false, has_pm = false;
};

std::optional<std::string> Canonical(DateTimeParts p) {
    if (p.has_pm) {
        if (p.hour < 1 || p.hour > 12) return std::nullopt;
        p.hour = p.hour % 12 + (p.pm ? 12 : 0);
    }
    if (!ValidDate(p.year, p.month, p.day) || p.hour > 23 || p.minute > 59 || p.second > 59)
        return std::nullopt;
    int64_t seconds = DaysFromCivil(p.year, p.month, p.day) * 86400 + p.hour * 3600 + p.minute * 60 +
                      p.second - p.offset_minutes * 60;
    int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
    int64_t sod = seconds - days * 86400;
    int64_t y, m, d;
    CivilFromDays(days, y, m, d);
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
                          static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                          static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                          static_cast<long long>(sod % 60));
    std::string out(buf, static_cast<size_t>(n));
    if (p.ticks) {
        std::snprintf(buf, sizeof buf, ".%07lld", static_cast<long long>(p.ticks));
        std::string frac = buf;
        while (frac.back() == '0') frac.pop_back();
        out += frac;
    }
    return out + "Z";
}

bool ReadDigits(std::string_view s, size_t& i, size_t min, size_t max, int64_t& out) {
    size_t n = 0;
    out = 0;
    while (i + n < s.size() && n < max && s[i + n] >= '0' && s[i + n] <= '9')
        out = out * 10 + (s[i + n++] - '0');
    if (n < min) return false;
    i += n;
    return true;
}

// Fraction digits as 100-ns ticks: "5" -> 5000000; more than 7 digits are cut (Kusto's precision).
int64_t FractionTicks(std::string_view digits) {
    int64_t t = 0;
    for (size_t k = 0; k < 7; ++k) t = t * 10 + (k < digits.size() ? digits[k] - '0' : 0);
    return t;
}

bool ReadOffset(std::string_view s, size_t& i, bool colon_optional, int64_t& minutes) {
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
        minutes = 0;
        return true;
    }
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
    const int sign = s[i++] == '-' ? -1 : 1;
    int64_t h = 0, m = 0;
    if (!ReadDigits(s, i, 2, 2, h)) return false;
    if (i < s.size() && s[i] == ':')
        ++i;
    else if (!colon_optional)
        return false;
    if (i < s.size() && s[i] >= '0' && s[i] <= '9' && !ReadDigits(s, i, 2, 2, m)) return false;
    minutes = sign * (h * 60 + m);
    return h <= 14 && m <= 59;
}

// ISO 8601 as ADF and Kusto accept it: date, then optionally [T| ]hh:mm[:ss[.f...]] and Z or +hh[:mm].
std::optional<std::string> ParseIso(std::string_view s) {
    DateTimeParts p;
    size_t i = 0;
    if (!ReadDigits(s, i, 4, 4, p.year) || i >= s.size() || s[i++] != '-' ||
        !ReadDigits(s, i, 1, 2, p.month) || i >= s.size() || s[i++] != '-' || !ReadDigits(s, i, 1, 2, p.day))
        return std::nullopt;
    if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
        ++i;
        if (!ReadDigits(s, i, 1, 2, p.hour) || i >= s.size() || s[i++] != ':' ||
            !ReadDigits(s, i, 2, 2, p.minute))
            return std::nullopt;
        if (i < s.size() && s[i] == ':') {
            ++i;
            if (!ReadDigits(s, i, 2, 2, p.second)) return std::nullopt;
            if (i < s.size() && s[i] == '.') {
                const size_t start = ++i;
                while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
                if (i == start) return std::nullopt;
                p.ticks = FractionTicks(s.substr(start, i - start));
            }
        }
    }
    if (i < s.size() && !ReadOffset(s, i, true, p.offset_minutes)) return std::nullopt;
    if (i != s.size()) return std::nullopt;
    return Canonical(p);
}

size_t RunLength(std::string_view f, size_t i) {
    size_t n = 1;
    while (i + n < f.size() && f[i + n] == f[i]) ++n;
    return n;
}

// Reads a literal (quoted, escaped or plain character) of format `f` at `i`: appends it to `lit`.
bool ReadLiteral(std::string_view f, size_t& i, std::string& lit) {
    const char c = f[i];
    if (c == '\'' || c == '"') {
        const size_t end = f.find(c, i + 1);
        if (end == std::string_view::npos) return false;
        lit.append(f.substr(i + 1, end - i - 1));
        i = end + 1;
        return true;
    }
    if (c == '\\') {
        if (i + 1 >= f.size()) return false;
        lit += f[i + 1];
        i += 2;
        return true;
    }
    lit += c;
    ++i;
    return true;
}

bool IsDateToken(char c) {
    return c == 'y' || c == 'M' || c == 'd' || c == 'H' || c == 'h' || c == 'm' || c == 's' || c == 'f' ||
           c == 'F' || c == 't' || c == 'z' || c == 'K';
}

std::optional<std::string> Cut(int64_t v, size_t width) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%0*lld", static_cast<int>(width), static_cast<long long>(v));
    return std::string(buf);
}
}  // namespace

std::optional<std::string> ParseIsoDateTime(std::string_view s) {
    return ParseIso(s);
}

std::optional<std::string> ParseDateTimeWithFormat(std::string_view s, std::string_view f) {
    DateTimeParts p;
    size_t i = 0, k = 0;
    while (k < f.size()) {
        const char c = f[k];
        if (!IsDateToken(c)) {
            std::string lit;
            if (!ReadLiteral(f, k, lit)) return std::nullopt;
            if (s.substr(i, lit.size()) != lit) return std::nullopt;
            i += lit.size();
            continue;
        }
        const size_t n = RunLength(f, k);
        k += n;
        int64_t v = 0;
        switch (c) {
            case 'y':
                if (!ReadDigits(s, i, n <= 2 ? 2 : n, n <= 2 ? 2 : 4, v)) return std::nullopt;
                p.year = n <= 2 ? (v < 50 ? 2000 + v : 1900 + v) : v;  // .NET's two-digit-year window
                break;
            case 'M':
                if (!ReadDigits(s, i, n, 2, p.month)) return std::nullopt;
                break;
            case 'd':
                if (!ReadDigits(s, i, n, 2, p.day)) return std::nullopt;
                break;
            case 'H':
                if (!ReadDigits(s, i, n, 2, p.hour)) return std::nullopt;
                break;
            case 'h':
                if (!ReadDigits(s, i, n, 2, p.hour)) return std::nullopt;
                p.has_pm = true;
                break;
            case 'm':
                if (!ReadDigits(s, i, n, 2, p.minute)) return std::nullopt;
                break;
            case 's':
                if (!ReadDigits(s, i, n, 2, p.second)) return std::nullopt;
                break;
            case 'f':
            case 'F': {
                const size_t start = i;
                while (i < s.size() && i - start < n && s[i] >= '0' && s[i] <= '9') ++i;
                if (c == 'f' && i - start != n) return std::nullopt;
                p.ticks = FractionTicks(s.substr(start, i - start));
                break;
            }
            case 't': {
                const std::string_view ampm = s.substr(i, n == 1 ? 1 : 2);
                if (ampm.empty() || (ampm[0] != 'A' && ampm[0] != 'P')) return std::nullopt;
                p.pm = ampm[0] == 'P';
                p.has_pm = true;
                i += ampm.size();
                break;
            }
            case 'z':
            case 'K':
                if (c == 'K' && i == s.size()) break;  // K: no zone at all is allowed
                if (!ReadOffset(s, i, n < 3, p.offset_minutes)) return std::nullopt;
                break;
        }
    }
    if (i != s.size()) return std::nullopt;
    return Canonical(p);
}

std::optional<std::string> FormatDateTimeWithFormat(std::string_view canonical, std::string_view f) {
    auto parsed = ParseIso(canonical);
    if (!parsed) return std::nullopt;
    const std::string& c = *parsed;  // yyyy-MM-ddTHH:mm:ss[.f]Z
    DateTimeParts p;
    p.year = std::stoll(c.substr(0, 4));
    p.month = std::stoll(c.substr(5, 2));
    p.day = std::stoll(c.substr(8, 2));
    p.hour = std::stoll(c.substr(11, 2));
    p.minute = std::stoll(c.substr(14, 2));
    p.second = std::stoll(c.substr(17, 2));
    if (c.size() > 20 && c[19] == '.') p.ticks = FractionTicks(c.substr(20, c.size() - 21));
    std::string out;
    size_t k = 0;
    while (k < f.size()) {
        const char ch = f[k];
        if (!IsDateToken(ch)) {
            if (!ReadLiteral(f, k, out)) return std::nullopt;
            continue;
        }
        const size_t n = RunLength(f, k);
        k += n;
        switch (ch) {
            case 'y':
                out += n <= 2 ? *Cut(p.year % 100, 2) : *Cut(p.year, n);
                break;
            case 'M':
                out += *Cut(p.month, n);
                break;
            case 'd':
                out += *Cut(p.day, n);
                break;
            case 'H':
                out += *Cut(p.hour, n);
                break;
            case 'h':
                out += *Cut(p.hour % 12 == 0 ? 12 : p.hour % 12, n);
                break;
            case 'm':
                out += *Cut(p.minute, n);
                break;
            case 's':
                out += *Cut(p.second, n);
                break;
            case 'f':
            case 'F': {
                std::string digits = *Cut(p.ticks, 7);
                digits.resize(std::min<size_t>(n, 7));
                if (ch == 'F')
                    while (!digits.empty() && digits.back() == '0') digits.pop_back();
                out += digits;
                break;
            }
            case 't':
                out += p.hour < 12 ? (n == 1 ? "A" : "AM") : (n == 1 ? "P" : "PM");
                break;
            case 'z':
                out += n < 3 ? "+00" : "+00:00";
                break;
            case 'K':
                out += "Z";
                break;
        }
    }
    return out;
}

std::optional<int64_t> ParseTimespanTicks(std::string_view s) {
    bool negative = !s.empty() && s[0] == '-';
    if (negative) s.remove_prefix(1);
    size_t i = 0;
    int64_t days = 0, h = 0, m = 0, sec = 0, ticks = 0;
    const size_t dot = s.find('.'), colon = s.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (dot != std::string_view::npos && dot < colon) {
        if (!ReadDigits(s, i, 1, 8, days) || s[i++] != '.') return std::nullopt;
    }
    if (!ReadDigits(s, i, 1, 2, h) || i >= s.size() || s[i++] != ':' || !ReadDigits(s, i, 2, 2, m))
        return std::nullopt;
    if (i < s.size() && s[i] == ':') {
        ++i;
        if (!ReadDigits(s, i, 2, 2, sec)) return std::nullopt;
        if (i < s.size() && s[i] == '.') {
            const size_t start = ++i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
            if (i == start) return std::nullopt;
            ticks = FractionTicks(s.substr(start, i - start));
        }
    }
    if (i != s.size() || h > 23 || m > 59 || sec > 59) return std::nullopt;
    const int64_t total = ((days * 24 + h) * 60 + m) * 60 * kTicksPerSecond + sec * kTicksPerSecond + ticks;
    return negative ? -total : total;
}

std::optional<int64_t> ParseTimespanWithFormat(std::string_view s, std::string_view f) {
    size_t i = 0, k = 0;
    int64_t days = 0, h = 0, m = 0, sec = 0, ticks = 0;
    bool negative = false;
    if (!s.empty() && s[0] == '-') {
        negative = true;
        i = 1;
    }
    while (k < f.size()) {
        const char c = f[k];
        if (c != 'd' && c != 'h' && c != 'm' && c != 's' && c != 'f' && c != 'F') {
            std::string lit;
            if (!ReadLiteral(f, k, lit)) return std::nullopt;
            if (s.substr(i, lit.size()) != lit) return std::nullopt;
            i += lit.size();
            continue;
        }
        const size_t n = RunLength(f, k);
        k += n;
        switch (c) {
            case 'd':
                if (!ReadDigits(s, i, n, 8, days)) return std::nullopt;
                break;
            case 'h':
                if (!ReadDigits(s, i, n, 2, h)) return std::nullopt;
                break;
            case 'm':
                if (!ReadDigits(s, i, n, 2, m)) return std::nullopt;
                break;
            case 's':
                if (!ReadDigits(s, i, n, 2, sec)) return std::nullopt;
                break;
            default: {
                const size_t start = i;
                while (i < s.size() && i - start < n && s[i] >= '0' && s[i] <= '9') ++i;
                if (c == 'f' && i - start != n) return std::nullopt;
                ticks = FractionTicks(s.substr(start, i - start));
            }
        }
    }
    if (i != s.size() || h > 23 || m > 59 || sec > 59) return std::nullopt;
    const int64_t total = ((days * 24 + h) * 60 + m) * 60 * kTicksPerSecond + sec * kTicksPerSecond + ticks;
    return negative ? -total : total;
}

std::string TimespanText(int64_t ticks) {
    std::string out = ticks < 0 ? "-" : "";
    uint64_t t = static_cast<uint64_t>(ticks < 0 ? -ticks : ticks);
    const uint64_t frac = t % kTicksPerSecond, secs = t / kTicksPerSecond;
    char buf[64];
    if (secs >= 86400) out += std::to_string(secs / 86400) + ".";
    std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(secs / 3600 % 24),
                  static_cast<unsigned long long>(secs / 60 % 60),
                  static_cast<unsigned long long>(secs % 60));
    out += buf;
    if (frac) {
        std::snprintf(buf, sizeof buf, ".%07llu", static_cast<unsigned long long>(frac));
        out += buf;
    }
    return out;
}

}  // namespace adxflow::engine
