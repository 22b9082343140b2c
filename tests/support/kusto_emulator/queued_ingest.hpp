#pragma once
// Queued ingestion for the Kusto emulator, through a real Azure Storage account (Azurite in tests): the
// Data Management side of ADX's classic queue protocol (docs/kusto-emulator.md, "Queued ingestion").
//
// The emulator hands out SAS URLs of a temp container, the ready-for-aggregation queue, the success and
// failure queues and the status table (`.get ingestion resources`); a worker thread polls the ready queue,
// decodes each message (base64 JSON, field names in any case), downloads the blob (gzip or plain), lets the
// engine (an IngestionTarget: the Emulator) parse and commit it as one extent, and reports the outcome the
// way the service does: a row in the status table, a message in the success or failure queue, and an entry
// for `.show ingestion failures`. Batching is not emulated: every message is its own ingestion, committed
// within one poll interval.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "connectors/common/azure/account.hpp"
#include "connectors/common/http/http_client.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace adxflow::kusto_emulator {

// Where queued ingestion keeps its resources (config file "storage" section, or --storage).
struct StorageOptions {
    std::string connection_string;  // empty: queued ingestion is off
    std::chrono::milliseconds poll_interval{200};
    std::string container = "tempstorage";
    std::string ready_queue = "readyforaggregation-secured";
    std::string success_queue = "successfulingestions";
    std::string failure_queue = "failedingestions";
    std::string status_table = "ingestionsstatus";
    std::chrono::hours sas_lifetime{24};   // expiry of the SAS URLs handed out
    uint64_t max_blob_bytes = 1ull << 30;  // larger blobs fail with Stream_InputStreamTooLarge
};

// {"connectionString", "pollIntervalMs", "container", "readyQueue", "successQueue", "failureQueue",
//  "statusTable", "sasLifetimeHours", "maxBlobBytes"}; errors name the field.
Result<StorageOptions> ParseStorageOptions(const Json& section);

enum class ReportLevel { kFailuresOnly = 0, kNone = 1, kFailuresAndSuccesses = 2 };
enum class ReportMethod { kQueue = 0, kTable = 1, kQueueAndTable = 2 };

// One queue message of the classic protocol, read case-insensitively (Java sends camelCase, the others
// PascalCase; the Node SDK camelCases IngestionStatusInTable's members).
struct IngestionMessage {
    std::string id;         // the source id (status PartitionKey/RowKey)
    std::string blob_path;  // with its SAS
    std::string database;
    std::string table;
    int64_t raw_data_size = 0;
    bool retain_blob_on_success = false;
    bool flush_immediately = false;
    ReportLevel report_level = ReportLevel::kFailuresOnly;
    ReportMethod report_method = ReportMethod::kQueue;
    std::string source_message_creation_time;
    // AdditionalProperties (values are strings, lists JSON-encoded inside them; some SDKs send real JSON)
    std::string authorization_context;
    std::string format = "csv";
    std::string mapping_reference;
    std::optional<Json> mapping;  // the inline mapping array
    std::vector<std::string> tags;
    std::vector<std::string> ingest_if_not_exists;
    std::optional<TimePoint> creation_time;
    bool ignore_first_record = false;
    // IngestionStatusInTable
    std::string status_table_url;  // the table's URL with SAS, or (Node SDK) the table service's with SAS
    std::string status_partition_key;
    std::string status_row_key;

    bool report_to_table() const {
        return report_level != ReportLevel::kNone && report_method != ReportMethod::kQueue &&
               !status_partition_key.empty();
    }
    bool report_to_queue() const {
        return report_level != ReportLevel::kNone && report_method != ReportMethod::kTable;
    }
};

// kInvalidInput naming what is wrong (not JSON, no BlobPath, no DatabaseName or TableName, bad types).
Result<IngestionMessage> ParseIngestionMessage(std::string_view text);

// What one ingestion came to.
struct IngestionOutcome {
    enum class Kind { kSucceeded, kFailed, kSkipped };
    Kind kind = Kind::kSucceeded;
    std::string error_code;  // failures: BadRequest_TableNotExist, Stream_ClosingQuoteMissing, ...
    std::string details;
    bool permanent = true;
    int64_t rows = 0;
    std::string extent_id;

    static IngestionOutcome Failed(std::string code, std::string details, bool permanent = true) {
        IngestionOutcome o;
        o.kind = Kind::kFailed;
        o.error_code = std::move(code);
        o.details = std::move(details);
        o.permanent = permanent;
        return o;
    }
};

// A failed ingestion as `.show ingestion failures` lists it.
struct IngestionFailureRecord {
    std::string operation_id;
    std::string database;
    std::string table;
    std::string failed_on;
    std::string source_path;  // the blob URL without its SAS
    std::string source_id;
    std::string details;
    std::string failure_kind;  // Permanent / Transient
    std::string root_activity_id;
    std::string error_code;
    std::string ingestion_properties;  // JSON text of the message's AdditionalProperties (minus the token)
    bool should_retry = false;
};

// The engine side of queued ingestion (implemented by the Emulator). Called on the worker thread.
class IngestionTarget {
  public:
    virtual ~IngestionTarget() = default;
    // Before the blob is read: injected faults, the database and table, ingestIfNotExists. nullopt to go
    // on; an outcome ends the ingestion there (a discarding sink succeeds here without reading the data).
    virtual std::optional<IngestionOutcome> Precheck(const IngestionMessage& message) = 0;
    // Parses the (decompressed) data and commits it as one extent with the message's tags.
    virtual IngestionOutcome Commit(const IngestionMessage& message, std::string_view data) = 0;
    virtual void RecordFailure(IngestionFailureRecord record) = 0;
};

// The AuthorizationContext `.get kusto identity token` hands out and every message must carry. Derived from
// the account (stable across restarts, as clients cache it for an hour).
std::string KustoIdentityToken(const azure::StorageAccount& account);

// An account SAS (all three services, all resource types, read/write/delete/list/add/create/update/process)
// valid until `expiry`; the query string without '?'. Needs the account key.
std::string AccountSas(const azure::StorageAccount& account, TimePoint expiry);

class QueuedIngestor {
  public:
    // kInvalidInput when the connection string does not parse or has no account key.
    static Result<std::unique_ptr<QueuedIngestor>> Create(StorageOptions options, IngestionTarget& target);
    ~QueuedIngestor();
    QueuedIngestor(const QueuedIngestor&) = delete;
    QueuedIngestor& operator=(const QueuedIngestor&) = delete;

    void Start();  // the polling thread
    void Stop();   // waits for the message in hand

    // Creates the container, queues and table when they are missing (once; retried after a failure).
    Status EnsureResources();
    // (ResourceTypeName, StorageRoot) rows of `.get ingestion resources`, SAS URLs valid for sas_lifetime.
    Result<std::vector<std::pair<std::string, std::string>>> Resources();
    std::string IdentityToken() const { return identity_token_; }

    // One poll of the ready queue: processes what it got; returns how many messages that was.
    Result<int> PollOnce();
    // Messages processed since start (for tests and the admin endpoint).
    int64_t processed() const { return processed_.load(); }

  private:
    QueuedIngestor(StorageOptions options, azure::StorageAccount account, IngestionTarget& target);
    void Run();
    void Process(const std::string& text);
    void Report(const IngestionMessage& message, const IngestionOutcome& outcome);
    void ReportUnreadable(const std::string& text, const std::string& why);
    void WriteStatusRow(const IngestionMessage& message, const IngestionOutcome& outcome,
                        const std::string& operation_id, const std::string& activity_id);
    Result<std::string> Download(const IngestionMessage& message);
    void LogOnce(const std::string& what);

    StorageOptions options_;
    azure::StorageAccount account_;
    IngestionTarget& target_;
    std::string identity_token_;
    http::HttpClient http_;

    std::mutex resources_mu_;
    bool resources_ready_ = false;

    std::mutex mu_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread worker_;
    std::atomic<int64_t> processed_{0};
    std::string last_log_;
};

}  // namespace adxflow::kusto_emulator
