#include "connectors/common/format/store_sink.hpp"

#include <algorithm>
#include <cstdio>

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

// Where a name's extension starts, counting a compression suffix with the extension before it
// ("a.csv.gz" -> ".csv.gz"); the end of the name when it has none.
size_t ExtensionStart(std::string_view path) {
    const std::string_view base = BaseName(path);
    const size_t base_at = path.size() - base.size();
    size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return path.size();
    const std::string_view ext = base.substr(dot);
    if (ext == ".gz" || ext == ".deflate" || ext == ".bz2" || ext == ".zip" || ext == ".lz4" ||
        ext == ".snappy") {
        const size_t before = base.rfind('.', dot - 1);
        if (before != std::string_view::npos && before > 0) dot = before;
    }
    return base_at + dot;
}

std::string WithSuffix(const std::string& path, std::string_view suffix) {
    const size_t cut = ExtensionStart(path);
    std::string out = path.substr(0, cut);
    out.append(suffix).append(path, cut);
    return out;
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
    const bool tabular = format_.format != FileFormat::kBinary;
    if (tabular && settings_.max_rows_per_file > 0)
        max_rows_per_file_ = static_cast<uint64_t>(settings_.max_rows_per_file);
    std::string name = location_.file_name;
    if (name.empty()) {
        // With maxRowsPerFile the name is the parts' prefix: "<prefix>_00000<ext>".
        name = max_rows_per_file_ && !settings_.file_name_prefix.empty() ? settings_.file_name_prefix
                                                                         : "data_" + SafeName(run_id_);
        name += DefaultExtension(format_);
    }
    target_ = JoinStorePath(folder_, name);
    const bool merge = settings_.copy_behavior == CopyBehavior::kMergeFiles || !location_.file_name.empty();
    merge_binary_ = !tabular && merge;
    per_file_allowed_ = tabular && !merge;
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

Status StoreSink::StartPart(const std::string& base, uint64_t part, const OpContext& ctx) {
    current_base_ = base;
    part_ = part;
    const std::string path = PartPath(base, part);
    used_paths_.insert(path);
    return StartFile(path, nullptr, 0, ctx);
}

Status StoreSink::StartOutput(const std::string& source_file, const OpContext& ctx) {
    deferred_ = false;
    per_file_ = per_file_allowed_ && !source_file.empty();
    several_ = per_file_ || max_rows_per_file_ > 0;
    if (!several_) return StartFile(target_, nullptr, 0, ctx);
    current_source_ = source_file;
    return StartPart(per_file_ ? TargetFor(source_file) : target_, 0, ctx);
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

Status StoreSink::RestoreSeveral(const Json& checkpoint, const OpContext& ctx) {
    const Json* ended = FindMember(checkpoint, "ended");
    if (!ended || !ended->is_array()) return BadCheckpoint();
    several_ = true;
    for (const Json& e : *ended) {
        const Json* path = FindMember(e, "path");
        const Json* upload = FindMember(e, "upload");
        if (!path || !path->is_string() || !upload || !upload->is_object()) return BadCheckpoint();
        ended_.push_back({path->get<std::string>(), *upload});
        used_paths_.insert(ended_.back().path);
    }
    if (prepared_) return Ok();  // every file is ended: only Finish follows
    const Json* target = FindMember(checkpoint, "target");
    const Json* base = FindMember(checkpoint, "base");
    const Json* source = FindMember(checkpoint, "source");
    if (!target || !target->is_string() || !base || !base->is_string() || !source || !source->is_string())
        return BadCheckpoint();
    current_source_ = source->get<std::string>();
    per_file_ = !current_source_.empty();
    current_base_ = base->get<std::string>();
    part_ = checkpoint.value("part", uint64_t{0});
    file_rows_ = checkpoint.value("fileRows", uint64_t{0});
    used_paths_.insert(target->get<std::string>());
    return StartFile(target->get<std::string>(), checkpoint, file_rows_, ctx);
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
    if (checkpoint.is_null()) {
        // Whether rows come file by file is known at the first batch.
        deferred_ = true;
        return Ok();
    }
    const Json* rows = FindMember(checkpoint, "rows");
    long long n = rows ? AsInt(*rows).value_or(-1) : -1;
    if (n < 0) return BadCheckpoint();
    committed_rows_ = static_cast<uint64_t>(n);
    has_commit_ = true;
    // A prepared publication (PrepareFinish) of an earlier attempt: only Finish follows.
    prepared_ = checkpoint.value("prepared", false);
    if (checkpoint.contains("ended")) return RestoreSeveral(checkpoint, ctx);
    if (prepared_) return OpenUpload(target_, checkpoint, ctx);
    return StartFile(target_, checkpoint, committed_rows_, ctx);
}

std::string StoreSink::PartPath(const std::string& base, uint64_t part) const {
    if (max_rows_per_file_ == 0) return base;
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "_%05llu", static_cast<unsigned long long>(part));
    return WithSuffix(base, suffix);
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
    for (int n = 2; used_paths_.count(PartPath(unique, 0)); ++n)
        unique = WithSuffix(path, "_" + std::to_string(n));
    if (format_.format == FileFormat::kBinary) used_paths_.insert(unique);
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

Status StoreSink::WriteRows(const RowBatch& batch, size_t begin, size_t end) {
    if (begin == 0 && end == batch.rows()) {
        ADXFLOW_TRY(rows_->Write(batch));
    } else {
        slice_.Reset(batch.width());
        for (size_t r = begin; r < end; ++r) {
            Value* dst = slice_.AddRow();
            const Value* src = batch.Row(r);
            for (size_t c = 0; c < batch.width(); ++c) dst[c] = src[c];
        }
        ADXFLOW_TRY(rows_->Write(slice_));
    }
    pending_rows_ += end - begin;
    file_pending_rows_ += end - begin;
    return Ok();
}

Status StoreSink::Write(const RowBatch& batch, const OpContext& ctx) {
    ADXFLOW_TRY(ctx.CheckCancelled());
    if (!opened_) return Internal("store.write", "Write before Open");
    if (format_.format == FileFormat::kBinary) return WriteBinary(batch, ctx);
    if (deferred_) {
        ADXFLOW_TRY(StartOutput(batch.source_file(), ctx));
    } else if (per_file_ && !batch.source_file().empty() && batch.source_file() != current_source_) {
        ADXFLOW_TRY(EndFile(ctx));
        current_source_ = batch.source_file();
        ADXFLOW_TRY(StartPart(TargetFor(current_source_), 0, ctx));
    }
    if (max_rows_per_file_ == 0) return WriteRows(batch, 0, batch.rows());
    for (size_t done = 0; done < batch.rows();) {
        const uint64_t in_file = file_rows_ + file_pending_rows_;
        if (in_file >= max_rows_per_file_) {
            ADXFLOW_TRY(EndFile(ctx));
            ADXFLOW_TRY(StartPart(current_base_, part_ + 1, ctx));
            continue;
        }
        const size_t take =
            static_cast<size_t>(std::min<uint64_t>(max_rows_per_file_ - in_file, batch.rows() - done));
        ADXFLOW_TRY(WriteRows(batch, done, done + take));
        done += take;
    }
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
    if (several_) {
        cp["ended"] = EndedJson();
        cp["target"] = current_path_;
        cp["base"] = current_base_;
        cp["source"] = current_source_;
        cp["part"] = part_;
        cp["fileRows"] = file_rows_;
    }
    last_checkpoint_ = cp;
    return cp;
}

Result<Json> StoreSink::PrepareFinish(const OpContext& ctx) {
    if (!opened_ || format_.format == FileFormat::kBinary) return Json(nullptr);
    // No rows at all: the output is one file holding the preamble (a CSV header, "[]").
    if (deferred_) ADXFLOW_TRY(StartOutput({}, ctx));
    if (!upload_ || !rows_) return Json(nullptr);
    committed_rows_ += pending_rows_;
    pending_rows_ = 0;
    Json cp;
    if (several_) {
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
    if (deferred_) ADXFLOW_TRY(StartOutput({}, ctx));
    if (several_) {
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
    // Ended files of a several-file output stay whole under their temporary names for the same reason.
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
