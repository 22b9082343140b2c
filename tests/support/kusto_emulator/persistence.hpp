#pragma once
// The emulator's data on disk (--data-dir): databases, tables with their mappings and policies, and each
// table's extents with their tags and rows, in one SQLite file. Every change is written through before the
// command answers, so a restarted emulator finds what its clients were told was committed.

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

struct sqlite3;

namespace adxflow::kusto_emulator {

struct StoredExtent {
    std::string id;
    Json tags = Json::array();
    std::string created;
    Json rows = Json::array();  // wire JSON rows
};

struct StoredTable {
    std::string database;
    std::string name;
    Json schema = Json::array();     // [{"name","type"}]
    Json mappings = Json::object();  // "kind/name" -> {"kind","columns"}
    bool streaming_policy = false;
    std::vector<StoredExtent> extents;
};

class EmulatorStore {
  public:
    static Result<std::unique_ptr<EmulatorStore>> Open(const std::string& path);
    ~EmulatorStore();

    Status SaveDatabase(const std::string& name, bool streaming_policy);
    // The table's definition; `with_extents` also rewrites its extents (after a schema change or a drop).
    Status SaveTable(const StoredTable& table, bool with_extents);
    Status AddExtent(const std::string& database, const std::string& table, const StoredExtent& extent);
    Status DropTable(const std::string& database, const std::string& table);

    Result<std::vector<std::pair<std::string, bool>>> LoadDatabases();
    Result<std::vector<StoredTable>> LoadTables();

  private:
    explicit EmulatorStore(sqlite3* db) : db_(db) {}
    Status Exec(const std::string& sql);
    sqlite3* db_;
};

}  // namespace adxflow::kusto_emulator
