#include "connectors/common/azure/table_client.hpp"

#include "connectors/common/http/url.hpp"

namespace adxflow::azure {
namespace {

constexpr const char* kJsonNoMetadata = "application/json;odata=nometadata";

StorageCall JsonCall(const char* op, std::string method, std::string path) {
    StorageCall call = StorageCall::Make(op, std::move(method), std::move(path));
    call.headers.Set("Accept", kJsonNoMetadata);
    call.headers.Set("DataServiceVersion", "3.0;NetFx");
    call.headers.Set("MaxDataServiceVersion", "3.0;NetFx");
    return call;
}

void SetJsonBody(StorageCall& call, const Json& body) {
    call.headers.Set("Content-Type", "application/json");
    call.body = body.dump();
}

std::string QuoteKey(const std::string& key) {
    std::string doubled;
    for (char c : key) {
        doubled += c;
        if (c == '\'') doubled += '\'';  // OData string literals escape a quote by doubling it
    }
    return "'" + http::PercentEncode(doubled) + "'";
}

Status RequireKeys(const Json& entity, const char* op) {
    if (!entity.is_object() || !entity.contains("PartitionKey") || !entity.contains("RowKey") ||
        !entity["PartitionKey"].is_string() || !entity["RowKey"].is_string()) {
        return MakeError(ErrorKind::kInvalidInput, op,
                         "a table entity needs string PartitionKey and RowKey properties");
    }
    return Ok();
}

Result<Json> ParseBody(const char* op, const std::string& body) {
    Json json = Json::parse(body, nullptr, false);
    if (json.is_discarded())
        return MakeError(ErrorKind::kTransient, op, "the table service returned invalid JSON");
    return json;
}

}  // namespace

std::string EntityPath(const std::string& table, const std::string& partition_key,
                       const std::string& row_key) {
    return "/" + http::PercentEncode(table) + "(PartitionKey=" + QuoteKey(partition_key) +
           ",RowKey=" + QuoteKey(row_key) + ")";
}

TableClient::TableClient(StorageAccount account, http::HttpClient& http)
    : transport_(std::move(account), StorageService::kTable, http) {}

Status TableClient::CreateTable(const std::string& table, const CallOptions& options) const {
    StorageCall call = JsonCall("table.create", "POST", "/Tables");
    call.headers.Set("Prefer", "return-no-content");
    SetJsonBody(call, Json{{"TableName", table}});
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (response.is_success()) return Ok();
    if (response.status == 409 && StorageErrorCode(response) == "TableAlreadyExists") return Ok();
    return StorageError(response, "table.create");
}

Status TableClient::DeleteTable(const std::string& table, const CallOptions& options) const {
    StorageCall call = JsonCall("table.delete", "DELETE", "/Tables('" + http::PercentEncode(table) + "')");
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (response.is_success() || response.status == 404) return Ok();
    return StorageError(response, "table.delete");
}

Status TableClient::InsertEntity(const std::string& table, const Json& entity,
                                 const CallOptions& options) const {
    ADXFLOW_TRY(RequireKeys(entity, "table.insert"));
    StorageCall call = JsonCall("table.insert", "POST", "/" + http::PercentEncode(table));
    call.headers.Set("Prefer", "return-no-content");
    SetJsonBody(call, entity);
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "table.insert");
    return Ok();
}

Status TableClient::UpsertEntity(const std::string& table, const Json& entity,
                                 const CallOptions& options) const {
    ADXFLOW_TRY(RequireKeys(entity, "table.upsert"));
    // PUT without If-Match is "insert or replace".
    StorageCall call = JsonCall(
        "table.upsert", "PUT",
        EntityPath(table, entity["PartitionKey"].get<std::string>(), entity["RowKey"].get<std::string>()));
    SetJsonBody(call, entity);
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "table.upsert");
    return Ok();
}

Result<Json> TableClient::GetEntity(const std::string& table, const std::string& partition_key,
                                    const std::string& row_key, const CallOptions& options) const {
    StorageCall call = JsonCall("table.get", "GET", EntityPath(table, partition_key, row_key));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "table.get");
    return ParseBody("table.get", response.body);
}

Result<std::vector<Json>> TableClient::QueryEntities(const std::string& table, const TableQuery& query,
                                                     const CallOptions& options) const {
    std::vector<Json> entities;
    std::string next_partition, next_row;
    for (;;) {
        StorageCall call = JsonCall("table.query", "GET", "/" + http::PercentEncode(table) + "()");
        if (!query.filter.empty()) http::AppendQueryParam(call.query, "$filter", query.filter);
        if (!query.select.empty()) {
            std::string select;
            for (const auto& s : query.select) select += (select.empty() ? "" : ",") + s;
            http::AppendQueryParam(call.query, "$select", select);
        }
        if (query.page_size) http::AppendQueryParam(call.query, "$top", std::to_string(*query.page_size));
        if (!next_partition.empty()) http::AppendQueryParam(call.query, "NextPartitionKey", next_partition);
        if (!next_row.empty()) http::AppendQueryParam(call.query, "NextRowKey", next_row);
        ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
        if (!response.is_success()) return StorageError(response, "table.query");
        ADXFLOW_ASSIGN_OR_RETURN(Json page, ParseBody("table.query", response.body));
        const Json* value = FindMember(page, "value");
        if (!value || !value->is_array())
            return MakeError(ErrorKind::kTransient, "table.query",
                             "the table service response has no 'value' array");
        for (const Json& entity : *value) {
            if (entities.size() >= query.max_entities) return entities;
            entities.push_back(entity);
        }
        const std::string* np = response.headers.Get("x-ms-continuation-NextPartitionKey");
        const std::string* nr = response.headers.Get("x-ms-continuation-NextRowKey");
        if (!np && !nr) return entities;
        next_partition = np ? *np : std::string{};
        next_row = nr ? *nr : std::string{};
    }
}

Status TableClient::DeleteEntity(const std::string& table, const std::string& partition_key,
                                 const std::string& row_key, const CallOptions& options) const {
    StorageCall call = JsonCall("table.delete_entity", "DELETE", EntityPath(table, partition_key, row_key));
    call.headers.Set("If-Match", "*");
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "table.delete_entity");
    return Ok();
}

}  // namespace adxflow::azure
