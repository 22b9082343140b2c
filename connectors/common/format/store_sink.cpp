#include "connectors/common/format/store_sink.hpp"

namespace adxflow::format {

namespace {

std::string SafeName(std::string_view s) {
    std::string out;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        out += ok ? c : '_';
    }
    return out;
}

Error Internal(const char* op, const char* message) {
    return MakeError(ErrorKind::kInternal, op, message);
}

}  // namespace

StoreSink::StoreSink(std::unique_ptr<FileStore> store, StoreLocation location, FormatSpec format,
                     StoreWriteSettings settings, std::string run_id, std::string activity_name)
    : store_(std::move(store)),
      location_(std::move(location)),
      format_(std::move(format)),
      settings_(std::move(settings)),
      run_id_(std::move(run_id)),
      activity_name_(std::move(activity_name)) {
    folder_ = NormalizeFolder(location_.folder_path);
    std::string name = location_.file_name;
    if (name.empty()) name = "data_" + SafeName(run_id_) + DefaultExtension(format_);
    target_ = JoinStorePath(folder_, name);
    merge_binary_ = format_.format == FileFormat::kBinary &&
                    (settings_.copy_behavior == CopyBehavior::kMergeFiles || !location_.file_name.empty());
}

StoreSink::~StoreSink() {
    if (!finished_) Abort();
}

Status StoreSink::OpenUpload(const std::string& path, const Json& checkpoint, const OpContext& ctx) {
    ADXFLOW_ASSIGN_OR_RETURN(upload_, store_->OpenWrite(path, checkpoint, ctx));
    encoder_ = MakeEncoder(format_.compression, *upload_);
    return Ok();
}

Status StoreSink::Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) {
    opened_ = true;
    if (format_.format == FileFormat::kBinary) {
        if (schema.size() != 2 || schema[0].name != kBinaryPathColumn || schema[1].name != kBinaryDataColumn)
            return MakeError(ErrorKind::kInvalidInput, "store.sink",
                             "a Binary sink copies files from a Binary source only",
                             "BinaryNeedsBinarySource", "outputs[0]");
        if (merge_binary_) ADXFLOW_TRY(OpenUpload(target_, nullptr, ctx));
        return Ok();
    }
    if (checkpoint.is_object() && checkpoint.value("prepared", false)) {
        // A prepared publication (PrepareFinish) of an earlier attempt: only Finish follows.
        prepared_ = true;
        committed_rows_ = checkpoint.value("rows", uint64_t{0});
        has_commit_ = true;
        return OpenUpload(target_, checkpoint, ctx);
    }
    const bool resume = !checkpoint.is_null();
    if (resume) {
        const Json* rows = FindMember(checkpoint, "rows");
        long long n = rows ? AsInt(*rows).value_or(-1) : -1;
        if (n < 0)
            return MakeError(ErrorKind::kInvalidInput, "store.resume",
                             "the checkpoint is not a file sink checkpoint", "InvalidCheckpoint");
        committed_rows_ = static_cast<uint64_t>(n);
        has_commit_ = true;
    }
    ADXFLOW_TRY(OpenUpload(target_, checkpoint, ctx));
    rows_ = MakeRowWriter(format_, encoder_ ? *encoder_ : static_cast<ByteWriter&>(*upload_));
    return rows_->Begin(schema, resume, committed_rows_);
}

std::string StoreSink::BinaryTarget(const std::string& source_path) const {
    if (settings_.copy_behavior == CopyBehavior::kFlattenHierarchy) {
        std::string flat = source_path;
        std::replace(flat.begin(), flat.end(), '/', '_');
        return JoinStorePath(folder_, flat);
    }
    return JoinStorePath(folder_, source_path);
}

Status StoreSink::PublishCurrent(const OpContext& ctx) {
    if (!upload_) return Ok();
    if (encoder_) ADXFLOW_TRY(encoder_->Flush());
    ADXFLOW_TRY(upload_->Publish(ctx));
    published_bytes_ += upload_->size();
    ++files_written_;
    CloseStreams();
    return Ok();
}

Status StoreSink::WriteBinary(const RowBatch& batch, const OpContext& ctx) {
    for (size_t r = 0; r < batch.rows(); ++r) {
        const Value* row = batch.Row(r);
        const auto* path = std::get_if<std::string>(&row[0]);
        const auto* data = std::get_if<std::string>(&row[1]);
        if (!path) return Internal("store.write", "binary row without a path");
        if (!merge_binary_ && *path != current_source_) {
            ADXFLOW_TRY(PublishCurrent(ctx));
            current_source_ = *path;
            ADXFLOW_TRY(OpenUpload(BinaryTarget(*path), nullptr, ctx));
        }
        if (data && !data->empty()) ADXFLOW_TRY(encoder_ ? encoder_->Write(*data) : upload_->Write(*data));
    }
    return Ok();
}

Status StoreSink::Write(const RowBatch& batch, const OpContext& ctx) {
    ADXFLOW_TRY(ctx.CheckCancelled());
    if (!opened_) return Internal("store.write", "Write before Open");
    if (format_.format == FileFormat::kBinary) return WriteBinary(batch, ctx);
    ADXFLOW_TRY(rows_->Write(batch));
    pending_rows_ += batch.rows();
    return Ok();
}

Result<Json> StoreSink::CommitChunk(const ChunkKey& key, const OpContext& ctx) {
    if (!opened_) return Internal("store.commit", "CommitChunk before Open");
    if (format_.format == FileFormat::kBinary) return Json(nullptr);
    std::string key_text = key.ToString();
    // The same key twice (the engine retrying a commit) commits nothing new.
    if (key_text == last_key_ && pending_rows_ == 0) return last_checkpoint_;
    if (encoder_) ADXFLOW_TRY(encoder_->Flush());
    ADXFLOW_ASSIGN_OR_RETURN(Json cp, upload_->Commit(ctx));
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    has_commit_ = true;
    last_key_ = std::move(key_text);
    cp["rows"] = committed_rows_;
    cp["chunk"] = key.chunk;
    last_checkpoint_ = cp;
    return cp;
}

Result<Json> StoreSink::PrepareFinish(const OpContext& ctx) {
    if (!opened_ || format_.format == FileFormat::kBinary || !upload_ || !rows_) return Json(nullptr);
    ADXFLOW_TRY(rows_->End());
    rows_.reset();
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    if (encoder_) ADXFLOW_TRY(encoder_->Flush());
    ADXFLOW_ASSIGN_OR_RETURN(Json cp, upload_->Commit(ctx));
    prepared_ = true;
    cp["rows"] = committed_rows_;
    cp["prepared"] = true;
    return cp;
}

Status StoreSink::Finish(const OpContext& ctx) {
    if (!opened_) return Internal("store.finish", "Finish before Open");
    if (rows_ && !prepared_) {
        ADXFLOW_TRY(rows_->End());
        committed_rows_ += pending_rows_;
        pending_rows_ = 0;
    }
    ADXFLOW_TRY(PublishCurrent(ctx));
    finished_ = true;
    return Ok();
}

void StoreSink::CloseStreams() noexcept {
    rows_.reset();
    encoder_.reset();
    upload_.reset();
}

void StoreSink::Abort() noexcept {
    if (finished_) return;
    rows_.reset();
    encoder_.reset();
    // A tabular upload keeps its committed part for the next attempt; a binary one has nothing to resume.
    if (upload_) upload_->Abort(/*discard_all=*/format_.format == FileFormat::kBinary || !has_commit_);
    upload_.reset();
}

SinkStats StoreSink::stats() const {
    SinkStats s;
    s.rows_written = format_.format == FileFormat::kBinary ? 0 : committed_rows_ + pending_rows_;
    s.bytes_written = published_bytes_ + (upload_ ? upload_->size() : 0);
    s.files_written = files_written_;
    return s;
}

}  // namespace adxflow::format
