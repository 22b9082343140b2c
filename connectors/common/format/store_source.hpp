#pragma once
// The source of every file-like store: the selected files (store.hpp), read one after the other through
// the dataset's compression and format. Rows of later files are matched to the first file's columns by
// name. Each batch holds rows of one file and names it (RowBatch::source_file, relative to the selection
// root), so that a file sink can keep files apart. Binary datasets are not parsed: each file arrives as rows
// of (kBinaryPathColumn, kBinaryDataColumn) holding up to kBinaryChunkBytes of it, for a Binary sink to write
// out.

#include <memory>
#include <string>
#include <vector>

#include "connectors/common/format/row_io.hpp"
#include "connectors/common/format/store.hpp"

namespace adxflow::format {

inline constexpr const char* kBinaryPathColumn = "$path";  // relative to the selection root
inline constexpr const char* kBinaryDataColumn = "$data";
inline constexpr size_t kBinaryChunkBytes = 1 << 20;
inline constexpr size_t kBinaryBatchBytes = 4 << 20;

struct StoreLocation {
    std::string folder_path;  // dataset folderPath, relative to the store root
    std::string file_name;    // dataset fileName; may be empty
};

class StoreSource : public Source {
  public:
    StoreSource(std::unique_ptr<FileStore> store, StoreLocation location, FormatSpec format,
                StoreReadSettings settings);

    Result<Schema> Open(const OpContext& ctx) override;
    Result<bool> Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) override;
    SourceStats stats() const override;
    // deleteFilesAfterCompletion: removes the files read, once the sink has published everything.
    Status Complete(const OpContext& ctx) override;

    const std::vector<StoreEntry>& files() const { return files_; }

  private:
    Status OpenNextFile(const OpContext& ctx);
    void CloseCurrent();
    Result<bool> NextBinary(RowBatch& batch, size_t max_rows, const OpContext& ctx);
    Error InFile(Error e) const;
    // The file being read, relative to the selection root (what copyBehavior keeps of its path).
    std::string_view CurrentRelativePath() const;

    std::unique_ptr<FileStore> store_;
    StoreLocation location_;
    FormatSpec format_;
    StoreReadSettings settings_;
    std::string root_;  // the selection root, stripped from binary paths
    std::vector<StoreEntry> files_;
    size_t next_file_ = 0;
    Schema schema_;
    std::unique_ptr<StoreReader> raw_;
    std::unique_ptr<ByteReader> decoder_;
    std::unique_ptr<RowReader> rows_;
    std::vector<int> column_map_;  // file column -> schema_ column, -1 = dropped; empty = identity
    RowBatch file_batch_;
    bool file_started_ = false;  // binary: a row of the current file was emitted (empty files get one)
    std::string chunk_;
    SourceStats stats_;
    uint64_t closed_bytes_ = 0;
};

}  // namespace adxflow::format
