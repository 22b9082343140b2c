#pragma once
// One cluster's REST endpoints as the connector uses them: v2 queries streamed into the push parser, v1
// management commands, and the auth metadata that says which audience tokens are for. It adds the headers
// the service expects (x-ms-client-request-id, x-ms-app, x-ms-user, x-ms-client-version), a bearer token
// from the shared cache (one forced refresh on 401), and turns error answers into classified Errors.
//
// Protocol facts: shared/reference/adx-protocol.md §1-§6, §11.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "connectors/common/http/http_client.hpp"
#include "connectors/common/identity/token_cache.hpp"
#include "connectors/common/kusto/response.hpp"
#include "core/json.hpp"
#include "core/retry.hpp"

namespace adxflow::adx {

// What every client of the daemon shares: the connection pool, the token cache, and each cluster's token
// audience (asked once per cluster).
class AdxServices {
  public:
    explicit AdxServices(http::HttpClientOptions options = {});
    http::HttpClient& http() { return http_; }
    identity::TokenCache& tokens() { return tokens_; }
    // The audience for `cluster_url`, from GET /v1/rest/auth/metadata (KustoServiceResourceId); the
    // cluster URL itself when the endpoint does not answer it (older clusters).
    Result<std::string> Audience(const std::string& cluster_url, const CancellationToken* cancel);
    // Per ingestion endpoint: staging containers, queues, status table, identity token
    // (ingest_resources.hpp).
    class IngestResourceCache& ingest_resources() {
        return *ingest_resources_;
    }

  private:
    std::shared_ptr<class IngestResourceCache> ingest_resources_;
    http::HttpClient http_;
    identity::TokenCache tokens_;
    std::mutex mu_;
    std::map<std::string, std::string> audiences_;
};

struct KustoRequest {
    std::string database;
    std::string csl;
    Json options = Json::object();  // ClientRequestProperties Options (servertimeout, notruncation...)
    std::chrono::milliseconds client_timeout{std::chrono::minutes(10) + std::chrono::seconds(30)};
    std::string client_request_id;  // generated ("adxflow;<uuid>") when empty
    size_t batch_rows = 4096;       // rows per handler call
};

// One POST /v1/rest/ingest/{database}/{table}: the body is the data itself (at most 4 MB).
struct StreamingIngestRequest {
    std::string database;
    std::string table;
    std::string format = "Csv";  // streamFormat
    std::string mapping_name;    // mappingName, when the data needs one
    std::string body;
    bool gzipped = false;
    std::chrono::milliseconds client_timeout{std::chrono::minutes(2)};
};

// What a finished request reports back, for the activity output and support cases.
struct KustoCallInfo {
    std::string client_request_id;
    std::string activity_id;  // the service's x-ms-activity-id, when sent
    uint64_t response_bytes = 0;
};

class KustoClient {
  public:
    KustoClient(AdxServices& services, std::shared_ptr<identity::TokenCredential> credential,
                std::string cluster_url);

    const std::string& cluster_url() const { return cluster_url_; }

    // POST /v2/rest/query, the body streamed through kusto::V2StreamParser into `handler`.
    Result<KustoCallInfo> Query(const KustoRequest& request, kusto::ResponseHandler& handler,
                                const CancellationToken* cancel);
    // POST /v1/rest/mgmt, parsed as v1 tables into `handler`.
    Result<KustoCallInfo> Management(const KustoRequest& request, kusto::ResponseHandler& handler,
                                     const CancellationToken* cancel);
    // A control command that is safe to repeat (.show, .get, .drop extents by tag), retried on transient
    // failures (429 with Retry-After, 5xx, cut connections) under `policy`, so that a throttled command costs
    // a backoff instead of the activity's attempt; `reset` empties the handler before each attempt. Commands
    // whose effect must not repeat (the Command activity's) use Management.
    Result<KustoCallInfo> IdempotentManagement(const KustoRequest& request, kusto::ResponseHandler& handler,
                                               const std::function<void()>& reset,
                                               const CancellationToken* cancel,
                                               const RetryPolicy& policy = {});
    // Streaming ingestion into a table whose (or whose database's) streamingingestion policy is on.
    Result<KustoCallInfo> StreamingIngest(const StreamingIngestRequest& request,
                                          const CancellationToken* cancel);
    // A bearer token for this cluster (also used for the ingestion endpoint, which shares the audience).
    Result<std::string> Token(const CancellationToken* cancel, const std::string& refused = {});

  private:
    http::HttpRequest NewRequest(const std::string& path, const std::string& client_request_id) const;
    // Sends with a bearer token; a 401 gets one more try with a freshly issued token.
    Result<http::HttpResponse> SendAuthorized(
        http::HttpRequest& http_request, const CancellationToken* cancel,
        const std::function<Result<http::HttpResponse>(const http::HttpRequest&)>& send);
    Result<KustoCallInfo> Post(const std::string& path, const KustoRequest& request, bool v2,
                               kusto::ResponseHandler& handler, const CancellationToken* cancel);

    AdxServices& services_;
    std::shared_ptr<identity::TokenCredential> credential_;
    std::string cluster_url_;
    bool loopback_ = false;  // responses are then requested uncompressed
};

// Classifies a non-2xx answer of the engine: 400 → kInvalidInput, 401 → kUnauthorized, 403 → kForbidden,
// 404 → kNotFound, 429 → kTransient with Retry-After, 5xx → kTransient, 504 RequestExecutionTimeout →
// kTimeout; a OneApi "@permanent": false makes a 4xx transient too. The message carries the service's code
// and text.
Error ErrorFromResponse(const http::HttpResponse& response, std::string_view what);

// An in-band error (truncation, partial failure) as an Error: LimitsExceeded becomes kTooLarge with code
// "ResultTruncated", others kTransient/kInvalidInput by @permanent.
Error ErrorFromInBand(const kusto::KustoError& error, std::string_view what);

}  // namespace adxflow::adx
