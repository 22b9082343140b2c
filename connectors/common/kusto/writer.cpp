#include "connectors/common/kusto/writer.hpp"

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

V2Writer::V2Writer(std::string& out) : out_(out) {
    out_ += R"([{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0","IsFragmented":false,)"
            R"("ErrorReportingPlacement":"InData"})";
    out_ += "\r\n,";
    out_ +=
        R"({"FrameType":"DataTable","TableId":0,"TableKind":"QueryProperties","TableName":"@ExtendedProperties",)"
        R"("Columns":[{"ColumnName":"TableId","ColumnType":"int"},{"ColumnName":"Key","ColumnType":"string"},)"
        R"({"ColumnName":"Value","ColumnType":"dynamic"}],"Rows":[]})";
}

void V2Writer::Table(const std::string& kind, const std::string& name, const Schema& schema,
                     const std::vector<Value>& rows, const KustoError* in_band_error) {
    Json frame = {{"FrameType", "DataTable"},
                  {"TableId", next_table_id_++},
                  {"TableKind", kind},
                  {"TableName", name},
                  {"Columns", ColumnsJson(schema, false)},
                  {"Rows", RowsJson(schema, rows)}};
    if (in_band_error) {
        frame["Rows"].push_back({{"OneApiErrors", Json::array({OneApiError(*in_band_error)})}});
        errors_.push_back(*in_band_error);
    }
    out_ += "\r\n,";
    out_ += frame.dump();
}

void V2Writer::Finish(const std::string& client_request_id) {
    const std::string now = FormatTimestamp(std::chrono::system_clock::now());
    const bool failed = !errors_.empty();
    Json info = {{"FrameType", "DataTable"},
                 {"TableId", next_table_id_++},
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
    out_ += "\r\n,";
    out_ += info.dump();
    Json completion = {{"FrameType", "DataSetCompletion"}, {"HasErrors", failed}, {"Cancelled", false}};
    if (failed) {
        completion["OneApiErrors"] = Json::array();
        for (const auto& e : errors_) completion["OneApiErrors"].push_back(OneApiError(e));
    }
    out_ += "\r\n,";
    out_ += completion.dump();
    out_ += "\r\n]";
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
