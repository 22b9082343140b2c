// Conversion functions: types (int, float, bool, string, json, array), base64, data URIs and URI
// components. Binary values use the {"$content-type", "$content"} envelope ADF shows for binary data.

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/expr/functions.hpp"

namespace adxflow::expr {

namespace {
constexpr const char* kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string EncodeBase64(std::string_view bytes) {
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                     static_cast<unsigned char>(bytes[i + 1]) << 8 | static_cast<unsigned char>(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(v >> shift) & 63];
    }
    if (size_t rest = bytes.size() - i; rest > 0) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += kBase64Alphabet[(v >> 18) & 63];
        out += kBase64Alphabet[(v >> 12) & 63];
        out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    size_t padding = 0;
    for (char c : text) {
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding) return std::nullopt;  // data after padding
        const char* at = std::strchr(kBase64Alphabet, c);
        if (!at || c == '\0') return std::nullopt;
        buffer = buffer << 6 | static_cast<unsigned>(at - kBase64Alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    if (padding > 2 || (text.size() % 4 != 0)) return std::nullopt;
    return out;
}

namespace {

Json BinaryValue(std::string_view bytes) {
    return Json{{"$content-type", "application/octet-stream"}, {"$content", EncodeBase64(bytes)}};
}

// RFC 3986 unreserved characters stay; everything else is %XX (like .NET Uri.EscapeDataString).
std::string EncodeUriComponent(std::string_view text) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::optional<std::string> DecodeUriComponent(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        unsigned value = 0;
        auto [p, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
        if (ec != std::errc() || p != text.data() + i + 3) return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

Result<std::string> StringArgOrBinary(std::span<const Json> args, size_t i, const CallEnv& env) {
    if (args[i].is_object() && args[i].contains("$content") && args[i]["$content"].is_string()) {
        if (auto bytes = DecodeBase64(args[i]["$content"].get<std::string>())) return *bytes;
    }
    return StringArg(args, i, env);
}

Result<Json> Int(std::span<const Json> args, const CallEnv& env) {
    const Json& v = args[0];
    if (v.is_number_integer() || v.is_number_unsigned()) return v;
    // Convert.ToInt64 rounds half to even; nearbyint does the same under the default rounding mode.
    if (v.is_number_float() && std::isfinite(v.get<double>()) && std::fabs(v.get<double>()) < 9.2e18)
        return Json(static_cast<long long>(std::nearbyint(v.get<double>())));
    if (v.is_string()) {
        std::string_view s = v.get_ref<const std::string&>();
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);
        long long out = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return Json(out);
    }
    return FunctionError(env, "cannot convert " + TypeName(v) + " " + Show(v) + " to an integer");
}

Result<Json> Float(std::span<const Json> args, const CallEnv& env) {
    const Json& v = args[0];
    if (v.is_number()) return Json(v.get<double>());
    if (v.is_string()) {
        std::string_view s = v.get_ref<const std::string&>();
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);
        double out = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return Json(out);
    }
    return FunctionError(env, "cannot convert " + TypeName(v) + " " + Show(v) + " to a float");
}

Result<Json> Bool(std::span<const Json> args, const CallEnv& env) {
    const Json& v = args[0];
    if (v.is_boolean()) return v;
    if (v.is_number()) return Json(v.get<double>() != 0);
    if (auto b = AsBool(v)) return Json(*b);
    return FunctionError(env, "cannot convert " + TypeName(v) + " " + Show(v) + " to a boolean");
}

Result<Json> String(std::span<const Json> args, const CallEnv&) {
    return Json(ToText(args[0]));
}

Result<Json> JsonFn(std::span<const Json> args, const CallEnv& env) {
    if (!args[0].is_string()) return args[0];
    const auto& text = args[0].get_ref<const std::string&>();
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return FunctionError(env, "cannot parse " + Show(args[0]) + " as JSON");
    return parsed;
}

Result<Json> Array(std::span<const Json> args, const CallEnv&) {
    return Json::array({args[0]});
}

Result<Json> Base64(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArgOrBinary(args, 0, env));
    return Json(EncodeBase64(text));
}

Result<std::string> Base64Bytes(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    auto bytes = DecodeBase64(text);
    if (!bytes) return FunctionError(env, "cannot decode " + Show(args[0]) + ": it is not valid base64");
    return *bytes;
}

Result<Json> Base64ToString(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string bytes, Base64Bytes(args, env));
    return Json(std::move(bytes));
}

Result<Json> Base64ToBinary(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string bytes, Base64Bytes(args, env));
    return BinaryValue(bytes);
}

Result<Json> Binary(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    return BinaryValue(text);
}

Result<Json> DataUri(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArgOrBinary(args, 0, env));
    return Json("data:text/plain;charset=utf-8;base64," + EncodeBase64(text));
}

// "data:[<media type>][;base64],<data>"
Result<std::string> DataUriBytes(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string uri, StringArg(args, 0, env));
    size_t comma = uri.find(',');
    if (uri.rfind("data:", 0) != 0 || comma == std::string::npos)
        return FunctionError(env, "expects a data URI ('data:...,...'), got " + Show(args[0]));
    std::string_view header = std::string_view(uri).substr(0, comma);
    std::string_view data = std::string_view(uri).substr(comma + 1);
    std::optional<std::string> bytes = header.size() >= 7 && header.substr(header.size() - 7) == ";base64"
                                           ? DecodeBase64(data)
                                           : DecodeUriComponent(data);
    if (!bytes) return FunctionError(env, "cannot decode the data of " + Show(args[0]));
    return *bytes;
}

Result<Json> DataUriToString(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string bytes, DataUriBytes(args, env));
    return Json(std::move(bytes));
}

Result<Json> DataUriToBinary(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string bytes, DataUriBytes(args, env));
    return BinaryValue(bytes);
}

Result<Json> UriComponent(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    return Json(EncodeUriComponent(text));
}

Result<std::string> UriComponentBytes(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    auto bytes = DecodeUriComponent(text);
    if (!bytes)
        return FunctionError(env,
                             "cannot decode " + Show(args[0]) + ": a '%' is not followed by two hex digits");
    return *bytes;
}

Result<Json> UriComponentToString(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string bytes, UriComponentBytes(args, env));
    return Json(std::move(bytes));
}

Result<Json> UriComponentToBinary(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string bytes, UriComponentBytes(args, env));
    return BinaryValue(bytes);
}

constexpr FunctionSpec kFunctions[] = {
    {"int", 1, 1, Int},
    {"float", 1, 1, Float},
    {"bool", 1, 1, Bool},
    {"string", 1, 1, String},
    {"json", 1, 1, JsonFn},
    {"array", 1, 1, Array},
    {"base64", 1, 1, Base64},
    {"base64ToString", 1, 1, Base64ToString},
    {"decodeBase64", 1, 1, Base64ToString},
    {"base64ToBinary", 1, 1, Base64ToBinary},
    {"binary", 1, 1, Binary},
    {"dataUri", 1, 1, DataUri},
    {"dataUriToString", 1, 1, DataUriToString},
    {"dataUriToBinary", 1, 1, DataUriToBinary},
    {"decodeDataUri", 1, 1, DataUriToBinary},
    {"encodeUriComponent", 1, 1, UriComponent},
    {"uriComponent", 1, 1, UriComponent},
    {"decodeUriComponent", 1, 1, UriComponentToString},
    {"uriComponentToString", 1, 1, UriComponentToString},
    {"uriComponentToBinary", 1, 1, UriComponentToBinary},
};

}  // namespace

std::span<const FunctionSpec> ConversionFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
