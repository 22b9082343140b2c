#include "connectors/postgres/pg_source.hpp"

#include <charconv>
#include <cstring>

#include "connectors/common/azure/encoding.hpp"

namespace adxflow::postgres {

PgColumnMap MapPgType(unsigned int oid) {
    switch (oid) {
        case 16:
            return {ColumnType::kBool, PgDecode::kBool};
        case 21:  // int2
        case 23:  // int4
            return {ColumnType::kInt, PgDecode::kInt};
        case 20:  // int8
        case 26:  // oid
            return {ColumnType::kLong, PgDecode::kInt};
        case 700:  // float4
        case 701:  // float8
            return {ColumnType::kReal, PgDecode::kReal};
        case 1700:
            return {ColumnType::kDecimal, PgDecode::kText};  // exact digits, as text
        case 1114:                                           // timestamp
        case 1184:                                           // timestamptz (session in UTC)
            return {ColumnType::kDateTime, PgDecode::kTimestamp};
        case 1082:
            return {ColumnType::kDateTime, PgDecode::kDate};
        case 1083:
            return {ColumnType::kTimeSpan, PgDecode::kText};  // time: "hh:mm:ss[.ffffff]"
        case 2950:
            return {ColumnType::kGuid, PgDecode::kText};
        case 114:   // json
        case 3802:  // jsonb
            return {ColumnType::kDynamic, PgDecode::kText};
        case 17:
            return {ColumnType::kString, PgDecode::kBytea};  // base64, as ADF writes byte arrays to text
        default:
            return {ColumnType::kString, PgDecode::kText};  // text, varchar, interval, arrays, ...
    }
}

namespace {

// "2024-01-02 03:04:05.123456[+00]" -> "2024-01-02T03:04:05.123456Z". BC dates and +/-infinity have no
// Kusto datetime: false, and the cell becomes null (docs/postgresql-connector.md).
bool IsoTimestamp(std::string_view text, std::string& out) {
    if (text.size() < 19 || text[4] != '-' || text[10] != ' ' || text.find("BC") != std::string_view::npos)
        return false;
    size_t end = text.size();
    // The session time zone is UTC, so timestamptz always ends in "+00".
    if (end > 3 && text.substr(end - 3) == "+00") end -= 3;
    out.assign(text.data(), end);
    out[10] = 'T';
    out += 'Z';
    return true;
}

}  // namespace

bool DecodePgText(std::string_view text, PgDecode decode, Value& out) {
    switch (decode) {
        case PgDecode::kText:
            out = std::string(text);
            return true;
        case PgDecode::kBool:
            if (text == "t")
                out = true;
            else if (text == "f")
                out = false;
            else
                return false;
            return true;
        case PgDecode::kInt: {
            int64_t v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc() || p != text.data() + text.size()) return false;
            out = v;
            return true;
        }
        case PgDecode::kReal: {
            double v = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc() || p != text.data() + text.size()) return false;
            out = v;
            return true;
        }
        case PgDecode::kTimestamp: {
            std::string iso;
            if (!IsoTimestamp(text, iso)) return false;
            out = std::move(iso);
            return true;
        }
        case PgDecode::kDate: {
            if (text.size() != 10 || text[4] != '-') return false;
            out.emplace<std::string>(text) += "T00:00:00Z";
            return true;
        }
        case PgDecode::kBytea: {
            if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
            std::string bytes;
            bytes.reserve((text.size() - 2) / 2);
            for (size_t i = 2; i < text.size(); i += 2) {
                unsigned v = 0;
                auto [p, ec] = std::from_chars(text.data() + i, text.data() + i + 2, v, 16);
                if (ec != std::errc() || p != text.data() + i + 2) return false;
                bytes += static_cast<char>(v);
            }
            out = azure::Base64Encode(bytes);
            return true;
        }
    }
    return false;
}

void SplitCopyRow(std::string_view row, std::vector<std::optional<std::string>>& fields) {
    size_t n = 0;
    size_t i = 0;
    while (true) {
        if (fields.size() <= n) fields.emplace_back();
        auto& field = fields[n++];
        if (row.compare(i, 3, "\\N\t") == 0 || (i + 2 == row.size() && row.compare(i, 2, "\\N") == 0)) {
            field.reset();
            i += 2;
        } else {
            if (!field) field.emplace();
            field->clear();
            // COPY's text format escapes only backslash, tab, newline, carriage return (and \b \f \v).
            while (i < row.size() && row[i] != '\t') {
                const char c = row[i];
                if (c != '\\' || i + 1 >= row.size()) {
                    // Copy the run up to the next tab or backslash in one go.
                    size_t j = i;
                    while (j < row.size() && row[j] != '\t' && row[j] != '\\') ++j;
                    if (j == i) j = i + 1;
                    field->append(row.data() + i, j - i);
                    i = j;
                    continue;
                }
                const char e = row[i + 1];
                switch (e) {
                    case 'n':
                        *field += '\n';
                        break;
                    case 'r':
                        *field += '\r';
                        break;
                    case 't':
                        *field += '\t';
                        break;
                    case 'b':
                        *field += '\b';
                        break;
                    case 'f':
                        *field += '\f';
                        break;
                    case 'v':
                        *field += '\v';
                        break;
                    default:
                        *field += e;
                        break;
                }
                i += 2;
            }
        }
        if (i >= row.size()) break;
        ++i;  // the tab
    }
    fields.resize(n);
}

Result<Schema> PgSource::Open(const OpContext& ctx) {
    ADXFLOW_ASSIGN_OR_RETURN(conn_, PgConnection::Connect(ls_));
    // Describe without running: names and type OIDs of the result.
    PGconn* c = conn_->raw();
    if (!PQsendPrepare(c, "", settings_.query.c_str(), 0, nullptr))
        return conn_->ErrorFrom(nullptr, "postgres.source.describe");
    for (bool ok = true;;) {
        ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.source.describe", &ctx));
        if (!r) break;
        if (ok && PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
            Error e = conn_->ErrorFrom(r.get(), "postgres.source.describe");
            e.message = "the source query failed: " + e.message;
            while (true) {  // drain before returning so the connection is reusable
                ADXFLOW_ASSIGN_OR_RETURN(PgResult rest, conn_->NextResult("postgres.source.describe", &ctx));
                if (!rest) break;
            }
            return e;
        }
    }
    if (!PQsendDescribePrepared(c, "")) return conn_->ErrorFrom(nullptr, "postgres.source.describe");
    Schema schema;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.source.describe", &ctx));
        if (!r) break;
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
            return conn_->ErrorFrom(r.get(), "postgres.source.describe");
        for (int i = 0; i < PQnfields(r.get()); ++i) {
            PgColumnMap map = MapPgType(PQftype(r.get(), i));
            schema.push_back(Column{PQfname(r.get(), i), map.type});
            columns_.push_back(map);
        }
    }
    if (schema.empty())
        return MakeError(ErrorKind::kInvalidInput, "postgres.source", "the source query returns no columns",
                         "InvalidSource", "source.query");
    // A newline before the closing parenthesis keeps a trailing "-- comment" in the query harmless.
    const std::string copy = "COPY (" + settings_.query + "\n) TO STDOUT";
    if (!PQsendQuery(c, copy.c_str())) return conn_->ErrorFrom(nullptr, "postgres.source.copy");
    ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.source.copy", &ctx));
    if (!r || PQresultStatus(r.get()) != PGRES_COPY_OUT)
        return conn_->ErrorFrom(r.get(), "postgres.source.copy");
    return schema;
}

Result<bool> PgSource::Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) {
    batch.Reset(columns_.size());
    if (done_) return false;
    PGconn* c = conn_->raw();
    while (batch.rows() < max_rows) {
        char* buffer = nullptr;
        const int n = PQgetCopyData(c, &buffer, /*async=*/1);
        if (n == 0) {  // no complete row buffered yet
            ADXFLOW_TRY(conn_->WaitReadable("postgres.source.copy", &ctx));
            continue;
        }
        if (n == -1) {  // end of the COPY: its final status
            done_ = true;
            while (true) {
                ADXFLOW_ASSIGN_OR_RETURN(PgResult r, conn_->NextResult("postgres.source.copy", &ctx));
                if (!r) break;
                if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
                    return conn_->ErrorFrom(r.get(), "postgres.source.copy");
            }
            return false;
        }
        if (n < 0) return conn_->ErrorFrom(nullptr, "postgres.source.copy");
        std::string_view row(buffer, static_cast<size_t>(n));
        if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
        SplitCopyRow(row, fields_);
        Value* cells = batch.AddRow();
        const size_t width = std::min(fields_.size(), columns_.size());
        for (size_t i = 0; i < width; ++i) {
            if (!fields_[i]) continue;
            // A value the type cannot hold in Kusto (infinity, BC dates) stays null.
            if (!DecodePgText(*fields_[i], columns_[i].decode, cells[i])) cells[i] = Value();
        }
        stats_.bytes_read += static_cast<uint64_t>(n);
        batch.AddBytes(static_cast<size_t>(n));
        PQfreemem(buffer);
        ++stats_.rows_read;
    }
    return true;
}

}  // namespace adxflow::postgres
