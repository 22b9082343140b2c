#pragma once
// The CLI's view of adxflowd: the factory's ARM paths plus CloudError decoding. Transport failures become
// one clear message ("cannot reach adxflowd at URL: ...") instead of a socket error code.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/http/http_client.hpp"
#include "core/json.hpp"

namespace adxflow::cli {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:8420";
inline constexpr const char* kSubscription = "00000000-0000-0000-0000-000000000000";
inline constexpr const char* kResourceGroup = "adxflow";
inline constexpr const char* kApiVersion = "2018-06-01";

struct ApiReply {
    int status = 0;
    Json body;                          // null when the body was empty or not JSON
    std::vector<std::string> warnings;  // x-adxflow-warning headers
};

// How the client proves itself and whom it trusts.
struct ClientCredentials {
    std::string token;    // sent as Authorization: Bearer TOKEN when not empty
    std::string ca_file;  // extra trusted CA (PEM) for an https:// server with a private certificate
};

class ApiClient {
  public:
    ApiClient(std::string server, std::string factory, ClientCredentials credentials = {});

    const std::string& server() const { return server_; }

    // `suffix` is relative to the factory, e.g. "pipelines/CopyPeople" or "" for the factory itself.
    // 2xx -> the reply. 4xx -> kInvalidInput/kNotFound/kConflict carrying the CloudError code and message.
    // 5xx and transport failures -> kTransient/kTimeout.
    Result<ApiReply> Call(const std::string& method, const std::string& suffix,
                          const std::optional<Json>& body);

    // GET an absolute daemon path such as "/readyz"; any HTTP status is returned.
    Result<ApiReply> GetRaw(const std::string& path);

  private:
    Result<ApiReply> Send(const std::string& method, const std::string& url, const std::optional<Json>& body);

    std::string server_;  // without trailing '/'
    std::string factory_;
    std::string token_;
    std::unique_ptr<http::HttpClient> http_;
};

// The text of a CloudError body ({"error": {"code", "message"}}), or a fallback naming the status.
std::string CloudErrorText(int status, const Json& body);

}  // namespace adxflow::cli
