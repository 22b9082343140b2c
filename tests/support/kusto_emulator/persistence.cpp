#include "tests/support/kusto_emulator/persistence.hpp"

#include <sqlite3.h>

namespace adxflow::kusto_emulator {

namespace {

Error SqlError(sqlite3* db, const std::string& what) {
    return MakeError(ErrorKind::kInternal, "emulator.store", what + ": " + sqlite3_errmsg(db));
}

// A prepared statement that finalizes itself.
class Stmt {
  public:
    Stmt(sqlite3* db, const char* sql) : db_(db) {
        ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK;
    }
    ~Stmt() { sqlite3_finalize(s_); }
    bool ok() const { return ok_; }
    Stmt& Text(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& Int(int i, int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    int Step() { return sqlite3_step(s_); }
    std::string Col(int i) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
    }
    int64_t ColInt(int i) const { return sqlite3_column_int64(s_, i); }

  private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
    bool ok_ = false;
};

}  // namespace

Result<std::unique_ptr<EmulatorStore>> EmulatorStore::Open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        Error e = SqlError(db, "cannot open " + path);
        sqlite3_close(db);
        return e;
    }
    std::unique_ptr<EmulatorStore> store(new EmulatorStore(db));
    ADXFLOW_TRY(store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"));
    ADXFLOW_TRY(store->Exec(R"sql(
        CREATE TABLE IF NOT EXISTS databases (name TEXT PRIMARY KEY, streaming INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS tables (
            db TEXT NOT NULL, name TEXT NOT NULL, schema TEXT NOT NULL, mappings TEXT NOT NULL,
            streaming INTEGER NOT NULL, PRIMARY KEY (db, name));
        CREATE TABLE IF NOT EXISTS extents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, db TEXT NOT NULL, tbl TEXT NOT NULL,
            tags TEXT NOT NULL, created TEXT NOT NULL, rows TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS extents_table ON extents (db, tbl, seq);
    )sql"));
    return store;
}

EmulatorStore::~EmulatorStore() {
    sqlite3_close(db_);
}

Status EmulatorStore::Exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        return MakeError(ErrorKind::kInternal, "emulator.store", text);
    }
    return Ok();
}

Status EmulatorStore::SaveDatabase(const std::string& name, bool streaming_policy) {
    Stmt s(db_,
           "INSERT INTO databases (name, streaming) VALUES (?, ?) "
           "ON CONFLICT (name) DO UPDATE SET streaming = excluded.streaming");
    if (!s.ok() || s.Text(1, name).Int(2, streaming_policy).Step() != SQLITE_DONE)
        return SqlError(db_, "save database");
    return Ok();
}

Status EmulatorStore::SaveTable(const StoredTable& t, bool with_extents) {
    ADXFLOW_TRY(Exec("BEGIN IMMEDIATE"));
    auto fail = [this](const char* what) {
        Error e = SqlError(db_, what);
        (void)Exec("ROLLBACK");
        return e;
    };
    {
        Stmt s(db_,
               "INSERT INTO tables (db, name, schema, mappings, streaming) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (db, name) DO UPDATE SET schema = excluded.schema, mappings = excluded.mappings, "
               "streaming = excluded.streaming");
        if (!s.ok() || s.Text(1, t.database)
                               .Text(2, t.name)
                               .Text(3, t.schema.dump())
                               .Text(4, t.mappings.dump())
                               .Int(5, t.streaming_policy)
                               .Step() != SQLITE_DONE)
            return fail("save table");
    }
    if (with_extents) {
        Stmt del(db_, "DELETE FROM extents WHERE db = ? AND tbl = ?");
        if (!del.ok() || del.Text(1, t.database).Text(2, t.name).Step() != SQLITE_DONE)
            return fail("rewrite extents");
        for (const auto& e : t.extents) {
            Stmt ins(db_, "INSERT INTO extents (id, db, tbl, tags, created, rows) VALUES (?, ?, ?, ?, ?, ?)");
            if (!ins.ok() || ins.Text(1, e.id)
                                     .Text(2, t.database)
                                     .Text(3, t.name)
                                     .Text(4, e.tags.dump())
                                     .Text(5, e.created)
                                     .Text(6, e.rows.dump())
                                     .Step() != SQLITE_DONE)
                return fail("rewrite extents");
        }
    }
    return Exec("COMMIT");
}

Status EmulatorStore::AddExtent(const std::string& database, const std::string& table,
                                const StoredExtent& e) {
    Stmt s(db_, "INSERT INTO extents (id, db, tbl, tags, created, rows) VALUES (?, ?, ?, ?, ?, ?)");
    if (!s.ok() || s.Text(1, e.id)
                           .Text(2, database)
                           .Text(3, table)
                           .Text(4, e.tags.dump())
                           .Text(5, e.created)
                           .Text(6, e.rows.dump())
                           .Step() != SQLITE_DONE)
        return SqlError(db_, "add extent");
    return Ok();
}

Status EmulatorStore::DropTable(const std::string& database, const std::string& table) {
    ADXFLOW_TRY(Exec("BEGIN IMMEDIATE"));
    Stmt a(db_, "DELETE FROM extents WHERE db = ? AND tbl = ?");
    Stmt b(db_, "DELETE FROM tables WHERE db = ? AND name = ?");
    if (!a.ok() || !b.ok() || a.Text(1, database).Text(2, table).Step() != SQLITE_DONE ||
        b.Text(1, database).Text(2, table).Step() != SQLITE_DONE) {
        Error e = SqlError(db_, "drop table");
        (void)Exec("ROLLBACK");
        return e;
    }
    return Exec("COMMIT");
}

Result<std::vector<std::pair<std::string, bool>>> EmulatorStore::LoadDatabases() {
    std::vector<std::pair<std::string, bool>> out;
    Stmt s(db_, "SELECT name, streaming FROM databases");
    if (!s.ok()) return SqlError(db_, "load databases");
    while (s.Step() == SQLITE_ROW) out.emplace_back(s.Col(0), s.ColInt(1) != 0);
    return out;
}

Result<std::vector<StoredTable>> EmulatorStore::LoadTables() {
    std::vector<StoredTable> out;
    Stmt s(db_, "SELECT db, name, schema, mappings, streaming FROM tables");
    if (!s.ok()) return SqlError(db_, "load tables");
    while (s.Step() == SQLITE_ROW) {
        StoredTable t;
        t.database = s.Col(0);
        t.name = s.Col(1);
        t.schema = Json::parse(s.Col(2), nullptr, false);
        t.mappings = Json::parse(s.Col(3), nullptr, false);
        t.streaming_policy = s.ColInt(4) != 0;
        Stmt e(db_, "SELECT id, tags, created, rows FROM extents WHERE db = ? AND tbl = ? ORDER BY seq");
        if (!e.ok()) return SqlError(db_, "load extents");
        e.Text(1, t.database).Text(2, t.name);
        while (e.Step() == SQLITE_ROW)
            t.extents.push_back({e.Col(0), Json::parse(e.Col(1), nullptr, false), e.Col(2),
                                 Json::parse(e.Col(3), nullptr, false)});
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace adxflow::kusto_emulator
