#pragma once
// The sink of every file-like store, with exactly-once output across attempts.
//
// Tabular data (DelimitedText, Json) goes to one file: the dataset's fileName, or "data_<run id>.<ext>"
// in its folder (MergeFiles and PreserveHierarchy alike: rows carry no source file). Bytes flow through
// the compression encoder into a StoreUpload, which keeps them invisible until Finish publishes the file.
// CommitChunk makes the bytes durable (gzip: closes the member) and returns the upload's checkpoint plus
// {"rows", "chunk"}; Open with it continues after those bytes, so a resumed attempt writes each row once.
//
// Binary data (rows from a Binary source, see store_source.hpp) is written file by file: PreserveHierarchy
// keeps each file's path below the source's folder, FlattenHierarchy puts every file in the sink folder
// (its path with '/' turned into '_'), MergeFiles (or a dataset fileName) concatenates all of them into one.
// A binary copy does not resume mid-way: its commits return null and a retry copies again.

#include <memory>
#include <string>

#include "connectors/common/format/row_io.hpp"
#include "connectors/common/format/store.hpp"
#include "connectors/common/format/store_source.hpp"

namespace adxflow::format {

class StoreSink : public Sink {
  public:
    StoreSink(std::unique_ptr<FileStore> store, StoreLocation location, FormatSpec format,
              StoreWriteSettings settings, std::string run_id, std::string activity_name);
    ~StoreSink() override;

    Status Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) override;
    Status Write(const RowBatch& batch, const OpContext& ctx) override;
    Result<Json> CommitChunk(const ChunkKey& key, const OpContext& ctx) override;
    // Tabular: ends the file (footer, last gzip member) and makes it durable under its temporary name; the
    // checkpoint (upload checkpoint + {"rows", "prepared": true}) lets a daemon killed while or after
    // Finish renamed it recognise the publication as done instead of failing on the missing temp file.
    Result<Json> PrepareFinish(const OpContext& ctx) override;
    Status Finish(const OpContext& ctx) override;
    void Abort() noexcept override;
    SinkStats stats() const override;

    // The single output file of a tabular (or merged binary) copy, relative to the store root.
    const std::string& target() const { return target_; }

  private:
    Status OpenUpload(const std::string& path, const Json& checkpoint, const OpContext& ctx);
    Status WriteBinary(const RowBatch& batch, const OpContext& ctx);
    Status PublishCurrent(const OpContext& ctx);
    std::string BinaryTarget(const std::string& source_path) const;
    void CloseStreams() noexcept;

    std::unique_ptr<FileStore> store_;
    StoreLocation location_;
    FormatSpec format_;
    StoreWriteSettings settings_;
    std::string run_id_;
    std::string activity_name_;
    std::string folder_;
    std::string target_;
    bool merge_binary_ = false;
    std::string current_source_;  // binary: the source file being written
    std::unique_ptr<StoreUpload> upload_;
    std::unique_ptr<ByteWriter> encoder_;
    std::unique_ptr<RowWriter> rows_;
    uint64_t committed_rows_ = 0;
    uint64_t pending_rows_ = 0;
    uint64_t published_bytes_ = 0;
    uint64_t files_written_ = 0;
    bool opened_ = false;
    bool has_commit_ = false;  // a commit exists, in this attempt or the one resumed from
    bool finished_ = false;
    bool prepared_ = false;  // PrepareFinish ended the file, or Open resumed a prepared one: Finish publishes
    std::string last_key_;
    Json last_checkpoint_;
};

}  // namespace adxflow::format
