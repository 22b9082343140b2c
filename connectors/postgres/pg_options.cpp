#include "connectors/postgres/pg_options.hpp"

#include <cctype>

#include "connectors/adx/adx_linked_service.hpp"  // ParseTimespan: ADF's "d.hh:mm:ss"

namespace adxflow::postgres {

namespace {

Error Invalid(std::string path, std::string message, std::string code = "InvalidLinkedService") {
    return MakeError(ErrorKind::kInvalidInput, "postgres.settings", path + ": " + message, std::move(code),
                     path);
}

std::string Trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

bool IsType(const Json& v, std::string_view type) {
    const Json* t = v.is_object() ? FindMember(v, "type") : nullptr;
    return t && t->is_string() && IEquals(t->get_ref<const std::string&>(), type);
}

// A secret field: plain string, {"type":"SecureString","value"} or an AzureKeyVaultSecret reference.
Result<std::string> OpenSecret(const Json& v, const std::string& path, const SecretFetcher& fetch,
                               const CancellationToken* cancel) {
    if (v.is_string()) return v.get<std::string>();
    if (IsType(v, "SecureString")) {
        const Json* value = FindMember(v, "value");
        if (!value || !value->is_string()) return Invalid(path + ".value", "must be a string");
        return value->get<std::string>();
    }
    if (IsType(v, "AzureKeyVaultSecret")) {
        if (!fetch)
            return MakeError(ErrorKind::kUnsupported, "postgres.settings",
                             path + ": Key Vault references are not available in this daemon",
                             "InvalidLinkedService", path);
        return fetch(v, path, cancel);
    }
    return Invalid(path, "must be a string, a SecureString or an AzureKeyVaultSecret reference");
}

std::optional<std::string> OptionalString(const Json& obj, const char* name, const std::string& path,
                                          Error* error) {
    const Json* v = FindMember(obj, name);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
        *error = Invalid(path + "." + name, "must be a string");
        return std::nullopt;
    }
    return Trim(v->get_ref<const std::string&>());
}

// ADF's sslMode is an integer 0..5 (Npgsql's enum order); libpq spells the modes out. Accept both.
Result<std::string> ParseSslMode(const Json& v, const std::string& path) {
    static const char* const kModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
    if (auto n = AsInt(v)) {
        if (*n < 0 || *n > 5)
            return Invalid(path, "must be 0..5 (Disable, Allow, Prefer, Require, VerifyCA, VerifyFull)");
        return std::string(kModes[*n]);
    }
    if (v.is_string()) {
        std::string s;
        for (char c : v.get<std::string>())
            if (c != '-' && c != '_' && c != ' ')
                s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        static const char* const kPlain[] = {"disable", "allow",    "prefer",
                                             "require", "verifyca", "verifyfull"};
        for (int i = 0; i < 6; ++i)
            if (s == kPlain[i]) return std::string(kModes[i]);
    }
    return Invalid(path, "must be 0..5 or one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull");
}

Result<std::chrono::seconds> Seconds(const Json& v, const std::string& path) {
    auto n = AsInt(v);
    if (!n || *n < 0) return Invalid(path, "must be a number of seconds (0 or more)");
    return std::chrono::seconds(*n);
}

// Npgsql-style "Host=...;Port=...;Database=...;Username=...;Password=...": the form ADF's AzurePostgreSql
// linked service takes. Keys are case-insensitive and spaces inside them ignored ("User Id" == "userid").
Status ApplyConnectionString(const std::string& text, PgLinkedService& ls, bool& has_password) {
    const std::string path = "typeProperties.connectionString";
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find(';', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view part(text.data() + pos, end - pos);
        pos = end + 1;
        if (Trim(part).empty()) continue;
        size_t eq = part.find('=');
        if (eq == std::string::npos) return Invalid(path, "expected key=value pairs separated by ';'");
        std::string key;
        for (char c : part.substr(0, eq))
            if (!std::isspace(static_cast<unsigned char>(c)))
                key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = Trim(part.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        if (key == "host" || key == "server") {
            ls.host = value;
        } else if (key == "port") {
            auto n = AsInt(Json(value));
            if (!n || *n < 1 || *n > 65535) return Invalid(path, "Port must be 1..65535");
            ls.port = static_cast<int>(*n);
        } else if (key == "database" || key == "db" || key == "dbname") {
            ls.database = value;
        } else if (key == "uid" || key == "userid" || key == "user" || key == "username") {
            ls.username = value;
        } else if (key == "password" || key == "pwd") {
            ls.password = value;
            has_password = true;
        } else if (key == "sslmode") {
            ADXFLOW_ASSIGN_OR_RETURN(ls.ssl_mode, ParseSslMode(Json(value), path + " (SslMode)"));
        } else if (key == "encryptionmethod") {  // the legacy ODBC-style form: 1 = SSL
            ls.ssl_mode = value == "0" ? "disable" : "require";
        } else if (key == "timeout" || key == "connectiontimeout") {
            ADXFLOW_ASSIGN_OR_RETURN(ls.connection_timeout, Seconds(Json(value), path + " (Timeout)"));
        } else if (key == "commandtimeout") {
            ADXFLOW_ASSIGN_OR_RETURN(auto s, Seconds(Json(value), path + " (CommandTimeout)"));
            ls.command_timeout = s;
        }
        // Other Npgsql keys (Pooling, ValidateServerCertificate, ...) do not apply to libpq: ignored.
    }
    return Ok();
}

}  // namespace

std::string PgLinkedService::Describe() const {
    return username + "@" + host + ":" + std::to_string(port) + "/" + database;
}

std::string QuoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string PgTable::Quoted() const {
    return schema.empty() ? QuoteIdentifier(table) : QuoteIdentifier(schema) + "." + QuoteIdentifier(table);
}

Result<PgLinkedService> ParseLinkedService(const Json& tp, const SecretFetcher& fetch,
                                           const CancellationToken* cancel) {
    const std::string base = "typeProperties";
    if (!tp.is_object()) return Invalid(base, "must be an object");
    PgLinkedService ls;
    bool has_password = false;
    if (const Json* cs = FindMember(tp, "connectionString"); cs && !cs->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(std::string text,
                                 OpenSecret(*cs, base + ".connectionString", fetch, cancel));
        ADXFLOW_TRY(ApplyConnectionString(text, ls, has_password));
    }
    Error error;
    error.kind = ErrorKind::kInternal;
    auto field = [&](const char* name) { return OptionalString(tp, name, base, &error); };
    if (auto v = field("server")) ls.host = *v;
    if (auto v = field("database")) ls.database = *v;
    if (auto v = field("username")) ls.username = *v;
    if (!error.message.empty()) return error;
    if (const Json* v = FindMember(tp, "port"); v && !v->is_null()) {
        auto n = AsInt(*v);
        if (!n || *n < 1 || *n > 65535) return Invalid(base + ".port", "must be an integer 1..65535");
        ls.port = static_cast<int>(*n);
    }
    if (const Json* v = FindMember(tp, "password"); v && !v->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(ls.password, OpenSecret(*v, base + ".password", fetch, cancel));
        has_password = true;
    }
    if (const Json* v = FindMember(tp, "sslMode"); v && !v->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(ls.ssl_mode, ParseSslMode(*v, base + ".sslMode"));
    }
    if (const Json* v = FindMember(tp, "connectionTimeout"); v && !v->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(ls.connection_timeout, Seconds(*v, base + ".connectionTimeout"));
    }
    if (const Json* v = FindMember(tp, "commandTimeout"); v && !v->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(auto s, Seconds(*v, base + ".commandTimeout"));
        ls.command_timeout = s;
    }
    if (const Json* v = FindMember(tp, "authenticationType");
        v && v->is_string() && !IEquals(v->get<std::string>(), "Basic"))
        return MakeError(ErrorKind::kUnsupported, "postgres.settings",
                         base + ".authenticationType: only Basic is supported", "InvalidLinkedService",
                         base + ".authenticationType");
    if (ls.host.empty()) return Invalid(base + ".server", "is required (or Host= in connectionString)");
    if (ls.database.empty())
        return Invalid(base + ".database", "is required (or Database= in connectionString)");
    if (ls.username.empty())
        return Invalid(base + ".username", "is required (or Username= in connectionString)");
    (void)has_password;  // a server with trust or peer authentication needs none
    return ls;
}

namespace {

Result<PgTable> ParseTable(const Json& dataset, bool required, const std::string& path) {
    PgTable t;
    Error error;
    if (auto v = OptionalString(dataset, "schema", path, &error)) t.schema = *v;
    if (auto v = OptionalString(dataset, "table", path, &error)) t.table = *v;
    if (!error.message.empty()) return error;
    if (t.table.empty()) {
        // The legacy tableName: "schema.table" or "table", possibly with quotes already.
        if (auto v = OptionalString(dataset, "tableName", path, &error)) {
            std::string name = *v;
            size_t dot = std::string::npos;
            bool quoted = false;
            for (size_t i = 0; i < name.size(); ++i) {
                if (name[i] == '"') quoted = !quoted;
                if (name[i] == '.' && !quoted) dot = i;
            }
            auto unquote = [](std::string s) {
                if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
                    std::string out;
                    for (size_t i = 1; i + 1 < s.size(); ++i) {
                        out += s[i];
                        if (s[i] == '"' && s[i + 1] == '"') ++i;
                    }
                    return out;
                }
                return s;
            };
            if (dot == std::string::npos) {
                t.table = unquote(name);
            } else {
                if (t.schema.empty()) t.schema = unquote(name.substr(0, dot));
                t.table = unquote(name.substr(dot + 1));
            }
        }
        if (!error.message.empty()) return error;
    }
    if (required && t.table.empty())
        return Invalid(path + ".table", "is required (or tableName)", "InvalidDataset");
    return t;
}

}  // namespace

Result<PgSourceSettings> ParseSourceSettings(const Json& source, const Json& dataset) {
    PgSourceSettings s;
    Error error;
    if (auto q = OptionalString(source, "query", "source", &error)) s.query = *q;
    if (!error.message.empty()) return error;
    // Trailing semicolons would end the COPY ( ... ) wrapper early.
    while (!s.query.empty() &&
           (s.query.back() == ';' || std::isspace(static_cast<unsigned char>(s.query.back()))))
        s.query.pop_back();
    if (s.query.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(PgTable table, ParseTable(dataset, false, "dataset.typeProperties"));
        if (table.table.empty())
            return Invalid("source.query", "is required when the dataset names no table", "InvalidSource");
        s.query = "SELECT * FROM " + table.Quoted();
    }
    return s;
}

Result<PgSinkSettings> ParseSinkSettings(const Json& sink, const Json& dataset) {
    PgSinkSettings s;
    ADXFLOW_ASSIGN_OR_RETURN(s.table, ParseTable(dataset, true, "dataset.typeProperties"));
    if (const Json* m = FindMember(sink, "writeMethod"); m && !m->is_null()) {
        const std::string v = m->is_string() ? m->get<std::string>() : std::string();
        if (IEquals(v, "BulkInsert"))
            s.method = WriteMethod::kBulkInsert;
        else if (IEquals(v, "CopyCommand"))
            s.method = WriteMethod::kCopyCommand;
        else if (IEquals(v, "Upsert"))
            s.method = WriteMethod::kUpsert;
        else
            return Invalid("sink.writeMethod", "must be BulkInsert, CopyCommand or Upsert", "InvalidSink");
    }
    if (s.method == WriteMethod::kUpsert) {
        const Json* settings = FindMember(sink, "upsertSettings");
        const Json* keys = settings && settings->is_object() ? FindMember(*settings, "keys") : nullptr;
        if (!keys || !keys->is_array() || keys->empty())
            return Invalid("sink.upsertSettings.keys", "Upsert needs a non-empty array of key columns",
                           "InvalidSink");
        for (size_t i = 0; i < keys->size(); ++i) {
            if (!(*keys)[i].is_string() || (*keys)[i].get<std::string>().empty())
                return Invalid("sink.upsertSettings.keys[" + std::to_string(i) + "]", "must be a column name",
                               "InvalidSink");
            s.upsert_keys.push_back((*keys)[i].get<std::string>());
        }
    }
    Error error;
    if (auto v = OptionalString(sink, "preCopyScript", "sink", &error)) s.pre_copy_script = *v;
    if (!error.message.empty()) return error;
    if (const Json* t = FindMember(sink, "writeBatchTimeout"); t && !t->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(s.batch_timeout, adx::ParseTimespan(*t, "sink.writeBatchTimeout"));
    }
    return s;
}

}  // namespace adxflow::postgres
