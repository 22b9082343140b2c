#pragma once
// Byte streams under the text formats. Readers and writers of rows work on these rather than on paths, so
// that local files, gzip members and (later) blob downloads all plug in under the same CSV/JSON code.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow::format {

class ByteReader {
  public:
    virtual ~ByteReader() = default;
    // Reads up to `n` bytes into `buf`; 0 means end of stream.
    virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

class ByteWriter {
  public:
    virtual ~ByteWriter() = default;
    virtual Status Write(std::string_view data) = 0;
    // Pushes everything written so far downstream as a self-contained prefix of the output: after Flush the
    // bytes below form a valid stream on their own (a gzip writer closes its member). Used at commit points.
    virtual Status Flush() = 0;
};

// The error for a failed system call on `path`: missing -> kNotFound, permission -> kForbidden,
// no space or I/O error -> kTransient (the disk may recover), anything else kInternal.
Error ErrnoError(int err, std::string op, const std::filesystem::path& path);

// Reads a local file through a POSIX descriptor and counts the bytes read (the source's dataRead).
class FileReader : public ByteReader {
  public:
    static Result<std::unique_ptr<FileReader>> Open(const std::filesystem::path& path);
    ~FileReader() override;
    FileReader(const FileReader&) = delete;
    FileReader& operator=(const FileReader&) = delete;

    Result<size_t> Read(char* buf, size_t n) override;
    uint64_t bytes_read() const { return bytes_read_; }
    const std::filesystem::path& path() const { return path_; }

  private:
    FileReader(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::filesystem::path path_;
    uint64_t bytes_read_ = 0;
};

// Reads an in-memory string (tests, small payloads).
class StringReader : public ByteReader {
  public:
    explicit StringReader(std::string data) : data_(std::move(data)) {}
    Result<size_t> Read(char* buf, size_t n) override;

  private:
    std::string data_;
    size_t pos_ = 0;
};

// Appends to a local file through a buffer; `size()` is the file offset including buffered bytes.
class FileWriter : public ByteWriter {
  public:
    enum class Mode {
        kTruncate,  // create or empty the file
        kResume,    // open an existing file, cut it to `resume_at` bytes and append after them
    };
    static Result<std::unique_ptr<FileWriter>> Open(const std::filesystem::path& path, Mode mode,
                                                    uint64_t resume_at = 0);
    ~FileWriter() override;
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    Status Write(std::string_view data) override;
    Status Flush() override;
    // Flush, then fsync: the bytes so far survive a crash.
    Status Sync();
    // Drops buffered bytes and cuts the file back to `size` (best effort; used when aborting).
    void DiscardAfter(uint64_t size) noexcept;
    void Close() noexcept;
    uint64_t size() const { return flushed_ + buffer_.size(); }
    const std::filesystem::path& path() const { return path_; }

  private:
    FileWriter(int fd, std::filesystem::path path, uint64_t offset)
        : fd_(fd), path_(std::move(path)), flushed_(offset) {}
    int fd_;
    std::filesystem::path path_;
    uint64_t flushed_;
    std::string buffer_;
};

// Collects writes in memory (tests, Lookup-sized outputs).
class StringWriter : public ByteWriter {
  public:
    Status Write(std::string_view data) override {
        data_.append(data);
        return Ok();
    }
    Status Flush() override { return Ok(); }
    const std::string& data() const { return data_; }

  private:
    std::string data_;
};

// Makes a rename or a new file in `dir` durable (fsync of the directory).
Status SyncDirectory(const std::filesystem::path& dir);

}  // namespace adxflow::format
