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

Error BadCheckpoint() {
    return MakeError(ErrorKind::kInvalidInput, "store.resume", "the checkpoint is not a file sink checkpoint",
                     "InvalidCheckpoint");
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
    const bool merge = settings_.copy_behavior == CopyBehavior::kMergeFiles || !location_.file_name.empty();
    merge_binary_ = format_.format == FileFormat::kBinary && merge;
    per_file_allowed_ = format_.format != FileFormat::kBinary && !merge;
}

StoreSink::~StoreSink() {
    if (!finished_) Abort();
}

Status StoreSink::OpenUpload(const std::string& path, const Json& checkpoint, const OpContext& ctx) {
    ADXFLOW_ASSIGN_OR_RETURN(upload_, store_->OpenWrite(path, checkpoint, ctx));
    encoder_ = MakeEncoder(format_.compression, *upload_);
    current_path_ = path;
    return Ok();
}

Status StoreSink::StartFile(const std::string& path, const Json& checkpoint, uint64_t file_rows,
                            const OpContext& ctx) {
    ADXFLOW_TRY(OpenUpload(path, checkpoint, ctx));
    rows_ = MakeRowWriter(format_, encoder_ ? *encoder_ : static_cast<ByteWriter&>(*upload_));
    return rows_->Begin(schema_, !checkpoint.is_null(), file_rows);
}

Status StoreSink::EndFile(const OpContext& ctx) {
    if (!upload_) return Ok();
    if (rows_) ADXFLOW_TRY(rows_->End());
    rows_.reset();
    if (encoder_) ADXFLOW_TRY(encoder_->Flush());
    ADXFLOW_ASSIGN_OR_RETURN(Json cp, upload_->Commit(ctx));
    // The file is whole: a resumed Finish that finds it renamed into place knows it is published.
    cp["prepared"] = true;
    ended_.push_back({current_path_, std::move(cp)});
    file_rows_ = 0;
    file_pending_rows_ = 0;
    CloseStreams();
    return Ok();
}

Status StoreSink::RestoreEnded(const Json& checkpoint) {
    const Json* ended = FindMember(checkpoint, "ended");
    if (!ended || !ended->is_array()) return BadCheckpoint();
    per_file_ = true;
    for (const Json& e : *ended) {
        const Json* path = FindMember(e, "path");
        const Json* upload = FindMember(e, "upload");
        if (!path || !path->is_string() || !upload || !upload->is_object()) return BadCheckpoint();
        ended_.push_back({path->get<std::string>(), *upload});
        used_targets_.insert(ended_.back().path);
    }
    return Ok();
}

Json StoreSink::EndedJson() const {
    Json out = Json::array();
    for (const auto& e : ended_) out.push_back({{"path", e.path}, {"upload", e.upload}});
    return out;
}

Status StoreSink::Open(const Schema& schema, const Json& checkpoint, const OpContext& ctx) {
    opened_ = true;
    schema_ = schema;
    if (format_.format == FileFormat::kBinary) {
        if (schema.size() != 2 || schema[0].name != kBinaryPathColumn || schema[1].name != kBinaryDataColumn)
            return MakeError(ErrorKind::kInvalidInput, "store.sink",
                             "a Binary sink copies files from a Binary source only",
                             "BinaryNeedsBinarySource", "outputs[0]");
        if (merge_binary_) ADXFLOW_TRY(OpenUpload(target_, nullptr, ctx));
        return Ok();
    }
    const bool per_file_checkpoint = checkpoint.is_object() && checkpoint.contains("ended");
    if (checkpoint.is_object() && checkpoint.value("prepared", false)) {
        // A prepared publication (PrepareFinish) of an earlier attempt: only Finish follows.
        prepared_ = true;
        committed_rows_ = checkpoint.value("rows", uint64_t{0});
        has_commit_ = true;
        if (per_file_checkpoint) return RestoreEnded(checkpoint);
        return OpenUpload(target_, checkpoint, ctx);
    }
    if (checkpoint.is_null()) {
        // Whether rows come file by file is known at the first batch.
        if (per_file_allowed_) {
            deferred_ = true;
            return Ok();
        }
        return StartFile(target_, nullptr, 0, ctx);
    }
    const Json* rows = FindMember(checkpoint, "rows");
    long long n = rows ? AsInt(*rows).value_or(-1) : -1;
    if (n < 0) return BadCheckpoint();
    committed_rows_ = static_cast<uint64_t>(n);
    has_commit_ = true;
    if (!per_file_checkpoint) return StartFile(target_, checkpoint, committed_rows_, ctx);
    ADXFLOW_TRY(RestoreEnded(checkpoint));
    const Json* source = FindMember(checkpoint, "source");
    if (!source || !source->is_string()) return BadCheckpoint();
    current_source_ = source->get<std::string>();
    file_rows_ = checkpoint.value("fileRows", uint64_t{0});
    return StartFile(TargetFor(current_source_), checkpoint, file_rows_, ctx);
}

std::string StoreSink::TargetFor(const std::string& source_path) {
    std::string path;
    if (settings_.copy_behavior == CopyBehavior::kFlattenHierarchy) {
        std::string flat = source_path;
        std::replace(flat.begin(), flat.end(), '/', '_');
        path = JoinStorePath(folder_, flat);
    } else {
        path = JoinStorePath(folder_, source_path);
    }
    // Flattening can give two files one name ("a/b_c.csv", "a_b/c.csv"): the later one (in path order, so
    // the same on every attempt) gets "_2", "_3", ... before its extension instead of overwriting.
    std::string unique = path;
    for (int n = 2; used_targets_.count(unique); ++n) {
        const std::string_view base = BaseName(path);
        const size_t dot = base.rfind('.');
        const size_t cut =
            path.size() - base.size() + (dot == std::string_view::npos || dot == 0 ? base.size() : dot);
        unique = path.substr(0, cut) + "_" + std::to_string(n) + path.substr(cut);
    }
    used_targets_.insert(unique);
    return unique;
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
            ADXFLOW_TRY(OpenUpload(TargetFor(*path), nullptr, ctx));
        }
        if (data && !data->empty()) ADXFLOW_TRY(encoder_ ? encoder_->Write(*data) : upload_->Write(*data));
    }
    return Ok();
}

Status StoreSink::Write(const RowBatch& batch, const OpContext& ctx) {
    ADXFLOW_TRY(ctx.CheckCancelled());
    if (!opened_) return Internal("store.write", "Write before Open");
    if (format_.format == FileFormat::kBinary) return WriteBinary(batch, ctx);
    if (deferred_) {
        deferred_ = false;
        per_file_ = !batch.source_file().empty();
        if (per_file_) {
            current_source_ = batch.source_file();
            ADXFLOW_TRY(StartFile(TargetFor(current_source_), nullptr, 0, ctx));
        } else {
            ADXFLOW_TRY(StartFile(target_, nullptr, 0, ctx));
        }
    } else if (per_file_ && !batch.source_file().empty() && batch.source_file() != current_source_) {
        ADXFLOW_TRY(EndFile(ctx));
        current_source_ = batch.source_file();
        ADXFLOW_TRY(StartFile(TargetFor(current_source_), nullptr, 0, ctx));
    }
    ADXFLOW_TRY(rows_->Write(batch));
    pending_rows_ += batch.rows();
    file_pending_rows_ += batch.rows();
    return Ok();
}

Result<Json> StoreSink::CommitChunk(const ChunkKey& key, const OpContext& ctx) {
    if (!opened_) return Internal("store.commit", "CommitChunk before Open");
    if (format_.format == FileFormat::kBinary) return Json(nullptr);
    // Nothing was written yet, so there is nothing to resume: the next attempt starts afresh.
    if (deferred_) return Json(nullptr);
    std::string key_text = key.ToString();
    // The same key twice (the engine retrying a commit) commits nothing new.
    if (key_text == last_key_ && pending_rows_ == 0) return last_checkpoint_;
    if (encoder_) ADXFLOW_TRY(encoder_->Flush());
    ADXFLOW_ASSIGN_OR_RETURN(Json cp, upload_->Commit(ctx));
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    file_rows_ += file_pending_rows_;
    file_pending_rows_ = 0;
    has_commit_ = true;
    last_key_ = std::move(key_text);
    cp["rows"] = committed_rows_;
    cp["chunk"] = key.chunk;
    if (per_file_) {
        cp["source"] = current_source_;
        cp["fileRows"] = file_rows_;
        cp["ended"] = EndedJson();
    }
    last_checkpoint_ = cp;
    return cp;
}

Result<Json> StoreSink::PrepareFinish(const OpContext& ctx) {
    if (!opened_ || format_.format == FileFormat::kBinary) return Json(nullptr);
    // No rows at all: the output is one file holding the preamble (a CSV header, "[]").
    if (deferred_) {
        deferred_ = false;
        ADXFLOW_TRY(StartFile(target_, nullptr, 0, ctx));
    }
    if (!upload_ || !rows_) return Json(nullptr);
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    Json cp;
    if (per_file_) {
        ADXFLOW_TRY(EndFile(ctx));
        cp = Json::object();
        cp["ended"] = EndedJson();
    } else {
        ADXFLOW_TRY(rows_->End());
        rows_.reset();
        if (encoder_) ADXFLOW_TRY(encoder_->Flush());
        ADXFLOW_ASSIGN_OR_RETURN(cp, upload_->Commit(ctx));
    }
    prepared_ = true;
    cp["rows"] = committed_rows_;
    cp["prepared"] = true;
    return cp;
}

Status StoreSink::Finish(const OpContext& ctx) {
    if (!opened_) return Internal("store.finish", "Finish before Open");
    if (deferred_) {
        deferred_ = false;
        ADXFLOW_TRY(StartFile(target_, nullptr, 0, ctx));
    }
    if (per_file_) {
        if (!prepared_) ADXFLOW_TRY(EndFile(ctx));
        committed_rows_ += pending_rows_;
        pending_rows_ = 0;
        for (const auto& file : ended_) {
            ADXFLOW_TRY(OpenUpload(file.path, file.upload, ctx));
            ADXFLOW_TRY(PublishCurrent(ctx));
        }
        finished_ = true;
        return Ok();
    }
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
    // Ended files of a per-file copy stay whole under their temporary names for the same reason.
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
