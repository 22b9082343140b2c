#include "connectors/common/kusto/response.hpp"

#include "connectors/common/kusto/response_detail.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <optional>

namespace adxflow::kusto {

namespace detail {

Error Malformed(std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "kusto.response",
                     "malformed Kusto response: " + std::move(message), "MalformedResponse");
}

// Kusto type names, their v2 aliases and v1 DataType names. An unknown type (new service types, the
// hand-made "missing" of the fixtures) is read as text rather than failing the whole response.
ColumnType KustoColumnType(std::string_view name) {
    std::string n = ToLower(name);
    if (n == "uuid") return ColumnType::kGuid;
    if (n == "sqldecimal" || n == "system.data.sqltypes.sqldecimal") return ColumnType::kDecimal;
    return ParseColumnType(n).value_or(ColumnType::kString);
}

std::string TextOf(const Json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

KustoError ErrorFromOneApi(const Json& wrapper) {
    // Either {"error": {...}} or the inner object itself.
    const Json& e = wrapper.is_object() && wrapper.contains("error") ? wrapper["error"] : wrapper;
    KustoError out;
    if (!e.is_object()) {
        out.message = TextOf(e);
        return out;
    }
    out.code = e.value("code", "");
    out.message = e.contains("@message") && e["@message"].is_string() ? e["@message"].get<std::string>()
                                                                      : e.value("message", "");
    out.type = e.value("@type", "");
    if (e.contains("@permanent") && e["@permanent"].is_boolean()) out.permanent = e["@permanent"].get<bool>();
    return out;
}

std::vector<KustoError> ErrorsFrom(const Json* list) {
    std::vector<KustoError> out;
    if (!list || !list->is_array()) return out;
    for (const auto& e : *list) out.push_back(ErrorFromOneApi(e));
    return out;
}

// A row that is an object instead of an array carries errors: v2 {"OneApiErrors": [...]}, v1 {"Exceptions":
// [...]}.
std::vector<KustoError> RowErrors(const Json& row) {
    if (const Json* one_api = FindMember(row, "OneApiErrors")) return ErrorsFrom(one_api);
    std::vector<KustoError> out;
    if (const Json* exceptions = FindMember(row, "Exceptions"); exceptions && exceptions->is_array())
        for (const auto& text : *exceptions) out.push_back({"", TextOf(text), "", true});
    return out;
}

Result<Schema> SchemaFrom(const Json& columns, std::vector<std::string>& type_names) {
    if (!columns.is_array()) return Malformed("Columns is not an array");
    Schema schema;
    type_names.clear();
    for (const auto& c : columns) {
        if (!c.is_object()) return Malformed("a column is not an object");
        std::string name = c.value("ColumnName", "");
        // v2 writes ColumnType; v1 writes DataType and, on newer services, ColumnType too (prefer it).
        std::string type = c.contains("ColumnType") && c["ColumnType"].is_string()
                               ? c["ColumnType"].get<std::string>()
                               : c.value("DataType", "string");
        schema.push_back({std::move(name), KustoColumnType(type)});
        type_names.push_back(std::move(type));
    }
    return schema;
}

// Fills a row from a wire array; extra cells are ignored and missing ones stay null (hand-edited and older
// responses have both).
Status FillRow(const TableInfo& table, const Json& wire, Value* row) {
    const size_t n = std::min(table.schema.size(), wire.size());
    for (size_t i = 0; i < n; ++i) {
        auto v = DecodeValue(table.schema[i].type, wire[i]);
        if (!v.ok()) {
            Error e = std::move(v).error();
            e.message = "table " + table.name + ", column " + table.schema[i].name + ": " + e.message;
            return e;
        }
        row[i] = std::move(v).value();
    }
    return Ok();
}

}  // namespace detail

using namespace detail;

std::string TimespanFromTicks(int64_t ticks) {
    const bool negative = ticks < 0;
    // |INT64_MIN| does not fit: clamp one tick, invisible at this scale.
    uint64_t t = negative ? static_cast<uint64_t>(-(ticks + 1)) + 1 : static_cast<uint64_t>(ticks);
    const uint64_t fraction = t % 10000000;
    uint64_t secs = t / 10000000;
    const uint64_t days = secs / 86400;
    secs %= 86400;
    char buf[64];
    int n = days ? std::snprintf(buf, sizeof buf, "%s%llu.%02llu:%02llu:%02llu", negative ? "-" : "",
                                 static_cast<unsigned long long>(days),
                                 static_cast<unsigned long long>(secs / 3600),
                                 static_cast<unsigned long long>(secs / 60 % 60),
                                 static_cast<unsigned long long>(secs % 60))
                 : std::snprintf(buf, sizeof buf, "%s%02llu:%02llu:%02llu", negative ? "-" : "",
                                 static_cast<unsigned long long>(secs / 3600),
                                 static_cast<unsigned long long>(secs / 60 % 60),
                                 static_cast<unsigned long long>(secs % 60));
    std::string out(buf, static_cast<size_t>(n));
    if (fraction) {
        std::snprintf(buf, sizeof buf, ".%07llu", static_cast<unsigned long long>(fraction));
        out += buf;
    }
    return out;
}

Result<Value> DecodeValue(ColumnType type, const Json& wire) {
    if (wire.is_null()) return Value{};
    auto bad = [&](const char* expected) -> Result<Value> {
        return Malformed(std::string("expected ") + expected + ", got " + wire.dump());
    };
    switch (type) {
        case ColumnType::kBool:
            if (wire.is_boolean()) return Value{wire.get<bool>()};
            if (wire.is_number_integer()) return Value{wire.get<int64_t>() != 0};  // v1 writes 0/1
            if (wire.is_string()) {
                const std::string s = ToLower(wire.get<std::string>());
                if (s == "true" || s == "1") return Value{true};
                if (s == "false" || s == "0") return Value{false};
            }
            return bad("a bool");
        case ColumnType::kInt:
        case ColumnType::kLong:
            if (wire.is_number_integer()) return Value{wire.get<int64_t>()};
            if (wire.is_number_float()) return Value{static_cast<int64_t>(wire.get<double>())};
            if (wire.is_string()) {
                const std::string s = wire.get<std::string>();
                char* end = nullptr;
                errno = 0;
                long long v = std::strtoll(s.c_str(), &end, 10);
                if (errno == 0 && end && *end == '\0' && !s.empty()) return Value{static_cast<int64_t>(v)};
            }
            return bad("an integer");
        case ColumnType::kReal:
            if (wire.is_number()) return Value{wire.get<double>()};
            if (wire.is_string()) {
                const std::string s = wire.get<std::string>();
                if (s == "NaN") return Value{std::numeric_limits<double>::quiet_NaN()};
                if (s == "Infinity") return Value{std::numeric_limits<double>::infinity()};
                if (s == "-Infinity") return Value{-std::numeric_limits<double>::infinity()};
                char* end = nullptr;
                double v = std::strtod(s.c_str(), &end);
                if (end && *end == '\0' && !s.empty()) return Value{v};
            }
            return bad("a real");
        case ColumnType::kTimeSpan:
            if (wire.is_number_integer()) return Value{TimespanFromTicks(wire.get<int64_t>())};
            if (wire.is_string()) return Value{wire.get<std::string>()};
            return bad("a timespan");
        case ColumnType::kDynamic:
            return Value{TextOf(wire)};
        case ColumnType::kDecimal:
            if (wire.is_number_float()) {  // some services write decimals as JSON numbers
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.17g", wire.get<double>());
                return Value{std::string(buf)};
            }
            return Value{TextOf(wire)};
        case ColumnType::kString:
        case ColumnType::kDateTime:
        case ColumnType::kGuid:
            // A string column may still carry an object in hand-edited responses: keep its JSON text.
            return Value{TextOf(wire)};
    }
    return bad("a known type");
}

Status ParseV1(std::string_view body, ResponseHandler& handler, const ParseOptions& options) {
    ADXFLOW_ASSIGN_OR_RETURN(Json doc, ParseJson(body, "Kusto v1 response"));
    const Json* tables = FindMember(doc, "Tables");
    if (!tables || !tables->is_array()) return Malformed("no Tables array (a v2 response?)");
    // The table of contents (last table when there are several) names and classifies the others.
    std::vector<std::pair<std::string, std::string>> toc;  // (kind, name) by ordinal
    size_t data_tables = tables->size();
    if (tables->size() > 1) {
        const Json& last = tables->back();
        std::vector<std::string> ignored;
        auto schema = SchemaFrom(last.value("Columns", Json::array()), ignored);
        auto column = [&](const char* name) -> int {
            if (!schema.ok()) return -1;
            for (size_t i = 0; i < schema->size(); ++i)
                if ((*schema)[i].name == name) return static_cast<int>(i);
            return -1;
        };
        const int kind = column("Kind"), name = column("Name");
        if (kind >= 0 && name >= 0 && last.contains("Rows") && last["Rows"].is_array()) {
            for (const auto& row : last["Rows"])
                if (row.is_array() && static_cast<int>(row.size()) > std::max(kind, name))
                    toc.emplace_back(TextOf(row[kind]), TextOf(row[name]));
            data_tables = tables->size() - 1;
        }
    }
    RowBatch batch;
    for (size_t i = 0; i < tables->size(); ++i) {
        const Json& t = (*tables)[i];
        TableInfo info;
        info.id = static_cast<int>(i);
        info.name = t.value("TableName", "Table_" + std::to_string(i));
        if (i < toc.size()) info.kind = toc[i].first;
        if (i >= data_tables) info.kind = "TableOfContents";
        ADXFLOW_ASSIGN_OR_RETURN(info.schema, SchemaFrom(t.value("Columns", Json::array()), info.type_names));
        ADXFLOW_TRY(handler.OnTableStart(info));
        std::vector<KustoError> errors;
        batch.Reset(info.schema.size());
        if (const Json* rows = FindMember(t, "Rows"); rows && rows->is_array()) {
            for (const auto& row : *rows) {
                if (row.is_object()) {
                    auto e = RowErrors(row);
                    errors.insert(errors.end(), e.begin(), e.end());
                    continue;
                }
                if (!row.is_array()) return Malformed("a row of " + info.name + " is not an array");
                ADXFLOW_TRY(FillRow(info, row, batch.AddRow()));
                if (batch.rows() >= options.batch_rows) {
                    ADXFLOW_TRY(handler.OnRows(info, batch));
                    batch.Clear();
                }
            }
        }
        if (!batch.empty()) ADXFLOW_TRY(handler.OnRows(info, batch));
        batch.Clear();
        // Top-level Exceptions belong to the primary result (the first table) when no row carried them.
        if (i == 0 && errors.empty())
            if (const Json* exceptions = FindMember(doc, "Exceptions"); exceptions && exceptions->is_array())
                for (const auto& text : *exceptions) errors.push_back({"", TextOf(text), "", true});
        ADXFLOW_TRY(handler.OnTableEnd(info, errors));
    }
    return Ok();
}

KustoError ParseErrorBody(std::string_view body) {
    auto doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("error")) return ErrorFromOneApi(doc);
    // Plain text: "General_BadRequest: message\nError details:\n..." or just a sentence.
    KustoError e;
    std::string_view first = body.substr(0, body.find('\n'));
    while (!first.empty() && (first.back() == '\r' || first.back() == ' ')) first.remove_suffix(1);
    auto colon = first.find(": ");
    // A code is one token without spaces before ": ".
    if (colon != std::string_view::npos && first.substr(0, colon).find(' ') == std::string_view::npos) {
        e.code = std::string(first.substr(0, colon));
        e.message = std::string(first.substr(colon + 2));
    } else {
        e.message = std::string(first);
    }
    return e;
}

}  // namespace adxflow::kusto
