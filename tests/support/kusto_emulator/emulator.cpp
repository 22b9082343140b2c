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
#include "tests/support/kusto_emulator/responses.hpp"

namespace adxflow::kusto_emulator {

using namespace detail;
using kusto::KustoError;

Emulator::~Emulator() {
    if (queued_) queued_->Stop();  // its worker calls back into this object
}

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
    if (init_status_.ok() && !options_.storage.connection_string.empty()) {
        auto queued = QueuedIngestor::Create(options_.storage, *this);
        if (!queued.ok()) {
            init_status_ = queued.error();
        } else {
            queued_ = std::move(queued).value();
            queued_->Start();
        }
    }
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
                           std::vector<std::string> tags, std::string* extent_id, std::string created) {
    if (created.empty()) created = FormatTimestamp(std::chrono::system_clock::now());
    Extent e{NewUuid(), std::move(tags), std::move(created), std::move(rows)};
    if (options_.discard_ingested_rows) {  // --ingest-sink=discard: acknowledged, nothing kept
        if (extent_id) *extent_id = e.id;
        return Ok();
    }
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

}  // namespace adxflow::kusto_emulator
