#pragma once
// Azure Table Storage REST calls with JSON payloads ("application/json;odata=nometadata"): tables, insert,
// upsert (insert-or-replace), point reads, filtered queries with continuation, delete.
//
// Entities are JSON objects carrying PartitionKey and RowKey. Without metadata the service infers
// String/Boolean/Int32/Double; other types need an annotation next to the property, e.g.
// {"Count": "5", "Count@odata.type": "Edm.Int64"} or {"At": "...Z", "At@odata.type": "Edm.DateTime"}.

#include <optional>
#include <string>
#include <vector>

#include "connectors/common/azure/storage_client.hpp"
#include "core/json.hpp"

namespace adxflow::azure {

struct TableQuery {
    std::string filter;               // OData $filter, e.g. "PartitionKey eq 'p1' and Score gt 10"
    std::vector<std::string> select;  // empty: all properties
    std::optional<int> page_size;     // $top per request (the service caps pages at 1000)
    size_t max_entities = 100000;     // stop following continuations after this many
};

class TableClient {
  public:
    TableClient(StorageAccount account, http::HttpClient& http);

    // Succeeds when the table already exists.
    Status CreateTable(const std::string& table, const CallOptions& options = {}) const;
    // Succeeds when the table does not exist.
    Status DeleteTable(const std::string& table, const CallOptions& options = {}) const;
    // kConflict (code EntityAlreadyExists) when an entity with the same keys exists.
    Status InsertEntity(const std::string& table, const Json& entity, const CallOptions& options = {}) const;
    // Insert or replace by (PartitionKey, RowKey).
    Status UpsertEntity(const std::string& table, const Json& entity, const CallOptions& options = {}) const;
    // kNotFound when absent.
    Result<Json> GetEntity(const std::string& table, const std::string& partition_key,
                           const std::string& row_key, const CallOptions& options = {}) const;
    // Follows x-ms-continuation-* headers until the result is complete or max_entities is reached.
    Result<std::vector<Json>> QueryEntities(const std::string& table, const TableQuery& query,
                                            const CallOptions& options = {}) const;
    // Unconditional delete (If-Match: *); kNotFound when absent.
    Status DeleteEntity(const std::string& table, const std::string& partition_key,
                        const std::string& row_key, const CallOptions& options = {}) const;

    const StorageAccount& account() const { return transport_.account(); }

  private:
    StorageTransport transport_;
};

// "/table(PartitionKey='a',RowKey='it''s')" percent-encoded: the address of one entity.
std::string EntityPath(const std::string& table, const std::string& partition_key,
                       const std::string& row_key);

}  // namespace adxflow::azure
