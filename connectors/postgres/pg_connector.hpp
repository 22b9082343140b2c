#pragma once
// The PostgreSQL connector: linked services PostgreSqlV2 (read) and AzurePostgreSql (read and write, ADF's
// way of writing to PostgreSQL), datasets PostgreSqlV2Table / AzurePostgreSqlTable, source
// PostgreSqlV2Source (Copy and Lookup) and sink AzurePostgreSqlSink. libpq; docs/postgresql-connector.md.

#include "connectors/postgres/pg_options.hpp"
#include "core/contract.hpp"

namespace adxflow::postgres {

// `fetch` opens AzureKeyVaultSecret references (password or connectionString); may be null.
ConnectorDescriptor MakePostgresConnector(SecretFetcher fetch);

}  // namespace adxflow::postgres
