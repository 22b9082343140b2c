#pragma once
// A FileServer host folder as a FileStore. Every path goes through the PathGuard (file_roots), symlinks
// included. Uploads go to a hidden temp file beside the target, named after the run and the activity so that
// a resumed attempt finds it again; Commit fsyncs it and returns {"path", "bytes"}; a resume cuts it back to
// `bytes`; Publish renames it over the target, so readers never see a partial file.

#include <filesystem>
#include <string>

#include "connectors/common/format/store.hpp"
#include "connectors/file/file_paths.hpp"

namespace adxflow::file {

class LocalStore : public format::FileStore {
  public:
    // `host` is canonical and inside a root.
    LocalStore(PathGuard guard, std::filesystem::path host, std::string run_id, std::string activity_name)
        : guard_(std::move(guard)),
          host_(std::move(host)),
          run_id_(std::move(run_id)),
          activity_name_(std::move(activity_name)) {}

    Result<std::vector<format::StoreEntry>> List(const format::ListRequest& request,
                                                 const OpContext& ctx) override;
    Result<std::unique_ptr<format::StoreReader>> OpenRead(const format::StoreEntry& entry,
                                                          const OpContext& ctx) override;
    Status Delete(const format::StoreEntry& entry, const OpContext& ctx) override;
    Result<std::unique_ptr<format::StoreUpload>> OpenWrite(const std::string& path, const Json& checkpoint,
                                                           const OpContext& ctx) override;
    std::string Describe(const std::string& path) const override { return (host_ / path).string(); }
    bool SkipsHiddenFiles() const override { return true; }

  private:
    Result<std::filesystem::path> Resolve(const std::string& path, std::string_view target) const;

    PathGuard guard_;
    std::filesystem::path host_;
    std::string run_id_;
    std::string activity_name_;
};

}  // namespace adxflow::file
