#include "connectors/postgres/pg_connection.hpp"

#include <poll.h>

#include <vector>

namespace adxflow::postgres {

namespace {

std::string TrimMessage(const char* text) {
    std::string s = text ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

Error PgError(const std::string& state, std::string message, const char* op) {
    ErrorKind kind = ErrorKind::kInvalidInput;
    const std::string cls = state.size() >= 2 ? state.substr(0, 2) : std::string();
    if (state.empty() || cls == "08" || cls == "53" || cls == "57" || state == "40001" || state == "40P01" ||
        cls == "58")
        kind = ErrorKind::kTransient;  // connection lost, server busy or shutting down, serialization
    if (state == "57014") kind = ErrorKind::kTimeout;  // statement_timeout (or a cancel request)
    if (cls == "28") kind = ErrorKind::kUnauthorized;
    if (cls == "42" && state == "42501") kind = ErrorKind::kForbidden;
    if (state == "42P01" || state == "3D000" || state == "3F000") kind = ErrorKind::kNotFound;
    std::string code = "PostgreSqlError";
    if (!state.empty()) message += " (SQLSTATE " + state + ")";
    return MakeError(kind, op, std::move(message), std::move(code));
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgLinkedService& ls) {
    const std::string port = std::to_string(ls.port);
    const std::string timeout = std::to_string(std::max<int64_t>(1, ls.connection_timeout.count()));
    // One shape for every text value: UTC timestamps, ISO dates, hex bytea, shortest exact floats.
    const std::string options =
        "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres"
        " -c bytea_output=hex -c extra_float_digits=1" +
        (ls.command_timeout.count() > 0
             ? " -c statement_timeout=" + std::to_string(ls.command_timeout.count())
             : std::string());
    std::vector<const char*> keys = {"host",
                                     "port",
                                     "dbname",
                                     "user",
                                     "password",
                                     "sslmode",
                                     "connect_timeout",
                                     "options",
                                     "application_name",
                                     "client_encoding",
                                     nullptr};
    std::vector<const char*> values = {ls.host.c_str(),
                                       port.c_str(),
                                       ls.database.c_str(),
                                       ls.username.c_str(),
                                       ls.password.empty() ? nullptr : ls.password.c_str(),
                                       ls.ssl_mode.c_str(),
                                       timeout.c_str(),
                                       options.c_str(),
                                       "adxflowd",
                                       "UTF8",
                                       nullptr};
    std::unique_ptr<PgConnection> c(new PgConnection());
    c->description_ = ls.Describe();
    c->conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/0);
    if (!c->conn_)
        return MakeError(ErrorKind::kInternal, "postgres.connect", "libpq could not allocate a connection");
    if (PQstatus(c->conn_) != CONNECTION_OK) {
        // libpq's message names the host and the reason; it never contains the password.
        std::string message =
            "cannot connect to " + c->description_ + ": " + TrimMessage(PQerrorMessage(c->conn_));
        const bool auth = message.find("authentication failed") != std::string::npos ||
                          message.find("no password supplied") != std::string::npos;
        const bool missing_db = message.find("does not exist") != std::string::npos;
        Error e = MakeError(auth         ? ErrorKind::kUnauthorized
                            : missing_db ? ErrorKind::kNotFound
                                         : ErrorKind::kTransient,
                            "postgres.connect", std::move(message), "PostgreSqlConnectionFailed");
        return e;
    }
    return c;
}

PgConnection::~PgConnection() {
    if (conn_) PQfinish(conn_);  // an open transaction or COPY is rolled back by the server
}

Error PgConnection::ErrorFrom(const PGresult* result, const char* op) const {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = result ? TrimMessage(PQresultErrorMessage(result)) : std::string();
    if (message.empty()) message = TrimMessage(PQerrorMessage(conn_));
    if (PQstatus(conn_) != CONNECTION_OK && !state) return PgError("08006", message, op);
    return PgError(state ? state : "", message, op);
}

void PgConnection::Cancel() {
    if (PGcancel* cancel = PQgetCancel(conn_)) {
        char buf[256];
        PQcancel(cancel, buf, sizeof buf);
        PQfreeCancel(cancel);
    }
}

Status PgConnection::WaitReadable(const char* op, const OpContext* ctx) {
    if (ctx && ctx->cancel.cancelled()) {
        Cancel();
        return ctx->CheckCancelled();
    }
    pollfd pfd{};
    pfd.fd = PQsocket(conn_);
    pfd.events = POLLIN;
    if (pfd.fd < 0) return PgError("08006", "the connection to " + description_ + " is closed", op);
    ::poll(&pfd, 1, 200);
    if (!PQconsumeInput(conn_)) return PgError("08006", TrimMessage(PQerrorMessage(conn_)), op);
    return Ok();
}

Result<PgResult> PgConnection::NextResult(const char* op, const OpContext* ctx) {
    while (PQisBusy(conn_)) ADXFLOW_TRY(WaitReadable(op, ctx));
    return PgResult(PQgetResult(conn_));
}

Result<PgResult> PgConnection::Exec(const std::string& sql, const char* op, const OpContext* ctx) {
    if (!PQsendQuery(conn_, sql.c_str())) return ErrorFrom(nullptr, op);
    PgResult last;
    // Drain every result (a script may hold several statements); the first error wins.
    std::optional<Error> error;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(PgResult r, NextResult(op, ctx));
        if (!r) break;
        const auto status = PQresultStatus(r.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY && !error)
            error = ErrorFrom(r.get(), op);
        last = std::move(r);
    }
    if (error) return *error;
    return last;
}

}  // namespace adxflow::postgres
