#pragma once
// A blob container as a FileStore (connectors/common/format/store.hpp), through the project's Blob REST
// client.
//
// Reads stream by ranged GETs of kReadRangeBytes, one range ahead: memory is two ranges whatever the blob
// size. Writes stage blocks of `block_size` bytes (Put Block) and commit them with Put Block List on Publish,
// so a blob appears whole or not at all: an upload that fails or is killed leaves only uncommitted blocks,
// which the service discards (after a week; they are invisible until then). Block ids are derived from the
// run and the activity, so that the next attempt of the same activity run re-stages the same ids: Commit
// returns {"blob", "blocks", "bytes"} and a resumed upload continues with the next block.

#include <memory>
#include <string>

#include "connectors/common/azure/blob_client.hpp"
#include "connectors/common/format/store.hpp"

namespace adxflow::blob {

inline constexpr uint64_t kReadRangeBytes = 4ull << 20;
inline constexpr uint64_t kDefaultBlockBytes = 8ull << 20;

class BlobStore : public format::FileStore {
  public:
    // `client` must outlive the store (the connector keeps it with the store).
    BlobStore(std::shared_ptr<azure::BlobClient> client, std::string container, std::string run_id,
              std::string activity_name, uint64_t block_size = kDefaultBlockBytes);

    Result<std::vector<format::StoreEntry>> List(const format::ListRequest& request,
                                                 const OpContext& ctx) override;
    Result<std::unique_ptr<format::StoreReader>> OpenRead(const format::StoreEntry& entry,
                                                          const OpContext& ctx) override;
    Status Delete(const format::StoreEntry& entry, const OpContext& ctx) override;
    Result<std::unique_ptr<format::StoreUpload>> OpenWrite(const std::string& path, const Json& checkpoint,
                                                           const OpContext& ctx) override;
    std::string Describe(const std::string& path) const override;

    // "<16 hex digits of the run and activity>-<6 digits>": one length for every block of a blob.
    static std::string BlockId(const std::string& run_id, const std::string& activity_name, size_t index);

  private:
    std::shared_ptr<azure::BlobClient> client_;
    std::string container_;
    std::string run_id_;
    std::string activity_name_;
    uint64_t block_size_;
};

}  // namespace adxflow::blob
