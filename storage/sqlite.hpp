#pragma once
// A thin RAII layer over the SQLite C API: connections with the house pragmas, prepared statements, and
// BEGIN IMMEDIATE transactions (writers take the write lock up front, so they never deadlock upgrading a
// read lock and `busy_timeout` applies to them).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow::storage {

class Statement;

class Connection {
public:
    // Opens (creating) the database file with WAL, busy_timeout, foreign keys and secure_delete on.
    static Result<Connection> Open(const std::filesystem::path& path, int busy_timeout_ms = 5000);
    Connection() = default;
    Connection(Connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    Connection& operator=(Connection&& other) noexcept;
    ~Connection();

    Status Exec(std::string_view sql);
    Result<Statement> Prepare(std::string_view sql);
    sqlite3* raw() const { return db_; }
    Error LastError(std::string op) const;

private:
    explicit Connection(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    Statement() = default;
    Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) { other.stmt_ = nullptr; }
    Statement& operator=(Statement&& other) noexcept;
    ~Statement();

    // Binders are 1-based like SQLite's; they return *this to chain.
    Statement& Bind(int index, std::string_view text);
    Statement& Bind(int index, int64_t value);
    Statement& BindNull(int index);
    Statement& BindOptional(int index, const std::optional<std::string>& text);

    // Steps once: true when a row is available, false when done.
    Result<bool> Step();
    // Steps to completion (for writes).
    Status Run();
    void Reset();

    std::string ColumnText(int index) const;
    int64_t ColumnInt(int index) const;
    bool ColumnIsNull(int index) const;

private:
    friend class Connection;
    Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without Commit().
class Transaction {
public:
    static Result<Transaction> Begin(Connection& conn);
    Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
    ~Transaction();
    Status Commit();

private:
    explicit Transaction(Connection* conn) : conn_(conn) {}
    Connection* conn_ = nullptr;
};

}  // namespace adxflow::storage
