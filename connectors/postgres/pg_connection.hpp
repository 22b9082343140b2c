#pragma once
// One libpq connection: opened with keyword/value parameters (nothing in a value is parsed as a connection
// string), the session pinned to UTC and ISO dates so that text values have one shape, errors classified
// from SQLSTATE (connection and serialization failures are transient; syntax, data and constraint errors
// are not), and waits on the socket bounded so that a cancelled activity stops promptly.

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "connectors/postgres/pg_options.hpp"
#include "core/contract.hpp"

namespace adxflow::postgres {

struct PgResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

class PgConnection {
  public:
    static Result<std::unique_ptr<PgConnection>> Connect(const PgLinkedService& ls);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    PGconn* raw() { return conn_; }
    // Runs `sql` (no parameters) and expects a command or rows; the error names `op`.
    Result<PgResult> Exec(const std::string& sql, const char* op, const OpContext* ctx = nullptr);
    // Sends a query built by the caller with PQsend* and waits for its next result without blocking past
    // cancellation: polls the socket in 200 ms steps, checking `ctx`, and asks the server to cancel.
    Result<PgResult> NextResult(const char* op, const OpContext* ctx);
    // Waits until the socket is readable (or 200 ms passed) and consumes input; error if the connection
    // broke.
    Status WaitReadable(const char* op, const OpContext* ctx);
    // The error of a failed result or of the connection, classified from SQLSTATE.
    Error ErrorFrom(const PGresult* result, const char* op) const;
    // Asks the server to cancel the running statement (best effort).
    void Cancel();
    const std::string& description() const { return description_; }

  private:
    PgConnection() = default;
    PGconn* conn_ = nullptr;
    std::string description_;
};

// An error for SQLSTATE `state` (may be empty) with `message`.
Error PgError(const std::string& state, std::string message, const char* op);

}  // namespace adxflow::postgres
