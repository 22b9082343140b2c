#include "connectors/common/kusto/writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

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
    return Json::parse(OneApiErrorText(error));
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

namespace {

using OrderedJson = nlohmann::ordered_json;

// [{"ColumnName":"a","ColumnType":"long"},...] without building a JSON value.
std::string ColumnsText(const Schema& schema) {
    std::string out = "[";
    for (size_t i = 0; i < schema.size(); ++i) {
        if (i) out += ',';
        out += R"({"ColumnName":)";
        AppendJsonString(out, schema[i].name);
        out += R"(,"ColumnType":")";
        out += ToString(schema[i].type);
        out += "\"}";
    }
    return out + "]";
}

// {"FrameType":"<type>","TableId":N,"TableKind":...,"TableName":...,"Columns":[...] (open: no closing brace)
std::string TableFrameHead(const char* frame_type, int table_id, const std::string& kind,
                           const std::string& name, const Schema& schema) {
    std::string out = "\r\n,{\"FrameType\":\"";
    out += frame_type;
    out += "\",\"TableId\":" + std::to_string(table_id) + ",\"TableKind\":";
    AppendJsonString(out, kind);
    out += ",\"TableName\":";
    AppendJsonString(out, name);
    out += ",\"Columns\":" + ColumnsText(schema);
    return out;
}

std::string ErrorsText(const std::vector<KustoError>& errors) {
    std::string out = "[";
    for (size_t i = 0; i < errors.size(); ++i) out += (i ? "," : "") + OneApiErrorText(errors[i]);
    return out + "]";
}

const char* PlacementName(ErrorPlacement placement) {
    switch (placement) {
        case ErrorPlacement::kEndOfTable:
            return "EndOfTable";
        case ErrorPlacement::kEndOfDataset:
            return "EndOfDataset";
        case ErrorPlacement::kInData:
            break;
    }
    return "InData";
}

// The Visualization property the service reports for every primary table (a JSON string, not an object),
// as recorded in 2023.
constexpr const char* kVisualization =
    R"({"Visualization":null,"Title":null,"XColumn":null,"Series":null,"YColumns":null,)"
    R"("AnomalyColumns":null,"XTitle":null,"YTitle":null,"XAxis":null,"YAxis":null,"Legend":null,)"
    R"("YSplit":null,"Accumulate":false,"IsQuerySorted":false,"Kind":null,"Ymin":"NaN","Ymax":"NaN",)"
    R"("Xmin":null,"Xmax":null})";

// QueryCompletionInformation's StatusCode and names for a failure: truncation is E_QUERY_RESULT_SET_TOO_LARGE
// (recorded); cancellation and expiry share E_QUERY_CANCELLED (0x80DA0006, from the native error table).
struct FailureStatus {
    int code;
    const char* code_name;
    int event;
    const char* event_name;
};
FailureStatus StatusOf(const KustoError& error) {
    if (error.code == "LimitsExceeded")
        return {-2133196797, "Query result set too large (E_QUERY_RESULT_SET_TOO_LARGE). (-2133196797)", 1,
                "QueryLimitsExceeded"};
    return {-2133196794, "Query cancelled (E_QUERY_CANCELLED). (-2133196794)", 4, "QueryInfo"};
}

}  // namespace

std::string OneApiErrorText(const KustoError& error) {
    // The short "message" follows the code: in-band execution failures carry the internal-error sentence
    // (recorded with 0x80DA0006), everything else the bad-request one.
    const char* summary = error.code == "Internal service error"
                              ? "Request aborted due to an internal service error."
                              : "Request is invalid and cannot be executed.";
    OrderedJson e;
    e["code"] = error.code;
    e["message"] = summary;
    e["@type"] = error.type;
    e["@message"] = error.message;
    e["@context"] = OrderedJson{{"timestamp", FormatTimestamp(std::chrono::system_clock::now())}};
    e["@permanent"] = error.permanent;
    OrderedJson body;
    body["error"] = std::move(e);
    return body.dump();
}

std::string V2Header(const V2Framing& framing, const std::vector<int>& primary_table_ids) {
    const bool fragmented = framing.fragmented || framing.progressive;
    std::string out = R"([{"FrameType":"DataSetHeader","IsProgressive":)";
    out += framing.progressive ? "true" : "false";
    out += R"(,"Version":"v2.0","IsFragmented":)";
    out += fragmented ? "true" : "false";
    out += R"(,"ErrorReportingPlacement":")";
    out += PlacementName(framing.placement);
    out += "\"}";
    out += TableFrameHead(
        "DataTable", 0, "QueryProperties", "@ExtendedProperties",
        {{"TableId", ColumnType::kInt}, {"Key", ColumnType::kString}, {"Value", ColumnType::kDynamic}});
    out += ",\"Rows\":[";
    for (size_t i = 0; i < primary_table_ids.size(); ++i) {
        if (i) out += ',';
        out += '[' + std::to_string(primary_table_ids[i]) + R"(,"Visualization",)";
        AppendJsonString(out, kVisualization);
        out += ']';
    }
    return out + "]}";
}

std::string V2TableStart(int table_id, const std::string& kind, const std::string& name,
                         const Schema& schema) {
    return TableFrameHead("DataTable", table_id, kind, name, schema) + R"(,"Rows":[)";
}

std::string V2TableHeader(int table_id, const std::string& kind, const std::string& name,
                          const Schema& schema) {
    return TableFrameHead("TableHeader", table_id, kind, name, schema) + "}";
}

std::string V2FragmentStart(int table_id, bool replace) {
    return std::string("\r\n,{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"") +
           (replace ? "DataReplace" : "DataAppend") + "\",\"TableId\":" + std::to_string(table_id) +
           ",\"Rows\":[";
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
        out += R"({"OneApiErrors":[)" + OneApiErrorText(*in_band_error) + "]}";
    }
    out += "]}";
    return out;
}

std::string V2TableProgress(int table_id, double percent) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", percent);
    return "\r\n,{\"FrameType\":\"TableProgress\",\"TableId\":" + std::to_string(table_id) +
           ",\"TableProgress\":" + buf + "}";
}

std::string V2TableCompletion(int table_id, int64_t row_count, const std::vector<KustoError>& errors) {
    std::string out = "\r\n,{\"FrameType\":\"TableCompletion\",\"TableId\":" + std::to_string(table_id) +
                      ",\"RowCount\":" + std::to_string(row_count);
    if (!errors.empty()) out += ",\"OneApiErrors\":" + ErrorsText(errors);
    return out + "}";
}

std::string V2Finish(int table_id, const std::string& client_request_id, const V2Outcome& outcome) {
    std::string out;
    const bool failed = !outcome.errors.empty();
    if (!failed) {
        const std::string now = FormatTimestamp(std::chrono::system_clock::now());
        const std::string activity = NewUuid();
        OrderedJson rows = OrderedJson::array();
        auto row = [&](int level, const char* level_name, int status, const std::string& status_name,
                       int event, const char* event_name, const std::string& payload) {
            rows.push_back({now, client_request_id, activity, activity, activity, level, level_name, status,
                            status_name, event, event_name, payload});
        };
        if (outcome.deferred.empty()) {
            row(4, "Info", 0, "S_OK (0)", 4, "QueryInfo",
                R"({"Count":1,"Text":"Query completed successfully"})");
        }
        for (const auto& e : outcome.deferred) {
            const FailureStatus s = StatusOf(e);
            row(2, "Error", s.code, s.code_name, s.event, s.event_name,
                OrderedJson{{"Count", 1}, {"Text", e.message}}.dump());
        }
        OrderedJson stats = {
            {"ExecutionTime", outcome.execution_secs},
            {"resource_usage",
             {{"cache",
               {{"memory", {{"hits", 0}, {"misses", 0}, {"total", 0}}},
                {"disk", {{"hits", 0}, {"misses", 0}, {"total", 0}}},
                {"shards", {{"hitbytes", 0}, {"missbytes", 0}, {"bypassbytes", 0}}}}},
              {"cpu", {{"user", "00:00:00"}, {"kernel", "00:00:00"}, {"totalcpu", "00:00:00"}}},
              {"memory", {{"peak_per_node", 0}}}}},
            {"input_dataset_statistics",
             {{"extents", {{"total", 0}, {"scanned", 0}}},
              {"rows", {{"total", outcome.row_count}, {"scanned", outcome.row_count}}},
              {"rowstores", {{"scanned_rows", 0}, {"scanned_values_size", 0}}}}},
            {"dataset_statistics",
             OrderedJson::array({{{"table_row_count", outcome.row_count}, {"table_size", 0}}})}};
        row(6, "Stats", 0, "S_OK (0)", 0, "QueryResourceConsumption", stats.dump());
        out +=
            TableFrameHead("DataTable", table_id, "QueryCompletionInformation", "QueryCompletionInformation",
                           {{"Timestamp", ColumnType::kDateTime},
                            {"ClientRequestId", ColumnType::kString},
                            {"ActivityId", ColumnType::kGuid},
                            {"SubActivityId", ColumnType::kGuid},
                            {"ParentActivityId", ColumnType::kGuid},
                            {"Level", ColumnType::kInt},
                            {"LevelName", ColumnType::kString},
                            {"StatusCode", ColumnType::kInt},
                            {"StatusCodeName", ColumnType::kString},
                            {"EventType", ColumnType::kInt},
                            {"EventTypeName", ColumnType::kString},
                            {"Payload", ColumnType::kString}});
        out += ",\"Rows\":" + rows.dump() + "}";
    }
    out += "\r\n,{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":";
    out += failed ? "true" : "false";
    out += ",\"Cancelled\":";
    out += outcome.cancelled ? "true" : "false";
    if (failed) out += ",\"OneApiErrors\":" + ErrorsText(outcome.errors);
    return out + "}\r\n]";
}

std::string V2Finish(int table_id, const std::string& client_request_id,
                     const std::vector<KustoError>& errors) {
    V2Outcome outcome;
    outcome.errors = errors;
    return V2Finish(table_id, client_request_id, outcome);
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
