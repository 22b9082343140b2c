#include "connectors/common/azure/queue_client.hpp"

#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/azure/xml.hpp"
#include "connectors/common/http/url.hpp"

namespace adxflow::azure {
namespace {

std::string QueuePath(const std::string& queue) {
    return "/" + http::PercentEncode(queue);
}

Result<std::vector<QueueMessage>> ParseMessages(const char* op, const std::string& body) {
    auto parsed = ParseXml(body);
    if (!parsed.ok()) {
        Error e = std::move(parsed).error();
        e.op = op;
        return e;
    }
    std::vector<QueueMessage> messages;
    for (const XmlElement* item : parsed->Children("QueueMessage")) {
        QueueMessage m;
        m.message_id = item->ChildText("MessageId");
        m.pop_receipt = item->ChildText("PopReceipt");
        m.insertion_time = item->ChildText("InsertionTime");
        m.expiration_time = item->ChildText("ExpirationTime");
        m.time_next_visible = item->ChildText("TimeNextVisible");
        m.dequeue_count = std::atoi(item->ChildText("DequeueCount").c_str());
        std::string raw = item->ChildText("MessageText");
        auto decoded = Base64Decode(raw);
        // A message another producer wrote as plain text is passed through unchanged.
        m.text = decoded ? std::move(*decoded) : std::move(raw);
        messages.push_back(std::move(m));
    }
    return messages;
}

}  // namespace

QueueClient::QueueClient(StorageAccount account, http::HttpClient& http)
    : transport_(std::move(account), StorageService::kQueue, http) {}

Status QueueClient::CreateQueue(const std::string& queue, const CallOptions& options) const {
    StorageCall call = StorageCall::Make("queue.create", "PUT", QueuePath(queue));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    // 201 created, 204 already there with the same metadata.
    if (response.is_success()) return Ok();
    if (response.status == 409 && StorageErrorCode(response) == "QueueAlreadyExists") return Ok();
    return StorageError(response, "queue.create");
}

Status QueueClient::DeleteQueue(const std::string& queue, const CallOptions& options) const {
    StorageCall call = StorageCall::Make("queue.delete", "DELETE", QueuePath(queue));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (response.is_success() || response.status == 404) return Ok();
    return StorageError(response, "queue.delete");
}

Result<QueueMessage> QueueClient::PutMessage(const std::string& queue, std::string_view text,
                                             const PutMessageOptions& put, const CallOptions& options) const {
    StorageCall call = StorageCall::Make("queue.put_message", "POST", QueuePath(queue) + "/messages");
    if (put.visibility_timeout)
        http::AppendQueryParam(call.query, "visibilitytimeout",
                               std::to_string(put.visibility_timeout->count()));
    if (put.time_to_live)
        http::AppendQueryParam(call.query, "messagettl", std::to_string(put.time_to_live->count()));
    call.headers.Set("Content-Type", "application/xml");
    call.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>" + Base64Encode(text) +
                "</MessageText></QueueMessage>";
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "queue.put_message");
    ADXFLOW_ASSIGN_OR_RETURN(auto messages, ParseMessages("queue.put_message", response.body));
    if (messages.empty())
        return MakeError(ErrorKind::kTransient, "queue.put_message",
                         "the service did not describe the stored message");
    QueueMessage stored = std::move(messages.front());
    stored.text = std::string(text);
    return stored;
}

Result<std::vector<QueueMessage>> QueueClient::ReadMessages(const char* op, std::string query,
                                                            const std::string& queue,
                                                            const CallOptions& options) const {
    StorageCall call = StorageCall::Make(op, "GET", QueuePath(queue) + "/messages", std::move(query));
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, op);
    return ParseMessages(op, response.body);
}

Result<std::vector<QueueMessage>> QueueClient::GetMessages(const std::string& queue, int max_messages,
                                                           std::chrono::seconds visibility_timeout,
                                                           const CallOptions& options) const {
    std::string query;
    http::AppendQueryParam(query, "numofmessages", std::to_string(max_messages));
    http::AppendQueryParam(query, "visibilitytimeout", std::to_string(visibility_timeout.count()));
    return ReadMessages("queue.get_messages", std::move(query), queue, options);
}

Result<std::vector<QueueMessage>> QueueClient::PeekMessages(const std::string& queue, int max_messages,
                                                            const CallOptions& options) const {
    std::string query = "peekonly=true";
    http::AppendQueryParam(query, "numofmessages", std::to_string(max_messages));
    return ReadMessages("queue.peek_messages", std::move(query), queue, options);
}

Status QueueClient::DeleteMessage(const std::string& queue, const std::string& message_id,
                                  const std::string& pop_receipt, const CallOptions& options) const {
    StorageCall call = StorageCall::Make("queue.delete_message", "DELETE",
                                         QueuePath(queue) + "/messages/" + http::PercentEncode(message_id));
    http::AppendQueryParam(call.query, "popreceipt", pop_receipt);
    ADXFLOW_ASSIGN_OR_RETURN(auto response, transport_.Send(std::move(call), options));
    if (!response.is_success()) return StorageError(response, "queue.delete_message");
    return Ok();
}

}  // namespace adxflow::azure
