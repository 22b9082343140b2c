#include "storage/sqlite.hpp"

namespace adxflow::storage {

Result<Connection> Connection::Open(const std::filesystem::path& path, int busy_timeout_ms) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return MakeError(ErrorKind::kInternal, "sqlite.open", "cannot open " + path.string() + ": " + msg);
    }
    Connection conn(db);
    sqlite3_busy_timeout(db, busy_timeout_ms);
    // WAL lets readers (the API) proceed while the scheduler writes; synchronous=NORMAL in WAL mode keeps
    // every commit atomic and durable against process crashes (kill -9), losing at most the last commits on
    // a power cut. secure_delete overwrites freed pages so that deleted secrets do not linger in the file.
    ADXFLOW_TRY(conn.Exec("PRAGMA journal_mode=WAL"));
    ADXFLOW_TRY(conn.Exec("PRAGMA synchronous=NORMAL"));
    ADXFLOW_TRY(conn.Exec("PRAGMA foreign_keys=ON"));
    ADXFLOW_TRY(conn.Exec("PRAGMA secure_delete=ON"));
    return conn;
}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        if (db_) sqlite3_close_v2(db_);
        db_ = other.db_;
        other.db_ = nullptr;
    }
    return *this;
}

Connection::~Connection() {
    if (db_) sqlite3_close_v2(db_);
}

Error Connection::LastError(std::string op) const {
    int code = sqlite3_extended_errcode(db_);
    ErrorKind kind = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? ErrorKind::kTransient
                                                                                     : ErrorKind::kInternal;
    if ((code & 0xff) == SQLITE_CONSTRAINT) kind = ErrorKind::kConflict;
    return MakeError(kind, std::move(op), sqlite3_errmsg(db_));
}

Status Connection::Exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        Error e = LastError("sqlite.exec");
        e.message = msg;
        return e;
    }
    return Ok();
}

Result<Statement> Connection::Prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK)
        return LastError("sqlite.prepare");
    return Statement(stmt, db_);
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (stmt_) sqlite3_finalize(stmt_);
        stmt_ = other.stmt_;
        db_ = other.db_;
        other.stmt_ = nullptr;
    }
    return *this;
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::BindNull(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Statement& Statement::BindOptional(int index, const std::optional<std::string>& text) {
    return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Result<bool> Statement::Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = MakeError(ErrorKind::kInternal, "sqlite.step", sqlite3_errmsg(db_));
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) e.kind = ErrorKind::kTransient;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) e.kind = ErrorKind::kConflict;
    return e;
}

Status Statement::Run() {
    while (true) {
        auto r = Step();
        if (!r.ok()) {
            Reset();
            return std::move(r).error();
        }
        if (!*r) break;
    }
    Reset();
    return Ok();
}

void Statement::Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::string Statement::ColumnText(int index) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

bool Statement::ColumnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

Result<Transaction> Transaction::Begin(Connection& conn) {
    ADXFLOW_TRY(conn.Exec("BEGIN IMMEDIATE"));
    return Transaction(&conn);
}

Transaction::~Transaction() {
    if (conn_) (void)conn_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
    Connection* c = conn_;
    conn_ = nullptr;
    return c->Exec("COMMIT");
}

}  // namespace adxflow::storage
