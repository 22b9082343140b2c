#include "tests/support/kusto_emulator/emulator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "connectors/common/kusto/writer.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "tests/support/kusto_emulator/kql.hpp"

namespace adxflow::kusto_emulator {

namespace {

using kusto::KustoError;

api::Response ErrorResponse(int status, const std::string& code, const std::string& type,
                            const std::string& message, bool permanent = true) {
    api::Response r;
    r.status = status;
    r.body = kusto::OneApiError(KustoError{code, message, type, permanent}).dump();
    return r;
}

api::Response BadRequest(const std::string& message) {
    return ErrorResponse(400, "General_BadRequest", "Kusto.Data.Exceptions.KustoBadRequestException",
                         "Request is invalid and cannot be processed: " + message);
}

// The request body {"db", "csl", "properties"}; `properties` may be an object or a JSON string (Python).
struct QueryRequest {
    std::string db;
    std::string csl;
    Json properties = Json::object();
};

Result<QueryRequest> ReadBody(const api::Request& request) {
    ADXFLOW_ASSIGN_OR_RETURN(Json body, ParseJson(request.body, "request body"));
    if (!body.is_object())
        return MakeError(ErrorKind::kInvalidInput, "kusto.request", "the request body is not a JSON object");
    QueryRequest q;
    q.db = body.value("db", Json("NetDefaultDB")).is_string() ? body.value("db", "NetDefaultDB")
                                                              : "NetDefaultDB";
    if (!body.contains("csl") || !body["csl"].is_string())
        return MakeError(ErrorKind::kInvalidInput, "kusto.request", "the request body has no 'csl' string");
    q.csl = body["csl"].get<std::string>();
    if (body.contains("properties")) {
        const Json& p = body["properties"];
        if (p.is_string())
            q.properties = Json::parse(p.get<std::string>(), nullptr, false);
        else if (p.is_object())
            q.properties = p;
    }
    return q;
}

std::string Trim(std::string_view s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return std::string(s.substr(a, b - a));
}

// "T (a:long, b:string)" -> name and schema.
Result<std::pair<std::string, Schema>> TableSpec(std::string_view text) {
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "expected 'TableName (column:type, ...)'");
    std::string name = Trim(text.substr(0, open));
    Schema schema;
    std::string_view cols = text.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= cols.size()) {
        size_t comma = cols.find(',', start);
        if (comma == std::string_view::npos) comma = cols.size();
        std::string item = Trim(cols.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) continue;
        auto colon = item.find(':');
        if (colon == std::string::npos)
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "column '" + item + "' has no ':type'");
        auto type = ParseColumnType(Trim(item.substr(colon + 1)));
        if (!type)
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "unknown type in column '" + item + "'");
        schema.push_back({Trim(item.substr(0, colon)), *type});
    }
    if (name.empty() || schema.empty())
        return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt",
                         "a table needs a name and at least one column");
    return std::make_pair(name, schema);
}

// One CSV line split into fields ("" quoting, as Kusto's CSV).
std::vector<std::string> CsvFields(std::string_view line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else if (c != '\r') {
            out.back() += c;
        }
    }
    return out;
}

Result<Value> CellFromText(ColumnType type, const std::string& text) {
    if (text.empty() && type != ColumnType::kString) return Value{};
    switch (type) {
        case ColumnType::kBool: {
            std::string t = ToLower(text);
            if (t == "true" || t == "1") return Value{true};
            if (t == "false" || t == "0") return Value{false};
            break;
        }
        case ColumnType::kInt:
        case ColumnType::kLong: {
            char* end = nullptr;
            long long v = std::strtoll(text.c_str(), &end, 10);
            if (end && *end == '\0') return Value{static_cast<int64_t>(v)};
            break;
        }
        case ColumnType::kReal: {
            char* end = nullptr;
            double v = std::strtod(text.c_str(), &end);
            if (end && *end == '\0') return Value{v};
            break;
        }
        default:
            return Value{text};
    }
    return MakeError(ErrorKind::kInvalidInput, "kusto.ingest",
                     "'" + text + "' is not a valid " + ToString(type));
}

api::Response V1Response(const Schema& schema, std::vector<Value> rows) {
    api::Response r;
    r.body = kusto::V1Body({{schema, std::move(rows)}});
    return r;
}

}  // namespace

Emulator::Emulator(EmulatorOptions options) : options_(std::move(options)) {
    for (const auto& db : options_.databases) databases_[db];
}

api::Response Emulator::Handle(const api::Request& request) {
    api::Response response;
    if (request.method == "GET" && request.path == "/v1/rest/auth/metadata") {
        response.body = Json{{"AzureAD",
                              {{"LoginEndpoint", "https://login.microsoftonline.com"},
                               {"LoginMfaRequired", false},
                               {"KustoClientAppId", "db662dc1-0cfe-4e1c-a843-19a68e65be58"},
                               {"KustoClientRedirectUri", "https://microsoft/kustoclient"},
                               {"KustoServiceResourceId", "https://kusto.kusto.windows.net"},
                               {"FirstPartyAuthorityUrl", "https://login.microsoftonline.com/common"}}}}
                            .dump();
    } else if (request.method == "POST" && request.path == "/v2/rest/query") {
        response = Query(request, true);
    } else if (request.method == "POST" && request.path == "/v1/rest/query") {
        response = Query(request, false);
    } else if (request.method == "POST" && request.path == "/v1/rest/mgmt") {
        response = Management(request);
    } else {
        response = ErrorResponse(404, "NotFound", "Kusto.Data.Exceptions.KustoServiceException",
                                 "no endpoint " + request.method + " " + request.path + " on this emulator");
    }
    // The service echoes the client's request id; SDKs log it.
    if (const std::string* id = request.Header("x-ms-client-request-id"))
        response.headers.emplace_back("x-ms-client-request-id", *id);
    response.headers.emplace_back("x-ms-activity-id", NewUuid());
    return response;
}

api::Response Emulator::Query(const api::Request& request, bool v2) {
    auto body = ReadBody(request);
    if (!body.ok()) return BadRequest(body.error().message);
    if (!body->csl.empty() && Trim(body->csl)[0] == '.')
        return BadRequest("Control commands (starting with a dot '.') go to /v1/rest/mgmt");
    auto query = ParseQuery(body->csl);
    if (!query.ok())
        return ErrorResponse(400, "General_BadRequest",
                             query.error().code == "SyntaxError" ? "Kusto.Data.Exceptions.SyntaxException"
                                                                 : "Kusto.Data.Exceptions.SemanticException",
                             query.error().message);

    Schema schema;
    std::vector<Value> rows;
    {
        std::lock_guard g(mu_);
        auto db = databases_.find(body->db);
        if (db == databases_.end())
            return ErrorResponse(400, "BadRequest_EntityNotFound",
                                 "Kusto.Data.Exceptions.EntityNotFoundException",
                                 "Database '" + body->db + "' was not found");
        if (!query->table.empty()) {
            auto t = db->second.tables.find(query->table);
            if (t == db->second.tables.end())
                return ErrorResponse(
                    400, "General_BadRequest", "Kusto.Data.Exceptions.SemanticException",
                    "Semantic error: 'table' operator: Failed to resolve table expression named '" +
                        query->table + "'");
            schema = t->second.schema;
            rows = t->second.rows;  // a snapshot: the query runs without the lock
        }
    }
    if (query->table.empty()) {
        for (auto& [name, value] : query->print) {
            ColumnType type = std::holds_alternative<bool>(value)      ? ColumnType::kBool
                              : std::holds_alternative<int64_t>(value) ? ColumnType::kLong
                              : std::holds_alternative<double>(value)  ? ColumnType::kReal
                                                                       : ColumnType::kString;
            schema.push_back({name, type});
            rows.push_back(value);
        }
    }
    auto result = Execute(*query, schema, std::move(rows));
    if (!result.ok())
        return ErrorResponse(400, "General_BadRequest", "Kusto.Data.Exceptions.SemanticException",
                             result.error().message);
    auto& [out_schema, out_rows] = *result;

    // Result truncation, as the service applies it unless the query says notruncation.
    std::optional<KustoError> truncated;
    const int64_t limit = query->truncation_max_records.value_or(options_.default_truncation_max_records);
    const size_t width = out_schema.size();
    if (!query->no_truncation && width > 0 && static_cast<int64_t>(out_rows.size() / width) > limit) {
        out_rows.resize(static_cast<size_t>(limit) * width);
        truncated = KustoError{
            "LimitsExceeded",
            "Query execution has exceeded the allowed limits (80DA0003): The results of this query "
            "exceed the set limit of " +
                std::to_string(limit) +
                " records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, "
                "0x80DA0003).",
            "Kusto.Data.Exceptions.KustoServicePartialQueryFailureLimitsExceededException", false};
    }

    api::Response response;
    if (v2) {
        kusto::V2Writer writer(response.body);
        writer.Table("PrimaryResult", "PrimaryResult", out_schema, out_rows,
                     truncated ? &*truncated : nullptr);
        const std::string* id = request.Header("x-ms-client-request-id");
        writer.Finish(id ? *id : "");
    } else {
        Json body_json = Json::parse(kusto::V1Body({{out_schema, std::move(out_rows)}}));
        if (truncated) body_json["Exceptions"] = Json::array({truncated->message});
        response.body = body_json.dump();
    }
    return response;
}

api::Response Emulator::Management(const api::Request& request) {
    auto body = ReadBody(request);
    if (!body.ok()) return BadRequest(body.error().message);
    const std::string csl = Trim(body->csl);
    const std::string lower = ToLower(csl);

    if (lower == ".show version") {
        return V1Response({{"BuildVersion", ColumnType::kString},
                           {"BuildTime", ColumnType::kDateTime},
                           {"ServiceType", ColumnType::kString},
                           {"ProductVersion", ColumnType::kString}},
                          {Value{std::string("1.0.0.0")}, Value{std::string("2026-01-01T00:00:00Z")},
                           Value{std::string("Engine")}, Value{std::string("adxflow-kusto-emulator 0.1")}});
    }

    std::lock_guard g(mu_);
    auto db = databases_.find(body->db);
    if (db == databases_.end())
        return ErrorResponse(400, "BadRequest_EntityNotFound",
                             "Kusto.Data.Exceptions.EntityNotFoundException",
                             "Database '" + body->db + "' was not found");
    auto& tables = db->second.tables;

    if (lower == ".show tables") {
        std::vector<Value> rows;
        for (const auto& [name, t] : tables)
            for (const std::string& cell : {name, body->db, std::string(), std::string()})
                rows.push_back(Value{cell});
        return V1Response({{"TableName", ColumnType::kString},
                           {"DatabaseName", ColumnType::kString},
                           {"Folder", ColumnType::kString},
                           {"DocString", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower.rfind(".create table ", 0) == 0 || lower.rfind(".create-merge table ", 0) == 0) {
        const bool merge = lower.rfind(".create-merge", 0) == 0;
        auto spec = TableSpec(csl.substr(merge ? 20 : 14));
        if (!spec.ok()) return BadRequest(spec.error().message);
        auto& [name, schema] = *spec;
        auto it = tables.find(name);
        if (it == tables.end()) {
            tables[name] = Table{name, schema, {}};
        } else if (merge) {
            // New columns are appended (existing rows get nulls); a type change is refused, as the service
            // does.
            Table& t = it->second;
            for (const auto& col : schema) {
                auto existing = std::find_if(t.schema.begin(), t.schema.end(),
                                             [&](const Column& c) { return c.name == col.name; });
                if (existing != t.schema.end()) {
                    if (existing->type != col.type)
                        return BadRequest("column '" + col.name + "' already exists with type " +
                                          ToString(existing->type));
                    continue;
                }
                const size_t width = t.schema.size(), count = width ? t.rows.size() / width : 0;
                std::vector<Value> widened;
                for (size_t r = 0; r < count; ++r) {
                    widened.insert(widened.end(), t.rows.begin() + r * width,
                                   t.rows.begin() + (r + 1) * width);
                    widened.emplace_back();
                }
                t.rows = std::move(widened);
                t.schema.push_back(col);
            }
        }  // plain .create of an existing table succeeds without a change
        const Table& t = tables[name];
        Json ordered = Json::array();
        for (const auto& c : t.schema)
            ordered.push_back({{"Name", c.name},
                               {"Type", std::string("System.") + kusto::V1DataType(c.type)},
                               {"CslType", ToString(c.type)}});
        return V1Response({{"TableName", ColumnType::kString},
                           {"Schema", ColumnType::kString},
                           {"DatabaseName", ColumnType::kString},
                           {"Folder", ColumnType::kString},
                           {"DocString", ColumnType::kString}},
                          {Value{name}, Value{Json{{"Name", name}, {"OrderedColumns", ordered}}.dump()},
                           Value{body->db}, Value{std::string()}, Value{std::string()}});
    }
    if (lower.rfind(".drop table ", 0) == 0) {
        std::string rest = Trim(csl.substr(12));
        bool if_exists = false;
        if (ToLower(rest).size() > 9 && ToLower(rest).substr(rest.size() - 9) == " ifexists") {
            if_exists = true;
            rest = Trim(rest.substr(0, rest.size() - 9));
        }
        if (!tables.erase(rest) && !if_exists)
            return ErrorResponse(400, "BadRequest_EntityNotFound",
                                 "Kusto.Data.Exceptions.EntityNotFoundException",
                                 "Table '" + rest + "' was not found");
        std::vector<Value> rows;
        for (const auto& [name, t] : tables) {
            rows.push_back(Value{name});
            rows.push_back(Value{body->db});
        }
        return V1Response({{"TableName", ColumnType::kString}, {"DatabaseName", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower.rfind(".ingest inline into table ", 0) == 0) {
        const auto arrow = csl.find("<|");
        if (arrow == std::string::npos) return BadRequest("'.ingest inline' needs '<|' before the data");
        std::string name = Trim(csl.substr(26, arrow - 26));
        if (auto with = ToLower(name).find(" with"); with != std::string::npos)
            name = Trim(name.substr(0, with));
        auto it = tables.find(name);
        if (it == tables.end())
            return ErrorResponse(400, "BadRequest_EntityNotFound",
                                 "Kusto.Data.Exceptions.EntityNotFoundException",
                                 "Table '" + name + "' was not found");
        Table& t = it->second;
        std::vector<Value> added;
        std::string_view data(csl);
        data.remove_prefix(arrow + 2);
        if (!data.empty() && data.front() == ' ')
            data.remove_prefix(1);  // "<| 1,a": the space is the separator
        size_t start = 0;
        while (start < data.size()) {
            size_t end = data.find('\n', start);
            if (end == std::string_view::npos) end = data.size();
            std::string_view line = data.substr(start, end - start);
            start = end + 1;
            if (Trim(line).empty()) continue;
            auto fields = CsvFields(line);
            for (size_t c = 0; c < t.schema.size(); ++c) {
                std::string text = c < fields.size() ? fields[c] : std::string();
                auto cell = CellFromText(t.schema[c].type, text);
                if (!cell.ok()) return BadRequest(cell.error().message);
                added.push_back(std::move(cell).value());
            }
        }
        // One extent per ingestion: all rows or none.
        t.rows.insert(t.rows.end(), std::make_move_iterator(added.begin()),
                      std::make_move_iterator(added.end()));
        return V1Response({{"ExtentId", ColumnType::kGuid}}, {Value{NewUuid()}});
    }
    return ErrorResponse(
        400, "General_BadRequest", "Kusto.Data.Exceptions.SyntaxException",
        "Syntax error: the command '" + csl.substr(0, 60) + "' is not supported by this emulator");
}

}  // namespace adxflow::kusto_emulator
