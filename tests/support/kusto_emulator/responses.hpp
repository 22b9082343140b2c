#pragma once
// Pieces the emulator's request handlers share: Kusto's error bodies, the request body, small parsers.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/kusto/writer.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/rows.hpp"
#include "daemon/http/api_types.hpp"
#include "tests/support/kusto_emulator/auth.hpp"

namespace adxflow::kusto_emulator::detail {

// A OneApi error body with the given status.
api::Response ErrorResponse(int status, const std::string& code, const std::string& type,
                            const std::string& message, bool permanent = true);
api::Response EntityNotFound(const std::string& message);
api::Response BadRequest(const std::string& message);

// The request body {"db", "csl", "properties"}.
struct QueryRequest {
    std::string db;
    std::string csl;
    Json options = Json::object();  // the client request properties' "Options"
};
// The "Options" of a request body's client request properties, sent as an object or (Python) a JSON string.
Json RequestOptions(const Json& body);
Result<QueryRequest> ReadBody(const api::Request& request);

std::string Trim(std::string_view s);
// "T (a:long, b:string)" -> name and schema.
Result<std::pair<std::string, Schema>> TableSpec(std::string_view text);
// servertimeout as clients send it: "hh:mm:ss[.fffffff]", "d.hh:mm:ss", or "50m" / "30s" / "1h".
std::optional<std::chrono::milliseconds> ParseServerTimeout(const std::string& text);
// A v1 body with one table.
api::Response V1Response(const Schema& schema, std::vector<Value> rows);

// The v2 framing a request's Options ask for: results_progressive_enabled,
// results_v2_fragment_primary_tables, results_error_reporting_placement (in_data, end_of_table,
// end_of_dataset), deferpartialqueryfailures. Booleans may come as JSON booleans or "true"/"false".
kusto::V2Framing V2FramingFrom(const Json& options);

// The in-band failures of a query whose 200 already went out. Both carry 0x80DA0006 (E_QUERY_CANCELLED),
// in the shape recorded for an expired query: code "Internal service error", KustoDataStreamException,
// not permanent.
kusto::KustoError QueryCancelledError(const std::string& reason);
kusto::KustoError QueryExpiredError();

// The queries whose results are being streamed, by client request id (the service's ClientActivityId),
// so that `.cancel query` from another connection can stop them. A query is listed while its Listing
// lives (the response stream owns it, so a client that goes away unlists it too).
class RunningQueries : public std::enable_shared_from_this<RunningQueries> {
  public:
    struct Query {
        std::string client_request_id;
        std::string database;
        std::string principal;  // object id of the caller's token; empty without authentication
        std::string started;    // timestamp text
        std::atomic<bool> cancelled{false};
        // The reason given to `.cancel query`; written once, before `cancelled` is set.
        std::string reason;
    };
    class Listing {
      public:
        Listing(std::weak_ptr<RunningQueries> owner, std::shared_ptr<Query> query)
            : owner_(std::move(owner)), query_(std::move(query)) {}
        ~Listing();
        Listing(const Listing&) = delete;
        Listing& operator=(const Listing&) = delete;
        const Query& query() const { return *query_; }

      private:
        std::weak_ptr<RunningQueries> owner_;
        std::shared_ptr<Query> query_;
    };

    std::unique_ptr<Listing> Add(std::string client_request_id, std::string database, std::string principal);
    // The running queries with this client request id.
    std::vector<std::shared_ptr<Query>> Find(const std::string& client_request_id) const;
    // Marks `query` cancelled with `reason`; false when it already was.
    bool Cancel(Query& query, const std::string& reason);

  private:
    void Remove(const Query* query);
    mutable std::mutex mu_;
    std::multimap<std::string, std::shared_ptr<Query>> queries_;
};

// `.cancel query "ClientRequestId" [with (reason = "...")]` (query.cpp): marks the running queries with
// that id cancelled; each stops at its next piece with the cancellation error in band and
// DataSetCompletion.Cancelled. Anyone may cancel their own query, database admins any query on their
// database (401/403 otherwise). One row per query (ClientRequestId, Database, StartedOn,
// CancellationState, ReasonPhrase), or one "Cancel failed" row when none runs with that id.
api::Response CancelQuery(RunningQueries& running, const Auth& auth, const api::Request& request,
                          const QueryRequest& body);

}  // namespace adxflow::kusto_emulator::detail
