#pragma once
// What Blob, Queue and Table clients share: building the URL from the account endpoint, the version and date
// headers, Shared Key or SAS authorization, and turning a storage error response into an Error.

#include <chrono>
#include <string>

#include "connectors/common/azure/account.hpp"
#include "connectors/common/http/http_client.hpp"

namespace adxflow::azure {

// Per-call knobs of every storage operation.
struct CallOptions {
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    const CancellationToken* cancel = nullptr;
    std::string client_request_id;  // empty: a fresh UUID (sent as x-ms-client-request-id)
};

// One request to a storage service, relative to the account's endpoint for that service.
struct StorageCall {
    const char* op = "storage";  // e.g. "blob.put", used in errors
    std::string method = "GET";
    std::string path;   // percent-encoded, starting with '/' (or empty for the endpoint itself)
    std::string query;  // percent-encoded, without '?'; the SAS token is appended by the transport
    http::HttpHeaders headers;
    std::string body;
    uint64_t max_body_bytes = 64ull << 20;

    static StorageCall Make(const char* op, std::string method, std::string path, std::string query = {}) {
        StorageCall call;
        call.op = op;
        call.method = std::move(method);
        call.path = std::move(path);
        call.query = std::move(query);
        return call;
    }
};

class StorageTransport {
  public:
    StorageTransport(StorageAccount account, StorageService service, http::HttpClient& http);

    const StorageAccount& account() const { return account_; }
    // Sends the call; returns the response whatever its status (callers accept e.g. 409 on create).
    Result<http::HttpResponse> Send(StorageCall call, const CallOptions& options,
                                    const http::BodyChunkHandler* on_body_chunk = nullptr) const;

  private:
    StorageAccount account_;
    StorageService service_;
    http::HttpClient& http_;
};

// The error for a non-2xx storage response: kind from the status (404 -> kNotFound, 409/412 -> kConflict,
// 401/403 auth failures -> kUnauthorized/kForbidden, 408/429/5xx -> kTransient with Retry-After), code from
// x-ms-error-code or the error document, message from the document's first line.
Error StorageError(const http::HttpResponse& response, const std::string& op);
// The storage error code of a response ("ContainerAlreadyExists"), or "".
std::string StorageErrorCode(const http::HttpResponse& response);

}  // namespace adxflow::azure
