#include "connectors/blob/blob_store.hpp"

#include <cstdio>
#include <cstring>
#include <future>

namespace adxflow::blob {

namespace {

azure::CallOptions Call(const OpContext& ctx) {
    azure::CallOptions options;
    options.cancel = &ctx.cancel;
    return options;
}

// Names the blob in the errors of the Blob client, which only know the operation.
Error About(Error e, const std::string& where) {
    e.message = where + ": " + e.message;
    if (e.target.empty()) e.target = where;
    return e;
}

// Reads a blob by ranged GETs, one range ahead: while the caller parses one range, the next is on the wire
// (memory: two ranges). Without the read-ahead every range cost a full round trip of idle parsing.
class BlobReader final : public format::StoreReader {
  public:
    BlobReader(std::shared_ptr<azure::BlobClient> client, std::string container, std::string blob,
               uint64_t size, std::string where, const OpContext& ctx)
        : client_(std::move(client)),
          container_(std::move(container)),
          blob_(std::move(blob)),
          size_(size),
          where_(std::move(where)),
          ctx_(ctx) {}
    ~BlobReader() override {
        if (next_.valid()) next_.wait();  // the request holds references to this reader's members
    }

    Result<size_t> Read(char* buf, size_t n) override {
        if (pos_ == buffer_.size()) {
            if (!next_.valid()) {
                if (fetch_offset_ >= size_) return size_t{0};
                StartFetch();
            }
            auto got = next_.get();
            if (!got.ok()) return About(std::move(got).error(), where_);
            buffer_ = std::move(got).value();
            pos_ = 0;
            if (buffer_.empty())
                return MakeError(ErrorKind::kTransient, "blob.read",
                                 where_ + ": the blob ended before its listed size", "BlobChanged", where_);
            StartFetch();
        }
        size_t take = std::min(n, buffer_.size() - pos_);
        std::memcpy(buf, buffer_.data() + pos_, take);
        pos_ += take;
        bytes_read_ += take;
        return take;
    }
    uint64_t bytes_read() const override { return bytes_read_; }

  private:
    void StartFetch() {
        if (fetch_offset_ >= size_) return;
        azure::ByteRange range;
        range.offset = fetch_offset_;
        range.length = std::min(kReadRangeBytes, size_ - fetch_offset_);
        fetch_offset_ += *range.length;
        next_ = std::async(std::launch::async, [this, range] {
            return client_->GetBlob(container_, blob_, range, Call(ctx_), kReadRangeBytes);
        });
    }

    std::shared_ptr<azure::BlobClient> client_;
    std::string container_;
    std::string blob_;
    uint64_t size_;
    std::string where_;
    OpContext ctx_;  // a copy: the token shares its state with the caller's
    std::string buffer_;
    size_t pos_ = 0;
    uint64_t fetch_offset_ = 0;  // where the next range starts
    uint64_t bytes_read_ = 0;
    std::future<Result<std::string>> next_;
};

class BlockUpload final : public format::StoreUpload {
  public:
    BlockUpload(std::shared_ptr<azure::BlobClient> client, std::string container, std::string blob,
                std::string run_id, std::string activity_name, uint64_t block_size, std::string where,
                const OpContext& ctx)
        : client_(std::move(client)),
          container_(std::move(container)),
          blob_(std::move(blob)),
          run_id_(std::move(run_id)),
          activity_name_(std::move(activity_name)),
          block_size_(block_size),
          where_(std::move(where)),
          ctx_(ctx) {}

    Status Resume(const Json& checkpoint) {
        const Json* blob = FindMember(checkpoint, "blob");
        const Json* blocks = FindMember(checkpoint, "blocks");
        const Json* bytes = FindMember(checkpoint, "bytes");
        long long n = blocks ? AsInt(*blocks).value_or(-1) : -1;
        long long b = bytes ? AsInt(*bytes).value_or(-1) : -1;
        if (!blob || !blob->is_string() || n < 0 || b < 0)
            return MakeError(ErrorKind::kInvalidInput, "blob.resume",
                             "the checkpoint is not a blob sink checkpoint", "InvalidCheckpoint");
        if (blob->get<std::string>() != blob_)
            return MakeError(ErrorKind::kConflict, "blob.resume",
                             "the checkpoint names blob " + blob->get<std::string>() + ", not " + blob_,
                             "CheckpointMismatch");
        blocks_ = static_cast<size_t>(n);
        staged_bytes_ = static_cast<uint64_t>(b);
        return Ok();
    }

    Status Write(std::string_view data) override {
        while (!data.empty()) {
            size_t take = std::min<size_t>(data.size(), block_size_ - buffer_.size());
            buffer_.append(data.substr(0, take));
            data.remove_prefix(take);
            if (buffer_.size() >= block_size_) ADXFLOW_TRY(StageBuffer());
        }
        return Ok();
    }
    Status Flush() override { return Ok(); }  // blocks go out when full, on Commit and on Publish
    uint64_t size() const override { return staged_bytes_ + buffer_.size(); }

    Result<Json> Commit(const OpContext&) override {
        ADXFLOW_TRY(StageBuffer());
        return Json{{"blob", blob_}, {"blocks", blocks_}, {"bytes", staged_bytes_}};
    }

    Status Publish(const OpContext&) override {
        ADXFLOW_TRY(StageBuffer());
        std::vector<std::string> ids;
        ids.reserve(blocks_);
        for (size_t i = 0; i < blocks_; ++i) ids.push_back(BlobStore::BlockId(run_id_, activity_name_, i));
        Status st = client_->PutBlockList(container_, blob_, ids, ContentType(), Call(ctx_));
        if (!st.ok()) return About(std::move(st).error(), where_);
        return Ok();
    }

    void Abort(bool) noexcept override { buffer_.clear(); }  // staged blocks stay invisible and expire

  private:
    Status StageBuffer() {
        if (buffer_.empty()) return Ok();
        if (blocks_ >= 50000)
            return MakeError(ErrorKind::kTooLarge, "blob.put_block",
                             where_ + ": a block blob holds at most 50,000 blocks; raise blockSizeInMB",
                             "TooManyBlocks", "sink.storeSettings.blockSizeInMB");
        Status st = client_->PutBlock(container_, blob_, BlobStore::BlockId(run_id_, activity_name_, blocks_),
                                      buffer_, Call(ctx_));
        if (!st.ok()) return About(std::move(st).error(), where_);
        ++blocks_;
        staged_bytes_ += buffer_.size();
        buffer_.clear();
        return Ok();
    }
    std::string ContentType() const {
        auto ends = [&](const char* ext) {
            size_t n = std::strlen(ext);
            return blob_.size() >= n && IEquals(std::string_view(blob_).substr(blob_.size() - n), ext);
        };
        if (ends(".csv")) return "text/csv";
        if (ends(".json")) return "application/json";
        if (ends(".gz")) return "application/gzip";
        return "application/octet-stream";
    }

    std::shared_ptr<azure::BlobClient> client_;
    std::string container_;
    std::string blob_;
    std::string run_id_;
    std::string activity_name_;
    uint64_t block_size_;
    std::string where_;
    OpContext ctx_;  // a copy: the token shares its state with the caller's
    std::string buffer_;
    size_t blocks_ = 0;
    uint64_t staged_bytes_ = 0;
};

}  // namespace

BlobStore::BlobStore(std::shared_ptr<azure::BlobClient> client, std::string container, std::string run_id,
                     std::string activity_name, uint64_t block_size)
    : client_(std::move(client)),
      container_(std::move(container)),
      run_id_(std::move(run_id)),
      activity_name_(std::move(activity_name)),
      block_size_(block_size == 0 ? kDefaultBlockBytes : block_size) {}

std::string BlobStore::BlockId(const std::string& run_id, const std::string& activity_name, size_t index) {
    // FNV-1a: stable across processes and builds, unlike std::hash.
    uint64_t h = 1469598103934665603ull;
    for (char c : run_id + "/" + activity_name) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx-%06zu", static_cast<unsigned long long>(h), index);
    return buf;
}

std::string BlobStore::Describe(const std::string& path) const {
    return client_->account().blob_endpoint + "/" + container_ + "/" + path;
}

Result<std::vector<format::StoreEntry>> BlobStore::List(const format::ListRequest& request,
                                                        const OpContext& ctx) {
    azure::ListBlobsOptions list;
    list.prefix = !request.name_prefix.empty() ? request.name_prefix
                  : request.folder.empty()     ? std::string()
                                               : request.folder + "/";
    if (!request.recursive) list.delimiter = "/";
    std::vector<format::StoreEntry> out;
    for (;;) {
        ADXFLOW_TRY(ctx.CheckCancelled());
        auto page = client_->ListBlobs(container_, list, Call(ctx));
        if (!page.ok()) return About(std::move(page).error(), Describe(request.folder));
        for (auto& b : page->blobs) {
            // Zero-length names ending in '/' are folder markers (hierarchical namespace, some tools).
            if (!b.name.empty() && b.name.back() == '/') continue;
            format::StoreEntry e;
            e.path = std::move(b.name);
            e.size = b.content_length;
            e.modified = format::ParseHttpDate(b.last_modified);
            out.push_back(std::move(e));
        }
        if (page->next_marker.empty()) break;
        list.marker = page->next_marker;
    }
    return out;
}

Result<std::unique_ptr<format::StoreReader>> BlobStore::OpenRead(const format::StoreEntry& entry,
                                                                 const OpContext& ctx) {
    return std::unique_ptr<format::StoreReader>(
        std::make_unique<BlobReader>(client_, container_, entry.path, entry.size, Describe(entry.path), ctx));
}

Status BlobStore::Delete(const format::StoreEntry& entry, const OpContext& ctx) {
    Status st = client_->DeleteBlob(container_, entry.path, Call(ctx));
    if (!st.ok()) return About(std::move(st).error(), Describe(entry.path));
    return Ok();
}

Result<std::unique_ptr<format::StoreUpload>> BlobStore::OpenWrite(const std::string& path,
                                                                  const Json& checkpoint,
                                                                  const OpContext& ctx) {
    if (path.empty() || path.back() == '/')
        return MakeError(ErrorKind::kInvalidInput, "blob.write", "the blob to write has no name",
                         "InvalidBlobName", "dataset.typeProperties.location.fileName");
    auto upload = std::make_unique<BlockUpload>(client_, container_, path, run_id_, activity_name_,
                                                block_size_, Describe(path), ctx);
    if (!checkpoint.is_null()) ADXFLOW_TRY(upload->Resume(checkpoint));
    return std::unique_ptr<format::StoreUpload>(std::move(upload));
}

}  // namespace adxflow::blob
