#include "tests/support/kusto_emulator/queued_ingest.hpp"

#include <cstdio>
#include <ctime>

#include "connectors/common/azure/blob_client.hpp"
#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/azure/queue_client.hpp"
#include "connectors/common/azure/table_client.hpp"
#include "connectors/common/http/compression.hpp"
#include "connectors/common/http/url.hpp"
#include "core/ids.hpp"

namespace adxflow::kusto_emulator {

namespace {

using namespace std::chrono_literals;

Error BadMessage(const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "kusto.queued_ingest", message, "BadRequest_InvalidMessage");
}

// A member as text: strings as they are, numbers and booleans as JSON, null/absent as "".
std::string Text(const Json* v) {
    if (!v || v->is_null()) return {};
    return v->is_string() ? v->get<std::string>() : v->dump();
}

bool Flag(const Json* v) {
    if (!v || v->is_null()) return false;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number()) return v->get<double>() != 0;
    return v->is_string() && IEquals(v->get<std::string>(), "true");
}

// Lists travel as JSON text inside a string (`"[\"a\",\"b\"]"`) or, from some SDKs, as real arrays.
std::vector<std::string> StringList(const Json* v) {
    std::vector<std::string> out;
    if (!v || v->is_null()) return out;
    Json list = *v;
    if (list.is_string()) {
        const std::string text = list.get<std::string>();
        list = Json::parse(text, nullptr, false);
        if (list.is_discarded()) return text.empty() ? out : std::vector<std::string>{text};
    }
    if (list.is_string()) return {list.get<std::string>()};
    if (list.is_array())
        for (const auto& item : list)
            if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
}

// Enumerations arrive as integers (Python, Go, Node) or names (Java).
template <class E>
Result<E> Enumerated(const Json* v, const char* field, std::initializer_list<std::pair<const char*, E>> names,
                     E fallback) {
    if (!v || v->is_null()) return fallback;
    if (v->is_number_integer()) {
        const int n = v->get<int>();
        for (const auto& [name, value] : names)
            if (static_cast<int>(value) == n) return value;
    } else if (v->is_string()) {
        for (const auto& [name, value] : names)
            if (IEquals(name, v->get<std::string>())) return value;
    }
    return BadMessage(std::string(field) + " has an unknown value " + v->dump());
}

std::string WithoutQuery(const std::string& url) {
    return url.substr(0, url.find_first_of("?;"));
}

std::string IsoSeconds(TimePoint t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

azure::CallOptions Call() {
    azure::CallOptions o;
    o.timeout = 30s;
    return o;
}

}  // namespace

Result<StorageOptions> ParseStorageOptions(const Json& section) {
    StorageOptions o;
    if (section.is_string()) {  // "storage": "<connection string>"
        o.connection_string = section.get<std::string>();
        return o;
    }
    if (!section.is_object())
        return MakeError(ErrorKind::kInvalidInput, "emulator.config",
                         "storage: expected an object or string");
    auto text = [&](const char* name, std::string& out) -> Status {
        const Json* v = FindMember(section, name);
        if (!v) return Ok();
        if (!v->is_string() || v->get<std::string>().empty())
            return MakeError(ErrorKind::kInvalidInput, "emulator.config",
                             std::string("storage.") + name + ": expected a non-empty string");
        out = v->get<std::string>();
        return Ok();
    };
    auto number = [&](const char* name, int64_t min, int64_t max) -> Result<std::optional<int64_t>> {
        const Json* v = FindMember(section, name);
        if (!v) return std::optional<int64_t>();
        if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max)
            return MakeError(ErrorKind::kInvalidInput, "emulator.config",
                             std::string("storage.") + name + ": expected an integer from " +
                                 std::to_string(min) + " to " + std::to_string(max));
        return std::optional<int64_t>(v->get<int64_t>());
    };
    ADXFLOW_TRY(text("connectionString", o.connection_string));
    ADXFLOW_TRY(text("container", o.container));
    ADXFLOW_TRY(text("readyQueue", o.ready_queue));
    ADXFLOW_TRY(text("successQueue", o.success_queue));
    ADXFLOW_TRY(text("failureQueue", o.failure_queue));
    ADXFLOW_TRY(text("statusTable", o.status_table));
    ADXFLOW_ASSIGN_OR_RETURN(auto poll, number("pollIntervalMs", 10, 60000));
    if (poll) o.poll_interval = std::chrono::milliseconds(*poll);
    ADXFLOW_ASSIGN_OR_RETURN(auto lifetime, number("sasLifetimeHours", 1, 24 * 365));
    if (lifetime) o.sas_lifetime = std::chrono::hours(*lifetime);
    ADXFLOW_ASSIGN_OR_RETURN(auto max_blob, number("maxBlobBytes", 1, int64_t{1} << 40));
    if (max_blob) o.max_blob_bytes = static_cast<uint64_t>(*max_blob);
    return o;
}

Result<IngestionMessage> ParseIngestionMessage(std::string_view text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        // A client that base64-encodes the JSON and then lets its queue client encode again: the service
        // decodes once, so this fails there too; the details say why.
        if (auto inner = azure::Base64Decode(text); inner && Json::parse(*inner, nullptr, false).is_object())
            return BadMessage(
                "the queue message is base64 of base64 of the ingestion JSON (encoded twice?); "
                "the message text must be the base64 of the JSON, decoded once");
        return BadMessage("the queue message is not a JSON object (expected base64 of the ingestion JSON)");
    }
    IngestionMessage m;
    m.id = Text(FindMember(j, "Id"));
    if (m.id.empty()) m.id = NewUuid();
    m.blob_path = Text(FindMember(j, "BlobPath"));
    m.database = Text(FindMember(j, "DatabaseName"));
    m.table = Text(FindMember(j, "TableName"));
    if (m.blob_path.empty()) return BadMessage("the message has no BlobPath");
    if (m.database.empty() || m.table.empty())
        return BadMessage("the message needs DatabaseName and TableName");
    if (const Json* size = FindMember(j, "RawDataSize"); size && size->is_number())
        m.raw_data_size = size->get<int64_t>();
    m.retain_blob_on_success = Flag(FindMember(j, "RetainBlobOnSuccess"));
    m.flush_immediately = Flag(FindMember(j, "FlushImmediately"));
    ADXFLOW_ASSIGN_OR_RETURN(
        m.report_level,
        Enumerated<ReportLevel>(FindMember(j, "ReportLevel"), "ReportLevel",
                                {{"FailuresOnly", ReportLevel::kFailuresOnly},
                                 {"None", ReportLevel::kNone},
                                 {"DoNotReport", ReportLevel::kNone},
                                 {"FailuresAndSuccesses", ReportLevel::kFailuresAndSuccesses}},
                                ReportLevel::kFailuresOnly));
    ADXFLOW_ASSIGN_OR_RETURN(m.report_method,
                             Enumerated<ReportMethod>(FindMember(j, "ReportMethod"), "ReportMethod",
                                                      {{"Queue", ReportMethod::kQueue},
                                                       {"Table", ReportMethod::kTable},
                                                       {"QueueAndTable", ReportMethod::kQueueAndTable}},
                                                      ReportMethod::kQueue));
    m.source_message_creation_time = Text(FindMember(j, "SourceMessageCreationTime"));

    Json props = Json::object();
    if (const Json* p = FindMember(j, "AdditionalProperties")) {
        props = p->is_string() ? Json::parse(p->get<std::string>(), nullptr, false) : *p;
        if (!props.is_object() && !props.is_null())
            return BadMessage("AdditionalProperties is not an object");
        if (props.is_null()) props = Json::object();
    }
    m.authorization_context = Text(FindMember(props, "authorizationContext"));
    if (std::string format = Text(FindMember(props, "format")); !format.empty()) m.format = ToLower(format);
    for (const char* key :
         {"ingestionMappingReference", "csvMappingReference", "jsonMappingReference", "mappingReference"})
        if (m.mapping_reference.empty()) m.mapping_reference = Text(FindMember(props, key));
    for (const char* key : {"ingestionMapping", "csvMapping", "jsonMapping"}) {
        const Json* v = FindMember(props, key);
        if (!v || v->is_null() || m.mapping) continue;
        Json mapping = v->is_string() ? Json::parse(v->get<std::string>(), nullptr, false) : *v;
        if (!mapping.is_array())
            return BadMessage(std::string(key) + " is not a JSON array of column mappings");
        m.mapping = std::move(mapping);
    }
    m.tags = StringList(FindMember(props, "tags"));
    m.ingest_if_not_exists = StringList(FindMember(props, "ingestIfNotExists"));
    if (std::string created = Text(FindMember(props, "creationTime")); !created.empty()) {
        m.creation_time = ParseTimestamp(created);
        if (!m.creation_time) return BadMessage("creationTime '" + created + "' is not an ISO 8601 time");
    }
    m.ignore_first_record = Flag(FindMember(props, "ignoreFirstRecord"));

    if (const Json* s = FindMember(j, "IngestionStatusInTable"); s && s->is_object()) {
        m.status_table_url = Text(FindMember(*s, "TableConnectionString"));
        m.status_partition_key = Text(FindMember(*s, "PartitionKey"));
        m.status_row_key = Text(FindMember(*s, "RowKey"));
        if (m.status_row_key.empty()) m.status_row_key = m.status_partition_key;
    }
    return m;
}

std::string KustoIdentityToken(const azure::StorageAccount& account) {
    // Opaque to clients; stable for one account so that a token cached across a restart stays valid.
    const std::string mac = azure::HmacSha256(account.account_name, "adxflow kusto identity token");
    return "adxflow-emulator-identity;" + account.account_name + ";" + azure::Base64Encode(mac).substr(0, 22);
}

std::string AccountSas(const azure::StorageAccount& account, TimePoint expiry) {
    // The 2015-04-05 account SAS layout (still accepted by Azure Storage and Azurite): the signature covers
    // account, permissions, services, resource types, start, expiry, IP range, protocol and version.
    const std::string version = "2019-12-12", services = "bqt", types = "sco", permissions = "rwdlacup",
                      protocol = "https,http", se = IsoSeconds(expiry);
    const std::string to_sign = account.account_name + "\n" + permissions + "\n" + services + "\n" + types +
                                "\n\n" + se + "\n\n" + protocol + "\n" + version + "\n";
    const auto key = azure::Base64Decode(account.account_key);
    const std::string sig = azure::Base64Encode(azure::HmacSha256(key ? *key : std::string(), to_sign));
    return "sv=" + version + "&ss=" + services + "&srt=" + types + "&sp=" + permissions +
           "&se=" + http::PercentEncode(se) + "&spr=" + http::PercentEncode(protocol) +
           "&sig=" + http::PercentEncode(sig);
}

Result<std::unique_ptr<QueuedIngestor>> QueuedIngestor::Create(StorageOptions options,
                                                               IngestionTarget& target) {
    auto account = azure::ParseConnectionString(options.connection_string);
    if (!account.ok())
        return MakeError(ErrorKind::kInvalidInput, "emulator.storage",
                         "the storage connection string does not parse: " + account.error().message);
    if (!account->uses_shared_key() && !account->uses_sas())
        return MakeError(ErrorKind::kInvalidInput, "emulator.storage",
                         "the storage connection string needs an AccountKey or a SharedAccessSignature");
    return std::unique_ptr<QueuedIngestor>(new QueuedIngestor(std::move(options), *account, target));
}

namespace {
http::HttpClientOptions ClientOptions() {
    http::HttpClientOptions o;
    o.allow_plain_http_to_any_host = true;  // a configured http:// storage endpoint (Azurite in a container)
    o.max_idle_age = 4s;                    // Azurite closes idle sockets after 5 s
    o.user_agent = "adxflow-kusto-emulator";
    return o;
}
}  // namespace

QueuedIngestor::QueuedIngestor(StorageOptions options, azure::StorageAccount account, IngestionTarget& target)
    : options_(std::move(options)),
      account_(std::move(account)),
      target_(target),
      identity_token_(KustoIdentityToken(account_)),
      http_(ClientOptions()) {}

QueuedIngestor::~QueuedIngestor() {
    Stop();
}

void QueuedIngestor::Start() {
    std::lock_guard g(mu_);
    if (worker_.joinable()) return;
    stopping_ = false;
    worker_ = std::thread([this] { Run(); });
}

void QueuedIngestor::Stop() {
    {
        std::lock_guard g(mu_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void QueuedIngestor::LogOnce(const std::string& what) {
    // The worker polls several times a second: a lasting problem (storage down) is reported once.
    std::lock_guard g(mu_);
    if (what == last_log_) return;
    last_log_ = what;
    if (!what.empty()) std::fprintf(stderr, "adxflow-kusto-emulator: queued ingestion: %s\n", what.c_str());
}

Status QueuedIngestor::EnsureResources() {
    std::lock_guard g(resources_mu_);
    if (resources_ready_) return Ok();
    if (account_.uses_shared_key()) {  // with a SAS the resources are the operator's to create
        azure::BlobClient blobs(account_, http_);
        azure::QueueClient queues(account_, http_);
        azure::TableClient tables(account_, http_);
        ADXFLOW_TRY(blobs.CreateContainer(options_.container, Call()));
        for (const auto* q : {&options_.ready_queue, &options_.success_queue, &options_.failure_queue})
            ADXFLOW_TRY(queues.CreateQueue(*q, Call()));
        ADXFLOW_TRY(tables.CreateTable(options_.status_table, Call()));
    }
    resources_ready_ = true;
    return Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> QueuedIngestor::Resources() {
    ADXFLOW_TRY(EnsureResources());
    const std::string sas =
        account_.uses_shared_key()
            ? AccountSas(account_, std::chrono::system_clock::now() + options_.sas_lifetime)
            : account_.sas_token;
    auto url = [&](const std::string& endpoint, const std::string& name) {
        return endpoint + "/" + name + "?" + sas;
    };
    return std::vector<std::pair<std::string, std::string>>{
        {"SecuredReadyForAggregationQueue", url(account_.queue_endpoint, options_.ready_queue)},
        {"FailedIngestionsQueue", url(account_.queue_endpoint, options_.failure_queue)},
        {"SuccessfulIngestionsQueue", url(account_.queue_endpoint, options_.success_queue)},
        {"TempStorage", url(account_.blob_endpoint, options_.container)},
        {"IngestionsStatusTable", url(account_.table_endpoint, options_.status_table)}};
}

void QueuedIngestor::Run() {
    for (;;) {
        std::chrono::milliseconds wait = options_.poll_interval;
        if (auto ready = EnsureResources(); !ready.ok()) {
            LogOnce("cannot create the storage resources: " + ready.error().Describe());
            wait = std::max(wait, std::chrono::milliseconds(1000));
        } else if (auto polled = PollOnce(); !polled.ok()) {
            LogOnce("polling " + options_.ready_queue + " failed: " + polled.error().Describe());
        } else {
            LogOnce("");
            if (*polled > 0) wait = 0ms;  // more may be waiting
        }
        std::unique_lock lock(mu_);
        if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
}

Result<int> QueuedIngestor::PollOnce() {
    azure::QueueClient queues(account_, http_);
    // Hidden for 5 minutes: a message whose processing died with the process comes back then.
    ADXFLOW_ASSIGN_OR_RETURN(auto messages, queues.GetMessages(options_.ready_queue, 32, 300s, Call()));
    for (const auto& message : messages) {
        Process(message.text);
        // Deleted only once the outcome is reported: a crash before that means another attempt.
        if (auto deleted =
                queues.DeleteMessage(options_.ready_queue, message.message_id, message.pop_receipt, Call());
            !deleted.ok())
            LogOnce("deleting a processed message failed: " + deleted.error().Describe());
        ++processed_;
    }
    return static_cast<int>(messages.size());
}

Result<std::string> QueuedIngestor::Download(const IngestionMessage& message) {
    auto where = azure::ParseResourceUrl(message.blob_path, azure::StorageService::kBlob);
    if (!where.ok() || where->blob_name.empty())
        return MakeError(ErrorKind::kInvalidInput, "kusto.queued_ingest",
                         "BlobPath is not a blob URL: " + WithoutQuery(message.blob_path),
                         "BadRequest_InvalidBlob");
    azure::BlobClient blobs(where->account, http_);
    auto data =
        blobs.GetBlob(where->container, where->blob_name, std::nullopt, Call(), options_.max_blob_bytes);
    if (!data.ok()) {
        Error e = data.error();
        e.code = e.kind == ErrorKind::kNotFound ? "Download_SourceNotFound"
                 : e.kind == ErrorKind::kForbidden || e.kind == ErrorKind::kUnauthorized
                     ? "Download_Forbidden"
                 : e.kind == ErrorKind::kTooLarge ? "Stream_InputStreamTooLarge"
                                                  : "Download_UnknownError";
        return e;
    }
    std::string bytes = std::move(data).value();
    if (bytes.empty())
        return MakeError(ErrorKind::kInvalidInput, "kusto.queued_ingest", "the blob is empty",
                         "BadRequest_EmptyBlob");
    // The content decides, not the name: the Node SDK names uncompressed streams "*.gz".
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
        static_cast<unsigned char>(bytes[1]) == 0x8b) {
        http::BodyDecoder decoder(http::BodyDecoder::Encoding::kGzip);
        std::string plain;
        if (auto fed = decoder.Feed(bytes, plain); !fed.ok() || !decoder.Finish().ok())
            return MakeError(ErrorKind::kInvalidInput, "kusto.queued_ingest",
                             "the gzip blob cannot be decoded", "BadRequest_InvalidBlob");
        bytes = std::move(plain);
    } else if (bytes.rfind("PK\x03\x04", 0) == 0) {
        return MakeError(ErrorKind::kUnsupported, "kusto.queued_ingest",
                         "zip archives are not supported by this emulator (use gzip)",
                         "BadRequest_FormatNotSupported");
    }
    if (bytes.empty())
        return MakeError(ErrorKind::kInvalidInput, "kusto.queued_ingest", "the blob is empty",
                         "BadRequest_EmptyBlob");
    return bytes;
}

void QueuedIngestor::Process(const std::string& text) {
    auto parsed = ParseIngestionMessage(text);
    if (!parsed.ok()) {
        ReportUnreadable(text, parsed.error().message);
        return;
    }
    const IngestionMessage& m = *parsed;
    IngestionOutcome outcome;
    if (m.authorization_context != identity_token_) {
        outcome =
            IngestionOutcome::Failed("BadRequest_InvalidKustoIdentityToken",
                                     "the message's authorizationContext is missing or is not the token "
                                     "'.get kusto identity token' returns");
    } else if (auto early = target_.Precheck(m)) {
        outcome = std::move(*early);
    } else if (auto data = Download(m); !data.ok()) {
        outcome = IngestionOutcome::Failed(data.error().code, data.error().message, data.error().permanent());
    } else {
        outcome = target_.Commit(m, *data);
    }
    if (outcome.kind != IngestionOutcome::Kind::kFailed && !m.retain_blob_on_success) {
        if (auto where = azure::ParseResourceUrl(m.blob_path, azure::StorageService::kBlob); where.ok()) {
            azure::BlobClient blobs(where->account, http_);
            if (auto deleted = blobs.DeleteBlob(where->container, where->blob_name, Call());
                !deleted.ok() && deleted.error().kind != ErrorKind::kNotFound)
                LogOnce("deleting an ingested blob failed: " + deleted.error().Describe());
        }
    }
    Report(m, outcome);
}

void QueuedIngestor::ReportUnreadable(const std::string& text, const std::string& why) {
    // What can be salvaged names the failure; the rest says why the message could not be used.
    Json j = Json::parse(text, nullptr, false);
    IngestionMessage m;
    if (j.is_object()) {
        m.id = Text(FindMember(j, "Id"));
        m.blob_path = Text(FindMember(j, "BlobPath"));
        m.database = Text(FindMember(j, "DatabaseName"));
        m.table = Text(FindMember(j, "TableName"));
    }
    if (m.id.empty()) m.id = NewUuid();
    Report(m, IngestionOutcome::Failed("BadRequest_InvalidMessage", why));
}

void QueuedIngestor::Report(const IngestionMessage& m, const IngestionOutcome& outcome) {
    const std::string operation_id = NewUuid(), activity_id = NewUuid();
    const std::string now = FormatTimestamp(std::chrono::system_clock::now());
    const std::string source_path = WithoutQuery(m.blob_path);
    const bool failed = outcome.kind == IngestionOutcome::Kind::kFailed;
    if (failed) {
        IngestionFailureRecord r;
        r.operation_id = operation_id;
        r.database = m.database;
        r.table = m.table;
        r.failed_on = now;
        r.source_path = source_path;
        r.source_id = m.id;
        r.details = outcome.details;
        r.failure_kind = outcome.permanent ? "Permanent" : "Transient";
        r.root_activity_id = activity_id;
        r.error_code = outcome.error_code;
        r.should_retry = !outcome.permanent;
        Json props = {{"format", m.format}, {"tags", m.tags}, {"ingestIfNotExists", m.ingest_if_not_exists}};
        if (!m.mapping_reference.empty()) props["ingestionMappingReference"] = m.mapping_reference;
        r.ingestion_properties = props.dump();
        target_.RecordFailure(std::move(r));
        // One line per failed ingestion: what a developer looks for first when a client waits in vain.
        std::fprintf(stderr, "adxflow-kusto-emulator: queued ingestion %s into %s.%s failed: %s: %s\n",
                     m.id.c_str(), m.database.c_str(), m.table.c_str(), outcome.error_code.c_str(),
                     outcome.details.c_str());
    }
    if (m.report_to_table()) WriteStatusRow(m, outcome, operation_id, activity_id);
    if (!m.report_to_queue()) return;
    if (!failed && m.report_level != ReportLevel::kFailuresAndSuccesses) return;
    // The shapes the SDKs' IngestionSuccess / IngestionFailure read (base64 JSON, like the ready queue).
    Json report = {{"OperationId", operation_id},
                   {"Database", m.database},
                   {"Table", m.table},
                   {"IngestionSourceId", m.id},
                   {"IngestionSourcePath", source_path},
                   {"RootActivityId", activity_id}};
    if (failed) {
        report["FailedOn"] = now;
        report["Details"] = outcome.details;
        report["ErrorCode"] = outcome.error_code;
        report["FailureStatus"] = outcome.permanent ? "Permanent" : "Transient";
        report["OriginatesFromUpdatePolicy"] = false;
        report["ShouldRetry"] = !outcome.permanent;
    } else {
        report["SucceededOn"] = now;
    }
    azure::QueueClient queues(account_, http_);
    const std::string& queue = failed ? options_.failure_queue : options_.success_queue;
    if (auto put = queues.PutMessage(queue, report.dump(), {}, Call()); !put.ok())
        LogOnce("reporting to " + queue + " failed: " + put.error().Describe());
}

void QueuedIngestor::WriteStatusRow(const IngestionMessage& m, const IngestionOutcome& outcome,
                                    const std::string& operation_id, const std::string& activity_id) {
    // The client names the row and, usually, the table (URL with SAS). The Node SDK sends the table service's
    // URL without the table name; its table is then ours.
    azure::StorageAccount account = account_;
    std::string table = options_.status_table;
    if (auto where = azure::ParseResourceUrl(m.status_table_url, azure::StorageService::kTable);
        where.ok() && !where->container.empty() && where->blob_name.empty()) {
        account = where->account;
        table = where->container;
    }
    azure::TableClient tables(account, http_);
    // Merge into what the client wrote (Status Pending and its own properties).
    Json entity = Json::object();
    if (auto existing = tables.GetEntity(table, m.status_partition_key, m.status_row_key, Call());
        existing.ok() && existing->is_object()) {
        for (auto it = existing->begin(); it != existing->end(); ++it)
            if (it.key() != "Timestamp" && it.key().rfind("odata.", 0) != 0) entity[it.key()] = it.value();
    }
    const char* status = outcome.kind == IngestionOutcome::Kind::kSucceeded ? "Succeeded"
                         : outcome.kind == IngestionOutcome::Kind::kSkipped ? "Skipped"
                                                                            : "Failed";
    entity["PartitionKey"] = m.status_partition_key;
    entity["RowKey"] = m.status_row_key;
    entity["Status"] = status;
    entity["Database"] = m.database;
    entity["Table"] = m.table;
    entity["IngestionSourceId"] = m.id;
    entity["IngestionSourcePath"] = WithoutQuery(m.blob_path);
    entity["OperationId"] = operation_id;
    entity["ActivityId"] = activity_id;
    entity["UpdatedOn"] = FormatTimestamp(std::chrono::system_clock::now());
    entity["UpdatedOn@odata.type"] = "Edm.DateTime";
    entity["OriginatesFromUpdatePolicy"] = false;
    const bool failed = outcome.kind == IngestionOutcome::Kind::kFailed;
    entity["ErrorCode"] = failed ? outcome.error_code : std::string();
    entity["FailureStatus"] = failed ? (outcome.permanent ? "Permanent" : "Transient") : "NotSet";
    entity["Details"] = outcome.details;
    if (auto put = tables.UpsertEntity(table, entity, Call()); !put.ok())
        LogOnce("updating the status row in " + table + " failed: " + put.error().Describe());
}

}  // namespace adxflow::kusto_emulator
