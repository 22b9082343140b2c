#pragma once
// Pieces the emulator's request handlers share: Kusto's error bodies, the request body, small parsers.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/rows.hpp"
#include "daemon/http/api_types.hpp"

namespace adxflow::kusto_emulator::detail {

// A OneApi error body with the given status.
api::Response ErrorResponse(int status, const std::string& code, const std::string& type,
                            const std::string& message, bool permanent = true);
api::Response EntityNotFound(const std::string& message);
api::Response BadRequest(const std::string& message);

// The request body {"db", "csl", "properties"}.
struct QueryRequest {
    std::string db;
    std::string csl;
    Json options = Json::object();  // the client request properties' "Options"
};
// The "Options" of a request body's client request properties, sent as an object or (Python) a JSON string.
Json RequestOptions(const Json& body);
Result<QueryRequest> ReadBody(const api::Request& request);

std::string Trim(std::string_view s);
// "T (a:long, b:string)" -> name and schema.
Result<std::pair<std::string, Schema>> TableSpec(std::string_view text);
// servertimeout as clients send it: "hh:mm:ss[.fffffff]", "d.hh:mm:ss", or "50m" / "30s" / "1h".
std::optional<std::chrono::milliseconds> ParseServerTimeout(const std::string& text);
// A v1 body with one table.
api::Response V1Response(const Schema& schema, std::vector<Value> rows);

}  // namespace adxflow::kusto_emulator::detail
