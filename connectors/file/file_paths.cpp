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

bool WildcardMatch(std::string_view pattern, std::string_view name) {
    // Iterative matcher with one backtrack point for the last '*'.
    size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
    while (n < name.size()) {
        if (p < pattern.size()) {
            char c = pattern[p];
            if (c == '*') {
                star_p = p++;
                star_n = n;
                continue;
            }
            if (c == '?') {
                ++p;
                ++n;
                continue;
            }
            if (c == '^' && p + 1 < pattern.size()) {
                if (pattern[p + 1] == name[n]) {
                    p += 2;
                    ++n;
                    continue;
                }
            } else if (c == name[n]) {
                ++p;
                ++n;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        p = star_p + 1;
        n = ++star_n;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
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
