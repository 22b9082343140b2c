#include "connectors/common/kusto/writer.hpp"

#include <charconv>
#include <cmath>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace adxflow::kusto {

namespace {

Json ColumnsJson(const Schema& schema, bool v1) {
    Json columns = Json::array();
    for (const auto& c : schema) {
        Json col = {{"ColumnName", c.name}};
        if (v1) col["DataType"] = V1DataType(c.type);
        col["ColumnType"] = ToString(c.type);
        columns.push_back(std::move(col));
    }
    return columns;
}

Json RowsJson(const Schema& schema, const std::vector<Value>& cells) {
    Json rows = Json::array();
    const size_t width = schema.size();
    if (width == 0) return rows;
    for (size_t r = 0; r + width <= cells.size(); r += width) {
        Json row = Json::array();
        for (size_t c = 0; c < width; ++c) row.push_back(ToWire(schema[c].type, cells[r + c]));
        rows.push_back(std::move(row));
    }
    return rows;
}

// JSON string escaping without building a JSON value: runs of plain characters are copied at once.
void AppendJsonString(std::string& out, std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    out += '"';
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

}  // namespace

Json ToWire(ColumnType type, const Value& value) {
    switch (value.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(value);
        case 2:
            return std::get<int64_t>(value);
        case 3: {
            double d = std::get<double>(value);
            if (std::isnan(d)) return "NaN";
            if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
            return d;
        }
        default: {
            const std::string& s = std::get<std::string>(value);
            if (type == ColumnType::kDynamic) {
                auto parsed = Json::parse(s, nullptr, /*allow_exceptions=*/false);
                if (!parsed.is_discarded()) return parsed;
            }
            return s;
        }
    }
}

const char* V1DataType(ColumnType type) {
    switch (type) {
        case ColumnType::kString:
            return "String";
        case ColumnType::kBool:
            return "Boolean";
        case ColumnType::kInt:
            return "Int32";
        case ColumnType::kLong:
            return "Int64";
        case ColumnType::kReal:
            return "Double";
        case ColumnType::kDecimal:
            return "Decimal";
        case ColumnType::kDateTime:
            return "DateTime";
        case ColumnType::kTimeSpan:
            return "TimeSpan";
        case ColumnType::kGuid:
            return "Guid";
        case ColumnType::kDynamic:
            return "Object";
    }
    return "String";
}

Json OneApiError(const KustoError& error) {
    return {{"error",
             {{"code", error.code},
              {"message", "Request is invalid and cannot be executed."},
              {"@type", error.type},
              {"@message", error.message},
              {"@context", {{"timestamp", FormatTimestamp(std::chrono::system_clock::now())}}},
              {"@permanent", error.permanent}}}};
}

void AppendWire(std::string& out, ColumnType type, const Value& value) {
    switch (value.index()) {
        case 0:
            out += "null";
            return;
        case 1:
            out += std::get<bool>(value) ? "true" : "false";
            return;
        case 2: {
            char buf[24];
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::get<int64_t>(value));
            out.append(buf, p);
            return;
        }
        case 3: {
            double d = std::get<double>(value);
            if (std::isnan(d))
                out += "\"NaN\"";
            else if (std::isinf(d))
                out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
            else {
                char buf[32];
                auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
                out.append(buf, p);
            }
            return;
        }
        default: {
            const std::string& str = std::get<std::string>(value);
            // As ToWire: dynamic text that is JSON travels as that JSON (accept() validates without a DOM).
            if (type == ColumnType::kDynamic && Json::accept(str)) {
                out += str;
                return;
            }
            AppendJsonString(out, str);
        }
    }
}

std::string V2Header() {
    return R"([{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0","IsFragmented":false,)"
           R"("ErrorReportingPlacement":"InData"})"
           "\r\n,"
           R"({"FrameType":"DataTable","TableId":0,"TableKind":"QueryProperties","TableName":"@ExtendedProperties",)"
           R"("Columns":[{"ColumnName":"TableId","ColumnType":"int"},{"ColumnName":"Key","ColumnType":"string"},)"
           R"({"ColumnName":"Value","ColumnType":"dynamic"}],"Rows":[]})";
}

std::string V2TableStart(int table_id, const std::string& kind, const std::string& name,
                         const Schema& schema) {
    Json head = {{"FrameType", "DataTable"},
                 {"TableId", table_id},
                 {"TableKind", kind},
                 {"TableName", name},
                 {"Columns", ColumnsJson(schema, false)}};
    std::string text = head.dump();
    text.pop_back();  // reopen the object to append Rows
    return "\r\n," + text + R"(,"Rows":[)";
}

void AppendV2Row(std::string& out, const Schema& schema, const Value* row, bool first) {
    if (!first) out += ',';
    out += '[';
    for (size_t c = 0; c < schema.size(); ++c) {
        if (c) out += ',';
        AppendWire(out, schema[c].type, row[c]);
    }
    out += ']';
}

std::string V2TableEnd(const KustoError* in_band_error, bool had_rows) {
    std::string out;
    if (in_band_error) {
        if (had_rows) out += ',';
        out += Json{{"OneApiErrors", Json::array({OneApiError(*in_band_error)})}}.dump();
    }
    out += "]}";
    return out;
}

std::string V2Finish(int table_id, const std::string& client_request_id,
                     const std::vector<KustoError>& errors) {
    const std::string now = FormatTimestamp(std::chrono::system_clock::now());
    const bool failed = !errors.empty();
    Json info = {{"FrameType", "DataTable"},
                 {"TableId", table_id},
                 {"TableKind", "QueryCompletionInformation"},
                 {"TableName", "QueryCompletionInformation"},
                 {"Columns", Json::array({{{"ColumnName", "Timestamp"}, {"ColumnType", "datetime"}},
                                          {{"ColumnName", "ClientRequestId"}, {"ColumnType", "string"}},
                                          {{"ColumnName", "ActivityId"}, {"ColumnType", "guid"}},
                                          {{"ColumnName", "SubActivityId"}, {"ColumnType", "guid"}},
                                          {{"ColumnName", "ParentActivityId"}, {"ColumnType", "guid"}},
                                          {{"ColumnName", "Level"}, {"ColumnType", "int"}},
                                          {{"ColumnName", "LevelName"}, {"ColumnType", "string"}},
                                          {{"ColumnName", "StatusCode"}, {"ColumnType", "int"}},
                                          {{"ColumnName", "StatusCodeName"}, {"ColumnType", "string"}},
                                          {{"ColumnName", "EventType"}, {"ColumnType", "int"}},
                                          {{"ColumnName", "EventTypeName"}, {"ColumnType", "string"}},
                                          {{"ColumnName", "Payload"}, {"ColumnType", "string"}}})},
                 {"Rows", Json::array()}};
    const std::string activity = NewUuid();
    info["Rows"].push_back(
        {now, client_request_id, activity, activity, activity, failed ? 2 : 4, failed ? "Error" : "Info",
         failed ? -2133196797 : 0,
         failed ? "Query result set too large (E_QUERY_RESULT_SET_TOO_LARGE). (-2133196797)" : "S_OK (0)",
         failed ? 1 : 4, failed ? "QueryLimitsExceeded" : "QueryInfo",
         failed ? R"({"Count":1,"Text":"Query completed with errors"})"
                : R"({"Count":1,"Text":"Query completed successfully"})"});
    Json completion = {{"FrameType", "DataSetCompletion"}, {"HasErrors", failed}, {"Cancelled", false}};
    if (failed) {
        completion["OneApiErrors"] = Json::array();
        for (const auto& e : errors) completion["OneApiErrors"].push_back(OneApiError(e));
    }
    return "\r\n," + info.dump() + "\r\n," + completion.dump() + "\r\n]";
}

V2Writer::V2Writer(std::string& out) : out_(out) {
    out_ += V2Header();
}

void V2Writer::Table(const std::string& kind, const std::string& name, const Schema& schema,
                     const std::vector<Value>& rows, const KustoError* in_band_error) {
    out_ += V2TableStart(next_table_id_++, kind, name, schema);
    const size_t width = schema.size();
    bool first = true;
    for (size_t r = 0; width > 0 && r + width <= rows.size(); r += width) {
        AppendV2Row(out_, schema, rows.data() + r, first);
        first = false;
    }
    if (in_band_error) errors_.push_back(*in_band_error);
    out_ += V2TableEnd(in_band_error, !first);
}

void V2Writer::Finish(const std::string& client_request_id) {
    out_ += V2Finish(next_table_id_++, client_request_id, errors_);
}

std::string V1Body(const std::vector<std::pair<Schema, std::vector<Value>>>& tables) {
    Json body = {{"Tables", Json::array()}};
    for (size_t i = 0; i < tables.size(); ++i)
        body["Tables"].push_back({{"TableName", "Table_" + std::to_string(i)},
                                  {"Columns", ColumnsJson(tables[i].first, true)},
                                  {"Rows", RowsJson(tables[i].first, tables[i].second)}});
    return body.dump();
}

}  // namespace adxflow::kusto
