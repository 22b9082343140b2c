#include "connectors/common/format/store_source.hpp"

#include <algorithm>

namespace adxflow::format {

StoreSource::StoreSource(std::unique_ptr<FileStore> store, StoreLocation location, FormatSpec format,
                         StoreReadSettings settings)
    : store_(std::move(store)),
      location_(std::move(location)),
      format_(std::move(format)),
      settings_(std::move(settings)) {
    root_ = SelectionRoot(location_.folder_path, settings_);
}

Error StoreSource::InFile(Error e) const {
    const std::string where = store_->Describe(files_[next_file_ - 1].path);
    e.message = where + ": " + e.message;
    if (e.target.empty()) e.target = where;
    return e;
}

std::string_view StoreSource::CurrentRelativePath() const {
    std::string_view path = files_[next_file_ - 1].path;
    if (!root_.empty() && path.size() > root_.size() && path.rfind(root_, 0) == 0)
        path.remove_prefix(root_.size() + 1);
    return path;
}

void StoreSource::CloseCurrent() {
    if (raw_) closed_bytes_ += raw_->bytes_read();
    rows_.reset();
    decoder_.reset();
    raw_.reset();
}

Status StoreSource::OpenNextFile(const OpContext& ctx) {
    CloseCurrent();
    const StoreEntry& entry = files_[next_file_++];
    auto opened = store_->OpenRead(entry, ctx);
    if (!opened.ok()) {
        Error e = std::move(opened).error();
        // Local errors already name the path.
        if (e.message.find(entry.path) == std::string::npos) return InFile(std::move(e));
        return e;
    }
    raw_ = std::move(opened).value();
    ++stats_.files_read;
    decoder_ = MakeDecoder(format_.compression, *raw_);
    file_started_ = false;
    if (format_.format == FileFormat::kBinary) return Ok();
    rows_ = MakeRowReader(format_, decoder_ ? *decoder_ : static_cast<ByteReader&>(*raw_));
    rows_->SetIncompatibleRowHandler(ctx.incompatible_rows, store_->Describe(entry.path));
    auto schema = rows_->ReadSchema();
    if (!schema.ok()) return InFile(std::move(schema).error());
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

Result<Schema> StoreSource::Open(const OpContext& ctx) {
    ADXFLOW_ASSIGN_OR_RETURN(
        files_, SelectFiles(*store_, location_.folder_path, location_.file_name, settings_, ctx));
    if (format_.format == FileFormat::kBinary) {
        schema_ = {{kBinaryPathColumn, ColumnType::kString}, {kBinaryDataColumn, ColumnType::kString}};
        return schema_;
    }
    // The schema is the first file's that has one (empty files have none).
    while (schema_.empty() && next_file_ < files_.size()) {
        ADXFLOW_TRY(ctx.CheckCancelled());
        ADXFLOW_TRY(OpenNextFile(ctx));
    }
    return schema_;
}

Result<bool> StoreSource::NextBinary(RowBatch& batch, size_t max_rows, const OpContext& ctx) {
    batch.Reset(2);
    if (max_rows == 0) max_rows = 1;
    while (batch.rows() < max_rows && batch.bytes() < kBinaryBatchBytes) {
        ADXFLOW_TRY(ctx.CheckCancelled());
        if (!raw_) {
            if (next_file_ >= files_.size()) return false;
            ADXFLOW_TRY(OpenNextFile(ctx));
        }
        ByteReader& in = decoder_ ? *decoder_ : static_cast<ByteReader&>(*raw_);
        chunk_.resize(kBinaryChunkBytes);
        size_t filled = 0;
        while (filled < chunk_.size()) {
            auto got = in.Read(chunk_.data() + filled, chunk_.size() - filled);
            if (!got.ok()) return InFile(std::move(got).error());
            if (*got == 0) break;
            filled += *got;
        }
        chunk_.resize(filled);
        const bool at_end = filled < kBinaryChunkBytes;
        if (filled > 0 || !file_started_) {
            Value* row = batch.AddRow();
            row[0] = std::string(CurrentRelativePath());
            row[1] = chunk_;
            batch.AddBytes(filled);
            file_started_ = true;
        }
        if (at_end) CloseCurrent();
    }
    return raw_ != nullptr || next_file_ < files_.size();
}

Result<bool> StoreSource::Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) {
    if (format_.format == FileFormat::kBinary) return NextBinary(batch, max_rows, ctx);
    // The batch still holds the previous rows when it reaches the reader, which resets it itself and may
    // reuse their string buffers; it is reset here only where no reader gets it.
    for (;;) {
        ADXFLOW_TRY(ctx.CheckCancelled());
        if (!rows_) {
            if (next_file_ >= files_.size()) {
                batch.Reset(schema_.size());
                return false;
            }
            ADXFLOW_TRY(OpenNextFile(ctx));
        }
        Result<bool> more = true;
        if (column_map_.empty()) {
            more = rows_->Next(batch, max_rows);
            if (more.ok()) stats_.rows_read += batch.rows();
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
        if (!more.ok()) return InFile(std::move(more).error());
        batch.set_source_file(CurrentRelativePath());
        if (!*more) {
            CloseCurrent();
            if (next_file_ >= files_.size()) return false;
        }
        // A batch holds rows of one file at a time; an empty one just moves on to the next file.
        if (!batch.empty()) return true;
    }
}

Status StoreSource::Complete(const OpContext& ctx) {
    if (!settings_.delete_files_after_completion) return Ok();
    CloseCurrent();
    for (const auto& entry : files_) {
        Status deleted = store_->Delete(entry, ctx);
        if (!deleted.ok() && deleted.error().kind != ErrorKind::kNotFound) return deleted;
    }
    return Ok();
}

SourceStats StoreSource::stats() const {
    SourceStats s = stats_;
    s.bytes_read = closed_bytes_ + (raw_ ? raw_->bytes_read() : 0);
    return s;
}

}  // namespace adxflow::format
