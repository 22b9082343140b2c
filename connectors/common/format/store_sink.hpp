#pragma once
// The sink of every file-like store, with exactly-once output across attempts.
//
// Tabular data (DelimitedText, Json) from a source without files (ADX, PostgreSQL), or with MergeFiles, or
// into a dataset fileName, goes to one file: that fileName, or "data_<run id>.<ext>" in the folder. From a
// file source (rows name their file, RowBatch::source_file) PreserveHierarchy writes one file per source
// file under its path below the source's selection root, and FlattenHierarchy puts them all in the sink
// folder with the path's '/' turned into '_'. formatSettings.maxRowsPerFile splits each of those outputs
// into parts of at most that many rows, "<name>_00000<ext>", "<name>_00001<ext>", ...; without a file
// source <name> is fileNamePrefix, or "data_<run id>".
//
// Bytes flow through the compression encoder into a StoreUpload, which keeps them invisible until Finish
// publishes the file. CommitChunk makes the bytes durable (gzip: closes the member) and returns the
// upload's checkpoint plus {"rows", "chunk"}; Open with it continues after those bytes, so a resumed
// attempt writes each row once. When the output spans several files, a file the rows have moved past is
// ended (footer, last member) and kept durable under its temporary name; the checkpoint lists those files
// ("ended") beside the one in progress ("target", "source", "part", "fileRows"), and Finish publishes them
// all.
//
// Binary data (rows from a Binary source, see store_source.hpp) is written file by file with the same
// naming, or concatenated into one with MergeFiles or a dataset fileName. A binary copy does not resume
// mid-way: its commits return null and a retry copies again.

#include <memory>
#include <set>
#include <string>
#include <vector>

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

  private:
    // A finished output file of a several-file tabular copy: whole and durable, not yet visible.
    struct EndedFile {
        std::string path;  // relative to the store root
        Json upload;       // its upload's checkpoint, marked "prepared"
    };

    Status OpenUpload(const std::string& path, const Json& checkpoint, const OpContext& ctx);
    // Tabular: opens `path` and starts its rows, fresh or resumed after `file_rows` committed rows.
    Status StartFile(const std::string& path, const Json& checkpoint, uint64_t file_rows,
                     const OpContext& ctx);
    // Several files: ends the file in progress and adds it to ended_.
    Status EndFile(const OpContext& ctx);
    // Several files: starts part `part` of the output named `base` (a TargetFor result, or target_).
    Status StartPart(const std::string& base, uint64_t part, const OpContext& ctx);
    // Writes rows [begin, end) of `batch` to the file in progress.
    Status WriteRows(const RowBatch& batch, size_t begin, size_t end);
    // The first Write, or PrepareFinish without any row: opens the output, one file per source file when
    // the rows name one.
    Status StartOutput(const std::string& source_file, const OpContext& ctx);
    // Open with the checkpoint of a several-file output: the ended files, and the file in progress.
    Status RestoreSeveral(const Json& checkpoint, const OpContext& ctx);
    Json EndedJson() const;
    Status WriteBinary(const RowBatch& batch, const OpContext& ctx);
    Status PublishCurrent(const OpContext& ctx);
    // Where a file read from `source_path` (relative to the source's selection root) is written; each call
    // names a new file, distinct from those named before.
    std::string TargetFor(const std::string& source_path);
    // `base` itself, or with maxRowsPerFile its part `part`: "dir/name_00003.csv.gz".
    std::string PartPath(const std::string& base, uint64_t part) const;
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
    uint64_t max_rows_per_file_ = 0;  // 0: no limit
    // Tabular rows may go one file per source file (a file source, no fileName, not MergeFiles); whether
    // they do is known from the first batch, so the first file opens then.
    bool per_file_allowed_ = false;
    bool per_file_ = false;
    bool several_ = false;   // the output may span several files: per source file, or maxRowsPerFile
    bool deferred_ = false;  // Open saw no rows yet: the first Write (or PrepareFinish) opens the output
    Schema schema_;
    std::string current_source_;  // binary and per-file tabular: the source file being written
    std::string current_path_;    // the output file in progress
    std::string current_base_;    // several files: the output the current part belongs to
    uint64_t part_ = 0;
    std::vector<EndedFile> ended_;
    std::set<std::string> used_paths_;  // several files: every output file named so far
    uint64_t file_rows_ = 0;            // several files: rows of the file in progress committed so far
    uint64_t file_pending_rows_ = 0;
    RowBatch slice_;  // maxRowsPerFile: the part of a batch that fits the file in progress
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
