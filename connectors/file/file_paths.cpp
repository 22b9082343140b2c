#include "connectors/file/file_paths.hpp"

#include <algorithm>

namespace adxflow::file {

namespace fs = std::filesystem;

Result<PathGuard> PathGuard::Make(const std::vector<fs::path>& roots) {
    if (roots.empty())
        return MakeError(
            ErrorKind::kForbidden, "file.roots",
            "local file access is disabled: no file roots are configured (set `file_roots` in the "
            "daemon config or start it with --file-root DIR)",
            "FileRootsNotConfigured");
    PathGuard guard;
    for (const auto& root : roots) {
        std::error_code ec;
        fs::path canonical = fs::weakly_canonical(fs::absolute(root, ec), ec);
        if (ec || canonical.empty()) continue;
        guard.roots_.push_back(canonical.lexically_normal());
    }
    if (guard.roots_.empty())
        return MakeError(ErrorKind::kForbidden, "file.roots",
                         "none of the configured file roots can be resolved", "FileRootsNotConfigured");
    return guard;
}

bool PathGuard::Contains(const fs::path& canonical) const {
    for (const auto& root : roots_) {
        auto [r, p] = std::mismatch(root.begin(), root.end(), canonical.begin(), canonical.end());
        // A trailing separator in the root shows up as an empty last component.
        if (r == root.end() || (std::next(r) == root.end() && r->empty())) return true;
    }
    return false;
}

Result<fs::path> PathGuard::Resolve(const fs::path& path, std::string_view target) const {
    if (!path.is_absolute())
        return MakeError(ErrorKind::kInvalidInput, "file.path",
                         std::string(target) + ": \"" + path.string() + "\" is not an absolute path",
                         "InvalidFilePath", std::string(target));
    std::error_code ec;
    // weakly_canonical follows the symlinks of the existing prefix and folds ".." in the rest.
    fs::path canonical = fs::weakly_canonical(path, ec);
    if (ec)
        return MakeError(ErrorKind::kInvalidInput, "file.path",
                         std::string(target) + ": cannot resolve \"" + path.string() + "\": " + ec.message(),
                         "InvalidFilePath", std::string(target));
    canonical = canonical.lexically_normal();
    if (!Contains(canonical))
        return MakeError(ErrorKind::kForbidden, "file.path",
                         std::string(target) + ": \"" + path.string() +
                             "\" is outside the folders this daemon may access (`file_roots`)",
                         "FilePathOutsideRoots", std::string(target));
    return canonical;
}

std::string SanitizeForFileName(std::string_view s) {
    std::string out;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        out += ok ? c : '_';
    }
    return out;
}

}  // namespace adxflow::file
