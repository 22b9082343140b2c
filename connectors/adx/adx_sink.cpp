#include "connectors/adx/adx_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <thread>

#include "connectors/adx/ingest_csv.hpp"
#include "connectors/adx/result_tables.hpp"
#include "connectors/common/azure/account.hpp"
#include "connectors/common/azure/blob_client.hpp"
#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/azure/queue_client.hpp"
#include "connectors/common/azure/table_client.hpp"
#include "core/crash_point.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "core/retry.hpp"

namespace adxflow::adx {

namespace {

inline void Prefetch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

std::string WithoutQuery(const std::string& url) {
    return url.substr(0, url.find('?'));
}

std::string QueryOf(const std::string& url) {
    const auto q = url.find('?');
    return q == std::string::npos ? std::string() : url.substr(q + 1);
}

// A table name as a command needs it: bare when it is a plain identifier, ['...'] otherwise.
std::string TableRef(const std::string& name) {
    bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
    if (plain) return name;
    std::string quoted = "['";
    for (char c : name) {
        if (c == '\'' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "']";
}

std::string JsonList(const std::vector<std::string>& items) {
    return Json(items).dump();
}

}  // namespace

Json AdxSink::Chunk::ToJson() const {
    return {{"index", index}, {"container", container_url}, {"blob", blob}, {"sourceId", source_id},
            {"rows", rows},   {"rawBytes", raw_bytes}};
}

AdxSink::Chunk AdxSink::Chunk::FromJson(const Json& j) {
    Chunk c;
    c.index = j.value("index", uint64_t{0});
    c.container_url = j.value("container", "");
    c.blob = j.value("blob", "");
    c.source_id = j.value("sourceId", "");
    c.rows = j.value("rows", uint64_t{0});
    c.raw_bytes = j.value("rawBytes", uint64_t{0});
    return c;
}

AdxSink::AdxSink(AdxSinkContext context, AdxSinkSettings settings)
    : c_(std::move(context)), settings_(std::move(settings)) {}

AdxSink::~AdxSink() {
    Abort();
}

std::string AdxSink::Tag(uint64_t chunk) const {
    return c_.run_id + "-" + c_.activity_name + "-" + std::to_string(chunk);
}

Status AdxSink::Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) {
    manifest_.clear();
    if (checkpoint.is_object() && checkpoint.value("streaming", false)) {
        // Streaming mode, resumed mid-source: the streamed chunks are in the table, the staged ones wait for
        // Finish; the rows after the checkpoint come again.
        for (const auto& j : checkpoint["chunks"]) manifest_.push_back(Chunk::FromJson(j));
        streamed_chunks_ = checkpoint.value("streamedChunks", uint64_t{0});
        streamed_rows_ = checkpoint.value("streamedRows", uint64_t{0});
        return PrepareColumns(schema, ctx);
    }
    if (checkpoint.is_object() && checkpoint.contains("chunks")) {
        // A resumed attempt after PrepareFinish: the staged chunks are published as they are.
        for (const auto& j : checkpoint["chunks"]) manifest_.push_back(Chunk::FromJson(j));
        streamed_chunks_ = checkpoint.value("streamedChunks", uint64_t{0});
        streamed_rows_ = checkpoint.value("streamedRows", uint64_t{0});
        spdlog::info("adx: run {} activity '{}' resumes publishing {} staged chunk(s) into {}.{}", c_.run_id,
                     c_.activity_name, manifest_.size(), c_.database, settings_.table);
        return Ok();
    }
    ADXFLOW_TRY(PrepareColumns(schema, ctx));
    return DropEarlierAttempts(ctx);
}

// Without a mapping the CSV columns must follow the table's order: source columns are matched to table
// columns by name (case-insensitively); table columns the source lacks stay empty; source columns the table
// lacks are an error, since ADX would silently shift or drop them.
Status AdxSink::PrepareColumns(const Schema& schema, const OpContext& ctx) {
    source_of_column_.clear();
    if (!settings_.mapping_name.empty() || !settings_.mapping_json.empty()) {
        for (size_t i = 0; i < schema.size(); ++i) source_of_column_.push_back(static_cast<int>(i));
        return Ok();
    }
    KustoRequest request;
    request.database = c_.database;
    request.csl = ".show table " + TableRef(settings_.table) + " schema as json";
    request.client_timeout = std::chrono::seconds(60);
    FirstTableText rows;
    ADXFLOW_TRY(c_.engine->IdempotentManagement(
        request, rows, [&] { rows = FirstTableText(); }, &ctx.cancel));
    const int col = rows.Column("Schema");
    if (col < 0 || rows.rows.empty())
        return MakeError(ErrorKind::kNotFound, "adx.sink", "table '" + settings_.table + "' has no schema",
                         "TableNotFound");
    Json table_schema = Json::parse(rows.rows[0][static_cast<size_t>(col)], nullptr, false);
    const Json* ordered = table_schema.is_object() ? FindMember(table_schema, "OrderedColumns") : nullptr;
    if (!ordered || !ordered->is_array())
        return MakeError(ErrorKind::kTransient, "adx.sink",
                         "'.show table schema as json' gave no OrderedColumns", "MalformedSchema");
    std::vector<bool> used(schema.size(), false);
    for (const auto& column : *ordered) {
        const std::string name = column.value("Name", "");
        int found = -1;
        for (size_t i = 0; i < schema.size(); ++i)
            if (!used[i] && IEquals(schema[i].name, name)) {
                found = static_cast<int>(i);
                used[i] = true;
                break;
            }
        source_of_column_.push_back(found);
    }
    std::vector<std::string> extra;
    for (size_t i = 0; i < schema.size(); ++i)
        if (!used[i]) extra.push_back(schema[i].name);
    if (!extra.empty()) {
        std::string names;
        for (const auto& n : extra) names += (names.empty() ? "" : ", ") + n;
        return MakeError(
            ErrorKind::kInvalidInput, "adx.sink",
            "the source has column(s) " + names + " that table '" + settings_.table +
                "' does not have; add them to the table, leave them out of the query, or name an "
                "ingestion mapping",
            "ColumnsNotInTable");
    }
    return Ok();
}

// A fresh start of an activity that ran before (an attempt that failed before it persisted its manifest)
// may have left extents behind only if its ingestion began, which the manifest rule forbids; this is the
// safety net for manifests lost with a database restore. Dropping needs admin, so it is only tried when
// such extents exist.
Status AdxSink::DropEarlierAttempts(const OpContext& ctx) {
    KustoRequest request;
    request.database = c_.database;
    const std::string selector = ".show table ['" + settings_.table +
                                 "'] extents where tags has 'drop-by:" + c_.run_id + "-" + c_.activity_name +
                                 "'";
    request.csl = selector;
    request.client_timeout = std::chrono::seconds(60);
    FirstTableText rows;
    auto shown = c_.engine->IdempotentManagement(
        request, rows, [&] { rows = FirstTableText(); }, &ctx.cancel);
    if (!shown.ok() || rows.rows.empty()) return Ok();
    spdlog::warn("adx: run {} activity '{}': dropping {} extent(s) left by an earlier attempt", c_.run_id,
                 c_.activity_name, rows.rows.size());
    request.csl = ".drop extents <| " + selector;
    FirstTableText dropped;
    ADXFLOW_TRY(c_.engine->IdempotentManagement(
        request, dropped, [&] { dropped = FirstTableText(); }, &ctx.cancel));
    return Ok();
}

Status AdxSink::Write(const RowBatch& batch, const OpContext&) {
    const size_t before = csv_.size();
    const size_t columns = source_of_column_.size();
    constexpr size_t kAhead = 4;
    for (size_t r = 0; r < batch.rows(); ++r) {
        // The text of a batch's cells is scattered over the heap and mostly out of cache by now (the source
        // filled the whole batch first): ask for a later row's while this one is written.
        if (r + kAhead < batch.rows()) {
            const Value* ahead = batch.Row(r + kAhead);
            for (size_t c = 0; c < batch.width(); ++c)
                if (const auto* text = std::get_if<std::string>(&ahead[c])) Prefetch(text->data());
        }
        const Value* row = batch.Row(r);
        // Reserve the row's worst case, write it with plain stores, then trim to what was written.
        size_t bound = columns + 1;
        for (size_t i = 0; i < columns; ++i) {
            const int s = source_of_column_[i];
            if (s >= 0 && static_cast<size_t>(s) < batch.width()) bound += MaxCsvBytes(row[s]);
        }
        const size_t at = csv_.size();
        csv_.resize(at + bound);
        char* out = csv_.data() + at;
        for (size_t i = 0; i < columns; ++i) {
            if (i) *out++ = ',';
            const int s = source_of_column_[i];
            if (s >= 0 && static_cast<size_t>(s) < batch.width()) out = AppendCsvValue(out, row[s]);
        }
        *out++ = '\n';
        csv_.resize(static_cast<size_t>(out - csv_.data()));
    }
    chunk_rows_ += batch.rows();
    stats_.rows_written += batch.rows();
    stats_.bytes_written += csv_.size() - before;
    return Ok();
}

Status AdxSink::WaitForUploads(size_t keep_in_flight) {
    while (uploads_.size() > keep_in_flight) {
        Status s = uploads_.front().get();
        uploads_.pop_front();
        if (!s.ok()) return s;
    }
    return Ok();
}

Status AdxSink::StageChunk(const ChunkKey& key, const OpContext& ctx) {
    ADXFLOW_ASSIGN_OR_RETURN(IngestResources resources,
                             c_.services->ingest_resources().Get(*c_.dm, &ctx.cancel));
    const std::string& container_sas =
        resources.temp_storage[next_container_++ % resources.temp_storage.size()];
    ADXFLOW_ASSIGN_OR_RETURN(azure::ResourceUrl where,
                             azure::ParseResourceUrl(container_sas, azure::StorageService::kBlob));

    Chunk chunk;
    chunk.index = key.chunk;
    chunk.container_url = WithoutQuery(container_sas);
    chunk.source_id = NewUuid();
    chunk.blob = c_.database + "__" + settings_.table + "__" + chunk.source_id + "__chunk" +
                 std::to_string(key.chunk) + ".csv.gz";
    chunk.rows = chunk_rows_;
    chunk.raw_bytes = csv_.size();
    manifest_.push_back(chunk);

    // Compression and upload run beside the source, a few chunks at a time.
    ADXFLOW_TRY(WaitForUploads(c_.max_parallel_uploads - 1));
    stats_.peak_connections = std::max<uint64_t>(stats_.peak_connections, uploads_.size() + 1);
    auto raw = std::make_shared<std::string>(std::move(csv_));
    csv_.clear();
    // The next chunk is about as large: reserving it up front saves the copies of growing by doubling.
    csv_.reserve(raw->size() + raw->size() / 8);
    chunk_rows_ = 0;
    http::HttpClient* http = &c_.services->http();
    CancellationToken cancel = ctx.cancel;
    uploads_.push_back(
        std::async(std::launch::async, [raw, where, blob = chunk.blob, http, cancel]() -> Status {
            ADXFLOW_ASSIGN_OR_RETURN(std::string gz, GzipCsv(*raw));
            raw->clear();
            raw->shrink_to_fit();
            azure::BlobClient blobs(where.account, *http);
            azure::CallOptions call;
            call.timeout = std::chrono::minutes(5);
            call.cancel = &cancel;
            auto put =
                WithRetries<bool>(RetryPolicy{}, cancel, SystemClock::Instance(), [&]() -> Result<bool> {
                    ADXFLOW_TRY(blobs.PutBlob(where.container, blob, gz, "application/octet-stream", call));
                    return true;
                });
            if (put.ok()) return Ok();
            Error e = std::move(put).error();
            e.message = "uploading staging blob " + blob + ": " + e.message;
            return e;
        }));
    return Ok();
}

Result<Json> AdxSink::CommitChunk(const ChunkKey& key, const OpContext& ctx) {
    if (chunk_rows_ == 0) return settings_.streaming ? StreamingCheckpoint() : Json(nullptr);
    if (settings_.streaming) {
        ADXFLOW_ASSIGN_OR_RETURN(bool streamed, StreamChunk(key, ctx));
        if (!streamed) {
            ADXFLOW_TRY(StageChunk(key, ctx));
            // The checkpoint names the staged blob, so it must exist before the checkpoint is saved.
            ADXFLOW_TRY(WaitForUploads(0));
        }
        return StreamingCheckpoint();
    }
    ADXFLOW_TRY(StageChunk(key, ctx));
    // Null: until the manifest is complete a crash restarts the copy (nothing has been enqueued yet).
    return Json(nullptr);
}

Json AdxSink::StreamingCheckpoint() const {
    Json chunks = Json::array();
    for (const auto& c : manifest_) chunks.push_back(c.ToJson());
    return Json{{"streaming", true},
                {"streamedChunks", streamed_chunks_},
                {"streamedRows", streamed_rows_},
                {"chunks", std::move(chunks)}};
}

Result<bool> AdxSink::StreamChunk(const ChunkKey& key, const OpContext& ctx) {
    // The service's limit is 4 MB of data per request; an inline mapping cannot be sent with it.
    constexpr size_t kStreamingLimit = 4u << 20;
    if (!streaming_available_ || csv_.size() > kStreamingLimit || !settings_.mapping_json.empty())
        return false;
    ADXFLOW_ASSIGN_OR_RETURN(std::string gz, GzipCsv(csv_));
    StreamingIngestRequest request;
    request.database = c_.database;
    request.table = settings_.table;
    request.format = "Csv";
    request.mapping_name = settings_.mapping_name;
    request.body = std::move(gz);
    request.gzipped = true;
    auto sent = WithRetries<KustoCallInfo>(RetryPolicy{}, ctx.cancel, *ctx.clock,
                                           [&] { return c_.engine->StreamingIngest(request, &ctx.cancel); });
    if (!sent.ok()) {
        const Error& e = sent.error();
        if (e.code.find("StreamingIngestionPolicyNotEnabled") != std::string::npos ||
            e.code.find("StreamingIngestionDisabled") != std::string::npos) {
            spdlog::warn(
                "adx: run {} activity '{}': streaming ingestion is off for {}.{} ({}); the remaining chunks "
                "go through queued ingestion",
                c_.run_id, c_.activity_name, c_.database, settings_.table, e.code);
            streaming_available_ = false;
            return false;
        }
        // As the SDKs' managed streaming client does: what streaming could not deliver after its retries is
        // queued instead, unless the service refused the data itself.
        if (e.kind == ErrorKind::kTransient || e.kind == ErrorKind::kTimeout) {
            spdlog::warn(
                "adx: run {} activity '{}': chunk {} goes through queued ingestion after streaming "
                "failed: {}",
                c_.run_id, c_.activity_name, key.chunk, e.message);
            return false;
        }
        return sent.error();
    }
    ++streamed_chunks_;
    streamed_rows_ += chunk_rows_;
    spdlog::info("adx: run {} activity '{}': chunk {} ({} rows) ingested by streaming into {}.{}", c_.run_id,
                 c_.activity_name, key.chunk, chunk_rows_, c_.database, settings_.table);
    csv_.clear();
    chunk_rows_ = 0;
    return true;
}

Result<Json> AdxSink::PrepareFinish(const OpContext&) {
    ADXFLOW_TRY(WaitForUploads(0));
    ADXFLOW_CRASH_POINT("adx.sink.blobs_staged");
    Json chunks = Json::array();
    for (const auto& c : manifest_) chunks.push_back(c.ToJson());
    Json prepared = {{"chunks", std::move(chunks)}};
    if (settings_.streaming) {
        prepared["streamedChunks"] = streamed_chunks_;
        prepared["streamedRows"] = streamed_rows_;
    }
    return prepared;
}

Status AdxSink::Enqueue(const Chunk& chunk, const IngestResources& resources, const OpContext& ctx) {
    // The SAS of the container as the service hands it out now (the manifest keeps none).
    std::string sas;
    for (const auto& url : resources.temp_storage)
        if (WithoutQuery(url) == chunk.container_url) sas = QueryOf(url);
    if (sas.empty() && !resources.temp_storage.empty()) sas = QueryOf(resources.temp_storage.front());
    const std::string blob_url =
        chunk.container_url + "/" + http::PercentEncode(chunk.blob, "/") + (sas.empty() ? "" : "?" + sas);

    const std::string tag = Tag(chunk.index);
    std::vector<std::string> tags = {"ingest-by:" + tag, "drop-by:" + c_.run_id + "-" + c_.activity_name};
    Json props = Json::object();
    for (auto it = settings_.additional_properties.begin(); it != settings_.additional_properties.end();
         ++it) {
        if (IEquals(it.key(), "tags")) {
            Json user = it.value().is_string() ? Json::parse(it.value().get<std::string>(), nullptr, false)
                                               : it.value();
            if (user.is_array())
                for (const auto& t : user)
                    if (t.is_string()) tags.push_back(t.get<std::string>());
            continue;
        }
        props[it.key()] = it.value().is_string() ? it.value() : Json(it.value().dump());
    }
    props["authorizationContext"] = resources.identity_token;
    props["format"] = "csv";
    if (!settings_.mapping_name.empty()) props["ingestionMappingReference"] = settings_.mapping_name;
    if (!settings_.mapping_json.empty()) props["ingestionMapping"] = settings_.mapping_json;
    if (!settings_.mapping_name.empty() || !settings_.mapping_json.empty())
        props["ingestionMappingType"] = "Csv";
    props["tags"] = JsonList(tags);
    props["ingestIfNotExists"] =
        JsonList({tag});  // the ingest-by value, without its prefix (as the service defines it)

    Json message = {{"Id", chunk.source_id},
                    {"BlobPath", blob_url},
                    {"RawDataSize", chunk.raw_bytes},
                    {"DatabaseName", c_.database},
                    {"TableName", settings_.table},
                    {"RetainBlobOnSuccess", true},  // a re-enqueued chunk must still find its blob
                    {"FlushImmediately", settings_.flush_immediately},
                    {"ReportLevel", 2},  // FailuresAndSuccesses: every chunk is confirmed
                    {"ReportMethod", resources.status_table.empty() ? 0 : 1},
                    {"SourceMessageCreationTime", FormatTimestamp(SystemClock::Instance().Now())},
                    {"ApplicationForTracing", "adxflow"},
                    {"AdditionalProperties", std::move(props)}};
    azure::CallOptions call;
    call.cancel = &ctx.cancel;
    if (!resources.status_table.empty()) {
        message["IngestionStatusInTable"] = {{"TableConnectionString", resources.status_table},
                                             {"PartitionKey", chunk.source_id},
                                             {"RowKey", chunk.source_id}};
        ADXFLOW_ASSIGN_OR_RETURN(
            azure::ResourceUrl table,
            azure::ParseResourceUrl(resources.status_table, azure::StorageService::kTable));
        azure::TableClient tables(table.account, c_.services->http());
        ADXFLOW_TRY(tables.UpsertEntity(table.container,
                                        {{"PartitionKey", chunk.source_id},
                                         {"RowKey", chunk.source_id},
                                         {"Status", "Pending"},
                                         {"Database", c_.database},
                                         {"Table", settings_.table},
                                         {"IngestionSourceId", chunk.source_id},
                                         {"IngestionSourcePath", chunk.container_url + "/" + chunk.blob}},
                                        call));
    }
    const std::string& queue_url = resources.ready_queues[chunk.index % resources.ready_queues.size()];
    ADXFLOW_ASSIGN_OR_RETURN(azure::ResourceUrl queue,
                             azure::ParseResourceUrl(queue_url, azure::StorageService::kQueue));
    azure::QueueClient queues(queue.account, c_.services->http());
    ADXFLOW_TRY(
        CountAdxRequest("queued_ingest", 201, queues.PutMessage(queue.container, message.dump(), {}, call)));
    return Ok();
}

Status AdxSink::Confirm(const IngestResources& resources, const OpContext& ctx) {
    std::vector<const Chunk*> pending;
    for (const auto& c : manifest_) pending.push_back(&c);
    const auto deadline = std::chrono::steady_clock::now() + c_.confirm_timeout;
    // Polled soon at first (a small or FlushImmediately ingestion is confirmed within a second), then
    // backing off to every 2 s for the service's usual minutes of batching.
    auto wait = std::chrono::milliseconds(50);
    std::optional<azure::ResourceUrl> table;
    if (!resources.status_table.empty()) {
        auto parsed = azure::ParseResourceUrl(resources.status_table, azure::StorageService::kTable);
        if (parsed.ok()) table = *parsed;
    }
    azure::CallOptions call;
    call.cancel = &ctx.cancel;
    while (!pending.empty()) {
        std::vector<const Chunk*> still;
        for (const Chunk* c : pending) {
            std::string status;
            std::string details, code, failure;
            if (table) {
                azure::TableClient tables(table->account, c_.services->http());
                auto row = tables.GetEntity(table->container, c->source_id, c->source_id, call);
                if (row.ok()) {
                    status = row->value("Status", "");
                    details = row->value("Details", "");
                    code = row->value("ErrorCode", "");
                    failure = row->value("FailureStatus", "");
                }
            } else {
                // No status table: the chunk is in when an extent carries its ingest-by tag.
                KustoRequest request;
                request.database = c_.database;
                request.csl = ".show table ['" + settings_.table +
                              "'] extents where tags has 'ingest-by:" + Tag(c->index) + "'";
                FirstTableText extents;
                if (c_.engine->Management(request, extents, &ctx.cancel).ok() && !extents.rows.empty())
                    status = "Succeeded";
            }
            if (status == "Succeeded" || status == "Skipped")
                continue;  // Skipped: ingestIfNotExists saw it in
            if (status == "Failed" || status == "PartiallySucceeded") {
                const bool permanent = failure != "Transient";
                return MakeError(permanent ? ErrorKind::kInvalidInput : ErrorKind::kTransient, "adx.ingest",
                                 "ingestion of chunk " + std::to_string(c->index) + " into " + c_.database +
                                     "." + settings_.table + " failed: " + (code.empty() ? "" : code + ": ") +
                                     details,
                                 code.empty() ? "IngestionFailed" : code);
            }
            still.push_back(c);
        }
        pending.swap(still);
        if (pending.empty()) break;
        if (std::chrono::steady_clock::now() >= deadline)
            return MakeError(
                ErrorKind::kTimeout, "adx.ingest",
                std::to_string(pending.size()) + " of " + std::to_string(manifest_.size()) +
                    " chunk(s) were not confirmed within " + std::to_string(c_.confirm_timeout.count()) +
                    " s (adx_ingest_confirm_timeout_secs); they may still be ingested later, and a "
                    "rerun of this activity will not duplicate them",
                "IngestionUnconfirmed");
        ADXFLOW_TRY(ctx.cancel.SleepFor(*ctx.clock, wait));
        wait = std::min(wait * 3 / 2, std::chrono::milliseconds(2000));
    }
    return Ok();
}

void AdxSink::DeleteStagingBlobs(const IngestResources& resources) {
    for (const auto& c : manifest_) {
        for (const auto& url : resources.temp_storage) {
            if (WithoutQuery(url) != c.container_url) continue;
            auto where = azure::ParseResourceUrl(url, azure::StorageService::kBlob);
            if (!where.ok()) continue;
            azure::BlobClient blobs(where->account, c_.services->http());
            (void)blobs.DeleteBlob(where->container, c.blob);
        }
    }
}

Status AdxSink::Finish(const OpContext& ctx) {
    ADXFLOW_TRY(WaitForUploads(0));
    if (settings_.streaming) {
        stats_.details["adxStreamingIngestedChunks"] = streamed_chunks_;
        stats_.details["adxStreamingIngestedRows"] = streamed_rows_;
        stats_.details["adxQueuedChunks"] = manifest_.size();
    }
    if (manifest_.empty()) return Ok();
    ADXFLOW_ASSIGN_OR_RETURN(IngestResources resources,
                             c_.services->ingest_resources().Get(*c_.dm, &ctx.cancel));
    uint64_t rows = 0;
    for (const auto& chunk : manifest_) {
        ADXFLOW_TRY(Enqueue(chunk, resources, ctx));
        ADXFLOW_CRASH_POINT("adx.sink.message_enqueued");
        rows += chunk.rows;
    }
    spdlog::info(
        "adx: run {} activity '{}' enqueued {} chunk(s), {} rows, for {}.{}; waiting for confirmation",
        c_.run_id, c_.activity_name, manifest_.size(), rows, c_.database, settings_.table);
    ADXFLOW_TRY(Confirm(resources, ctx));
    ADXFLOW_CRASH_POINT("adx.sink.ingestion_confirmed");
    spdlog::info("adx: run {} activity '{}': ingestion of {} chunk(s) confirmed", c_.run_id, c_.activity_name,
                 manifest_.size());
    Json ids = Json::array();
    for (const auto& chunk : manifest_) ids.push_back(chunk.source_id);
    stats_.details["adxIngestionSourceIds"] = std::move(ids);
    DeleteStagingBlobs(resources);
    return Ok();
}

void AdxSink::Abort() noexcept {
    for (auto& f : uploads_) {
        if (f.valid()) f.wait();
    }
    uploads_.clear();
}

}  // namespace adxflow::adx
