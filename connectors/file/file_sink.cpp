#include "connectors/file/file_sink.hpp"

#include <cstdio>

namespace adxflow::file {

namespace fs = std::filesystem;

FileSink::FileSink(FileEndpoint endpoint, std::string run_id, std::string activity_name)
    : ep_(std::move(endpoint)), run_id_(std::move(run_id)), activity_name_(std::move(activity_name)) {}

FileSink::~FileSink() {
    if (!finished_) Abort();
}

Status FileSink::ResolvePaths() {
    std::string name = ep_.file_name;
    if (name.empty()) name = "data_" + SanitizeForFileName(run_id_) + format::DefaultExtension(ep_.format);
    ADXFLOW_ASSIGN_OR_RETURN(
        target_, ep_.guard.Resolve(ep_.folder / name, "dataset.typeProperties.location.fileName"));
    // Derived from the run and the activity only, so that the next attempt of the same activity run finds it.
    std::string temp_name = "." + target_.filename().string() + ".adxflow-" + SanitizeForFileName(run_id_) +
                            "-" + SanitizeForFileName(activity_name_) + ".tmp";
    temp_ = target_.parent_path() / temp_name;
    std::error_code ec;
    fs::create_directories(target_.parent_path(), ec);
    if (ec) return format::ErrnoError(ec.value(), "file.create_folder", target_.parent_path());
    return Ok();
}

Status FileSink::Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) {
    ADXFLOW_TRY(ResolvePaths());
    bool resume = !checkpoint.is_null();
    if (resume) {
        const Json* path = FindMember(checkpoint, "path");
        const Json* bytes = FindMember(checkpoint, "bytes");
        const Json* rows = FindMember(checkpoint, "rows");
        long long bytes_n = bytes ? AsInt(*bytes).value_or(-1) : -1;
        long long rows_n = rows ? AsInt(*rows).value_or(-1) : -1;
        if (!path || !path->is_string() || bytes_n < 0 || rows_n < 0)
            return MakeError(ErrorKind::kInvalidInput, "file.resume",
                             "the checkpoint is not a file sink checkpoint", "InvalidCheckpoint");
        // Never truncate a file the checkpoint names unless it is the temp file this sink would write.
        if (path->get<std::string>() != temp_.string())
            return MakeError(ErrorKind::kConflict, "file.resume",
                             "the checkpoint names " + path->get<std::string>() +
                                 ", not this sink's temp file " + temp_.string(),
                             "CheckpointMismatch");
        committed_bytes_ = static_cast<uint64_t>(bytes_n);
        committed_rows_ = static_cast<uint64_t>(rows_n);
        has_commit_ = true;
        auto opened = format::FileWriter::Open(temp_, format::FileWriter::Mode::kResume, committed_bytes_);
        if (!opened.ok()) {
            Error e = std::move(opened).error();
            if (e.kind == ErrorKind::kNotFound) {
                e.kind = ErrorKind::kConflict;
                e.message =
                    "cannot resume: the temp file of the committed chunks is gone (" + e.message + ")";
            }
            return e;
        }
        file_ = std::move(opened).value();
    } else {
        ADXFLOW_ASSIGN_OR_RETURN(file_, format::FileWriter::Open(temp_, format::FileWriter::Mode::kTruncate));
    }
    encoder_ = format::MakeEncoder(ep_.format.compression, *file_);
    rows_ =
        format::MakeRowWriter(ep_.format, encoder_ ? *encoder_ : static_cast<format::ByteWriter&>(*file_));
    return rows_->Begin(schema, resume, committed_rows_);
}

Status FileSink::Write(const RowBatch& batch, const OpContext& ctx) {
    ADXFLOW_TRY(ctx.CheckCancelled());
    if (!rows_) return MakeError(ErrorKind::kInternal, "file.write", "Write before Open");
    ADXFLOW_TRY(rows_->Write(batch));
    pending_rows_ += batch.rows();
    return Ok();
}

Status FileSink::FlushToDisk() {
    if (encoder_) ADXFLOW_TRY(encoder_->Flush());
    return file_->Sync();
}

Result<Json> FileSink::CommitChunk(const ChunkKey& key, const OpContext& ctx) {
    if (!rows_) return MakeError(ErrorKind::kInternal, "file.commit", "CommitChunk before Open");
    std::string key_text = key.ToString();
    // The same key twice (the engine retrying a commit) commits nothing new.
    if (key_text == last_key_ && pending_rows_ == 0) return last_checkpoint_;
    ADXFLOW_TRY(FlushToDisk());
    committed_bytes_ = file_->size();
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    has_commit_ = true;
    last_key_ = std::move(key_text);
    last_checkpoint_ = Json{{"path", temp_.string()},
                            {"bytes", committed_bytes_},
                            {"rows", committed_rows_},
                            {"chunk", key.chunk}};
    return last_checkpoint_;
}

Status FileSink::Finish(const OpContext& ctx) {
    if (!rows_) return MakeError(ErrorKind::kInternal, "file.finish", "Finish before Open");
    ADXFLOW_TRY(rows_->End());
    ADXFLOW_TRY(FlushToDisk());
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    uint64_t size = file_->size();
    CloseStreams();
    std::error_code ec;
    fs::rename(temp_, target_, ec);
    if (ec) return format::ErrnoError(ec.value(), "file.rename", target_);
    ADXFLOW_TRY(format::SyncDirectory(target_.parent_path()));
    finished_ = true;
    stats_.rows_written = committed_rows_;
    stats_.bytes_written = size;
    stats_.files_written = 1;
    return Ok();
}

void FileSink::CloseStreams() noexcept {
    rows_.reset();
    encoder_.reset();
    if (file_) file_->Close();
    file_.reset();
}

void FileSink::Abort() noexcept {
    if (finished_) return;
    if (file_) {
        // Uncommitted bytes are dropped now rather than at the resume, so the temp file on disk always ends
        // at a commit point.
        rows_.reset();
        encoder_.reset();
        file_->DiscardAfter(committed_bytes_);
        file_->Close();
        file_.reset();
    }
    if (!has_commit_ && !temp_.empty()) {
        std::error_code ec;
        fs::remove(temp_, ec);  // nothing to resume from
    }
}

SinkStats FileSink::stats() const {
    if (finished_) return stats_;
    // Rows in the output so far, including those committed by the attempt this one resumed.
    SinkStats s;
    s.rows_written = committed_rows_ + pending_rows_;
    s.bytes_written = file_ ? file_->size() : committed_bytes_;
    return s;
}

}  // namespace adxflow::file
