#include "connectors/common/http/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "core/json.hpp"

namespace adxflow::http {
namespace {

Error UrlError(std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "url.parse", std::move(message));
}

int DefaultPort(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool Url::has_default_port() const {
    return port == DefaultPort(scheme);
}

std::string Url::Authority() const {
    std::string out = is_ipv6_literal() ? "[" + host + "]" : host;
    if (!has_default_port()) out += ":" + std::to_string(port);
    return out;
}

std::string Url::Target() const {
    return query.empty() ? path : path + "?" + query;
}

std::string Url::ToString() const {
    return scheme + "://" + Authority() + Target();
}

std::string Url::Redacted() const {
    return scheme + "://" + Authority() + path;
}

Result<Url> ParseUrl(std::string_view text) {
    Url url;
    size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return UrlError("not an absolute URL (no scheme)");
    url.scheme = ToLower(text.substr(0, scheme_end));
    if (url.scheme != "http" && url.scheme != "https")
        return UrlError("unsupported URL scheme '" + url.scheme + "' (expected http or https)");
    std::string_view rest = text.substr(scheme_end + 3);
    if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);

    size_t authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view after =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) return UrlError("user info in URLs is not supported");
    if (authority.empty()) return UrlError("URL has no host");

    std::string_view port_text;
    if (authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return UrlError("unterminated IPv6 literal in URL");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view tail = authority.substr(close + 1);
        if (!tail.empty()) {
            if (tail.front() != ':') return UrlError("unexpected characters after IPv6 literal");
            port_text = tail.substr(1);
        }
        in6_addr addr{};
        if (inet_pton(AF_INET6, url.host.c_str(), &addr) != 1) return UrlError("invalid IPv6 literal in URL");
    } else {
        size_t colon = authority.rfind(':');
        url.host = ToLower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return UrlError("URL has no host");

    url.port = DefaultPort(url.scheme);
    if (!port_text.empty()) {
        int port = 0;
        for (char c : port_text) {
            if (!std::isdigit(static_cast<unsigned char>(c))) return UrlError("URL port is not a number");
            port = port * 10 + (c - '0');
            if (port > 65535) return UrlError("URL port is out of range");
        }
        if (port == 0) return UrlError("URL port is out of range");
        url.port = port;
    }

    size_t q = after.find('?');
    url.path = std::string(after.substr(0, q));
    if (url.path.empty()) url.path = "/";
    if (q != std::string_view::npos) url.query = std::string(after.substr(q + 1));
    return url;
}

bool IsLoopbackHost(std::string_view host) {
    std::string lower = ToLower(host);
    if (lower == "localhost" || (lower.size() > 10 && lower.ends_with(".localhost"))) return true;
    if (lower == "::1") return true;
    in_addr v4{};
    if (inet_pton(AF_INET, lower.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, lower.c_str(), &v6) == 1) {
        // ::ffff:127.x.x.x is IPv4 loopback seen through a dual-stack socket.
        static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        return std::equal(kMappedPrefix, kMappedPrefix + 12, v6.s6_addr) && v6.s6_addr[12] == 127;
    }
    return false;
}

std::string PercentEncode(std::string_view text, std::string_view keep) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' ||
            keep.find(c) != std::string_view::npos) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        }
    }
    return out;
}

std::string PercentDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos) {
            out.emplace_back(PercentDecode(part), std::string{});
        } else {
            out.emplace_back(PercentDecode(part.substr(0, eq)), PercentDecode(part.substr(eq + 1)));
        }
    }
    return out;
}

void AppendQueryParam(std::string& query, std::string_view name, std::string_view value) {
    if (!query.empty()) query += '&';
    query += PercentEncode(name);
    query += '=';
    query += PercentEncode(value);
}

}  // namespace adxflow::http
