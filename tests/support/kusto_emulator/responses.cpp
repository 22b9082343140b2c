#include "tests/support/kusto_emulator/responses.hpp"

#include <cctype>
#include <cstdlib>

#include "connectors/common/kusto/writer.hpp"
#include "core/time.hpp"

namespace adxflow::kusto_emulator::detail {

using kusto::KustoError;

api::Response ErrorResponse(int status, const std::string& code, const std::string& type,
                            const std::string& message, bool permanent) {
    api::Response r;
    r.status = status;
    r.body = kusto::OneApiError(KustoError{code, message, type, permanent}).dump();
    return r;
}

api::Response EntityNotFound(const std::string& message) {
    return ErrorResponse(400, "BadRequest_EntityNotFound", "Kusto.Data.Exceptions.EntityNotFoundException",
                         message);
}

api::Response BadRequest(const std::string& message) {
    return ErrorResponse(400, "General_BadRequest", "Kusto.Data.Exceptions.KustoBadRequestException",
                         "Request is invalid and cannot be processed: " + message);
}

// The request body {"db", "csl", "properties"}; `properties` may be an object or a JSON string (Python).

// The "Options" of a request body's client request properties ({"Options": {...}}), which clients send as
// an object or, like Python, as a JSON string.
Json RequestOptions(const Json& body) {
    if (!body.is_object() || !body.contains("properties")) return Json::object();
    Json props = body["properties"];
    if (props.is_string()) props = Json::parse(props.get<std::string>(), nullptr, false);
    const Json* options = props.is_object() ? FindMember(props, "Options") : nullptr;
    return options && options->is_object() ? *options : Json::object();
}

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
    q.options = RequestOptions(body);
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

// servertimeout as clients send it: "hh:mm:ss[.fffffff]", "d.hh:mm:ss", or "50m" / "30s" / "1h".
std::optional<std::chrono::milliseconds> ParseServerTimeout(const std::string& text) {
    if (text.empty()) return std::nullopt;
    const char unit = text.back();
    if (unit == 'h' || unit == 'm' || unit == 's') {
        char* end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() - 1) return std::nullopt;
        const double ms = v * (unit == 'h' ? 3600000 : unit == 'm' ? 60000 : 1000);
        return std::chrono::milliseconds(static_cast<int64_t>(ms));
    }
    auto parsed = ParseTimespan(text);
    if (!parsed.ok()) return std::nullopt;
    return *parsed;
}

api::Response V1Response(const Schema& schema, std::vector<Value> rows) {
    api::Response r;
    r.body = kusto::V1Body({{schema, std::move(rows)}});
    return r;
}

kusto::V2Framing V2FramingFrom(const Json& options) {
    auto flag = [&](const char* name) {
        const Json* v = FindMember(options, name);
        if (!v) return false;
        if (v->is_boolean()) return v->get<bool>();
        return v->is_string() && ToLower(v->get<std::string>()) == "true";
    };
    kusto::V2Framing framing;
    framing.progressive = flag("results_progressive_enabled");
    framing.fragmented = framing.progressive || flag("results_v2_fragment_primary_tables");
    framing.defer_partial_failures = flag("deferpartialqueryfailures");
    if (const Json* p = FindMember(options, "results_error_reporting_placement"); p && p->is_string()) {
        const std::string placement = ToLower(p->get<std::string>());
        if (placement == "end_of_table")
            framing.placement = kusto::ErrorPlacement::kEndOfTable;
        else if (placement == "end_of_dataset")
            framing.placement = kusto::ErrorPlacement::kEndOfDataset;
    }
    return framing;
}

kusto::KustoError QueryCancelledError(const std::string& reason) {
    return KustoError{"Internal service error",
                      "Query execution has resulted in error (0x80DA0006): Query was cancelled" +
                          (reason.empty() ? std::string(".") : ": " + reason),
                      "Kusto.Data.Exceptions.KustoDataStreamException", false};
}

kusto::KustoError QueryExpiredError() {
    return KustoError{"Internal service error",
                      "Query execution has resulted in error (0x80DA0006): Query is expired.",
                      "Kusto.Data.Exceptions.KustoDataStreamException", false};
}

RunningQueries::Listing::~Listing() {
    if (auto owner = owner_.lock()) owner->Remove(query_.get());
}

std::unique_ptr<RunningQueries::Listing> RunningQueries::Add(std::string client_request_id,
                                                             std::string database, std::string principal) {
    auto query = std::make_shared<Query>();
    query->client_request_id = std::move(client_request_id);
    query->database = std::move(database);
    query->principal = std::move(principal);
    query->started = FormatTimestamp(std::chrono::system_clock::now());
    {
        std::lock_guard g(mu_);
        queries_.emplace(query->client_request_id, query);
    }
    return std::make_unique<Listing>(weak_from_this(), std::move(query));
}

std::vector<std::shared_ptr<RunningQueries::Query>> RunningQueries::Find(
    const std::string& client_request_id) const {
    std::lock_guard g(mu_);
    std::vector<std::shared_ptr<Query>> found;
    auto [first, last] = queries_.equal_range(client_request_id);
    for (auto it = first; it != last; ++it) found.push_back(it->second);
    return found;
}

bool RunningQueries::Cancel(Query& query, const std::string& reason) {
    std::lock_guard g(mu_);
    if (query.cancelled.load(std::memory_order_acquire)) return false;
    query.reason = reason;
    query.cancelled.store(true, std::memory_order_release);
    return true;
}

void RunningQueries::Remove(const Query* query) {
    std::lock_guard g(mu_);
    auto [first, last] = queries_.equal_range(query->client_request_id);
    for (auto it = first; it != last; ++it)
        if (it->second.get() == query) {
            queries_.erase(it);
            return;
        }
}

}  // namespace adxflow::kusto_emulator::detail
