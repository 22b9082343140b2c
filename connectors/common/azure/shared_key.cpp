#include "connectors/common/azure/shared_key.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "connectors/common/azure/encoding.hpp"
#include "core/json.hpp"

namespace adxflow::azure {
namespace {

std::string HeaderOrEmpty(const http::HttpRequest& request, std::string_view name) {
    const std::string* v = request.headers.Get(name);
    return v ? *v : std::string{};
}

std::string_view TrimSpace(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string ContentLength(const http::HttpRequest& request) {
    // Since version 2015-02-21 a zero length is signed as an empty string.
    std::string value = HeaderOrEmpty(request, "Content-Length");
    if (value.empty() && !request.body.empty()) value = std::to_string(request.body.size());
    return value == "0" ? std::string{} : value;
}

}  // namespace

std::string BlobQueueStringToSign(const http::HttpRequest& request, const http::Url& url,
                                  std::string_view account) {
    std::string s = request.method + "\n";
    s += HeaderOrEmpty(request, "Content-Encoding") + "\n";
    s += HeaderOrEmpty(request, "Content-Language") + "\n";
    s += ContentLength(request) + "\n";
    s += HeaderOrEmpty(request, "Content-MD5") + "\n";
    s += HeaderOrEmpty(request, "Content-Type") + "\n";
    // x-ms-date wins over Date; when it is present the Date line stays empty.
    s += (request.headers.Has("x-ms-date") ? std::string{} : HeaderOrEmpty(request, "Date")) + "\n";
    for (const char* name :
         {"If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"})
        s += HeaderOrEmpty(request, name) + "\n";

    std::map<std::string, std::string> ms_headers;  // sorted by lower-case name
    for (const auto& [name, value] : request.headers) {
        std::string lower = ToLower(name);
        if (!lower.starts_with("x-ms-")) continue;
        auto [it, inserted] = ms_headers.emplace(lower, std::string(TrimSpace(value)));
        if (!inserted) it->second += "," + std::string(TrimSpace(value));
    }
    for (const auto& [name, value] : ms_headers) s += name + ":" + value + "\n";

    s += "/" + std::string(account) + url.path;
    std::map<std::string, std::vector<std::string>> params;
    for (auto& [name, value] : http::ParseQuery(url.query)) params[ToLower(name)].push_back(std::move(value));
    for (auto& [name, values] : params) {
        std::sort(values.begin(), values.end());
        s += "\n" + name + ":";
        for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + values[i];
    }
    return s;
}

std::string TableStringToSign(const http::HttpRequest& request, const http::Url& url,
                              std::string_view account) {
    std::string date = HeaderOrEmpty(request, "x-ms-date");
    if (date.empty()) date = HeaderOrEmpty(request, "Date");
    std::string s = request.method + "\n" + HeaderOrEmpty(request, "Content-MD5") + "\n" +
                    HeaderOrEmpty(request, "Content-Type") + "\n" + date + "\n";
    s += "/" + std::string(account) + url.path;
    for (const auto& [name, value] : http::ParseQuery(url.query)) {
        if (ToLower(name) == "comp") {
            s += "?comp=" + value;
            break;
        }
    }
    return s;
}

Status SignSharedKey(http::HttpRequest& request, StorageService service, std::string_view account,
                     std::string_view account_key_base64) {
    auto key = Base64Decode(account_key_base64);
    if (!key)
        return MakeError(ErrorKind::kInvalidInput, "storage.sign",
                         "the storage account key is not valid base64");
    ADXFLOW_ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(request.url));
    std::string to_sign = service == StorageService::kTable ? TableStringToSign(request, url, account)
                                                            : BlobQueueStringToSign(request, url, account);
    request.headers.Set("Authorization",
                        "SharedKey " + std::string(account) + ":" + Base64Encode(HmacSha256(*key, to_sign)));
    return Ok();
}

}  // namespace adxflow::azure
