#pragma once
#include "storage/sqlite.hpp"

namespace adxflow::storage {
// Applies every numbered migration newer than the file's `PRAGMA user_version`, each in its own
// transaction. Migrations only move forward: a database newer than this binary is refused.
Status Migrate(Connection& conn);
int LatestSchemaVersion();
}  // namespace adxflow::storage
