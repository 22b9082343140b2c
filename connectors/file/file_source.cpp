#include "connectors/file/file_source.hpp"

#include <algorithm>

namespace adxflow::file {

namespace fs = std::filesystem;

namespace {
bool IsHidden(const fs::path& p) {
    std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}
}  // namespace

Status FileSource::ListFiles() {
    const std::string ds_path = "dataset.typeProperties.location";
    if (!ep_.file_name.empty()) {
        ADXFLOW_ASSIGN_OR_RETURN(fs::path file,
                                 ep_.guard.Resolve(ep_.folder / ep_.file_name, ds_path + ".fileName"));
        std::error_code ec;
        if (!fs::exists(file, ec))
            return MakeError(ErrorKind::kNotFound, "file.list", "file " + file.string() + " does not exist",
                             "FileNotFound", file.string());
        files_.push_back(file);
        return Ok();
    }
    std::error_code ec;
    if (!fs::is_directory(ep_.folder, ec)) {
        if (ec && ec != std::errc::no_such_file_or_directory)
            return format::ErrnoError(ec.value(), "file.list", ep_.folder);
        return MakeError(ErrorKind::kNotFound, "file.list",
                         "folder " + ep_.folder.string() + " does not exist", "FileNotFound",
                         ep_.folder.string());
    }
    auto consider = [&](const fs::directory_entry& entry) -> Status {
        if (IsHidden(entry.path())) return Ok();
        std::error_code type_ec;
        if (!entry.is_regular_file(type_ec)) return Ok();
        if (!ep_.wildcard_file_name.empty() &&
            !WildcardMatch(ep_.wildcard_file_name, entry.path().filename().string()))
            return Ok();
        // A symlink inside the folder may point anywhere: resolve and check it like any other path.
        ADXFLOW_ASSIGN_OR_RETURN(fs::path resolved, ep_.guard.Resolve(entry.path(), ds_path + ".folderPath"));
        (void)resolved;
        files_.push_back(entry.path());
        return Ok();
    };
    if (ep_.recursive) {
        fs::recursive_directory_iterator it(ep_.folder, fs::directory_options::skip_permission_denied, ec),
            end;
        for (; !ec && it != end; it.increment(ec)) {
            if (it->is_directory() && IsHidden(it->path())) {
                it.disable_recursion_pending();
                continue;
            }
            ADXFLOW_TRY(consider(*it));
        }
    } else {
        fs::directory_iterator it(ep_.folder, ec), end;
        for (; !ec && it != end; it.increment(ec)) ADXFLOW_TRY(consider(*it));
    }
    if (ec) return format::ErrnoError(ec.value(), "file.list", ep_.folder);
    std::sort(files_.begin(), files_.end());
    return Ok();
}

void FileSource::CloseCurrent() {
    if (raw_) closed_bytes_ += raw_->bytes_read();
    rows_.reset();
    decoder_.reset();
    raw_.reset();
}

Status FileSource::OpenNextFile() {
    CloseCurrent();
    const fs::path& path = files_[next_file_++];
    ADXFLOW_ASSIGN_OR_RETURN(raw_, format::FileReader::Open(path));
    ++stats_.files_read;
    decoder_ = format::MakeDecoder(ep_.format.compression, *raw_);
    rows_ = format::MakeRowReader(ep_.format, decoder_ ? *decoder_ : static_cast<format::ByteReader&>(*raw_));
    auto schema = rows_->ReadSchema();
    if (!schema.ok()) {
        Error e = std::move(schema).error();
        e.message = path.string() + ": " + e.message;
        e.target = path.string();
        return e;
    }
    column_map_.clear();
    if (schema_.empty()) {
        schema_ = *schema;
        return Ok();
    }
    if (*schema == schema_) return Ok();
    // Another file of the folder: match its columns to the first file's by name; extra ones are dropped.
    for (const auto& col : *schema) {
        auto it =
            std::find_if(schema_.begin(), schema_.end(), [&](const Column& c) { return c.name == col.name; });
        column_map_.push_back(it == schema_.end() ? -1 : static_cast<int>(it - schema_.begin()));
    }
    return Ok();
}

Result<Schema> FileSource::Open(const OpContext& ctx) {
    ADXFLOW_TRY(ListFiles());
    // The schema is the first file's that has one (empty files have none).
    while (schema_.empty() && next_file_ < files_.size()) {
        ADXFLOW_TRY(ctx.CheckCancelled());
        ADXFLOW_TRY(OpenNextFile());
    }
    return schema_;
}

Result<bool> FileSource::Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) {
    // The batch still holds the previous rows when it reaches the reader, which resets it itself and may
    // reuse their string buffers; it is reset here only where no reader gets it.
    for (;;) {
        ADXFLOW_TRY(ctx.CheckCancelled());
        if (!rows_) {
            if (next_file_ >= files_.size()) {
                batch.Reset(schema_.size());
                return false;
            }
            ADXFLOW_TRY(OpenNextFile());
        }
        Result<bool> more = true;
        if (column_map_.empty()) {
            more = rows_->Next(batch, max_rows);
            if (more.ok()) {
                stats_.rows_read += batch.rows();
            }
        } else {
            batch.Reset(schema_.size());
            more = rows_->Next(file_batch_, max_rows);
            if (more.ok()) {
                for (size_t r = 0; r < file_batch_.rows(); ++r) {
                    Value* out = batch.AddRow();
                    Value* in = file_batch_.Row(r);
                    for (size_t i = 0; i < column_map_.size(); ++i)
                        if (column_map_[i] >= 0) out[column_map_[i]] = std::move(in[i]);
                }
                batch.AddBytes(file_batch_.bytes());
                stats_.rows_read += file_batch_.rows();
            }
        }
        if (!more.ok()) {
            Error e = std::move(more).error();
            e.message = files_[next_file_ - 1].string() + ": " + e.message;
            if (e.target.empty()) e.target = files_[next_file_ - 1].string();
            return e;
        }
        if (!*more) {
            CloseCurrent();
            if (next_file_ >= files_.size()) return false;
        }
        // A batch holds rows of one file at a time; an empty one just moves on to the next file.
        if (!batch.empty()) return true;
    }
}

SourceStats FileSource::stats() const {
    SourceStats s = stats_;
    s.bytes_read = closed_bytes_ + (raw_ ? raw_->bytes_read() : 0);
    return s;
}

}  // namespace adxflow::file
