#include "cli/api_client.hpp"

namespace adxflow::cli {

namespace {

http::HttpClientOptions ClientOptions(const std::string& ca_file) {
    http::HttpClientOptions o;
    o.ca_file = ca_file;
    // The user names the server explicitly; a daemon on another host of a private network is legitimate.
    o.allow_plain_http_to_any_host = true;
    o.user_agent = "adxflow-cli/0.1";
    return o;
}

ErrorKind KindForStatus(int status) {
    switch (status) {
        case 404:
            return ErrorKind::kNotFound;
        case 409:
        case 412:
            return ErrorKind::kConflict;
        case 401:
            return ErrorKind::kUnauthorized;
        case 403:
            return ErrorKind::kForbidden;
        case 413:
            return ErrorKind::kTooLarge;
        default:
            return status >= 500 ? ErrorKind::kTransient : ErrorKind::kInvalidInput;
    }
}

}  // namespace

std::string CloudErrorText(int status, const Json& body) {
    if (body.is_object()) {
        if (const Json* err = FindMember(body, "error"); err && err->is_object()) {
            std::string code, message;
            if (const Json* c = FindMember(*err, "code"); c && c->is_string()) code = c->get<std::string>();
            if (const Json* m = FindMember(*err, "message"); m && m->is_string())
                message = m->get<std::string>();
            if (!message.empty()) return code.empty() ? message : code + ": " + message;
            if (!code.empty()) return code;
        }
    }
    return "HTTP " + std::to_string(status);
}

ApiClient::ApiClient(std::string server, std::string factory, ClientCredentials credentials)
    : server_(std::move(server)),
      factory_(std::move(factory)),
      token_(std::move(credentials.token)),
      http_(std::make_unique<http::HttpClient>(ClientOptions(credentials.ca_file))) {
    while (!server_.empty() && server_.back() == '/') server_.pop_back();
}

Result<ApiReply> ApiClient::Call(const std::string& method, const std::string& suffix,
                                 const std::optional<Json>& body) {
    // Appends rather than one chain of +: GCC 12 warns falsely (-Warray-bounds) on long chains.
    std::string url = server_;
    url.append("/subscriptions/").append(kSubscription).append("/resourceGroups/").append(kResourceGroup);
    url.append("/providers/Microsoft.DataFactory/factories/").append(http::PercentEncode(factory_));
    if (!suffix.empty()) url.append("/").append(suffix);
    url.append("?api-version=").append(kApiVersion);
    ADXFLOW_ASSIGN_OR_RETURN(ApiReply reply, Send(method, url, body));
    if (reply.status >= 200 && reply.status < 300) return reply;
    Error e =
        MakeError(KindForStatus(reply.status), "api." + method, CloudErrorText(reply.status, reply.body));
    if (const Json* err = reply.body.is_object() ? FindMember(reply.body, "error") : nullptr;
        err && err->is_object()) {
        if (const Json* c = FindMember(*err, "code"); c && c->is_string()) e.code = c->get<std::string>();
        if (const Json* t = FindMember(*err, "target"); t && t->is_string()) e.target = t->get<std::string>();
    }
    return e;
}

Result<ApiReply> ApiClient::GetRaw(const std::string& path) {
    return Send("GET", server_ + path, std::nullopt);
}

Result<ApiReply> ApiClient::Send(const std::string& method, const std::string& url,
                                 const std::optional<Json>& body) {
    auto parsed = http::ParseUrl(url);
    if (!parsed.ok())
        return MakeError(ErrorKind::kInvalidInput, "cli.server",
                         "invalid server URL \"" + server_ + "\": " + parsed.error().message);
    http::HttpRequest req;
    req.method = method;
    req.url = url;
    req.headers.Set("Accept", "application/json");
    if (!token_.empty()) req.headers.Set("Authorization", "Bearer " + token_);
    if (body) {
        req.body = body->dump(-1, ' ', false, Json::error_handler_t::replace);
        req.headers.Set("Content-Type", "application/json; charset=utf-8");
    }
    http::RequestOptions options;
    options.timeout = std::chrono::seconds(30);
    auto res = http_->Send(req, options);
    if (!res.ok()) {
        Error e = std::move(res).error();
        e.message = "cannot reach adxflowd at " + server_ + ": " + e.message;
        if (e.kind != ErrorKind::kTimeout) e.kind = ErrorKind::kTransient;
        return e;
    }
    ApiReply reply;
    reply.status = res->status;
    if (!res->body.empty()) {
        auto json = ParseJson(res->body, "response");
        if (json.ok()) reply.body = std::move(*json);
    }
    for (const auto& [name, value] : res->headers)
        if (IEquals(name, "x-adxflow-warning")) reply.warnings.push_back(value);
    return reply;
}

}  // namespace adxflow::cli
