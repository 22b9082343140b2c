#include "connectors/common/format/byte_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace adxflow::format {

namespace {
constexpr size_t kWriteBufferBytes = 256 * 1024;
}

Error ErrnoError(int err, std::string op, const std::filesystem::path& path) {
    ErrorKind kind = ErrorKind::kInternal;
    std::string code;
    switch (err) {
        case ENOENT:
        case ENOTDIR:
            kind = ErrorKind::kNotFound;
            code = "FileNotFound";
            break;
        case EACCES:
        case EPERM:
        case EROFS:
            kind = ErrorKind::kForbidden;
            code = "FileForbidden";
            break;
        case ENOSPC:
        case EIO:
        case EAGAIN:
        case EINTR:
            kind = ErrorKind::kTransient;
            break;
        default:
            break;
    }
    return MakeError(kind, std::move(op), path.string() + ": " + std::strerror(err), code, path.string());
}

Result<std::unique_ptr<FileReader>> FileReader::Open(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(errno, "file.open", path);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        return MakeError(ErrorKind::kInvalidInput, "file.open", path.string() + " is a folder, not a file",
                         "", path.string());
    }
    return std::unique_ptr<FileReader>(new FileReader(fd, path));
}

FileReader::~FileReader() {
    if (fd_ >= 0) ::close(fd_);
}

Result<size_t> FileReader::Read(char* buf, size_t n) {
    for (;;) {
        ssize_t got = ::read(fd_, buf, n);
        if (got >= 0) {
            bytes_read_ += static_cast<uint64_t>(got);
            return static_cast<size_t>(got);
        }
        if (errno != EINTR) return ErrnoError(errno, "file.read", path_);
    }
}

Result<size_t> StringReader::Read(char* buf, size_t n) {
    size_t take = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
}

Result<std::unique_ptr<FileWriter>> FileWriter::Open(const std::filesystem::path& path, Mode mode,
                                                     uint64_t resume_at) {
    int flags = O_WRONLY | O_CLOEXEC | (mode == Mode::kTruncate ? (O_CREAT | O_TRUNC) : 0);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return ErrnoError(errno, "file.open_write", path);
    uint64_t offset = 0;
    if (mode == Mode::kResume) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            int err = errno;
            ::close(fd);
            return ErrnoError(err, "file.stat", path);
        }
        if (static_cast<uint64_t>(st.st_size) < resume_at) {
            ::close(fd);
            return MakeError(ErrorKind::kConflict, "file.resume",
                             path.string() + " holds " + std::to_string(st.st_size) +
                                 " bytes, fewer than the " + std::to_string(resume_at) +
                                 " bytes of the checkpoint; it cannot be resumed",
                             "", path.string());
        }
        // Bytes after the checkpoint were written but never committed: drop them.
        if (::ftruncate(fd, static_cast<off_t>(resume_at)) != 0 ||
            ::lseek(fd, static_cast<off_t>(resume_at), SEEK_SET) < 0) {
            int err = errno;
            ::close(fd);
            return ErrnoError(err, "file.truncate", path);
        }
        offset = resume_at;
    }
    return std::unique_ptr<FileWriter>(new FileWriter(fd, path, offset));
}

FileWriter::~FileWriter() {
    Close();
}

void FileWriter::Close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Status FileWriter::Write(std::string_view data) {
    buffer_.append(data);
    if (buffer_.size() >= kWriteBufferBytes) return Flush();
    return Ok();
}

Status FileWriter::Flush() {
    if (fd_ < 0 && !buffer_.empty())
        return MakeError(ErrorKind::kInternal, "file.write", "write after close", "", path_.string());
    size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            // Keep what was not written so that size() still tells the truth about the intended content.
            buffer_.erase(0, done);
            flushed_ += done;
            return ErrnoError(err, "file.write", path_);
        }
        done += static_cast<size_t>(n);
    }
    flushed_ += done;
    buffer_.clear();
    return Ok();
}

Status FileWriter::Sync() {
    ADXFLOW_TRY(Flush());
    if (::fsync(fd_) != 0) return ErrnoError(errno, "file.fsync", path_);
    return Ok();
}

void FileWriter::DiscardAfter(uint64_t size) noexcept {
    buffer_.clear();
    if (fd_ >= 0 && flushed_ > size) {
        if (::ftruncate(fd_, static_cast<off_t>(size)) == 0) flushed_ = size;
    }
}

Status SyncDirectory(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(errno, "file.open_dir", dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoError(err, "file.fsync_dir", dir);
    return Ok();
}

}  // namespace adxflow::format
