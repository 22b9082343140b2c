#include "connectors/common/azure/storage_client.hpp"

#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/azure/shared_key.hpp"
#include "connectors/common/azure/xml.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"

namespace adxflow::azure {
namespace {

// Versions every client here was written against. Azurite accepts them (and any, with --skipApiVersionCheck).
constexpr const char* kBlobQueueVersion = "2021-08-06";
constexpr const char* kTableVersion = "2019-02-02";

struct ErrorDocument {
    std::string code;
    std::string message;
};

ErrorDocument ReadErrorDocument(const http::HttpResponse& response) {
    ErrorDocument doc;
    if (response.body.empty()) return doc;
    if (response.body.front() == '{') {
        // Table service: {"odata.error":{"code":"...","message":{"lang":"en-US","value":"..."}}}
        Json json = Json::parse(response.body, nullptr, false);
        if (json.is_object()) {
            const Json* error = FindMember(json, "odata.error");
            if (error && error->is_object()) {
                if (auto code = AsString(error->value("code", Json()))) doc.code = *code;
                const Json& message = error->value("message", Json());
                if (message.is_object())
                    doc.message = message.value("value", "");
                else if (message.is_string())
                    doc.message = message.get<std::string>();
            }
        }
    } else {
        auto xml = ParseXml(response.body);
        if (xml.ok()) {
            doc.code = xml->ChildText("Code");
            doc.message = xml->ChildText("Message");
        }
    }
    // Storage messages continue with "RequestId:...\nTime:..." lines; the first line is the human part.
    doc.message = doc.message.substr(0, doc.message.find('\n'));
    return doc;
}

}  // namespace

StorageTransport::StorageTransport(StorageAccount account, StorageService service, http::HttpClient& http)
    : account_(std::move(account)), service_(service), http_(http) {}

Result<http::HttpResponse> StorageTransport::Send(StorageCall call, const CallOptions& options,
                                                  const http::BodyChunkHandler* on_body_chunk) const {
    const std::string& endpoint = account_.endpoint(service_);
    if (endpoint.empty()) {
        return MakeError(ErrorKind::kInvalidInput, call.op,
                         std::string("the storage account has no ") + ToString(service_) + " endpoint");
    }
    http::HttpRequest request;
    request.method = call.method;
    std::string query = std::move(call.query);
    if (account_.uses_sas() && !account_.uses_shared_key() && !account_.uses_bearer_token()) {
        if (!query.empty()) query += '&';
        query += account_.sas_token;
    }
    request.url = endpoint + call.path + (query.empty() ? "" : "?" + query);
    request.headers = std::move(call.headers);
    request.headers.Set("x-ms-version",
                        service_ == StorageService::kTable ? kTableVersion : kBlobQueueVersion);
    request.headers.Set("x-ms-date", FormatHttpDate(std::chrono::system_clock::now()));
    request.headers.Set("x-ms-client-request-id",
                        options.client_request_id.empty() ? NewUuid() : options.client_request_id);
    request.body = std::move(call.body);
    if (account_.uses_bearer_token()) {
        ADXFLOW_ASSIGN_OR_RETURN(std::string token, account_.bearer_token(options.cancel));
        request.headers.Set("Authorization", "Bearer " + token);
    } else if (account_.uses_shared_key()) {
        ADXFLOW_TRY(SignSharedKey(request, service_, account_.account_name, account_.account_key));
    }

    http::RequestOptions request_options;
    request_options.timeout = options.timeout;
    request_options.cancel = options.cancel;
    request_options.max_body_bytes = call.max_body_bytes;
    auto response = on_body_chunk ? http_.Send(request, request_options, *on_body_chunk)
                                  : http_.Send(request, request_options);
    if (!response.ok()) {
        Error e = std::move(response).error();
        e.op = call.op;  // the network error already names the method and redacted URL
        return e;
    }
    return response;
}

std::string StorageErrorCode(const http::HttpResponse& response) {
    if (const std::string* code = response.headers.Get("x-ms-error-code")) return *code;
    return ReadErrorDocument(response).code;
}

Error StorageError(const http::HttpResponse& response, const std::string& op) {
    ErrorDocument doc = ReadErrorDocument(response);
    if (const std::string* code = response.headers.Get("x-ms-error-code")) doc.code = *code;
    ErrorKind kind = ErrorKind::kInternal;
    int status = response.status;
    if (status == 400 || status == 416)
        kind = ErrorKind::kInvalidInput;
    else if (status == 401)
        kind = ErrorKind::kUnauthorized;
    else if (status == 403) {
        // A bad signature is "AuthenticationFailed" on Azure; Azurite reports it as "AuthorizationFailure"
        // with Azure's authentication message. Either way the credentials are wrong, not the permissions.
        bool authentication = doc.code == "AuthenticationFailed" ||
                              doc.message.find("failed to authenticate") != std::string::npos;
        kind = authentication ? ErrorKind::kUnauthorized : ErrorKind::kForbidden;
    } else if (status == 404)
        kind = ErrorKind::kNotFound;
    else if (status == 409 || status == 412)
        kind = ErrorKind::kConflict;
    else if (status == 413)
        kind = ErrorKind::kTooLarge;
    else if (status == 408 || status == 429 || status >= 500)
        kind = ErrorKind::kTransient;
    else if (status >= 400)
        kind = ErrorKind::kInvalidInput;

    std::string message = "HTTP " + std::to_string(status);
    if (!doc.code.empty()) message += " (" + doc.code + ")";
    if (!doc.message.empty()) message += ": " + doc.message;
    Error error = MakeError(kind, op, message, doc.code.empty() ? "Http" + std::to_string(status) : doc.code);
    if (const std::string* retry_after = response.headers.Get("Retry-After")) {
        char* end = nullptr;
        long seconds = std::strtol(retry_after->c_str(), &end, 10);
        if (end != retry_after->c_str() && *end == '\0' && seconds >= 0)
            error.retry_after = std::chrono::seconds(seconds);
    }
    return error;
}

}  // namespace adxflow::azure
