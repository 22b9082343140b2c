#include "core/json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace adxflow {

Result<Json> ParseJson(std::string_view text, std::string_view what) {
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        // nlohmann reports a byte offset; users want line and column.
        size_t offset = e.byte == 0 ? 0 : std::min<size_t>(e.byte - 1, text.size());
        size_t line = 1, column = 1;
        for (size_t i = 0; i < offset; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string detail = e.what();
        // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: " prefix.
        if (auto pos = detail.find("syntax error"); pos != std::string::npos) detail = detail.substr(pos);
        return MakeError(ErrorKind::kInvalidInput, "json.parse",
                         std::string(what) + " is not valid JSON at line " + std::to_string(line) +
                             ", column " + std::to_string(column) + ": " + detail,
                         "BadRequest");
    }
}

bool IEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string ToLower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

const Json* FindMember(const Json& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    if (auto it = object.find(std::string(key)); it != object.end()) return &*it;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (IEquals(it.key(), key)) return &*it;
    return nullptr;
}

Json* FindMember(Json& object, std::string_view key) {
    return const_cast<Json*>(FindMember(static_cast<const Json&>(object), key));
}

std::string JoinPath(std::string_view base, std::string_view member) {
    if (base.empty()) return std::string(member);
    std::string out(base);
    out += '.';
    out += member;
    return out;
}

std::string JoinIndex(std::string_view base, size_t index) {
    return std::string(base) + "[" + std::to_string(index) + "]";
}

std::optional<bool> AsBool(const Json& v) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string()) {
        auto s = v.get_ref<const std::string&>();
        if (IEquals(s, "true")) return true;
        if (IEquals(s, "false")) return false;
    }
    return std::nullopt;
}

std::optional<long long> AsInt(const Json& v) {
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_number_float()) {
        double d = v.get<double>();
        // Outside long long's range (or NaN) the cast is undefined: not an integer (found by fuzz_expr).
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
        if (d == static_cast<double>(static_cast<long long>(d))) return static_cast<long long>(d);
        return std::nullopt;
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        long long out = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
    }
    return std::nullopt;
}

std::optional<double> AsNumber(const Json& v) {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        double out = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
    }
    return std::nullopt;
}

std::optional<std::string> AsString(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    return std::nullopt;
}

}  // namespace adxflow
