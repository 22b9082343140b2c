#pragma once
// Transport-neutral request and response: the router and handlers never see Beast, which keeps them
// testable (and fuzzable) without sockets.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace adxflow::api {

struct Request {
    std::string method;                          // "GET", "PUT", ...
    std::string path;                            // percent-decoded path, no query
    std::map<std::string, std::string> query;    // decoded; keys as sent
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;

    const std::string* Header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? nullptr : &it->second;
    }
    const std::string* Query(const std::string& name) const;  // case-insensitive name
};

// Produces a streamed body piece by piece: appends the next piece to `out` and returns true while more
// will follow. The server calls it on the connection's strand, writes each piece as one HTTP/1.1 chunk
// and stops calling it when it returns false or the client goes away, so a large result never sits in
// memory whole.
using BodyStream = std::function<bool(std::string& out)>;

struct Response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;
    BodyStream stream;  // when set, the body is streamed (chunked) and `body` is ignored
};

// The whole body of a response, draining its stream when it has one (in-process callers and tests).
inline std::string BodyText(const Response& response) {
    if (!response.stream) return response.body;
    std::string all;
    while (response.stream(all)) {
    }
    return all;
}

// Splits "a/b?x=1&y=%20" into a decoded path and query map. False when the target is malformed.
bool ParseTarget(std::string_view target, std::string& path, std::map<std::string, std::string>& query);
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace adxflow::api
