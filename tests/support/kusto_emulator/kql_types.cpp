#include "tests/support/kusto_emulator/kql_types.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/json.hpp"

namespace adxflow::kusto_emulator::kql {

Error SyntaxError(const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "kql.parse", "Syntax error: " + message, "SyntaxError");
}
Error SemanticError(const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "kql.parse", "Semantic error: " + message, "SemanticError");
}

namespace {

bool IsLeap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
int MonthLength(int64_t y, int m) {
    static const int kLength[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return kLength[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
}

// Days since 1970-01-01 of a proleptic Gregorian date (year >= 1): whole years, their leap days, then the
// months of the year.
int64_t DaysFromDate(int64_t y, int m, int d) {
    static const int kBeforeMonth[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    const int64_t p = y - 1;
    int64_t days = p * 365 + p / 4 - p / 100 + p / 400;  // days of the years before y, since 0001-01-01
    days += kBeforeMonth[m - 1] + (m > 2 && IsLeap(y) ? 1 : 0) + (d - 1);
    return days - kTicksFromYear1To1970 / kTicksPerDay;
}

// The inverse: peel off 400-, 100-, 4- and 1-year cycles from the days since 0001-01-01.
void DateFromDays(int64_t days_since_1970, int64_t& y, int& m, int& d) {
    int64_t n = days_since_1970 + kTicksFromYear1To1970 / kTicksPerDay;
    const int64_t q400 = n / 146097;
    n %= 146097;
    const int64_t q100 = std::min<int64_t>(n / 36524, 3);
    n -= q100 * 36524;
    const int64_t q4 = n / 1461;
    n %= 1461;
    const int64_t q1 = std::min<int64_t>(n / 365, 3);
    n -= q1 * 365;
    y = 1 + q400 * 400 + q100 * 100 + q4 * 4 + q1;
    m = 1;
    while (n >= MonthLength(y, m)) n -= MonthLength(y, m++);
    d = static_cast<int>(n) + 1;
}

// Reads exactly `width` digits at `p` (advancing it); false when they are not there.
bool Digits(std::string_view s, size_t& p, int width, int64_t& out) {
    if (p + static_cast<size_t>(width) > s.size()) return false;
    out = 0;
    for (int i = 0; i < width; ++i, ++p) {
        if (!std::isdigit(static_cast<unsigned char>(s[p]))) return false;
        out = out * 10 + (s[p] - '0');
    }
    return true;
}

// A run of 1+ digits.
bool Number(std::string_view s, size_t& p, int64_t& out) {
    const size_t start = p;
    out = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])) && p - start < 18)
        out = out * 10 + (s[p++] - '0');
    return p > start;
}

// ".1234567" -> ticks (digits beyond the 7th are dropped, as .NET does).
int64_t FractionTicks(std::string_view s, size_t& p) {
    int64_t ticks = 0;
    int digits = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
        if (digits < 7) {
            ticks = ticks * 10 + (s[p] - '0');
            ++digits;
        }
        ++p;
    }
    for (; digits < 7; ++digits) ticks *= 10;
    return ticks;
}

std::string_view TrimView(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

void AppendPadded(std::string& out, int64_t n, int width) {
    char buf[24];
    for (int k = width - 1; k >= 0; --k) {
        buf[k] = static_cast<char>('0' + n % 10);
        n /= 10;
    }
    out.append(buf, static_cast<size_t>(width));
}

std::string FormatReal(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

std::optional<int64_t> ParseLong(std::string_view s) {
    s = TrimView(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return v;
    return std::nullopt;
}

std::optional<double> ParseReal(std::string_view s) {
    s = TrimView(s);
    if (s.empty()) return std::nullopt;
    const std::string lower = Fold(s);
    if (lower == "nan") return std::nan("");
    if (lower == "inf" || lower == "+inf" || lower == "infinity") return HUGE_VAL;
    if (lower == "-inf" || lower == "-infinity") return -HUGE_VAL;
    std::string text(s);
    char* end = nullptr;
    double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return d;
}

}  // namespace

std::optional<int64_t> ParseDateTime(std::string_view text) {
    const std::string_view s = TrimView(text);
    size_t p = 0;
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (!Digits(s, p, 4, y) || p >= s.size() || (s[p] != '-' && s[p] != '/')) return std::nullopt;
    const char sep = s[p++];
    if (!Number(s, p, mo) || p >= s.size() || s[p++] != sep || !Number(s, p, d)) return std::nullopt;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > MonthLength(y, static_cast<int>(mo))) return std::nullopt;
    int64_t offset = 0;
    if (p < s.size()) {
        if (s[p] != 'T' && s[p] != ' ' && s[p] != 't') return std::nullopt;
        ++p;
        while (p < s.size() && s[p] == ' ') ++p;
        if (!Number(s, p, h) || p >= s.size() || s[p++] != ':' || !Number(s, p, mi)) return std::nullopt;
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!Number(s, p, sec)) return std::nullopt;
            if (p < s.size() && s[p] == '.') frac = FractionTicks(s, ++p);
        }
        if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
        if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
            ++p;
        } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
            const int sign = s[p++] == '-' ? -1 : 1;
            int64_t oh, om = 0;
            if (!Digits(s, p, 2, oh)) return std::nullopt;
            if (p < s.size() && s[p] == ':') ++p;
            if (p < s.size() && !Digits(s, p, 2, om)) return std::nullopt;
            offset = sign * (oh * kTicksPerHour + om * kTicksPerMinute);
        }
        if (p != s.size()) return std::nullopt;
    }
    return DaysFromDate(y, static_cast<int>(mo), static_cast<int>(d)) * kTicksPerDay + h * kTicksPerHour +
           mi * kTicksPerMinute + sec * kTicksPerSecond + frac - offset;
}

std::string FormatDateTime(int64_t ticks) {
    int64_t days = ticks / kTicksPerDay, rest = ticks % kTicksPerDay;
    if (rest < 0) {
        rest += kTicksPerDay;
        --days;
    }
    int64_t y;
    int m, d;
    DateFromDays(days, y, m, d);
    std::string out;
    out.reserve(28);
    AppendPadded(out, y, 4);
    out += '-';
    AppendPadded(out, m, 2);
    out += '-';
    AppendPadded(out, d, 2);
    out += 'T';
    AppendPadded(out, rest / kTicksPerHour, 2);
    out += ':';
    AppendPadded(out, rest / kTicksPerMinute % 60, 2);
    out += ':';
    AppendPadded(out, rest / kTicksPerSecond % 60, 2);
    if (int64_t frac = rest % kTicksPerSecond) {
        out += '.';
        AppendPadded(out, frac, 7);
        while (out.back() == '0') out.pop_back();
    }
    out += 'Z';
    return out;
}

std::optional<int64_t> TimeSpanUnit(std::string_view unit) {
    const std::string u = Fold(unit);
    if (u == "d" || u == "day" || u == "days") return kTicksPerDay;
    if (u == "h" || u == "hr" || u == "hrs" || u == "hour" || u == "hours") return kTicksPerHour;
    if (u == "m" || u == "min" || u == "minute" || u == "minutes") return kTicksPerMinute;
    if (u == "s" || u == "sec" || u == "second" || u == "seconds") return kTicksPerSecond;
    if (u == "ms" || u == "milli" || u == "millis" || u == "millisecond" || u == "milliseconds")
        return kTicksPerMillisecond;
    if (u == "microsecond" || u == "microseconds") return kTicksPerMicrosecond;
    if (u == "tick" || u == "ticks") return int64_t{1};
    return std::nullopt;
}

std::optional<int64_t> ParseTimeSpan(std::string_view text) {
    std::string_view s = TrimView(text);
    int sign = 1;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        sign = s.front() == '-' ? -1 : 1;
        s.remove_prefix(1);
    }
    if (s.empty()) return std::nullopt;
    if (s.find(':') == std::string_view::npos) {
        // "1.5h", "30m", or a bare number of days ("2", as time(2) means).
        size_t p = 0;
        while (p < s.size() && (std::isdigit(static_cast<unsigned char>(s[p])) || s[p] == '.')) ++p;
        if (p == 0) return std::nullopt;
        auto number = ParseReal(s.substr(0, p));
        auto unit = p == s.size() ? std::optional<int64_t>(kTicksPerDay) : TimeSpanUnit(s.substr(p));
        if (!number || !unit) return std::nullopt;
        return sign * static_cast<int64_t>(std::llround(*number * static_cast<double>(*unit)));
    }
    // [d.]hh:mm[:ss[.fffffff]]
    size_t p = 0;
    int64_t days = 0, h, mi, sec = 0, frac = 0;
    if (!Number(s, p, h)) return std::nullopt;
    if (p < s.size() && s[p] == '.') {
        days = h;
        ++p;
        if (!Number(s, p, h)) return std::nullopt;
    }
    if (p >= s.size() || s[p++] != ':' || !Number(s, p, mi)) return std::nullopt;
    if (p < s.size() && s[p] == ':') {
        ++p;
        if (!Number(s, p, sec)) return std::nullopt;
        if (p < s.size() && s[p] == '.') frac = FractionTicks(s, ++p);
    }
    if (p != s.size() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    return sign *
           (days * kTicksPerDay + h * kTicksPerHour + mi * kTicksPerMinute + sec * kTicksPerSecond + frac);
}

std::string FormatTimeSpan(int64_t ticks) {
    std::string out;
    uint64_t t = static_cast<uint64_t>(ticks);
    if (ticks < 0) {
        out += '-';
        t = 0 - t;
    }
    const uint64_t day = static_cast<uint64_t>(kTicksPerDay);
    if (t >= day) out += std::to_string(t / day) + '.';
    t %= day;
    AppendPadded(out, static_cast<int64_t>(t / kTicksPerHour), 2);
    out += ':';
    AppendPadded(out, static_cast<int64_t>(t / kTicksPerMinute % 60), 2);
    out += ':';
    AppendPadded(out, static_cast<int64_t>(t / kTicksPerSecond % 60), 2);
    if (uint64_t frac = t % kTicksPerSecond) {
        out += '.';
        AppendPadded(out, static_cast<int64_t>(frac), 7);
    }
    return out;
}

bool IsNumeric(ColumnType t) {
    return t == ColumnType::kInt || t == ColumnType::kLong || t == ColumnType::kReal ||
           t == ColumnType::kDecimal;
}
bool IsIntegral(ColumnType t) {
    return t == ColumnType::kInt || t == ColumnType::kLong;
}
bool IsTextual(ColumnType t) {
    return t == ColumnType::kString || t == ColumnType::kGuid || t == ColumnType::kDynamic;
}
const char* TypeName(ColumnType t) {
    return ToString(t);
}

Value FromCell(ColumnType type, const Value& cell) {
    if (IsNull(cell)) return type == ColumnType::kString ? Value{std::string()} : Value{};
    const std::string* text = std::get_if<std::string>(&cell);
    switch (type) {
        case ColumnType::kBool:
            if (auto* b = std::get_if<bool>(&cell)) return *b;
            if (auto* i = std::get_if<int64_t>(&cell)) return *i != 0;
            if (text) {
                const std::string lower = Fold(TrimView(*text));
                if (lower == "true" || lower == "1") return true;
                if (lower == "false" || lower == "0") return false;
            }
            return Value{};
        case ColumnType::kInt:
        case ColumnType::kLong:
            if (auto* i = std::get_if<int64_t>(&cell)) return *i;
            if (auto* d = std::get_if<double>(&cell))
                return std::isfinite(*d) ? Value{static_cast<int64_t>(*d)} : Value{};
            if (auto* b = std::get_if<bool>(&cell)) return int64_t{*b ? 1 : 0};
            if (text)
                if (auto v = ParseLong(*text)) return *v;
            return Value{};
        case ColumnType::kReal:
        case ColumnType::kDecimal:
            if (auto* d = std::get_if<double>(&cell)) return *d;
            if (auto* i = std::get_if<int64_t>(&cell)) return static_cast<double>(*i);
            if (text)
                if (auto v = ParseReal(*text)) return *v;
            return Value{};
        case ColumnType::kDateTime:
            if (auto* i = std::get_if<int64_t>(&cell)) return *i;
            if (text)
                if (auto v = ParseDateTime(*text)) return *v;
            return Value{};
        case ColumnType::kTimeSpan:
            if (auto* i = std::get_if<int64_t>(&cell)) return *i;
            if (text)
                if (auto v = ParseTimeSpan(*text)) return *v;
            return Value{};
        case ColumnType::kDynamic:
            if (text) return *text;
            if (auto* b = std::get_if<bool>(&cell)) return std::string(*b ? "true" : "false");
            if (auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
            return ToJsonText(ColumnType::kReal, cell);
        case ColumnType::kString:
        case ColumnType::kGuid:
            if (text) return *text;
            return ValueToText(cell);
    }
    return Value{};
}

Value ToCell(ColumnType type, Value v) {
    if (auto* i = std::get_if<int64_t>(&v)) {
        if (type == ColumnType::kDateTime) return FormatDateTime(*i);
        if (type == ColumnType::kTimeSpan) return FormatTimeSpan(*i);
    }
    if (type == ColumnType::kDecimal)
        if (auto* d = std::get_if<double>(&v)) return FormatReal(*d);
    return v;
}

std::string ToText(ColumnType type, const Value& v) {
    switch (v.index()) {
        case 0:
            return "";
        case 1:
            return std::get<bool>(v) ? "true" : "false";
        case 2: {
            const int64_t i = std::get<int64_t>(v);
            if (type == ColumnType::kDateTime) return FormatDateTime(i);
            if (type == ColumnType::kTimeSpan) return FormatTimeSpan(i);
            return std::to_string(i);
        }
        case 3:
            return FormatReal(std::get<double>(v));
        default: {
            const std::string& s = std::get<std::string>(v);
            if (type == ColumnType::kDynamic) {
                // A JSON string unwraps to its content; anything else is its JSON text.
                auto j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
                if (j.is_string()) return j.get<std::string>();
            }
            return s;
        }
    }
}

Value FromJsonText(ColumnType type, const std::string& json) {
    if (type == ColumnType::kDynamic) return json;
    auto j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || j.is_null()) return FromCell(type, Value{});
    if (j.is_string()) return FromCell(type, Value{j.get<std::string>()});
    if (j.is_boolean()) return FromCell(type, Value{j.get<bool>()});
    if (j.is_number_integer()) {
        if (type == ColumnType::kDateTime || type == ColumnType::kTimeSpan) return Value{};
        return FromCell(type, Value{j.get<int64_t>()});
    }
    if (j.is_number()) {
        if (!IsNumeric(type) && !IsTextual(type)) return Value{};
        return FromCell(type, Value{j.get<double>()});
    }
    // Arrays and objects convert only to text.
    return IsTextual(type) ? Value{j.dump()} : Value{};
}

std::string ToJsonText(ColumnType type, const Value& v) {
    switch (v.index()) {
        case 0:
            return "null";
        case 1:
            return std::get<bool>(v) ? "true" : "false";
        case 2:
            if (type == ColumnType::kDateTime || type == ColumnType::kTimeSpan)
                return Json(ToText(type, v)).dump();
            return std::to_string(std::get<int64_t>(v));
        case 3: {
            const double d = std::get<double>(v);
            return std::isfinite(d) ? FormatReal(d) : Json(FormatReal(d)).dump();
        }
        default:
            if (type == ColumnType::kDynamic) return std::get<std::string>(v);
            return Json(std::get<std::string>(v)).dump();
    }
}

int CompareNonNull(const Value& a, const Value& b) {
    if (a.index() == b.index()) {
        if (a < b) return -1;
        if (b < a) return 1;
        return 0;
    }
    auto number = [](const Value& v) -> std::optional<double> {
        if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
        if (auto* d = std::get_if<double>(&v)) return *d;
        return std::nullopt;
    };
    auto x = number(a), y = number(b);
    if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
    return a.index() < b.index() ? -1 : 1;
}

bool IsGuidText(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

std::string Fold(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace adxflow::kusto_emulator::kql
