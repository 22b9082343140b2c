#include "connectors/postgres/pg_sink.hpp"

#include <charconv>
#include <cmath>

namespace adxflow::postgres {

namespace {

constexpr size_t kCopyFlushBytes = 1 << 20;  // COPY data is sent in ~1 MB messages
constexpr size_t kMaxParams = 65535;         // PostgreSQL's limit of parameters per statement

bool IsNumericType(const std::string& t) {
    return t == "smallint" || t == "integer" || t == "bigint" || t == "real" || t == "double precision" ||
           t.rfind("numeric", 0) == 0;
}

// Kusto timespan "[-][d.]hh:mm:ss[.fffffff]" -> PostgreSQL interval "[-]d days [-]hh:mm:ss[.ffffff]".
std::string TimespanToInterval(const std::string& s) {
    std::string body = s;
    bool negative = !body.empty() && body[0] == '-';
    if (negative) body.erase(0, 1);
    const size_t colon = body.find(':');
    const size_t dot = body.find('.');
    std::string days, clock = body;
    if (dot != std::string::npos && colon != std::string::npos && dot < colon) {
        days = body.substr(0, dot);
        clock = body.substr(dot + 1);
    }
    const std::string sign = negative ? "-" : "";
    return (days.empty() ? std::string() : sign + days + " days ") + sign + clock;
}

Error SinkError(std::string message, std::string code = "InvalidSink", std::string target = {}) {
    return MakeError(ErrorKind::kInvalidInput, "postgres.sink", std::move(message), std::move(code),
                     std::move(target));
}

}  // namespace

bool CellToPgText(const Value& v, ColumnType type, const std::string& pg_type, std::string& out) {
    out.clear();
    switch (v.index()) {
        case 0:
            return false;
        case 1: {
            const bool b = std::get<bool>(v);
            out = IsNumericType(pg_type) ? (b ? "1" : "0") : (b ? "true" : "false");
            return true;
        }
        case 2: {
            char buf[24];
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::get<int64_t>(v));
            out.assign(buf, p);
            return true;
        }
        case 3: {
            const double d = std::get<double>(v);
            if (std::isnan(d))
                out = "NaN";
            else if (std::isinf(d))
                out = d > 0 ? "Infinity" : "-Infinity";
            else {
                char buf[32];
                auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest exact form
                out.assign(buf, p);
            }
            return true;
        }
        default: {
            const auto& s = std::get<std::string>(v);
            if (type == ColumnType::kTimeSpan && pg_type == "interval")
                out = TimespanToInterval(s);
            else
                out = s;
            return true;
        }
    }
}

void AppendCopyEscaped(std::string& out, std::string_view text) {
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char* esc = c == '\\'   ? "\\\\"
                          : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                                      : nullptr;
        if (!esc) continue;
        out.append(text.data() + start, i - start);
        out += esc;
        start = i + 1;
    }
    out.append(text.data() + start, text.size() - start);
}

Status PgSink::Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) {
    schema_ = schema;
    ADXFLOW_ASSIGN_OR_RETURN(conn_, PgConnection::Connect(ls_));
    if (checkpoint.is_object()) chunks_ = checkpoint.value("chunks", uint64_t{0});
    // preCopyScript prepares the table once per copy; a resumed attempt already ran it (and committed
    // chunks after it that a second TRUNCATE would lose).
    if (checkpoint.is_null() && !settings_.pre_copy_script.empty()) {
        auto r = conn_->Exec(settings_.pre_copy_script, "postgres.sink.pre_copy_script", &ctx);
        if (!r.ok()) {
            Error e = std::move(r).error();
            e.message = "preCopyScript failed: " + e.message;
            e.target = "sink.preCopyScript";
            return e;
        }
    }
    if (schema.empty()) return Ok();

    // The table's columns, to match names and to know the types values are converted to.
    const std::string table = settings_.table.Quoted();
    const char* params[] = {table.c_str()};
    PgResult cols(PQexecParams(conn_->raw(),
                               "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                               "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped "
                               "ORDER BY a.attnum",
                               1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(cols.get()) != PGRES_TUPLES_OK) {
        Error e = conn_->ErrorFrom(cols.get(), "postgres.sink.table");
        e.message = "sink table " + table + ": " + e.message;
        e.target = "dataset.typeProperties.table";
        return e;
    }
    std::vector<std::pair<std::string, std::string>> table_columns;
    for (int i = 0; i < PQntuples(cols.get()); ++i)
        table_columns.emplace_back(PQgetvalue(cols.get(), i, 0), PQgetvalue(cols.get(), i, 1));
    auto find = [&](const std::string& name) -> int {
        for (size_t i = 0; i < table_columns.size(); ++i)
            if (table_columns[i].first == name) return static_cast<int>(i);
        for (size_t i = 0; i < table_columns.size(); ++i)
            if (IEquals(table_columns[i].first, name)) return static_cast<int>(i);
        return -1;
    };
    column_list_ = "(";
    for (size_t i = 0; i < schema.size(); ++i) {
        const int at = find(schema[i].name);
        if (at < 0)
            return SinkError("the sink table " + table + " has no column '" + schema[i].name +
                                 "' (map it with a translator or add the column)",
                             "InvalidSink", "translator");
        target_names_.push_back(table_columns[at].first);
        target_types_.push_back(table_columns[at].second);
        column_list_ += (i ? ", " : "") + QuoteIdentifier(table_columns[at].first);
    }
    column_list_ += ")";
    if (settings_.method == WriteMethod::kUpsert) {
        std::string keys, updates;
        for (size_t k = 0; k < settings_.upsert_keys.size(); ++k) {
            const int at = find(settings_.upsert_keys[k]);
            if (at < 0)
                return SinkError("upsert key '" + settings_.upsert_keys[k] + "' is not a column of " + table,
                                 "InvalidSink", "sink.upsertSettings.keys[" + std::to_string(k) + "]");
            keys += (k ? ", " : "") + QuoteIdentifier(table_columns[at].first);
        }
        for (const auto& name : target_names_) {
            bool is_key = false;
            for (const auto& key : settings_.upsert_keys) is_key = is_key || IEquals(key, name);
            if (!is_key)
                updates += (updates.empty() ? "" : ", ") + QuoteIdentifier(name) + " = EXCLUDED." +
                           QuoteIdentifier(name);
        }
        insert_suffix_ =
            " ON CONFLICT (" + keys + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
    }
    rows_per_insert_ = std::max<size_t>(1, std::min<size_t>(1000, kMaxParams / schema.size()));
    return Ok();
}

Status PgSink::Begin(const OpContext& ctx) {
    std::string begin = "BEGIN";
    if (settings_.batch_timeout.count() > 0)
        begin += "; SET LOCAL statement_timeout = " + std::to_string(settings_.batch_timeout.count());
    ADXFLOW_TRY(conn_->Exec(begin, "postgres.sink.begin", &ctx));
    in_transaction_ = true;
    if (settings_.method == WriteMethod::kCopyCommand) {
        const std::string copy = "COPY " + settings_.table.Quoted() + " " + column_list_ + " FROM STDIN";
        if (!PQsendQuery(conn_->raw(), copy.c_str())) return conn_->ErrorFrom(nullptr, "postgres.sink.copy");
        ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.sink.copy", &ctx));
        if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN)
            return conn_->ErrorFrom(r.get(), "postgres.sink.copy");
        copying_ = true;
    }
    return Ok();
}

Status PgSink::Write(const RowBatch& batch, const OpContext& ctx) {
    if (!conn_) return MakeError(ErrorKind::kInternal, "postgres.sink", "Write before Open");
    if (batch.rows() == 0) return Ok();
    if (!in_transaction_) ADXFLOW_TRY(Begin(ctx));
    std::string text;
    const size_t width = schema_.size();
    for (size_t r = 0; r < batch.rows(); ++r) {
        const Value* row = batch.Row(r);
        if (copying_) {
            const size_t before = copy_buffer_.size();
            for (size_t c = 0; c < width; ++c) {
                if (c) copy_buffer_ += '\t';
                if (CellToPgText(row[c], schema_[c].type, target_types_[c], text))
                    AppendCopyEscaped(copy_buffer_, text);
                else
                    copy_buffer_ += "\\N";
            }
            copy_buffer_ += '\n';
            pending_bytes_ += copy_buffer_.size() - before;
            if (copy_buffer_.size() >= kCopyFlushBytes) ADXFLOW_TRY(FlushCopy(false, ctx));
        } else {
            for (size_t c = 0; c < width; ++c) {
                if (CellToPgText(row[c], schema_[c].type, target_types_[c], text)) {
                    pending_bytes_ += text.size();
                    params_.emplace_back(std::move(text));
                } else {
                    params_.emplace_back(std::nullopt);
                }
            }
            if (params_.size() / width >= rows_per_insert_) ADXFLOW_TRY(FlushInsert(ctx));
        }
        ++pending_rows_;
    }
    return ctx.CheckCancelled();
}

Status PgSink::FlushCopy(bool end, const OpContext& ctx) {
    PGconn* c = conn_->raw();
    if (!copy_buffer_.empty()) {
        if (PQputCopyData(c, copy_buffer_.data(), static_cast<int>(copy_buffer_.size())) != 1)
            return conn_->ErrorFrom(nullptr, "postgres.sink.copy");
        copy_buffer_.clear();
    }
    if (!end) return Ok();
    copying_ = false;
    if (PQputCopyEnd(c, nullptr) != 1) return conn_->ErrorFrom(nullptr, "postgres.sink.copy");
    std::optional<Error> error;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.sink.copy", &ctx));
        if (!r) break;
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && !error)
            error = conn_->ErrorFrom(r.get(), "postgres.sink.copy");
    }
    if (error) return *error;
    return Ok();
}

Status PgSink::FlushInsert(const OpContext& ctx) {
    const size_t width = schema_.size();
    const size_t rows = params_.size() / width;
    if (rows == 0) return Ok();
    std::string sql = "INSERT INTO " + settings_.table.Quoted() + " " + column_list_ + " VALUES ";
    size_t n = 0;
    for (size_t r = 0; r < rows; ++r) {
        sql += r ? ",(" : "(";
        for (size_t c = 0; c < width; ++c) {
            if (c) sql += ',';
            sql += '$';
            sql += std::to_string(++n);
        }
        sql += ')';
    }
    sql += insert_suffix_;
    std::vector<const char*> values(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) values[i] = params_[i] ? params_[i]->c_str() : nullptr;
    // Text parameters of unknown type: PostgreSQL converts each to its target column's type.
    if (!PQsendQueryParams(conn_->raw(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                           nullptr, nullptr, 0))
        return conn_->ErrorFrom(nullptr, "postgres.sink.insert");
    params_.clear();
    std::optional<Error> error;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.sink.insert", &ctx));
        if (!r) break;
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && !error)
            error = conn_->ErrorFrom(r.get(), "postgres.sink.insert");
    }
    if (error) return *error;
    return Ok();
}

Result<Json> PgSink::CommitChunk(const ChunkKey& key, const OpContext& ctx) {
    (void)key;
    if (in_transaction_) {
        if (copying_)
            ADXFLOW_TRY(FlushCopy(true, ctx));
        else
            ADXFLOW_TRY(FlushInsert(ctx));
        ADXFLOW_TRY(conn_->Exec("COMMIT", "postgres.sink.commit", &ctx));
        in_transaction_ = false;
        stats_.rows_written += pending_rows_;
        stats_.bytes_written += pending_bytes_;
        pending_rows_ = pending_bytes_ = 0;
        ++chunks_;
    }
    return Json{{"chunks", chunks_}};
}

Status PgSink::Finish(const OpContext& ctx) {
    (void)ctx;
    conn_.reset();
    return Ok();
}

void PgSink::Abort() noexcept {
    // Closing the connection rolls back the open transaction (and any COPY in progress) on the server.
    conn_.reset();
    in_transaction_ = copying_ = false;
    params_.clear();
    copy_buffer_.clear();
}

}  // namespace adxflow::postgres
