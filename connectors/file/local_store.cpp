#include "connectors/file/local_store.hpp"

#include <sys/stat.h>

namespace adxflow::file {

namespace fs = std::filesystem;

namespace {

const std::string kLocationPath = "dataset.typeProperties.location";

class LocalReader final : public format::StoreReader {
  public:
    explicit LocalReader(std::unique_ptr<format::FileReader> file) : file_(std::move(file)) {}
    Result<size_t> Read(char* buf, size_t n) override { return file_->Read(buf, n); }
    uint64_t bytes_read() const override { return file_->bytes_read(); }

  private:
    std::unique_ptr<format::FileReader> file_;
};

class LocalUpload final : public format::StoreUpload {
  public:
    LocalUpload(fs::path target, fs::path temp) : target_(std::move(target)), temp_(std::move(temp)) {}
    ~LocalUpload() override {
        if (!published_) Abort(false);
    }

    Status Start(const Json& checkpoint) {
        std::error_code ec;
        fs::create_directories(target_.parent_path(), ec);
        if (ec) return format::ErrnoError(ec.value(), "file.create_folder", target_.parent_path());
        if (checkpoint.is_null()) {
            ADXFLOW_ASSIGN_OR_RETURN(file_,
                                     format::FileWriter::Open(temp_, format::FileWriter::Mode::kTruncate));
            return Ok();
        }
        const Json* path = FindMember(checkpoint, "path");
        const Json* bytes = FindMember(checkpoint, "bytes");
        long long bytes_n = bytes ? AsInt(*bytes).value_or(-1) : -1;
        if (!path || !path->is_string() || bytes_n < 0)
            return MakeError(ErrorKind::kInvalidInput, "file.resume",
                             "the checkpoint is not a file sink checkpoint", "InvalidCheckpoint");
        // Never truncate a file the checkpoint names unless it is the temp file this sink would write.
        if (path->get<std::string>() != temp_.string())
            return MakeError(ErrorKind::kConflict, "file.resume",
                             "the checkpoint names " + path->get<std::string>() +
                                 ", not this sink's temp file " + temp_.string(),
                             "CheckpointMismatch");
        committed_ = static_cast<uint64_t>(bytes_n);
        has_commit_ = true;
        auto opened = format::FileWriter::Open(temp_, format::FileWriter::Mode::kResume, committed_);
        if (!opened.ok()) {
            Error e = std::move(opened).error();
            // A prepared publication (the whole file, its final size known) whose temp file is gone was
            // renamed into place before the daemon died: it is published.
            std::error_code size_ec;
            if (e.kind == ErrorKind::kNotFound && checkpoint.value("prepared", false) &&
                fs::file_size(target_, size_ec) == committed_ && !size_ec) {
                size_ = committed_;
                published_ = true;
                return Ok();
            }
            if (e.kind == ErrorKind::kNotFound) {
                e.kind = ErrorKind::kConflict;
                e.message =
                    "cannot resume: the temp file of the committed chunks is gone (" + e.message + ")";
            }
            return e;
        }
        file_ = std::move(opened).value();
        return Ok();
    }

    Status Write(std::string_view data) override { return file_->Write(data); }
    Status Flush() override { return file_ ? file_->Flush() : Ok(); }  // none once found published
    uint64_t size() const override { return file_ ? file_->size() : size_; }

    Result<Json> Commit(const OpContext&) override {
        ADXFLOW_TRY(file_->Sync());
        committed_ = file_->size();
        has_commit_ = true;
        return Json{{"path", temp_.string()}, {"bytes", committed_}};
    }

    Status Publish(const OpContext&) override {
        if (published_) return Ok();  // found published by Start
        ADXFLOW_TRY(file_->Sync());
        size_ = file_->size();
        file_->Close();
        file_.reset();
        std::error_code ec;
        fs::rename(temp_, target_, ec);
        if (ec) return format::ErrnoError(ec.value(), "file.rename", target_);
        ADXFLOW_TRY(format::SyncDirectory(target_.parent_path()));
        published_ = true;
        return Ok();
    }

    void Abort(bool discard_all) noexcept override {
        if (published_) return;
        if (file_) {
            // Uncommitted bytes are dropped now rather than at the resume, so the temp file on disk always
            // ends at a commit point.
            file_->DiscardAfter(committed_);
            file_->Close();
            file_.reset();
        }
        if (discard_all || !has_commit_) {
            std::error_code ec;
            fs::remove(temp_, ec);  // nothing to resume from
        }
    }

  private:
    fs::path target_;
    fs::path temp_;
    std::unique_ptr<format::FileWriter> file_;
    uint64_t committed_ = 0;
    uint64_t size_ = 0;
    bool has_commit_ = false;
    bool published_ = false;
};

}  // namespace

Result<fs::path> LocalStore::Resolve(const std::string& path, std::string_view target) const {
    return guard_.Resolve(path.empty() ? host_ : host_ / path, target);
}

Result<std::vector<format::StoreEntry>> LocalStore::List(const format::ListRequest& request,
                                                         const OpContext& ctx) {
    ADXFLOW_ASSIGN_OR_RETURN(fs::path folder, Resolve(request.folder, kLocationPath + ".folderPath"));
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
        if (ec && ec != std::errc::no_such_file_or_directory)
            return format::ErrnoError(ec.value(), "file.list", folder);
        return MakeError(ErrorKind::kNotFound, "file.list", "folder " + folder.string() + " does not exist",
                         "FileNotFound", folder.string());
    }
    std::vector<format::StoreEntry> out;
    auto consider = [&](const fs::directory_entry& entry) -> Status {
        std::error_code type_ec;
        if (!entry.is_regular_file(type_ec)) return Ok();
        std::string rel =
            format::JoinStorePath(request.folder, entry.path().lexically_relative(folder).generic_string());
        if (!request.name_prefix.empty() && rel.rfind(request.name_prefix, 0) != 0) return Ok();
        // A symlink inside the folder may point anywhere: resolve and check it like any other path.
        ADXFLOW_ASSIGN_OR_RETURN(fs::path resolved,
                                 guard_.Resolve(entry.path(), kLocationPath + ".folderPath"));
        format::StoreEntry e;
        e.path = std::move(rel);
        e.size = entry.file_size(type_ec);
        struct stat st {};
        if (::stat(resolved.c_str(), &st) == 0)
            e.modified = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec) +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::nanoseconds(st.st_mtim.tv_nsec));
        out.push_back(std::move(e));
        return Ok();
    };
    if (request.recursive) {
        fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            if (it->is_directory() && it->path().filename().string().starts_with(".")) {
                it.disable_recursion_pending();
                continue;
            }
            ADXFLOW_TRY(consider(*it));
        }
    } else {
        fs::directory_iterator it(folder, ec), end;
        for (; !ec && it != end; it.increment(ec)) ADXFLOW_TRY(consider(*it));
    }
    if (ec) return format::ErrnoError(ec.value(), "file.list", folder);
    ADXFLOW_TRY(ctx.CheckCancelled());
    return out;
}

Result<std::unique_ptr<format::StoreReader>> LocalStore::OpenRead(const format::StoreEntry& entry,
                                                                  const OpContext&) {
    ADXFLOW_ASSIGN_OR_RETURN(fs::path path, Resolve(entry.path, kLocationPath + ".fileName"));
    ADXFLOW_ASSIGN_OR_RETURN(auto file, format::FileReader::Open(path));
    return std::unique_ptr<format::StoreReader>(std::make_unique<LocalReader>(std::move(file)));
}

Status LocalStore::Delete(const format::StoreEntry& entry, const OpContext&) {
    ADXFLOW_ASSIGN_OR_RETURN(fs::path path, Resolve(entry.path, kLocationPath + ".fileName"));
    std::error_code ec;
    if (!fs::remove(path, ec) && ec) return format::ErrnoError(ec.value(), "file.delete", path);
    return Ok();
}

Result<std::unique_ptr<format::StoreUpload>> LocalStore::OpenWrite(const std::string& path,
                                                                   const Json& checkpoint, const OpContext&) {
    ADXFLOW_ASSIGN_OR_RETURN(fs::path target, Resolve(path, kLocationPath + ".fileName"));
    // Derived from the run and the activity only, so that the next attempt of the same activity run finds it.
    std::string temp_name = "." + target.filename().string() + ".adxflow-" + SanitizeForFileName(run_id_) +
                            "-" + SanitizeForFileName(activity_name_) + ".tmp";
    auto upload = std::make_unique<LocalUpload>(target, target.parent_path() / temp_name);
    ADXFLOW_TRY(upload->Start(checkpoint));
    return std::unique_ptr<format::StoreUpload>(std::move(upload));
}

}  // namespace adxflow::file
