#pragma once
// Where the file connector may read and write: every path is canonicalised (symlinks followed, ".."
// folded) and must fall inside one of the configured roots, so a dataset cannot reach /etc by way of
// "../.." or a symlink planted in a shared folder.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/format/store.hpp"
#include "core/error.hpp"

namespace adxflow::file {

class PathGuard {
  public:
    // Fails (kForbidden, naming `file_roots` / `--file-root`) when no root is configured.
    static Result<PathGuard> Make(const std::vector<std::filesystem::path>& roots);

    // The canonical form of `path`, or kForbidden when it lies outside every root. `target` is the JSON
    // path of the option the path came from, for the error.
    Result<std::filesystem::path> Resolve(const std::filesystem::path& path, std::string_view target) const;
    bool Contains(const std::filesystem::path& canonical) const;

  private:
    std::vector<std::filesystem::path> roots_;  // canonical
};

// ADF wildcard match (shared with every file-like store).
using format::WildcardMatch;

// Characters safe in a file name; everything else becomes '_'.
std::string SanitizeForFileName(std::string_view s);

}  // namespace adxflow::file
