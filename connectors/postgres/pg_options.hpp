#pragma once
// ADF's PostgreSQL shapes, read from the resolved JSON the engine hands over (expressions evaluated,
// SecureStrings opened, references inlined). Errors name the JSON path of the offending field.
//
// Reading: linked service PostgreSqlV2 (server, port, database, username, password, sslMode, timeouts),
// dataset PostgreSqlV2Table (schema, table), source PostgreSqlV2Source (query). Writing, as ADF does it,
// through AzurePostgreSql (connectionString, or the same fields as PostgreSqlV2), dataset
// AzurePostgreSqlTable (schema + table, or tableName) and sink AzurePostgreSqlSink (writeMethod
// CopyCommand / BulkInsert / Upsert, upsertSettings.keys, preCopyScript, writeBatchTimeout). Both linked
// services point at any PostgreSQL server.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/contract.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace adxflow::postgres {

using adxflow::SecretFetcher;  // core/contract.hpp

struct PgLinkedService {
    std::string host;
    int port = 5432;
    std::string database;
    std::string username;
    std::string password;             // in clear, for the connection only: never logged, never returned
    std::string ssl_mode = "prefer";  // libpq spelling
    std::chrono::seconds connection_timeout{15};
    std::chrono::milliseconds command_timeout{0};  // 0 = none (ADF: 0 = infinite)
    std::string Describe() const;                  // host:port/database as user, never the password
};

// PostgreSqlV2 and AzurePostgreSql (`connectionString`, with an optional separate `password`). Secrets
// may be plain strings, SecureStrings or AzureKeyVaultSecret references (fetched here with `fetch`).
Result<PgLinkedService> ParseLinkedService(const Json& type_properties, const SecretFetcher& fetch,
                                           const CancellationToken* cancel);

// "schema"."table" with both parts quoted for SQL (names are case-sensitive, as in ADF).
struct PgTable {
    std::string schema;  // empty = the search_path's first schema (usually public)
    std::string table;
    std::string Quoted() const;
};
std::string QuoteIdentifier(std::string_view name);

struct PgSourceSettings {
    std::string query;  // the source's query, else SELECT * FROM the dataset's table
};
Result<PgSourceSettings> ParseSourceSettings(const Json& source, const Json& dataset);

enum class WriteMethod { kBulkInsert, kCopyCommand, kUpsert };
struct PgSinkSettings {
    PgTable table;
    WriteMethod method = WriteMethod::kBulkInsert;  // ADF's default
    std::vector<std::string> upsert_keys;
    std::string pre_copy_script;
    std::chrono::milliseconds batch_timeout{0};  // writeBatchTimeout: statement_timeout of each batch
};
Result<PgSinkSettings> ParseSinkSettings(const Json& sink, const Json& dataset);

}  // namespace adxflow::postgres
