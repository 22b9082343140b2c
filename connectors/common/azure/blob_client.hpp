#pragma once
// Azure Blob Storage REST calls used by the connectors: containers, block blobs (single shot and block by
// block), ranged and streamed reads, properties, listing with paging, delete.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/azure/storage_client.hpp"

namespace adxflow::azure {

struct BlobProperties {
    std::string name;
    uint64_t content_length = 0;
    std::string content_type;
    std::string content_encoding;
    std::string content_md5;  // base64, as the service reports it; may be empty
    std::string etag;
    std::string last_modified;  // RFC 1123 text as returned
    std::string blob_type;      // "BlockBlob", "AppendBlob", "PageBlob"
};

struct ByteRange {
    uint64_t offset = 0;
    std::optional<uint64_t> length;  // nullopt: to the end of the blob
};

struct ListBlobsOptions {
    std::string prefix;
    std::string delimiter;  // e.g. "/" to list one virtual directory level
    std::string marker;     // continuation from the previous page's next_marker
    int max_results = 0;    // 0: the service default (5000)
};

struct ListBlobsPage {
    std::vector<BlobProperties> blobs;
    std::vector<std::string> prefixes;  // virtual directories when a delimiter was given
    std::string next_marker;            // empty on the last page
};

class BlobClient {
  public:
    BlobClient(StorageAccount account, http::HttpClient& http);

    // Succeeds when the container already exists.
    Status CreateContainer(const std::string& container, const CallOptions& options = {}) const;
    // Succeeds when the container does not exist.
    Status DeleteContainer(const std::string& container, const CallOptions& options = {}) const;

    // Uploads a whole block blob in one request (the service accepts up to 5000 MiB; keep it to a few MiB).
    Status PutBlob(const std::string& container, const std::string& blob, std::string_view data,
                   const std::string& content_type = "application/octet-stream",
                   const CallOptions& options = {}) const;
    // Stages one block. `block_id` is the raw id (base64-encoded here); all ids of a blob must have the same
    // length, which MakeBlockId() guarantees.
    Status PutBlock(const std::string& container, const std::string& blob, const std::string& block_id,
                    std::string_view data, const CallOptions& options = {}) const;
    // Commits the staged blocks in order (raw ids, as given to PutBlock).
    Status PutBlockList(const std::string& container, const std::string& blob,
                        const std::vector<std::string>& block_ids,
                        const std::string& content_type = "application/octet-stream",
                        const CallOptions& options = {}) const;
    // PutBlob when `data` fits in one block, otherwise PutBlock per `block_size` bytes and PutBlockList.
    Status Upload(const std::string& container, const std::string& blob, std::string_view data,
                  uint64_t block_size = 8ull << 20,
                  const std::string& content_type = "application/octet-stream",
                  const CallOptions& options = {}) const;

    // Reads the blob (or a range of it, via x-ms-range) into memory; capped at `max_bytes`.
    Result<std::string> GetBlob(const std::string& container, const std::string& blob,
                                std::optional<ByteRange> range = std::nullopt,
                                const CallOptions& options = {}, uint64_t max_bytes = 256ull << 20) const;
    // Streams the blob (or a range) to `on_chunk`; returns the properties from the response headers.
    Result<BlobProperties> GetBlobStreaming(const std::string& container, const std::string& blob,
                                            std::optional<ByteRange> range,
                                            const http::BodyChunkHandler& on_chunk,
                                            const CallOptions& options = {}) const;
    Result<BlobProperties> GetProperties(const std::string& container, const std::string& blob,
                                         const CallOptions& options = {}) const;
    Result<ListBlobsPage> ListBlobs(const std::string& container, const ListBlobsOptions& list = {},
                                    const CallOptions& options = {}) const;
    // kNotFound when the blob does not exist.
    Status DeleteBlob(const std::string& container, const std::string& blob,
                      const CallOptions& options = {}) const;

    const StorageAccount& account() const { return transport_.account(); }

  private:
    StorageTransport transport_;
};

// "block-000042": same length for every index below a million.
std::string MakeBlockId(size_t index);

// "/container/dir/name%20x.csv": the encoded path of a blob relative to the blob endpoint.
std::string BlobPath(const std::string& container, const std::string& blob);

}  // namespace adxflow::azure
