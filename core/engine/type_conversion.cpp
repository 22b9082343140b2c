#include "core/engine/type_conversion.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/engine/copy_activity.hpp"  // ValueToJson
#include "core/engine/datetime_text.hpp"

namespace adxflow::engine {

namespace {

Error ConversionError(std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "copy.type_conversion", std::move(message),
                     "TypeConversionFailure");
}

std::string Quote(const Value& v) {
    std::string text = ValueToText(v);
    if (text.size() > 64) text = text.substr(0, 61) + "...";
    return "'" + text + "'";
}

Error Incompatible(const Value& v, ColumnType from, ColumnType to, const std::string& why = {}) {
    return ConversionError("cannot convert " + Quote(v) + " from " + ToString(from) + " to " + ToString(to) +
                           (why.empty() ? std::string() : ": " + why));
}

std::string_view TrimView(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Decimal text: [+-]digits[.digits][e[+-]digits]; false when it is not a number.
bool IsDecimalText(std::string_view s) {
    size_t i = 0, digits = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        const size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start) return false;
    }
    return i == s.size();
}

// A number cell as a double (for range checks and truncation); nullopt when it is not one.
std::optional<double> AsNumber(const Value& v, ColumnType from) {
    if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<std::string>(v)) {
        std::string_view s = TrimView(std::get<std::string>(v));
        if (from != ColumnType::kString && from != ColumnType::kDecimal) return std::nullopt;
        if (!IsDecimalText(s) &&
            !(from == ColumnType::kString && (s == "NaN" || s == "Infinity" || s == "-Infinity")))
            return std::nullopt;
        return std::strtod(std::string(s).c_str(), nullptr);
    }
    return std::nullopt;
}

bool IsNumeric(ColumnType t) {
    return t == ColumnType::kInt || t == ColumnType::kLong || t == ColumnType::kReal ||
           t == ColumnType::kDecimal;
}

Status ToInteger(Value& cell, ColumnType from, ColumnType to, const TypeConversionSettings& s) {
    const int64_t lo = to == ColumnType::kInt ? INT32_MIN : INT64_MIN;
    const int64_t hi = to == ColumnType::kInt ? INT32_MAX : INT64_MAX;
    if (std::holds_alternative<int64_t>(cell)) {
        const int64_t v = std::get<int64_t>(cell);
        if (v < lo || v > hi) return Incompatible(cell, from, to, "out of range");
        return Ok();
    }
    if (std::holds_alternative<std::string>(cell)) {  // exact integers parse without going through double
        std::string_view t = TrimView(std::get<std::string>(cell));
        if (!t.empty() && t[0] == '+') t.remove_prefix(1);
        int64_t v = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc() && p == t.data() + t.size()) {
            if (v < lo || v > hi) return Incompatible(cell, from, to, "out of range");
            cell = v;
            return Ok();
        }
    }
    auto d = AsNumber(cell, from);
    if (!d || !std::isfinite(*d)) return Incompatible(cell, from, to);
    const double whole = std::trunc(*d);
    if (whole != *d && !s.allow_data_truncation)
        return Incompatible(cell, from, to, "the fraction would be lost (allowDataTruncation is false)");
    if (whole < static_cast<double>(lo) || whole > static_cast<double>(hi))
        return Incompatible(cell, from, to, "out of range");
    cell = static_cast<int64_t>(whole);
    return Ok();
}

}  // namespace

Result<TypeConversionSettings> ParseTypeConversionSettings(const Json& j, const std::string& path) {
    TypeConversionSettings s;
    if (j.is_null()) return s;
    if (!j.is_object())
        return MakeError(ErrorKind::kInvalidInput, "copy.mapping", path + " must be an object",
                         "InvalidMapping", path);
    auto flag = [&](const char* name, bool& out) -> Status {
        const Json* v = FindMember(j, name);
        if (!v || v->is_null()) return Ok();
        auto b = AsBool(*v);
        if (!b)
            return MakeError(ErrorKind::kInvalidInput, "copy.mapping",
                             path + "." + name + " must be a boolean", "InvalidMapping", path + "." + name);
        out = *b;
        return Ok();
    };
    auto text = [&](const char* name, std::string& out) -> Status {
        const Json* v = FindMember(j, name);
        if (!v || v->is_null()) return Ok();
        if (!v->is_string())
            return MakeError(ErrorKind::kInvalidInput, "copy.mapping",
                             path + "." + name + " must be a string", "InvalidMapping", path + "." + name);
        out = v->get<std::string>();
        return Ok();
    };
    ADXFLOW_TRY(flag("allowDataTruncation", s.allow_data_truncation));
    ADXFLOW_TRY(flag("treatBooleanAsNumber", s.treat_boolean_as_number));
    ADXFLOW_TRY(text("dateTimeFormat", s.datetime_format));
    ADXFLOW_TRY(text("dateTimeOffsetFormat", s.datetime_offset_format));
    ADXFLOW_TRY(text("timeSpanFormat", s.timespan_format));
    std::string culture;
    ADXFLOW_TRY(text("culture", culture));
    if (!culture.empty() && !IEquals(culture, "invariant") && !IEquals(culture, "en-us") && culture != "''")
        return MakeError(
            ErrorKind::kUnsupported, "copy.mapping",
            path + ".culture: only the invariant culture (or en-us) is supported, not '" + culture + "'",
            "InvalidMapping", path + ".culture");
    return s;
}

Status ConvertCell(Value& cell, ColumnType from, ColumnType to, const TypeConversionSettings& s) {
    if (IsNull(cell) || from == to) return Ok();
    const bool is_bool = std::holds_alternative<bool>(cell);
    switch (to) {
        case ColumnType::kString: {
            if (from == ColumnType::kDateTime && !s.datetime_format.empty()) {
                auto text = FormatDateTimeWithFormat(ValueToText(cell), s.datetime_format);
                if (!text) return Incompatible(cell, from, to, "not a datetime");
                cell = std::move(*text);
                return Ok();
            }
            cell = ValueToText(cell);
            return Ok();
        }
        case ColumnType::kBool: {
            if (from == ColumnType::kString && std::holds_alternative<std::string>(cell)) {
                std::string_view t = TrimView(std::get<std::string>(cell));
                if (IEquals(t, "true"))
                    cell = true;
                else if (IEquals(t, "false"))
                    cell = false;
                else
                    return Incompatible(cell, from, to);
                return Ok();
            }
            if (!IsNumeric(from) || !s.treat_boolean_as_number)
                return Incompatible(cell, from, to, IsNumeric(from) ? "treatBooleanAsNumber is false" : "");
            auto d = AsNumber(cell, from);
            if (!d) return Incompatible(cell, from, to);
            cell = *d != 0;
            return Ok();
        }
        case ColumnType::kInt:
        case ColumnType::kLong:
        case ColumnType::kReal:
        case ColumnType::kDecimal: {
            if (is_bool) {
                if (!s.treat_boolean_as_number)
                    return Incompatible(cell, from, to, "treatBooleanAsNumber is false");
                const bool b = std::get<bool>(cell);
                if (to == ColumnType::kReal)
                    cell = b ? 1.0 : 0.0;
                else if (to == ColumnType::kDecimal)
                    cell = std::string(b ? "1" : "0");
                else
                    cell = int64_t{b ? 1 : 0};
                return Ok();
            }
            if (!IsNumeric(from) && from != ColumnType::kString) return Incompatible(cell, from, to);
            if (to == ColumnType::kInt || to == ColumnType::kLong) return ToInteger(cell, from, to, s);
            if (to == ColumnType::kReal) {
                auto d = AsNumber(cell, from);
                if (!d) return Incompatible(cell, from, to);
                cell = *d;
                return Ok();
            }
            // decimal: exact text
            if (std::holds_alternative<int64_t>(cell)) {
                cell = std::to_string(std::get<int64_t>(cell));
                return Ok();
            }
            if (std::holds_alternative<double>(cell)) {
                if (!std::isfinite(std::get<double>(cell)))
                    return Incompatible(cell, from, to, "not a finite number");
                cell = ValueToText(cell);
                return Ok();
            }
            const std::string t(TrimView(std::get<std::string>(cell)));
            if (!IsDecimalText(t)) return Incompatible(cell, from, to);
            cell = t;
            return Ok();
        }
        case ColumnType::kDateTime: {
            if (from != ColumnType::kString || !std::holds_alternative<std::string>(cell))
                return Incompatible(cell, from, to);
            const std::string_view t = TrimView(std::get<std::string>(cell));
            std::optional<std::string> parsed;
            if (!s.datetime_format.empty()) parsed = ParseDateTimeWithFormat(t, s.datetime_format);
            if (!parsed && !s.datetime_offset_format.empty())
                parsed = ParseDateTimeWithFormat(t, s.datetime_offset_format);
            if (!parsed && s.datetime_format.empty() && s.datetime_offset_format.empty())
                parsed = ParseIsoDateTime(t);
            if (!parsed)
                return Incompatible(cell, from, to,
                                    s.datetime_format.empty()
                                        ? "not an ISO 8601 date/time"
                                        : "does not match dateTimeFormat '" + s.datetime_format + "'");
            cell = std::move(*parsed);
            return Ok();
        }
        case ColumnType::kTimeSpan: {
            if (from != ColumnType::kString || !std::holds_alternative<std::string>(cell))
                return Incompatible(cell, from, to);
            const std::string_view t = TrimView(std::get<std::string>(cell));
            auto ticks = s.timespan_format.empty() ? ParseTimespanTicks(t)
                                                   : ParseTimespanWithFormat(t, s.timespan_format);
            if (!ticks)
                return Incompatible(cell, from, to,
                                    s.timespan_format.empty()
                                        ? "not [-][d.]hh:mm:ss[.fffffff]"
                                        : "does not match timeSpanFormat '" + s.timespan_format + "'");
            cell = TimespanText(*ticks);
            return Ok();
        }
        case ColumnType::kGuid: {
            if (from != ColumnType::kString || !std::holds_alternative<std::string>(cell))
                return Incompatible(cell, from, to);
            std::string_view t = TrimView(std::get<std::string>(cell));
            if (t.size() == 38 && t.front() == '{' && t.back() == '}') t = t.substr(1, 36);
            bool ok = t.size() == 36;
            std::string out;
            for (size_t i = 0; ok && i < t.size(); ++i) {
                const char c = t[i];
                const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                ok = dash ? c == '-' : std::isxdigit(static_cast<unsigned char>(c)) != 0;
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            if (!ok) return Incompatible(cell, from, to);
            cell = std::move(out);
            return Ok();
        }
        case ColumnType::kDynamic: {
            if (from != ColumnType::kString) {
                cell = ValueToJson(cell, from).dump();
                return Ok();
            }
            const std::string& t = std::get<std::string>(cell);
            Json parsed = Json::parse(t, nullptr, false);
            cell = parsed.is_discarded() ? Json(t).dump() : parsed.dump();
            return Ok();
        }
    }
    return Incompatible(cell, from, to);
}

}  // namespace adxflow::engine
