#include "core/rows.hpp"

#include <charconv>
#include <cmath>

#include "core/json.hpp"

namespace adxflow {

const char* ToString(ColumnType type) {
    switch (type) {
        case ColumnType::kString: return "string";
        case ColumnType::kBool: return "bool";
        case ColumnType::kInt: return "int";
        case ColumnType::kLong: return "long";
        case ColumnType::kReal: return "real";
        case ColumnType::kDecimal: return "decimal";
        case ColumnType::kDateTime: return "datetime";
        case ColumnType::kTimeSpan: return "timespan";
        case ColumnType::kGuid: return "guid";
        case ColumnType::kDynamic: return "dynamic";
    }
    return "string";
}

std::optional<ColumnType> ParseColumnType(std::string_view raw) {
    std::string n = ToLower(raw);
    if (n.rfind("system.", 0) == 0) n = n.substr(7);
    if (n == "string" || n == "char") return ColumnType::kString;
    if (n == "bool" || n == "boolean") return ColumnType::kBool;
    if (n == "int" || n == "int32" || n == "int16" || n == "byte" || n == "sbyte" || n == "uint16")
        return ColumnType::kInt;
    if (n == "long" || n == "int64" || n == "uint32" || n == "uint64") return ColumnType::kLong;
    if (n == "real" || n == "double" || n == "single" || n == "float") return ColumnType::kReal;
    if (n == "decimal") return ColumnType::kDecimal;
    if (n == "datetime" || n == "date" || n == "datetimeoffset") return ColumnType::kDateTime;
    if (n == "timespan" || n == "time") return ColumnType::kTimeSpan;
    if (n == "guid" || n == "uniqueid") return ColumnType::kGuid;
    if (n == "dynamic" || n == "object") return ColumnType::kDynamic;
    return std::nullopt;
}

std::string ValueToText(const Value& v) {
    switch (v.index()) {
        case 0: return {};
        case 1: return std::get<bool>(v) ? "True" : "False";
        case 2: return std::to_string(std::get<int64_t>(v));
        case 3: {
            double d = std::get<double>(v);
            if (std::isnan(d)) return "NaN";
            if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
            char buf[32];
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
            return std::string(buf, p);
        }
        default: return std::get<std::string>(v);
    }
}

}  // namespace adxflow
