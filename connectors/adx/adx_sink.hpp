#pragma once
// AzureDataExplorerSink: queued ingestion as ADF does it, made exactly-once.
//
//  1. Rows are written as RFC 4180 CSV in the table's column order (from `.show table T schema as json`
//     when no mapping is named) and gzip-compressed (libdeflate) per chunk.
//  2. Each committed chunk is uploaded to a staging container (uploads run in parallel, capped) and
//     listed in the sink's manifest. Nothing is enqueued yet: a crash in this phase restarts the copy from
//     scratch, and since nothing reached the service there is nothing to undo.
//  3. PrepareFinish returns the manifest (staging blob, chunk tag, row count per chunk), which the engine
//     persists with the source marked done. Only then are messages enqueued.
//  4. Finish enqueues every chunk with tags `ingest-by:<run>-<activity>-<chunk>` and
//  `drop-by:<run>-<activity>`
//     and `ingestIfNotExists` on the ingest-by tag, then waits until the status table (or the table's
//     extents) confirms each chunk. A resumed attempt re-enqueues the manifest's chunks: the service skips
//     those already ingested, so no chunk lands twice and none is lost.
//
// Without confirmation within the configured time the activity fails with IngestionUnconfirmed; an
// ingestion the service reports as failed fails it with the service's reason.

#include <deque>
#include <future>

#include "connectors/adx/adx_linked_service.hpp"
#include "connectors/adx/ingest_resources.hpp"
#include "core/contract.hpp"

namespace adxflow::adx {

struct AdxSinkSettings {
    std::string table;
    std::string mapping_name;  // ingestionMappingName
    std::string mapping_json;  // ingestionMappingAsJson (a JSON array as text)
    bool flush_immediately = false;
    // adxflowStreamingIngestion (not in ADF): chunks of at most 4 MB go through streaming ingestion;
    // larger ones, and every chunk once the table's policy turns out to be off, through queued ingestion.
    bool streaming = false;
    Json additional_properties = Json::object();  // additionalProperties (tags, creationTime, ...)
};

// `sink` is the Copy sink object, `dataset` the AzureDataExplorerTable's typeProperties.
Result<AdxSinkSettings> ParseSinkSettings(const Json& sink, const Json& dataset);

struct AdxSinkContext {
    std::shared_ptr<KustoClient> engine;  // the cluster: schema, extents
    std::shared_ptr<KustoClient> dm;      // the ingestion endpoint: resources, identity token
    AdxServices* services = nullptr;
    std::string database;
    std::string run_id;
    std::string activity_name;
    std::chrono::seconds confirm_timeout{300};
    size_t max_parallel_uploads = 4;
};

class AdxSink final : public Sink {
  public:
    AdxSink(AdxSinkContext context, AdxSinkSettings settings);
    ~AdxSink() override;

    Status Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) override;
    Status Write(const RowBatch& batch, const OpContext& ctx) override;
    Result<Json> CommitChunk(const ChunkKey& key, const OpContext& ctx) override;
    Result<Json> PrepareFinish(const OpContext& ctx) override;
    Status Finish(const OpContext& ctx) override;
    void Abort() noexcept override;
    SinkStats stats() const override { return stats_; }

  private:
    struct Chunk {
        uint64_t index = 0;
        std::string container_url;  // without SAS: the manifest is stored, and a SAS is a credential
        std::string blob;
        std::string source_id;  // the message Id and status row key
        uint64_t rows = 0;
        uint64_t raw_bytes = 0;
        Json ToJson() const;
        static Chunk FromJson(const Json& j);
    };

    Status PrepareColumns(const Schema& schema, const OpContext& ctx);
    Status DropEarlierAttempts(const OpContext& ctx);
    std::string Tag(uint64_t chunk) const;
    Status WaitForUploads(size_t keep_in_flight);
    Status Enqueue(const Chunk& chunk, const IngestResources& resources, const OpContext& ctx);
    Status Confirm(const IngestResources& resources, const OpContext& ctx);
    // Streaming mode: sends the chunk being written; false when it must go the queued way instead.
    Result<bool> StreamChunk(const ChunkKey& key, const OpContext& ctx);
    Status StageChunk(const ChunkKey& key, const OpContext& ctx);
    Json StreamingCheckpoint() const;
    void DeleteStagingBlobs(const IngestResources& resources);

    AdxSinkContext c_;
    AdxSinkSettings settings_;
    std::vector<int> source_of_column_;  // per table column: the source column, or -1 (left empty)
    std::string csv_;                    // the chunk being written
    uint64_t chunk_rows_ = 0;
    std::vector<Chunk> manifest_;
    std::deque<std::future<Status>> uploads_;
    SinkStats stats_;
    size_t next_container_ = 0;
    bool streaming_available_ = true;  // false once the service said the policy is off
    uint64_t streamed_chunks_ = 0;
    uint64_t streamed_rows_ = 0;
};

}  // namespace adxflow::adx
