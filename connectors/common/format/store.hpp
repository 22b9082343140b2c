#pragma once
// File-like stores (a local folder, a blob container) as the DelimitedText, Json and Binary datasets see
// them: list files, read one as a byte stream, delete one, and write one so that it appears whole or not
// at all. Also ADF's read and write storeSettings and the file selection (folder, fileName, wildcards,
// prefix, modified window) that every such store shares, so that FileServer and AzureBlobStorage agree.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/format/byte_stream.hpp"
#include "core/contract.hpp"

namespace adxflow::format {

struct StoreEntry {
    std::string path;  // relative to the store's root, '/'-separated, no leading '/'
    uint64_t size = 0;
    std::optional<TimePoint> modified;
};

// A byte stream read from a store, counting its bytes (the Copy output's dataRead).
class StoreReader : public ByteReader {
  public:
    virtual uint64_t bytes_read() const = 0;
};

// One file being written. Bytes go out as they are written (a local temp file, staged blocks) but stay
// invisible until Publish. Commit makes everything written so far durable and returns the store's part of
// a checkpoint; an upload reopened with that checkpoint continues right after those bytes.
class StoreUpload : public ByteWriter {
  public:
    virtual Result<Json> Commit(const OpContext& ctx) = 0;
    virtual Status Publish(const OpContext& ctx) = 0;
    // Drops uncommitted bytes; committed ones stay for a resume unless `discard_all`. Must not throw.
    virtual void Abort(bool discard_all) noexcept = 0;
    virtual uint64_t size() const = 0;  // bytes written so far, committed or not
};

struct ListRequest {
    std::string folder;       // relative to the root; "" is the root
    bool recursive = true;    // false: only the files directly in `folder`
    std::string name_prefix;  // relative to the root; when set, only paths starting with it
};

class FileStore {
  public:
    virtual ~FileStore() = default;
    // Files (not folders) under the request's folder, in any order. A missing folder is kNotFound for
    // stores with real folders, an empty list for stores with virtual ones (blob).
    virtual Result<std::vector<StoreEntry>> List(const ListRequest& request, const OpContext& ctx) = 0;
    virtual Result<std::unique_ptr<StoreReader>> OpenRead(const StoreEntry& entry, const OpContext& ctx) = 0;
    virtual Status Delete(const StoreEntry& entry, const OpContext& ctx) = 0;
    // `checkpoint`: null for a fresh upload, or what Commit returned in an earlier attempt of the same
    // activity run (`run_id`, `activity_name`), which the upload verifies names this file.
    virtual Result<std::unique_ptr<StoreUpload>> OpenWrite(const std::string& path, const Json& checkpoint,
                                                           const OpContext& ctx) = 0;
    // The path as users know it (local path, blob URL without credentials), for messages.
    virtual std::string Describe(const std::string& path) const = 0;
    // Local folders hide dot files (the sink's temp files among them); blob containers have none.
    virtual bool SkipsHiddenFiles() const { return false; }
};

// ADF read settings (AzureBlobStorageReadSettings, FileServerReadSettings).
struct StoreReadSettings {
    bool recursive = true;
    std::string wildcard_folder_path;  // '*', '?', '^' escapes; replaces the dataset's folderPath
    std::string wildcard_file_name;
    std::string prefix;  // relative to the root (blob: the container); replaces folderPath
    std::optional<TimePoint> modified_start;  // inclusive
    std::optional<TimePoint> modified_end;    // exclusive
    bool delete_files_after_completion = false;
};

// `settings` is the Copy source (or Lookup source) object; errors name `settings_path`.storeSettings.X.
Result<StoreReadSettings> ParseStoreReadSettings(const Json& settings, std::string_view settings_path);

enum class CopyBehavior { kPreserveHierarchy, kFlattenHierarchy, kMergeFiles };

// ADF write settings (AzureBlobStorageWriteSettings, FileServerWriteSettings).
struct StoreWriteSettings {
    CopyBehavior copy_behavior = CopyBehavior::kPreserveHierarchy;
    uint64_t block_size_bytes = 0;  // blockSizeInMB; 0: the store's default
    int64_t max_rows_per_file = 0;  // formatSettings.maxRowsPerFile (DelimitedText/Json); 0: one file
    std::string file_name_prefix;   // formatSettings.fileNamePrefix, with maxRowsPerFile
};
Result<StoreWriteSettings> ParseStoreWriteSettings(const Json& settings, std::string_view settings_path);

// "a\\b/" -> "a/b": folder paths as users write them, relative to the store root.
std::string NormalizeFolder(std::string_view folder);
// "dir/sub" + "x.csv" -> "dir/sub/x.csv"; either may be empty.
std::string JoinStorePath(std::string_view folder, std::string_view name);
std::string_view BaseName(std::string_view path);
std::string_view DirName(std::string_view path);  // "" for a file at the root

// ADF wildcard match on one name or path: '*' any run, '?' one character, '^' escapes the next one.
bool WildcardMatch(std::string_view pattern, std::string_view name);

// The folder the selection starts from (relative to the root): folderPath, the fixed part of
// wildcardFolderPath, or the folder of the prefix. Binary copies preserve the hierarchy below it.
std::string SelectionRoot(std::string_view folder_path, const StoreReadSettings& settings);

// The files a source reads, sorted by path: the dataset's fileName alone (kNotFound when missing), or
// every file of the folder (dataset folderPath, or the settings' wildcardFolderPath or prefix), filtered
// by wildcardFileName, recursion, hidden files and the modified window.
Result<std::vector<StoreEntry>> SelectFiles(FileStore& store, std::string_view folder_path,
                                            std::string_view file_name, const StoreReadSettings& settings,
                                            const OpContext& ctx);

// RFC 1123 dates of HTTP headers and Blob listings ("Tue, 05 Mar 2024 08:09:10 GMT").
std::optional<TimePoint> ParseHttpDate(std::string_view text);

}  // namespace adxflow::format
