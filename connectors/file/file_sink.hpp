#pragma once
// FileServer sink with exactly-once output across attempts.
//
// Rows go to a hidden temp file beside the target, named after the run and the activity so that a resumed
// attempt finds it again. CommitChunk makes the file durable (gzip: closes the member; fsync) and returns
// {"path", "bytes", "rows", "chunk"}. Open with that checkpoint cuts the temp file back to `bytes` (dropping
// whatever was written but not committed) and appends after it; Finish writes the format's closing part,
// fsyncs and renames the temp file over the target, so readers never see a partial file.

#include <memory>
#include <string>

#include "connectors/common/format/row_io.hpp"
#include "connectors/file/file_options.hpp"

namespace adxflow::file {

class FileSink : public Sink {
  public:
    FileSink(FileEndpoint endpoint, std::string run_id, std::string activity_name);
    ~FileSink() override;

    Status Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) override;
    Status Write(const RowBatch& batch, const OpContext& ctx) override;
    Result<Json> CommitChunk(const ChunkKey& key, const OpContext& ctx) override;
    Status Finish(const OpContext& ctx) override;
    void Abort() noexcept override;
    SinkStats stats() const override;

    const std::filesystem::path& target_path() const { return target_; }
    const std::filesystem::path& temp_path() const { return temp_; }

  private:
    Status ResolvePaths();
    Status FlushToDisk();
    void CloseStreams() noexcept;

    FileEndpoint ep_;
    std::string run_id_;
    std::string activity_name_;
    std::filesystem::path target_;
    std::filesystem::path temp_;
    std::unique_ptr<format::FileWriter> file_;
    std::unique_ptr<format::ByteWriter> encoder_;
    std::unique_ptr<format::RowWriter> rows_;
    uint64_t committed_bytes_ = 0;
    uint64_t committed_rows_ = 0;
    uint64_t pending_rows_ = 0;
    bool has_commit_ = false;  // a commit exists, in this attempt or the one resumed from
    bool finished_ = false;
    std::string last_key_;
    Json last_checkpoint_;
    SinkStats stats_;
};

}  // namespace adxflow::file
