#pragma once
// URLs as the HTTP client and the Azure clients use them: absolute http/https URLs with an optional port,
// IPv6 literal hosts and a raw (still percent-encoded) path and query. The query is kept encoded because
// SAS tokens must be sent byte for byte as issued.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace adxflow::http {

struct Url {
    std::string scheme;  // lower case: "http" or "https"
    std::string host;    // without brackets for IPv6 literals ("::1")
    int port = 0;        // explicit or the scheme's default
    std::string path;    // percent-encoded, always starts with '/'
    std::string query;   // percent-encoded, without the leading '?'; may be empty

    bool is_ipv6_literal() const { return host.find(':') != std::string::npos; }
    bool has_default_port() const;
    // "host", "host:8080", "[::1]:8080": the value of the Host header.
    std::string Authority() const;
    // "/path?query": the request target.
    std::string Target() const;
    std::string ToString() const;
    // scheme://authority/path without the query: safe to log (a query may carry a SAS signature).
    std::string Redacted() const;
};

// Parses an absolute http(s) URL. Fragments are dropped; user info is rejected (credentials in URLs leak).
Result<Url> ParseUrl(std::string_view text);

// True for 127.0.0.0/8, ::1 and "localhost" (and its subdomains): hosts that never leave the machine.
bool IsLoopbackHost(std::string_view host);

// RFC 3986 percent-encoding of everything except unreserved characters; `keep` lists extra characters to
// leave alone (e.g. "/" for blob paths).
std::string PercentEncode(std::string_view text, std::string_view keep = {});
// Decodes %XX sequences; '+' is left alone (it is a literal plus in Azure paths and queries).
std::string PercentDecode(std::string_view text);

// The query split into (decoded name, decoded value) pairs in their original order.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
// Appends "name=value" (both encoded here) to an encoded query string.
void AppendQueryParam(std::string& query, std::string_view name, std::string_view value);

}  // namespace adxflow::http
