#pragma once
// Azure Queue Storage REST calls: create a queue, put/get/peek/delete messages. Message text is base64
// encoded on the wire, as the Kusto SDKs (and the Azure SDKs' default for them) do, so that any bytes,
// including JSON with XML-special characters, survive.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/azure/storage_client.hpp"

namespace adxflow::azure {

struct QueueMessage {
    std::string message_id;
    std::string pop_receipt;  // empty for peeked messages
    std::string text;         // decoded
    std::string insertion_time;
    std::string expiration_time;
    std::string time_next_visible;
    int dequeue_count = 0;
};

struct PutMessageOptions {
    std::optional<std::chrono::seconds> visibility_timeout;  // hidden for this long after insertion
    std::optional<std::chrono::seconds> time_to_live;        // -1 s means "never expires"
};

class QueueClient {
  public:
    QueueClient(StorageAccount account, http::HttpClient& http);

    // Succeeds when the queue already exists.
    Status CreateQueue(const std::string& queue, const CallOptions& options = {}) const;
    Status DeleteQueue(const std::string& queue, const CallOptions& options = {}) const;
    // Returns the stored message (id, pop receipt, times); `text` is the given text.
    Result<QueueMessage> PutMessage(const std::string& queue, std::string_view text,
                                    const PutMessageOptions& put = {}, const CallOptions& options = {}) const;
    // Dequeues up to `max_messages` (1..32), hiding them for `visibility_timeout`.
    Result<std::vector<QueueMessage>> GetMessages(const std::string& queue, int max_messages,
                                                  std::chrono::seconds visibility_timeout,
                                                  const CallOptions& options = {}) const;
    // Looks at up to `max_messages` without hiding them.
    Result<std::vector<QueueMessage>> PeekMessages(const std::string& queue, int max_messages,
                                                   const CallOptions& options = {}) const;
    Status DeleteMessage(const std::string& queue, const std::string& message_id,
                         const std::string& pop_receipt, const CallOptions& options = {}) const;

    const StorageAccount& account() const { return transport_.account(); }

  private:
    Result<std::vector<QueueMessage>> ReadMessages(const char* op, std::string query,
                                                   const std::string& queue,
                                                   const CallOptions& options) const;
    StorageTransport transport_;
};

}  // namespace adxflow::azure
