#pragma once
// FileServer source: one file, or every file of a folder (sorted by path; recursive by default; hidden
// files, including the sink's temp files, skipped), read through the dataset's format and compression.

#include <memory>
#include <vector>

#include "connectors/common/format/row_io.hpp"
#include "connectors/file/file_options.hpp"

namespace adxflow::file {

class FileSource : public Source {
  public:
    explicit FileSource(FileEndpoint endpoint) : ep_(std::move(endpoint)) {}

    Result<Schema> Open(const OpContext& ctx) override;
    Result<bool> Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) override;
    SourceStats stats() const override;

    const std::vector<std::filesystem::path>& files() const { return files_; }

  private:
    Status ListFiles();
    // Opens files_[next_file_] and reads its schema; maps its columns onto schema_ by name.
    Status OpenNextFile();
    void CloseCurrent();

    FileEndpoint ep_;
    std::vector<std::filesystem::path> files_;
    size_t next_file_ = 0;
    Schema schema_;
    // Current file: raw reader, optional decoder, row reader.
    std::unique_ptr<format::FileReader> raw_;
    std::unique_ptr<format::ByteReader> decoder_;
    std::unique_ptr<format::RowReader> rows_;
    std::vector<int> column_map_;  // file column -> schema_ column, -1 = dropped; empty = identity
    RowBatch file_batch_;
    SourceStats stats_;
    uint64_t closed_bytes_ = 0;  // bytes of files already finished
};

}  // namespace adxflow::file
