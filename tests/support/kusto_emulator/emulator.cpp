#include "tests/support/kusto_emulator/emulator.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "connectors/common/http/compression.hpp"
#include "connectors/common/kusto/writer.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "tests/support/kusto_emulator/ingest.hpp"
#include "tests/support/kusto_emulator/kql.hpp"

namespace adxflow::kusto_emulator {

namespace {

using kusto::KustoError;

api::Response ErrorResponse(int status, const std::string& code, const std::string& type,
                            const std::string& message, bool permanent = true) {
    api::Response r;
    r.status = status;
    r.body = kusto::OneApiError(KustoError{code, message, type, permanent}).dump();
    return r;
}

api::Response EntityNotFound(const std::string& message) {
    return ErrorResponse(400, "BadRequest_EntityNotFound", "Kusto.Data.Exceptions.EntityNotFoundException",
                         message);
}

api::Response BadRequest(const std::string& message) {
    return ErrorResponse(400, "General_BadRequest", "Kusto.Data.Exceptions.KustoBadRequestException",
                         "Request is invalid and cannot be processed: " + message);
}

// The request body {"db", "csl", "properties"}; `properties` may be an object or a JSON string (Python).
struct QueryRequest {
    std::string db;
    std::string csl;
    Json options = Json::object();  // the client request properties' "Options"
};

// The "Options" of a request body's client request properties ({"Options": {...}}), which clients send as
// an object or, like Python, as a JSON string.
Json RequestOptions(const Json& body) {
    if (!body.is_object() || !body.contains("properties")) return Json::object();
    Json props = body["properties"];
    if (props.is_string()) props = Json::parse(props.get<std::string>(), nullptr, false);
    const Json* options = props.is_object() ? FindMember(props, "Options") : nullptr;
    return options && options->is_object() ? *options : Json::object();
}

Result<QueryRequest> ReadBody(const api::Request& request) {
    ADXFLOW_ASSIGN_OR_RETURN(Json body, ParseJson(request.body, "request body"));
    if (!body.is_object())
        return MakeError(ErrorKind::kInvalidInput, "kusto.request", "the request body is not a JSON object");
    QueryRequest q;
    q.db = body.value("db", Json("NetDefaultDB")).is_string() ? body.value("db", "NetDefaultDB")
                                                              : "NetDefaultDB";
    if (!body.contains("csl") || !body["csl"].is_string())
        return MakeError(ErrorKind::kInvalidInput, "kusto.request", "the request body has no 'csl' string");
    q.csl = body["csl"].get<std::string>();
    q.options = RequestOptions(body);
    return q;
}

std::string Trim(std::string_view s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return std::string(s.substr(a, b - a));
}

// "T (a:long, b:string)" -> name and schema.
Result<std::pair<std::string, Schema>> TableSpec(std::string_view text) {
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "expected 'TableName (column:type, ...)'");
    std::string name = Trim(text.substr(0, open));
    Schema schema;
    std::string_view cols = text.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= cols.size()) {
        size_t comma = cols.find(',', start);
        if (comma == std::string_view::npos) comma = cols.size();
        std::string item = Trim(cols.substr(start, comma - start));
        start = comma + 1;
        if (item.empty()) continue;
        auto colon = item.find(':');
        if (colon == std::string::npos)
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "column '" + item + "' has no ':type'");
        auto type = ParseColumnType(Trim(item.substr(colon + 1)));
        if (!type)
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "unknown type in column '" + item + "'");
        schema.push_back({Trim(item.substr(0, colon)), *type});
    }
    if (name.empty() || schema.empty())
        return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt",
                         "a table needs a name and at least one column");
    return std::make_pair(name, schema);
}

// servertimeout as clients send it: "hh:mm:ss[.fffffff]", "d.hh:mm:ss", or "50m" / "30s" / "1h".
std::optional<std::chrono::milliseconds> ParseServerTimeout(const std::string& text) {
    if (text.empty()) return std::nullopt;
    const char unit = text.back();
    if (unit == 'h' || unit == 'm' || unit == 's') {
        char* end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() - 1) return std::nullopt;
        const double ms = v * (unit == 'h' ? 3600000 : unit == 'm' ? 60000 : 1000);
        return std::chrono::milliseconds(static_cast<int64_t>(ms));
    }
    auto parsed = ParseTimespan(text);
    if (!parsed.ok()) return std::nullopt;
    return *parsed;
}

api::Response V1Response(const Schema& schema, std::vector<Value> rows) {
    api::Response r;
    r.body = kusto::V1Body({{schema, std::move(rows)}});
    return r;
}

}  // namespace

Emulator::~Emulator() = default;

std::vector<Value> Emulator::Table::AllRows() const {
    std::vector<Value> all;
    for (const auto& e : extents) all.insert(all.end(), e.rows.begin(), e.rows.end());
    return all;
}

int64_t Emulator::Table::RowCount() const {
    int64_t n = 0;
    for (const auto& e : extents)
        n += schema.empty() ? 0 : static_cast<int64_t>(e.rows.size() / schema.size());
    return n;
}

Emulator::Emulator(EmulatorOptions options) : options_(std::move(options)), auth_(options_.auth) {
    for (const auto& f : options_.faults) faults_.Add(f);
    if (!options_.data_dir.empty()) {
        auto store = EmulatorStore::Open(options_.data_dir + "/kusto-emulator.db");
        if (!store.ok()) {
            init_status_ = store.error();
        } else {
            store_ = std::move(store).value();
            init_status_ = Load();
        }
    }
    for (const auto& db : options_.databases) databases_[db];
}

namespace {

// Wraps a response so that its body is sent as a stream, for the faults that act on the body.
api::BodyStream AsStream(api::Response& response) {
    if (response.stream) return std::move(response.stream);
    auto body = std::make_shared<std::string>(std::move(response.body));
    auto sent = std::make_shared<bool>(false);
    return [body, sent](std::string& out) {
        if (*sent) return false;
        out += *body;
        *sent = true;
        return false;
    };
}

}  // namespace

StoredTable Emulator::Stored(const std::string& db, const Table& table, bool with_extents) {
    StoredTable t;
    t.database = db;
    t.name = table.name;
    for (const auto& c : table.schema) t.schema.push_back({{"name", c.name}, {"type", ToString(c.type)}});
    for (const auto& [key, m] : table.mappings) t.mappings[key] = {{"kind", m.kind}, {"columns", m.columns}};
    t.streaming_policy = table.streaming_policy;
    if (with_extents) {
        for (const auto& e : table.extents) {
            StoredExtent se{e.id, Json(e.tags), e.created, Json::array()};
            const size_t width = table.schema.size();
            for (size_t r = 0; width > 0 && r + width <= e.rows.size(); r += width) {
                Json row = Json::array();
                for (size_t c = 0; c < width; ++c)
                    row.push_back(kusto::ToWire(table.schema[c].type, e.rows[r + c]));
                se.rows.push_back(std::move(row));
            }
            t.extents.push_back(std::move(se));
        }
    }
    return t;
}

Status Emulator::PersistTable(const std::string& db, const Table& table, bool with_extents) {
    return store_ ? store_->SaveTable(Stored(db, table, with_extents), with_extents) : Ok();
}

Status Emulator::PersistExtent(const std::string& db, const Table& table, const Extent& extent) {
    if (!store_) return Ok();
    Table one;
    one.name = table.name;
    one.schema = table.schema;
    one.extents = {extent};
    StoredTable stored = Stored(db, one, true);
    return store_->AddExtent(db, table.name, stored.extents.front());
}

// Appends one extent; in a data dir it is on disk before the caller answers.
Status Emulator::AddExtent(const std::string& db, Table& table, std::vector<Value> rows,
                           std::vector<std::string> tags, std::string* extent_id) {
    Extent e{NewUuid(), std::move(tags), FormatTimestamp(std::chrono::system_clock::now()), std::move(rows)};
    ADXFLOW_TRY(PersistExtent(db, table, e));
    if (extent_id) *extent_id = e.id;
    table.extents.push_back(std::move(e));
    return Ok();
}

Status Emulator::Load() {
    ADXFLOW_ASSIGN_OR_RETURN(auto dbs, store_->LoadDatabases());
    for (const auto& [name, streaming] : dbs) databases_[name].streaming_policy = streaming;
    for (const auto& db : options_.databases)
        if (!databases_.count(db)) ADXFLOW_TRY(store_->SaveDatabase(db, false));
    for (const auto& db : options_.databases) databases_[db];
    ADXFLOW_ASSIGN_OR_RETURN(auto tables, store_->LoadTables());
    for (const auto& st : tables) {
        Table t;
        t.name = st.name;
        t.streaming_policy = st.streaming_policy;
        for (const auto& c : st.schema)
            t.schema.push_back({c.value("name", ""),
                                ParseColumnType(c.value("type", "string")).value_or(ColumnType::kString)});
        for (auto it = st.mappings.begin(); it != st.mappings.end(); ++it)
            t.mappings[it.key()] =
                Mapping{it.value().value("kind", ""), it.value().value("columns", Json::array())};
        for (const auto& se : st.extents) {
            Extent e{se.id, se.tags.get<std::vector<std::string>>(), se.created, {}};
            for (const auto& row : se.rows)
                for (size_t c = 0; c < t.schema.size(); ++c) {
                    auto v = kusto::DecodeValue(t.schema[c].type, c < row.size() ? row[c] : Json());
                    e.rows.push_back(v.ok() ? std::move(v).value() : Value{});
                }
            t.extents.push_back(std::move(e));
        }
        databases_[st.database].tables[st.name] = std::move(t);
    }
    return Ok();
}

api::Response Emulator::Handle(const api::Request& request) {
    api::Response response;
    const std::string* host = request.Header("host");
    const std::string base_url = options_.scheme + "://" + (host ? *host : std::string("127.0.0.1"));
    if (auto token = auth_.HandleTokenRequest(request, base_url)) {
        response = std::move(*token);
    } else if (request.method == "GET" && request.path == "/v1/rest/auth/metadata") {
        response.body = Json{{"AzureAD",
                              {{"LoginEndpoint", "https://login.microsoftonline.com"},
                               {"LoginMfaRequired", false},
                               {"KustoClientAppId", "db662dc1-0cfe-4e1c-a843-19a68e65be58"},
                               {"KustoClientRedirectUri", "https://microsoft/kustoclient"},
                               {"KustoServiceResourceId", "https://kusto.kusto.windows.net"},
                               {"FirstPartyAuthorityUrl", "https://login.microsoftonline.com/common"}}}}
                            .dump();
    } else if (request.path.rfind("/_emulator/", 0) == 0) {
        response = Admin(request);
    } else if (request.method == "GET" && request.path.rfind("/secrets/", 0) == 0) {
        response = KeyVault(request, base_url);
    } else {
        response = Engine(request);
    }
    // Compressed answers when the client accepts them, as the service does (bodies above 1 KB; streamed
    // results are compressed piece by piece, so memory stays flat).
    if (const std::string* accept = request.Header("accept-encoding");
        options_.gzip_responses && accept && ToLower(*accept).find("gzip") != std::string::npos &&
        response.status == 200 && (response.stream || response.body.size() > 1024)) {
        auto inner = AsStream(response);
        auto encoder = std::make_shared<http::GzipEncoder>();
        auto done = std::make_shared<bool>(false);
        response.stream = [inner, encoder, done](std::string& out) -> bool {
            if (*done) return false;
            std::string piece;
            const bool more = inner(piece);
            if (!encoder->Feed(piece, out).ok()) throw std::runtime_error("gzip encoding failed");
            if (!more) {
                if (!encoder->Finish(out).ok()) throw std::runtime_error("gzip encoding failed");
                *done = true;
            }
            return more;
        };
        response.headers.emplace_back("Content-Encoding", "gzip");
    }
    // The service echoes the client's request id; SDKs log it.
    if (const std::string* id = request.Header("x-ms-client-request-id"))
        response.headers.emplace_back("x-ms-client-request-id", *id);
    response.headers.emplace_back("x-ms-activity-id", NewUuid());
    return response;
}

// Key Vault's Get Secret: {"value", "id", "attributes"}; 401 with the challenge header the SDKs parse; 404
// SecretNotFound.
api::Response Emulator::KeyVault(const api::Request& request, const std::string& base_url) {
    api::Response r;
    if (auth_.required() && !auth_.Authenticate(request, "https://vault.azure.net")) {
        r.status = 401;
        r.body = Json{{"error",
                       {{"code", "Unauthorized"},
                        {"message", "AKV10000: Request is missing a Bearer or PoP token."}}}}
                     .dump();
        r.headers.emplace_back("WWW-Authenticate", "Bearer authorization=\"" + base_url +
                                                       "/emulator\", resource=\"https://vault.azure.net\"");
        return r;
    }
    std::string rest = request.path.substr(9);
    std::string version;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        version = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    auto it = options_.key_vault_secrets.find(rest);
    if (it == options_.key_vault_secrets.end()) {
        r.status = 404;
        r.body =
            Json{{"error",
                  {{"code", "SecretNotFound"},
                   {"message", "A secret with (name/id) " + rest + " was not found in this key vault."}}}}
                .dump();
        return r;
    }
    const std::string id_version = version.empty() ? "0000000000000000000000000000000a" : version;
    r.body = Json{{"value", it->second},
                  {"id", base_url + "/secrets/" + rest + "/" + id_version},
                  {"attributes",
                   {{"enabled", true},
                    {"created", 1700000000},
                    {"updated", 1700000000},
                    {"recoveryLevel", "Recoverable+Purgeable"}}}}
                 .dump();
    return r;
}

api::Response Emulator::Admin(const api::Request& request) {
    if (request.path == "/_emulator/faults") {
        if (request.method == "GET") {
            api::Response r;
            r.body = Json{{"faults", faults_.List()}}.dump();
            return r;
        }
        if (request.method == "DELETE") {
            faults_.Clear();
            return api::Response{};
        }
        if (request.method == "POST") {
            auto body = ParseJson(request.body, "fault");
            if (!body.ok()) return BadRequest(body.error().message);
            Json specs = body->is_array() ? *body : Json::array({*body});
            std::vector<Fault> parsed;
            for (const auto& spec : specs) {
                auto fault = ParseFault(spec);
                if (!fault.ok()) return BadRequest(fault.error().message);
                parsed.push_back(*fault);
            }
            Json ids = Json::array();
            for (auto& f : parsed) ids.push_back(faults_.Add(f));
            api::Response r;
            r.body = Json{{"ids", ids}}.dump();
            return r;
        }
    }
    return ErrorResponse(404, "NotFound", "Kusto.Data.Exceptions.KustoServiceException",
                         "no admin endpoint " + request.method + " " + request.path);
}

api::Response Emulator::Engine(const api::Request& request) {
    const bool engine_path = request.path == "/v2/rest/query" || request.path == "/v1/rest/query" ||
                             request.path == "/v1/rest/mgmt" ||
                             request.path.rfind("/v1/rest/ingest/", 0) == 0;
    if (request.method != "POST" || !engine_path)
        return ErrorResponse(404, "NotFound", "Kusto.Data.Exceptions.KustoServiceException",
                             "no endpoint " + request.method + " " + request.path + " on this emulator");
    std::string csl;
    Json options = Json::object();
    if (request.path.rfind("/v1/rest/ingest/", 0) != 0) {
        auto body = Json::parse(request.body, nullptr, false);
        if (body.is_object() && body.contains("csl") && body["csl"].is_string())
            csl = body["csl"].get<std::string>();
        options = RequestOptions(body);
    }
    std::optional<Fault> fault = faults_.Take(request.path, csl);
    if (fault && fault->action == Fault::Action::kDelay) {
        // The request's servertimeout (default 4 min for queries, 10 min for commands, at most 1 h) bounds
        // the work; a delay beyond it ends as the service ends it: 504 RequestExecutionTimeout, not
        // permanent.
        const bool command = request.path == "/v1/rest/mgmt";
        auto limit = std::chrono::milliseconds(command ? 600000 : 240000);
        if (const Json* t = FindMember(options, "servertimeout"); t && t->is_string())
            if (auto parsed = ParseServerTimeout(t->get<std::string>()))
                limit = std::min(*parsed, std::chrono::milliseconds(3600000));
        if (std::chrono::milliseconds(fault->delay_ms) > limit) {
            std::this_thread::sleep_for(limit);
            return ErrorResponse(
                504, "RequestExecutionTimeout", "Kusto.Data.Exceptions.KustoServiceTimeoutException",
                "Request execution timeout: the query ran longer than its servertimeout", false);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
    }
    if (fault && fault->action == Fault::Action::kStatus) {
        const char* type = fault->status == 429 ? "Kusto.DataNode.Exceptions.KustoRequestThrottledException"
                                                : "Kusto.Data.Exceptions.KustoServiceException";
        api::Response r = ErrorResponse(fault->status, fault->code, type, fault->message, fault->permanent);
        if (fault->retry_after_secs > 0)
            r.headers.emplace_back("Retry-After", std::to_string(fault->retry_after_secs));
        return r;
    }
    if (fault && fault->action == Fault::Action::kInBandError && request.path == "/v2/rest/query") {
        api::Response r;
        kusto::V2Writer writer(r.body);
        const KustoError error{fault->code, fault->message, "Kusto.Data.Exceptions.KustoServiceException",
                               fault->permanent};
        writer.Table("PrimaryResult", "PrimaryResult", {}, {}, &error);
        writer.Finish("");
        return r;
    }

    api::Response response;
    if (request.path == "/v2/rest/query")
        response = Query(request, true);
    else if (request.path == "/v1/rest/query")
        response = Query(request, false);
    else if (request.path == "/v1/rest/mgmt")
        response = Management(request);
    else
        response = StreamingIngest(request);

    if (fault && response.status == 200 && fault->action == Fault::Action::kCloseMidBody) {
        // The first piece goes out (a started response), then the producer fails: the server cuts the
        // connection, which is what a dropped connection mid-result looks like to the client.
        auto inner = AsStream(response);
        auto state = std::make_shared<int>(0);
        response.stream = [inner, state](std::string& out) -> bool {
            if ((*state)++ > 0) throw std::runtime_error("injected fault: connection closed mid-body");
            std::string piece;
            inner(piece);
            out += piece.substr(0, std::max<size_t>(1, piece.size() / 2));
            return true;
        };
    } else if (fault && response.status == 200 && fault->action == Fault::Action::kTrickle) {
        auto inner = AsStream(response);
        auto pending = std::make_shared<std::string>();
        auto more = std::make_shared<bool>(true);
        const int delay = fault->delay_ms;
        response.stream = [inner, pending, more, delay](std::string& out) -> bool {
            while (pending->size() < 64 && *more) *more = inner(*pending);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
            const size_t n = std::min<size_t>(64, pending->size());
            out += pending->substr(0, n);
            pending->erase(0, n);
            return *more || !pending->empty();
        };
    }
    return response;
}

namespace {

// Rows of a query result, produced on demand while the response is written.
class ResultRows {
  public:
    virtual ~ResultRows() = default;
    virtual int64_t count() const = 0;
    virtual void Row(int64_t i, Value* out) = 0;  // i in [0, count())
    virtual void Truncate(int64_t rows) = 0;      // keep the first `rows`
    // Appends row i as v2 wire JSON. The default goes through Values; generators write text directly.
    virtual void AppendV2(std::string& out, const Schema& schema, int64_t i, std::vector<Value>& scratch) {
        Row(i, scratch.data());
        kusto::AppendV2Row(out, schema, scratch.data(), i == 0);
    }
};

class VectorRows final : public ResultRows {
  public:
    VectorRows(size_t width, std::vector<Value> cells) : width_(width), cells_(std::move(cells)) {}
    int64_t count() const override { return width_ ? static_cast<int64_t>(cells_.size() / width_) : 0; }
    void Row(int64_t i, Value* out) override {
        std::copy_n(cells_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * width_), width_,
                    out);
    }
    void Truncate(int64_t rows) override { cells_.resize(static_cast<size_t>(rows) * width_); }

  private:
    size_t width_;
    std::vector<Value> cells_;
};

// Synthetic cells are formatted into a small stack buffer through a cursor and appended once per row: the
// same values as SyntheticRow at ~150 ns a row, so that the emulator is never what limits a client
// benchmark.
char* PutPadded(char* p, int64_t n, int width) {
    for (int k = width - 1; k >= 0; --k) {
        p[k] = static_cast<char>('0' + n % 10);
        n /= 10;
    }
    return p + width;
}

char* PutInt(char* p, int64_t n) {
    return std::to_chars(p, p + 24, n).ptr;
}

char* PutText(char* p, std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    return p + text.size();
}

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

constexpr int64_t kSyntheticEpochDays = 19723;  // 2024-01-01

char* PutClock(char* p, int64_t secs) {
    p = PutPadded(p, secs / 3600, 2);
    *p++ = ':';
    p = PutPadded(p, secs / 60 % 60, 2);
    *p++ = ':';
    return PutPadded(p, secs % 60, 2);
}

char* PutSyntheticCreated(char* p, int64_t i) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(kSyntheticEpochDays + i / 86400, y, m, d);
    p = PutPadded(p, y, 4);
    *p++ = '-';
    p = PutPadded(p, m, 2);
    *p++ = '-';
    p = PutPadded(p, d, 2);
    *p++ = 'T';
    p = PutClock(p, i % 86400);
    return PutText(p, ".0000000Z");
}

char* PutSyntheticKey(char* p, int64_t i) {
    static const char kHex[] = "0123456789abcdef";
    p = PutText(p, "00000000-0000-4000-8000-");
    uint64_t v = static_cast<uint64_t>(i);
    for (int k = 11; k >= 0; --k) {
        p[k] = kHex[v & 0xF];
        v >>= 4;
    }
    return p + 12;
}

class SyntheticRows final : public ResultRows {
  public:
    explicit SyntheticRows(int64_t rows) : rows_(rows) {}
    int64_t count() const override { return rows_; }
    void Row(int64_t i, Value* out) override { SyntheticRow(i, out); }
    void AppendV2(std::string& out, const Schema&, int64_t i, std::vector<Value>&) override {
        char buf[256];  // a row is < 200 bytes
        char* p = buf;
        if (i) *p++ = ',';
        *p++ = '[';
        p = PutInt(p, i);
        p = PutText(p, ",\"name-");
        p = PutInt(p, i % 1000);
        p = PutText(p, "\",");
        p = std::to_chars(p, p + 32, static_cast<double>(i) * 0.25).ptr;
        p = PutText(p, i % 3 == 0 ? ",true,\"" : ",false,\"");
        p = PutSyntheticCreated(p, i);
        p = PutText(p, "\",\"");
        p = PutClock(p, i % 86400);
        p = PutText(p, "\",\"");
        p = PutSyntheticKey(p, i);
        p = PutText(p, "\",{\"bucket\":");
        p = PutInt(p, i % 7);
        p = PutText(p, "}]");
        out.append(buf, static_cast<size_t>(p - buf));
    }
    void Truncate(int64_t rows) override { rows_ = rows; }

  private:
    int64_t rows_;
};

}  // namespace

Schema SyntheticSchema() {
    return {{"Id", ColumnType::kLong},          {"Name", ColumnType::kString},
            {"Amount", ColumnType::kReal},      {"Flag", ColumnType::kBool},
            {"Created", ColumnType::kDateTime}, {"Elapsed", ColumnType::kTimeSpan},
            {"Key", ColumnType::kGuid},         {"Props", ColumnType::kDynamic}};
}

void SyntheticRow(int64_t i, Value* row) {
    char buf[64];
    row[0] = Value{i};
    row[1] = Value{"name-" + std::to_string(i % 1000)};
    row[2] = Value{static_cast<double>(i) * 0.25};
    row[3] = Value{i % 3 == 0};
    row[4] = Value{std::string(buf, PutSyntheticCreated(buf, i))};
    row[5] = Value{std::string(buf, PutClock(buf, i % 86400))};
    row[6] = Value{std::string(buf, PutSyntheticKey(buf, i))};
    row[7] = Value{"{\"bucket\":" + std::to_string(i % 7) + "}"};
}

api::Response Emulator::Query(const api::Request& request, bool v2) {
    auto body = ReadBody(request);
    if (!body.ok()) return BadRequest(body.error().message);
    if (!body->csl.empty() && Trim(body->csl)[0] == '.')
        return BadRequest("Control commands (starting with a dot '.') go to /v1/rest/mgmt");
    if (auto denied = auth_.Authorize(request, body->db, Role::kViewer)) return std::move(*denied);
    auto query = ParseQuery(body->csl);
    if (!query.ok())
        return ErrorResponse(400, "General_BadRequest",
                             query.error().code == "SyntaxError" ? "Kusto.Data.Exceptions.SyntaxException"
                                                                 : "Kusto.Data.Exceptions.SemanticException",
                             query.error().message);
    auto semantic = [](const std::string& message) {
        return ErrorResponse(400, "General_BadRequest", "Kusto.Data.Exceptions.SemanticException", message);
    };

    Schema schema;
    std::vector<Value> rows;
    std::optional<int64_t> synthetic_rows;
    {
        std::lock_guard g(mu_);
        auto db = databases_.find(body->db);
        if (db == databases_.end()) return EntityNotFound("Database '" + body->db + "' was not found");
        if (!query->table.empty()) {
            for (const auto& [name, count] : options_.synthetic_tables)
                if (name == query->table) synthetic_rows = count;
            if (!synthetic_rows) {
                auto t = db->second.tables.find(query->table);
                if (t == db->second.tables.end())
                    return semantic(
                        "Semantic error: 'table' operator: Failed to resolve table expression named '" +
                        query->table + "'");
                schema = t->second.schema;
                rows = t->second.AllRows();  // a snapshot: the query runs without the lock
            }
        }
    }

    std::unique_ptr<ResultRows> result;
    if (synthetic_rows) {
        // Generated, never stored: only operators that need no materialisation.
        schema = SyntheticSchema();
        int64_t n = *synthetic_rows;
        bool counted = false;
        for (const auto& op : query->operators) {
            if (op.kind == Operator::Kind::kTake && !counted)
                n = std::min(n, op.count);
            else if (op.kind == Operator::Kind::kCount && !counted)
                counted = true;
            else
                return semantic("Semantic error: the synthetic table '" + query->table +
                                "' supports only 'take' and 'count' in this emulator");
        }
        if (counted) {
            schema = {{"Count", ColumnType::kLong}};
            result = std::make_unique<VectorRows>(1, std::vector<Value>{Value{n}});
        } else {
            result = std::make_unique<SyntheticRows>(n);
        }
    } else {
        if (query->range_column) {
            schema = {{*query->range_column, ColumnType::kLong}};
            for (int64_t v = query->range_from; v <= query->range_to; v += query->range_step)
                rows.push_back(Value{v});
        } else if (query->datatable_schema) {
            schema = *query->datatable_schema;
            rows = query->datatable_rows;
        } else if (query->table.empty()) {
            for (auto& [name, value] : query->print) {
                ColumnType type = std::holds_alternative<bool>(value)      ? ColumnType::kBool
                                  : std::holds_alternative<int64_t>(value) ? ColumnType::kLong
                                  : std::holds_alternative<double>(value)  ? ColumnType::kReal
                                                                           : ColumnType::kString;
                schema.push_back({name, type});
                rows.push_back(value);
            }
        }
        auto executed = Execute(*query, schema, std::move(rows));
        if (!executed.ok()) return semantic(executed.error().message);
        schema = std::move(executed->first);
        result = std::make_unique<VectorRows>(schema.size(), std::move(executed->second));
    }

    // Result truncation, as the service applies it unless the query says notruncation.
    std::optional<KustoError> truncated;
    // notruncation / truncationmaxrecords come from `set` statements or from the request's Options (SDKs).
    const Json& request_options = body->options;
    bool no_truncation = query->no_truncation;
    if (const Json* o = FindMember(request_options, "notruncation"); o && o->is_boolean())
        no_truncation |= o->get<bool>();
    int64_t limit = query->truncation_max_records.value_or(options_.default_truncation_max_records);
    if (const Json* o = FindMember(request_options, "truncationmaxrecords"); o && o->is_number_integer())
        limit = o->get<int64_t>();
    if (!no_truncation && result->count() > limit) {
        result->Truncate(limit);
        truncated = KustoError{
            "LimitsExceeded",
            "Query execution has exceeded the allowed limits (80DA0003): The results of this query "
            "exceed the set limit of " +
                std::to_string(limit) +
                " records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, "
                "0x80DA0003).",
            "Kusto.Data.Exceptions.KustoServicePartialQueryFailureLimitsExceededException", false};
    }

    api::Response response;
    if (!v2) {
        std::vector<Value> cells(static_cast<size_t>(result->count()) * schema.size());
        for (int64_t i = 0; i < result->count(); ++i)
            result->Row(i, cells.data() + static_cast<size_t>(i) * schema.size());
        Json body_json = Json::parse(kusto::V1Body({{schema, std::move(cells)}}));
        if (truncated) body_json["Exceptions"] = Json::array({truncated->message});
        response.body = body_json.dump();
        return response;
    }

    // v2 is streamed: frames are produced piece by piece as the client reads, so memory stays flat
    // whatever the result size.
    struct Stream {
        int phase = 0;  // 0 header + table start, 1 rows, 2 table end + completion, 3 done
        int64_t next_row = 0;
        Schema schema;
        std::unique_ptr<ResultRows> rows;
        std::optional<KustoError> truncated;
        std::string request_id;
        std::vector<Value> row;
        size_t piece_bytes;
    };
    auto state = std::make_shared<Stream>();
    state->schema = std::move(schema);
    state->rows = std::move(result);
    state->truncated = std::move(truncated);
    const std::string* id = request.Header("x-ms-client-request-id");
    state->request_id = id ? *id : "";
    state->row.resize(state->schema.size());
    state->piece_bytes = options_.stream_piece_bytes;
    response.stream = [state](std::string& out) {
        switch (state->phase) {
            case 0:
                out += kusto::V2Header();
                out += kusto::V2TableStart(1, "PrimaryResult", "PrimaryResult", state->schema);
                state->phase = 1;
                return true;
            case 1: {
                const int64_t total = state->rows->count();
                out.reserve(state->piece_bytes + 4096);
                while (state->next_row < total && out.size() < state->piece_bytes) {
                    state->rows->AppendV2(out, state->schema, state->next_row, state->row);
                    ++state->next_row;
                }
                if (state->next_row >= total) state->phase = 2;
                return true;
            }
            case 2: {
                out += kusto::V2TableEnd(state->truncated ? &*state->truncated : nullptr,
                                         state->rows->count() > 0);
                std::vector<KustoError> errors;
                if (state->truncated) errors.push_back(*state->truncated);
                out += kusto::V2Finish(2, state->request_id, errors);
                state->phase = 3;
                return false;
            }
            default:
                return false;
        }
    };
    return response;
}

api::Response Emulator::Management(const api::Request& request) {
    auto body = ReadBody(request);
    if (!body.ok()) return BadRequest(body.error().message);
    const std::string csl = Trim(body->csl);
    const std::string lower = ToLower(csl);
    // The role a command needs, as ADX assigns them: reading metadata is a viewer's, ingesting an
    // ingestor's, changing tables an admin's.
    const Role needed = lower.rfind(".show", 0) == 0     ? Role::kViewer
                        : lower.rfind(".ingest", 0) == 0 ? Role::kIngestor
                                                         : Role::kAdmin;
    if (auto denied = auth_.Authorize(request, body->db, needed)) return std::move(*denied);

    if (lower == ".show version") {
        return V1Response({{"BuildVersion", ColumnType::kString},
                           {"BuildTime", ColumnType::kDateTime},
                           {"ServiceType", ColumnType::kString},
                           {"ProductVersion", ColumnType::kString}},
                          {Value{std::string("1.0.0.0")}, Value{std::string("2026-01-01T00:00:00Z")},
                           Value{std::string("Engine")}, Value{std::string("adxflow-kusto-emulator 0.1")}});
    }

    std::lock_guard g(mu_);
    auto db = databases_.find(body->db);
    if (db == databases_.end()) return EntityNotFound("Database '" + body->db + "' was not found");
    auto& tables = db->second.tables;

    if (lower == ".show tables") {
        std::vector<Value> rows;
        for (const auto& [name, t] : tables)
            for (const std::string& cell : {name, body->db, std::string(), std::string()})
                rows.push_back(Value{cell});
        return V1Response({{"TableName", ColumnType::kString},
                           {"DatabaseName", ColumnType::kString},
                           {"Folder", ColumnType::kString},
                           {"DocString", ColumnType::kString}},
                          std::move(rows));
    }
    // .add database D viewers|ingestors|admins ('aadapp=...') and .show database D principals
    if (lower.rfind(".add database ", 0) == 0 ||
        (lower.rfind(".show database ", 0) == 0 && lower.size() > 11 &&
         lower.substr(lower.size() - 11) == " principals")) {
        if (lower.rfind(".show", 0) == 0) {
            std::vector<Value> rows;
            for (const auto& [role, fqn] : auth_.Principals(body->db)) {
                rows.push_back(Value{role});
                rows.push_back(Value{fqn});
            }
            return V1Response({{"Role", ColumnType::kString}, {"PrincipalFQN", ColumnType::kString}},
                              std::move(rows));
        }
        const std::string rest = Trim(lower.substr(14));
        const size_t space = rest.find(' ');
        const std::string db_name = Trim(csl.substr(14, space));
        const std::string kind =
            space == std::string::npos ? "" : Trim(rest.substr(space + 1, rest.find('(') - space - 1));
        const Role role = kind == "viewers"     ? Role::kViewer
                          : kind == "ingestors" ? Role::kIngestor
                          : kind == "admins"    ? Role::kAdmin
                                                : Role::kNone;
        if (role == Role::kNone) return BadRequest("expected viewers, ingestors or admins");
        if (db_name != body->db)
            return BadRequest("the command names database '" + db_name + "' but runs in '" + body->db + "'");
        std::vector<Value> rows;
        for (size_t q = csl.find('\''); q != std::string::npos; q = csl.find('\'', q + 1)) {
            const size_t end = csl.find('\'', q + 1);
            if (end == std::string::npos) break;
            const std::string fqn = csl.substr(q + 1, end - q - 1);
            if (!auth_.Grant(body->db, role, fqn))
                return ErrorResponse(
                    400, "BadRequest_PrincipalNotFound", "Kusto.Data.Exceptions.KustoBadRequestException",
                    "Principal '" + fqn + "' is not known to this emulator (configure it under identities)");
            rows.push_back(Value{kind});
            rows.push_back(Value{fqn});
            q = end;
        }
        if (rows.empty()) return BadRequest("expected ('aadapp=...') principals in parentheses");
        return V1Response({{"Role", ColumnType::kString}, {"PrincipalFQN", ColumnType::kString}},
                          std::move(rows));
    }
    // .alter table T policy streamingingestion enable|disable, .alter database D policy streamingingestion
    // ...
    if (lower.rfind(".alter table ", 0) == 0 || lower.rfind(".alter database ", 0) == 0) {
        const bool database = lower.rfind(".alter database ", 0) == 0;
        const size_t name_start = database ? 16 : 13;
        const size_t policy = lower.find(" policy streamingingestion ", name_start);
        if (policy == std::string::npos)
            return BadRequest("only 'policy streamingingestion enable|disable' is supported here");
        const std::string name = Trim(csl.substr(name_start, policy - name_start));
        const std::string state = Trim(lower.substr(policy + 27));
        if (state != "enable" && state != "disable") return BadRequest("expected 'enable' or 'disable'");
        const bool on = state == "enable";
        if (database) {
            if (name != body->db)
                return BadRequest("the command names database '" + name + "' but runs in '" + body->db + "'");
            db->second.streaming_policy = on;
            if (store_)
                if (auto saved = store_->SaveDatabase(body->db, on); !saved.ok())
                    return BadRequest(saved.error().message);
        } else {
            auto it = tables.find(name);
            if (it == tables.end()) return EntityNotFound("Table '" + name + "' was not found");
            it->second.streaming_policy = on;
            if (auto saved = PersistTable(body->db, it->second, false); !saved.ok())
                return BadRequest(saved.error().message);
        }
        return V1Response({{"PolicyName", ColumnType::kString},
                           {"EntityName", ColumnType::kString},
                           {"Policy", ColumnType::kString}},
                          {Value{std::string("StreamingIngestionPolicy")}, Value{name},
                           Value{Json{{"IsEnabled", on}}.dump()}});
    }
    // .create[-or-alter] table T ingestion csv|json mapping "name" '[...]'
    if ((lower.rfind(".create table ", 0) == 0 || lower.rfind(".create-or-alter table ", 0) == 0) &&
        lower.find(" ingestion ") != std::string::npos) {
        const bool or_alter = lower.rfind(".create-or-alter", 0) == 0;
        const size_t name_start = or_alter ? 23 : 14;
        const size_t ingestion = lower.find(" ingestion ", name_start);
        const std::string table_name = Trim(csl.substr(name_start, ingestion - name_start));
        std::string rest = Trim(csl.substr(ingestion + 11));
        const size_t space = rest.find(' ');
        const std::string kind = ToLower(rest.substr(0, space));
        rest = Trim(rest.substr(space == std::string::npos ? rest.size() : space));
        if (ToLower(rest).rfind("mapping ", 0) != 0) return BadRequest("expected 'mapping \"name\"'");
        rest = Trim(rest.substr(8));
        const size_t q2 = rest.empty() || rest[0] != '"' ? std::string::npos : rest.find('"', 1);
        if (q2 == std::string::npos) return BadRequest("the mapping name must be a double-quoted string");
        const std::string mapping_name = rest.substr(1, q2 - 1);
        std::string literal = Trim(rest.substr(q2 + 1));
        if (literal.size() < 2 || literal.front() != '\'' || literal.back() != '\'')
            return BadRequest("the mapping must be a single-quoted JSON string");
        literal = literal.substr(1, literal.size() - 2);
        auto mapping = Json::parse(literal, nullptr, false);
        if (mapping.is_discarded()) return BadRequest("the mapping is not valid JSON");
        if (kind != "csv" && kind != "json")
            return BadRequest("mapping kind '" + kind + "' is not supported by this emulator");
        auto it = tables.find(table_name);
        if (it == tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
        if (auto valid = ValidateMapping(mapping, kind, it->second.schema); !valid.ok())
            return ErrorResponse(400, valid.error().code, "Kusto.Data.Exceptions.KustoBadRequestException",
                                 valid.error().message);
        const std::string key = kind + "/" + mapping_name;
        if (!or_alter && it->second.mappings.count(key))
            return ErrorResponse(400, "BadRequest_EntityAlreadyExists",
                                 "Kusto.Data.Exceptions.EntityAlreadyExistsException",
                                 "Mapping '" + mapping_name + "' already exists (use .create-or-alter)");
        it->second.mappings[key] = Mapping{kind, mapping};
        if (auto saved = PersistTable(body->db, it->second, false); !saved.ok())
            return BadRequest(saved.error().message);
        return V1Response(
            {{"Name", ColumnType::kString},
             {"Kind", ColumnType::kString},
             {"Mapping", ColumnType::kString},
             {"Database", ColumnType::kString},
             {"Table", ColumnType::kString}},
            {Value{mapping_name}, Value{kind == "csv" ? std::string("Csv") : std::string("Json")},
             Value{mapping.dump()}, Value{body->db}, Value{table_name}});
    }
    // .show table T extents [where tags has "x"], .drop extents <| .show table T extents [where tags has
    // "x"], .drop extents from T: the extents an ingestion made, found and dropped by tag (drop-by: tags).
    {
        std::string show = lower;
        const bool drop = lower.rfind(".drop extents", 0) == 0;
        if (drop && lower.find("<|") != std::string::npos) show = Trim(lower.substr(lower.find("<|") + 2));
        std::string table_name, tag;
        bool matched = false;
        if (show.rfind(".show table ", 0) == 0 && show.find(" extents") != std::string::npos) {
            const size_t ext = show.find(" extents");
            const size_t name_at = csl.size() - show.size() + 12;
            table_name = Trim(csl.substr(name_at, ext - 12));
            const size_t has = show.find("tags has ", ext);
            if (has != std::string::npos) {
                std::string literal = Trim(csl.substr(csl.size() - show.size() + has + 9));
                if (literal.size() >= 2) tag = literal.substr(1, literal.size() - 2);
            }
            matched = true;
        } else if (drop && lower.rfind(".drop extents from ", 0) == 0) {
            table_name = Trim(csl.substr(19));
            matched = true;
        }
        if (matched) {
            auto it = tables.find(table_name);
            if (it == tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
            Table& t = it->second;
            auto selected = [&](const Extent& e) {
                return tag.empty() || std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end();
            };
            std::vector<Value> rows;
            const size_t width = t.schema.size();
            for (const auto& e : t.extents) {
                if (!selected(e)) continue;
                std::string tags_text;
                for (const auto& x : e.tags) tags_text += (tags_text.empty() ? "" : "\r\n") + x;
                rows.insert(rows.end(),
                            {Value{e.id}, Value{body->db}, Value{t.name},
                             Value{width ? static_cast<int64_t>(e.rows.size() / width) : int64_t{0}},
                             Value{e.created}, Value{e.created}, Value{tags_text}});
            }
            if (drop) {
                t.extents.erase(std::remove_if(t.extents.begin(), t.extents.end(), selected),
                                t.extents.end());
                if (auto saved = PersistTable(body->db, t, true); !saved.ok())
                    return BadRequest(saved.error().message);
            }
            return V1Response({{"ExtentId", ColumnType::kGuid},
                               {"DatabaseName", ColumnType::kString},
                               {"TableName", ColumnType::kString},
                               {"RowCount", ColumnType::kLong},
                               {"MinCreatedOn", ColumnType::kDateTime},
                               {"MaxCreatedOn", ColumnType::kDateTime},
                               {"Tags", ColumnType::kString}},
                              std::move(rows));
        }
    }
    // .show table T ingestion [csv|json] mappings
    if (lower.rfind(".show table ", 0) == 0 && lower.find(" ingestion ") != std::string::npos &&
        lower.size() > 9 && lower.substr(lower.size() - 9) == " mappings") {
        const size_t ingestion = lower.find(" ingestion ");
        const std::string table_name = Trim(csl.substr(12, ingestion - 12));
        const size_t kind_start = ingestion + 11, mappings_start = lower.size() - 9;  // " mappings"
        const std::string kind_filter = kind_start < mappings_start
                                            ? Trim(lower.substr(kind_start, mappings_start - kind_start))
                                            : std::string();
        auto it = tables.find(table_name);
        if (it == tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
        std::vector<Value> rows;
        for (const auto& [key, m] : it->second.mappings) {
            if (!kind_filter.empty() && kind_filter != m.kind) continue;
            rows.push_back(Value{key.substr(key.find('/') + 1)});
            rows.push_back(Value{m.kind == "csv" ? std::string("Csv") : std::string("Json")});
            rows.push_back(Value{m.columns.dump()});
            rows.push_back(Value{body->db});
            rows.push_back(Value{table_name});
        }
        return V1Response({{"Name", ColumnType::kString},
                           {"Kind", ColumnType::kString},
                           {"Mapping", ColumnType::kString},
                           {"Database", ColumnType::kString},
                           {"Table", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower.rfind(".create table ", 0) == 0 || lower.rfind(".create-merge table ", 0) == 0) {
        const bool merge = lower.rfind(".create-merge", 0) == 0;
        auto spec = TableSpec(csl.substr(merge ? 20 : 14));
        if (!spec.ok()) return BadRequest(spec.error().message);
        auto& [name, schema] = *spec;
        auto it = tables.find(name);
        if (it == tables.end()) {
            Table fresh;
            fresh.name = name;
            fresh.schema = schema;
            tables[name] = std::move(fresh);
            if (auto saved = PersistTable(body->db, tables[name], false); !saved.ok())
                return BadRequest(saved.error().message);
        } else if (merge) {
            // New columns are appended (existing rows get nulls); a type change is refused, as the service
            // does.
            Table& t = it->second;
            for (const auto& col : schema) {
                auto existing = std::find_if(t.schema.begin(), t.schema.end(),
                                             [&](const Column& c) { return c.name == col.name; });
                if (existing != t.schema.end()) {
                    if (existing->type != col.type)
                        return BadRequest("column '" + col.name + "' already exists with type " +
                                          ToString(existing->type));
                    continue;
                }
                const size_t width = t.schema.size();
                for (auto& extent : t.extents) {
                    const size_t count = width ? extent.rows.size() / width : 0;
                    std::vector<Value> widened;
                    for (size_t r = 0; r < count; ++r) {
                        widened.insert(widened.end(), extent.rows.begin() + r * width,
                                       extent.rows.begin() + (r + 1) * width);
                        widened.emplace_back();
                    }
                    extent.rows = std::move(widened);
                }
                t.schema.push_back(col);
            }
            if (auto saved = PersistTable(body->db, t, true); !saved.ok())
                return BadRequest(saved.error().message);
        }  // plain .create of an existing table succeeds without a change
        const Table& t = tables[name];
        Json ordered = Json::array();
        for (const auto& c : t.schema)
            ordered.push_back({{"Name", c.name},
                               {"Type", std::string("System.") + kusto::V1DataType(c.type)},
                               {"CslType", ToString(c.type)}});
        return V1Response({{"TableName", ColumnType::kString},
                           {"Schema", ColumnType::kString},
                           {"DatabaseName", ColumnType::kString},
                           {"Folder", ColumnType::kString},
                           {"DocString", ColumnType::kString}},
                          {Value{name}, Value{Json{{"Name", name}, {"OrderedColumns", ordered}}.dump()},
                           Value{body->db}, Value{std::string()}, Value{std::string()}});
    }
    if (lower.rfind(".drop table ", 0) == 0) {
        std::string rest = Trim(csl.substr(12));
        bool if_exists = false;
        if (ToLower(rest).size() > 9 && ToLower(rest).substr(rest.size() - 9) == " ifexists") {
            if_exists = true;
            rest = Trim(rest.substr(0, rest.size() - 9));
        }
        const bool existed = tables.erase(rest) > 0;
        if (existed && store_)
            if (auto dropped = store_->DropTable(body->db, rest); !dropped.ok())
                return BadRequest(dropped.error().message);
        if (!existed && !if_exists) return EntityNotFound("Table '" + rest + "' was not found");
        std::vector<Value> rows;
        for (const auto& [name, t] : tables) {
            rows.push_back(Value{name});
            rows.push_back(Value{body->db});
        }
        return V1Response({{"TableName", ColumnType::kString}, {"DatabaseName", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower.rfind(".ingest inline into table ", 0) == 0) {
        const auto arrow = csl.find("<|");
        if (arrow == std::string::npos) return BadRequest("'.ingest inline' needs '<|' before the data");
        std::string name = Trim(csl.substr(26, arrow - 26));
        std::vector<std::string> tags;
        if (auto with = ToLower(name).find(" with"); with != std::string::npos) {
            // with (tags='["drop-by:x"]'): the extent's tags
            const std::string props = name.substr(with);
            if (auto t = ToLower(props).find("tags"); t != std::string::npos) {
                auto open = props.find('[', t), close = props.find(']', t);
                if (open != std::string::npos && close != std::string::npos) {
                    auto parsed = Json::parse(props.substr(open, close - open + 1), nullptr, false);
                    if (parsed.is_array())
                        for (const auto& tag : parsed)
                            if (tag.is_string()) tags.push_back(tag.get<std::string>());
                }
            }
            name = Trim(name.substr(0, with));
        }
        auto it = tables.find(name);
        if (it == tables.end()) return EntityNotFound("Table '" + name + "' was not found");
        Table& t = it->second;
        std::string_view data(csl);
        data.remove_prefix(arrow + 2);
        if (!data.empty() && data.front() == ' ')
            data.remove_prefix(1);  // "<| 1,a": the space is the separator
        auto parsed = ParseIngestData(data, "csv", t.schema, nullptr);
        if (!parsed.ok()) return BadRequest(parsed.error().message);
        std::vector<Value> added = std::move(parsed).value();
        // One extent per ingestion: all rows or none.
        std::string extent_id;
        if (auto added_ok = AddExtent(body->db, t, std::move(added), std::move(tags), &extent_id);
            !added_ok.ok())
            return BadRequest(added_ok.error().message);
        return V1Response({{"ExtentId", ColumnType::kGuid}}, {Value{extent_id}});
    }
    return ErrorResponse(
        400, "General_BadRequest", "Kusto.Data.Exceptions.SyntaxException",
        "Syntax error: the command '" + csl.substr(0, 60) + "' is not supported by this emulator");
}

api::Response Emulator::StreamingIngest(const api::Request& request) {
    // /v1/rest/ingest/{database}/{table}
    const std::string rest = request.path.substr(16);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size())
        return BadRequest("the streaming ingestion path is /v1/rest/ingest/{database}/{table}");
    const std::string db_name = rest.substr(0, slash), table_name = rest.substr(slash + 1);
    if (auto denied = auth_.Authorize(request, db_name, Role::kIngestor)) return std::move(*denied);
    if (request.body.size() > options_.streaming_ingest_limit_bytes)
        return ErrorResponse(413, "Stream_InputStreamTooLarge",
                             "Kusto.DataNode.Exceptions.KustoRequestPayloadTooLargeException",
                             "the request body exceeds the " +
                                 std::to_string(options_.streaming_ingest_limit_bytes) +
                                 "-byte limit of streaming ingestion; use queued ingestion");
    std::string data = request.body;
    if (const std::string* encoding = request.Header("content-encoding");
        encoding && ToLower(*encoding) == "gzip") {
        http::BodyDecoder decoder(http::BodyDecoder::Encoding::kGzip);
        std::string plain;
        if (auto fed = decoder.Feed(request.body, plain); !fed.ok() || !decoder.Finish().ok())
            return BadRequest("the gzip request body cannot be decoded");
        data = std::move(plain);
    }
    const std::string* format_param = request.Query("streamFormat");
    const std::string format = format_param ? *format_param : "csv";
    const std::string kind = MappingKindOf(format);
    if (kind.empty()) return BadRequest("streamFormat '" + format + "' is not supported by this emulator");

    std::lock_guard g(mu_);
    auto db = databases_.find(db_name);
    if (db == databases_.end()) return EntityNotFound("Database '" + db_name + "' was not found");
    auto it = db->second.tables.find(table_name);
    if (it == db->second.tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
    Table& t = it->second;
    if (!t.streaming_policy && !db->second.streaming_policy)
        return ErrorResponse(
            400, "BadRequest_StreamingIngestionPolicyNotEnabled",
            "Kusto.DataNode.Exceptions.StreamingIngestionPolicyNotEnabledException",
            "Streaming ingestion policy is not enabled for the table '" + table_name + "' or its database");
    const Json* mapping = nullptr;
    if (const std::string* name = request.Query("mappingName"); name && !name->empty()) {
        auto m = t.mappings.find(kind + "/" + *name);
        if (m == t.mappings.end())
            return ErrorResponse(400, "BadRequest_MappingReferenceNotFound",
                                 "Kusto.Data.Exceptions.KustoBadRequestException",
                                 "Mapping reference '" + *name + "' of kind '" + kind +
                                     "' was not found on table '" + table_name + "'");
        mapping = &m->second.columns;
    }
    auto parsed = ParseIngestData(data, format, t.schema, mapping);
    if (!parsed.ok())
        return ErrorResponse(400, parsed.error().code, "Kusto.Data.Exceptions.KustoBadRequestException",
                             parsed.error().message);
    const int64_t records = t.schema.empty() ? 0 : static_cast<int64_t>(parsed->size() / t.schema.size());
    // One extent per ingestion: the rows land together or not at all.
    if (auto added = AddExtent(db_name, t, std::move(parsed).value(), {}, nullptr); !added.ok())
        return BadRequest(added.error().message);
    return V1Response(
        {{"ConsumedRecordsCount", ColumnType::kLong},
         {"UpdatePolicyStatus", ColumnType::kString},
         {"UpdatePolicyFailureCode", ColumnType::kString},
         {"UpdatePolicyFailureReason", ColumnType::kString}},
        {Value{records}, Value{std::string("Inactive")}, Value{std::string("Unknown")}, Value{}});
}

}  // namespace adxflow::kusto_emulator
