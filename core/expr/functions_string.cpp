// String functions. ADF's startsWith/endsWith/indexOf/lastIndexOf ignore case; replace and contains do not.

#include <algorithm>
#include <cctype>
#include <random>

#include "core/expr/functions.hpp"

namespace adxflow::expr {
namespace {

std::string Upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

Result<Json> Concat(std::span<const Json> args, const CallEnv&) {
    std::string out;
    for (const Json& arg : args) out += ToText(arg);
    return Json(std::move(out));
}

Result<Json> StartsWith(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string prefix, StringArg(args, 1, env));
    return Json(prefix.size() <= text.size() &&
                IEquals(std::string_view(text).substr(0, prefix.size()), prefix));
}

Result<Json> EndsWith(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string suffix, StringArg(args, 1, env));
    return Json(suffix.size() <= text.size() &&
                IEquals(std::string_view(text).substr(text.size() - suffix.size()), suffix));
}

Result<Json> IndexOf(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string search, StringArg(args, 1, env));
    size_t at = ToLower(text).find(ToLower(search));
    return Json(at == std::string::npos ? -1LL : static_cast<long long>(at));
}

Result<Json> LastIndexOf(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string search, StringArg(args, 1, env));
    size_t at = ToLower(text).rfind(ToLower(search));
    return Json(at == std::string::npos ? -1LL : static_cast<long long>(at));
}

Result<Json> Replace(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string old_text, StringArg(args, 1, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string new_text, StringArg(args, 2, env));
    if (old_text.empty()) return FunctionError(env, "cannot replace an empty string");
    std::string out;
    size_t from = 0;
    for (size_t at; (at = text.find(old_text, from)) != std::string::npos; from = at + old_text.size())
        out.append(text, from, at - from).append(new_text);
    out.append(text, from);
    return Json(std::move(out));
}

Result<Json> Split(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string delimiter, StringArg(args, 1, env));
    Json out = Json::array();
    if (delimiter.empty()) {
        out.push_back(text);
        return out;
    }
    size_t from = 0;
    for (size_t at; (at = text.find(delimiter, from)) != std::string::npos; from = at + delimiter.size())
        out.push_back(text.substr(from, at - from));
    out.push_back(text.substr(from));
    return out;
}

Result<Json> Substring(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(long long start, IntArg(args, 1, env));
    long long size = static_cast<long long>(text.size());
    long long length = size - start;
    if (args.size() > 2) {
        ADXFLOW_ASSIGN_OR_RETURN(length, IntArg(args, 2, env));
    }
    if (start < 0 || start > size)
        return FunctionError(env, "start index " + std::to_string(start) + " is outside the string (length " +
                                      std::to_string(size) + ")");
    if (length < 0 || start + length > size)
        return FunctionError(env, "start index " + std::to_string(start) + " plus length " +
                                      std::to_string(length) + " exceeds the string length " +
                                      std::to_string(size));
    return Json(text.substr(static_cast<size_t>(start), static_cast<size_t>(length)));
}

Result<Json> ToLowerFn(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    return Json(ToLower(text));
}

Result<Json> ToUpperFn(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    return Json(Upper(std::move(text)));
}

Result<Json> Trim(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, StringArg(args, 0, env));
    auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    size_t begin = 0, end = text.size();
    while (begin < end && blank(text[begin])) ++begin;
    while (end > begin && blank(text[end - 1])) --end;
    return Json(text.substr(begin, end - begin));
}

// A random (version 4) GUID in .NET's formats: N (32 digits), D (hyphens, default), B {..}, P (..), X.
Result<Json> Guid(std::span<const Json> args, const CallEnv& env) {
    std::string format = "D";
    if (!args.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(format, StringArg(args, 0, env));
    }
    thread_local std::mt19937_64 rng{std::random_device{}()};
    unsigned char bytes[16];
    for (int i = 0; i < 16; i += 8) {
        auto r = rng();
        for (int j = 0; j < 8; ++j) bytes[i + j] = static_cast<unsigned char>(r >> (8 * j));
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : bytes) {
        hex += kHex[b >> 4];
        hex += kHex[b & 15];
    }
    std::string dashed = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                         hex.substr(16, 4) + "-" + hex.substr(20);
    if (format == "N" || format == "n") return Json(hex);
    if (format == "D" || format == "d" || format.empty()) return Json(dashed);
    if (format == "B" || format == "b") return Json("{" + dashed + "}");
    if (format == "P" || format == "p") return Json("(" + dashed + ")");
    if (format == "X" || format == "x") {
        auto part = [&](size_t at, size_t n) { return "0x" + hex.substr(at, n); };
        std::string out = "{" + part(0, 8) + "," + part(8, 4) + "," + part(12, 4) + ",{";
        for (size_t i = 16; i < 32; i += 2) out += part(i, 2) + (i < 30 ? "," : "");
        return Json(out + "}}");
    }
    return FunctionError(env, "does not know the format " + Show(args[0]) + " (use N, D, B, P or X)");
}

constexpr FunctionSpec kFunctions[] = {
    {"concat", 2, kUnbounded, Concat},
    {"startsWith", 2, 2, StartsWith},
    {"endsWith", 2, 2, EndsWith},
    {"indexOf", 2, 2, IndexOf},
    {"lastIndexOf", 2, 2, LastIndexOf},
    {"replace", 3, 3, Replace},
    {"split", 2, 2, Split},
    {"substring", 2, 3, Substring},
    {"toLower", 1, 1, ToLowerFn},
    {"toUpper", 1, 1, ToUpperFn},
    {"trim", 1, 1, Trim},
    {"guid", 0, 1, Guid},
};

}  // namespace

std::span<const FunctionSpec> StringFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
