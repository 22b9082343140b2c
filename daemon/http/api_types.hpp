#pragma once
// Transport-neutral request and response: the router and handlers never see Beast, which keeps them
// testable (and fuzzable) without sockets.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace adxflow::api {

struct Request {
    std::string method;  // "GET", "PUT", ...
    std::string path;    // percent-decoded path, no query
    std::map<std::string, std::string> query;    // decoded; keys as sent
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;

    const std::string* Header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? nullptr : &it->second;
    }
    const std::string* Query(const std::string& name) const;  // case-insensitive name
};

struct Response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;
};

// Splits "a/b?x=1&y=%20" into a decoded path and query map. False when the target is malformed.
bool ParseTarget(std::string_view target, std::string& path, std::map<std::string, std::string>& query);
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace adxflow::api
