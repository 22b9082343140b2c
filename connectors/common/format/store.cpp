#include "connectors/common/format/store.hpp"

#include <algorithm>
#include <ctime>

namespace adxflow::format {

namespace {

Error BadSetting(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "store.settings", path + ": " + message, "InvalidStoreSetting",
                     path);
}

Result<std::string> OptionalString(const Json& object, const char* name, const std::string& base) {
    const Json* v = FindMember(object, name);
    if (!v || v->is_null()) return std::string();
    if (!v->is_string()) return BadSetting(JoinPath(base, name), "must be a string");
    return v->get<std::string>();
}

Result<std::optional<TimePoint>> OptionalTime(const Json& object, const char* name, const std::string& base) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string text, OptionalString(object, name, base));
    if (text.empty()) return std::optional<TimePoint>();
    auto t = ParseTimestamp(text);
    if (!t)
        return BadSetting(JoinPath(base, name), "must be an ISO 8601 UTC time such as 2024-05-01T00:00:00Z");
    return t;
}

bool HasWildcard(std::string_view s) {
    return s.find_first_of("*?") != std::string_view::npos;
}

size_t CountSegments(std::string_view path) {
    return path.empty() ? 0 : static_cast<size_t>(std::count(path.begin(), path.end(), '/')) + 1;
}

// The first `n` segments of a '/'-separated path.
std::string_view FirstSegments(std::string_view path, size_t n) {
    size_t pos = 0;
    for (size_t i = 0; i < n; ++i) {
        size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) return path;
        pos = slash + 1;
    }
    return pos == 0 ? std::string_view() : path.substr(0, pos - 1);
}

bool IsHiddenPath(std::string_view path) {
    size_t pos = 0;
    while (pos < path.size()) {
        if (path[pos] == '.') return true;
        size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    return false;
}

}  // namespace

std::string NormalizeFolder(std::string_view folder) {
    std::string out(folder);
    std::replace(out.begin(), out.end(), '\\', '/');
    // Collapse "//" and drop leading and trailing separators.
    std::string clean;
    for (char c : out)
        if (!(c == '/' && (clean.empty() || clean.back() == '/'))) clean += c;
    while (!clean.empty() && clean.back() == '/') clean.pop_back();
    return clean;
}

std::string JoinStorePath(std::string_view folder, std::string_view name) {
    if (folder.empty()) return std::string(name);
    if (name.empty()) return std::string(folder);
    return std::string(folder) + "/" + std::string(name);
}

std::string_view BaseName(std::string_view path) {
    size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view DirName(std::string_view path) {
    size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
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

Result<StoreReadSettings> ParseStoreReadSettings(const Json& settings, std::string_view settings_path) {
    StoreReadSettings s;
    const Json* store = FindMember(settings, "storeSettings");
    if (!store || store->is_null()) return s;
    const std::string base = JoinPath(settings_path, "storeSettings");
    if (!store->is_object()) return BadSetting(base, "must be an object");
    if (const Json* r = FindMember(*store, "recursive"); r && !r->is_null()) {
        auto b = AsBool(*r);
        if (!b) return BadSetting(JoinPath(base, "recursive"), "must be true or false");
        s.recursive = *b;
    }
    if (const Json* d = FindMember(*store, "deleteFilesAfterCompletion"); d && !d->is_null()) {
        auto b = AsBool(*d);
        if (!b) return BadSetting(JoinPath(base, "deleteFilesAfterCompletion"), "must be true or false");
        s.delete_files_after_completion = *b;
    }
    ADXFLOW_ASSIGN_OR_RETURN(s.wildcard_folder_path, OptionalString(*store, "wildcardFolderPath", base));
    s.wildcard_folder_path = NormalizeFolder(s.wildcard_folder_path);
    ADXFLOW_ASSIGN_OR_RETURN(s.wildcard_file_name, OptionalString(*store, "wildcardFileName", base));
    if (s.wildcard_file_name.find('/') != std::string::npos)
        return BadSetting(JoinPath(base, "wildcardFileName"),
                          "must be a file name pattern; put folders in wildcardFolderPath");
    ADXFLOW_ASSIGN_OR_RETURN(s.prefix, OptionalString(*store, "prefix", base));
    while (!s.prefix.empty() && s.prefix.front() == '/') s.prefix.erase(0, 1);
    ADXFLOW_ASSIGN_OR_RETURN(s.modified_start, OptionalTime(*store, "modifiedDatetimeStart", base));
    ADXFLOW_ASSIGN_OR_RETURN(s.modified_end, OptionalTime(*store, "modifiedDatetimeEnd", base));
    if (s.modified_start && s.modified_end && *s.modified_end <= *s.modified_start)
        return BadSetting(JoinPath(base, "modifiedDatetimeEnd"), "must be later than modifiedDatetimeStart");
    ADXFLOW_ASSIGN_OR_RETURN(std::string list_path, OptionalString(*store, "fileListPath", base));
    if (!list_path.empty())
        return MakeError(ErrorKind::kUnsupported, "store.settings",
                         JoinPath(base, "fileListPath") +
                             ": a file list is not supported; use "
                             "wildcardFolderPath/wildcardFileName or prefix",
                         "UnsupportedOption", JoinPath(base, "fileListPath"));
    if (!s.prefix.empty() && (!s.wildcard_folder_path.empty() || !s.wildcard_file_name.empty()))
        return BadSetting(JoinPath(base, "prefix"),
                          "cannot be combined with wildcardFolderPath/wildcardFileName");
    return s;
}

Result<StoreWriteSettings> ParseStoreWriteSettings(const Json& settings, std::string_view settings_path) {
    StoreWriteSettings s;
    if (const Json* store = FindMember(settings, "storeSettings"); store && !store->is_null()) {
        const std::string base = JoinPath(settings_path, "storeSettings");
        if (!store->is_object()) return BadSetting(base, "must be an object");
        ADXFLOW_ASSIGN_OR_RETURN(std::string behavior, OptionalString(*store, "copyBehavior", base));
        if (behavior.empty() || IEquals(behavior, "PreserveHierarchy"))
            s.copy_behavior = CopyBehavior::kPreserveHierarchy;
        else if (IEquals(behavior, "FlattenHierarchy"))
            s.copy_behavior = CopyBehavior::kFlattenHierarchy;
        else if (IEquals(behavior, "MergeFiles"))
            s.copy_behavior = CopyBehavior::kMergeFiles;
        else
            return BadSetting(
                JoinPath(base, "copyBehavior"),
                "must be PreserveHierarchy, FlattenHierarchy or MergeFiles, got \"" + behavior + "\"");
        if (const Json* b = FindMember(*store, "blockSizeInMB"); b && !b->is_null()) {
            auto mb = AsInt(*b);
            // The Blob service takes blocks of up to 4000 MiB; one block is held in memory, so stay far
            // below.
            if (!mb || *mb < 1 || *mb > 100)
                return BadSetting(JoinPath(base, "blockSizeInMB"), "must be an integer from 1 to 100");
            s.block_size_bytes = static_cast<uint64_t>(*mb) << 20;
        }
    }
    if (const Json* fs = FindMember(settings, "formatSettings"); fs && fs->is_object()) {
        const std::string base = JoinPath(settings_path, "formatSettings");
        if (const Json* m = FindMember(*fs, "maxRowsPerFile"); m && !m->is_null()) {
            auto n = AsInt(*m);
            if (!n || *n < 1)
                return BadSetting(JoinPath(base, "maxRowsPerFile"), "must be a positive integer");
            s.max_rows_per_file = *n;
        }
        ADXFLOW_ASSIGN_OR_RETURN(s.file_name_prefix, OptionalString(*fs, "fileNamePrefix", base));
        if (s.file_name_prefix.find_first_of("/\\") != std::string::npos)
            return BadSetting(JoinPath(base, "fileNamePrefix"), "must be a file name, without '/' or '\\'");
    }
    return s;
}

std::string SelectionRoot(std::string_view folder_path, const StoreReadSettings& s) {
    if (!s.prefix.empty()) return std::string(DirName(s.prefix));
    if (s.wildcard_folder_path.empty()) return NormalizeFolder(folder_path);
    if (!HasWildcard(s.wildcard_folder_path)) return s.wildcard_folder_path;
    // The deepest folder without wildcards.
    std::string fixed;
    size_t n = CountSegments(s.wildcard_folder_path);
    for (size_t i = 1; i <= n; ++i) {
        std::string_view head = FirstSegments(s.wildcard_folder_path, i);
        if (HasWildcard(BaseName(head))) break;
        fixed = std::string(head);
    }
    return fixed;
}

Result<std::vector<StoreEntry>> SelectFiles(FileStore& store, std::string_view folder_path,
                                            std::string_view file_name, const StoreReadSettings& s,
                                            const OpContext& ctx) {
    std::string folder = SelectionRoot(folder_path, s);
    std::string name(file_name);
    // wildcardFolderPath with wildcards: matched against each file's folder.
    std::string folder_pattern = HasWildcard(s.wildcard_folder_path) ? s.wildcard_folder_path : "";
    // With a wildcard or a prefix, ADF ignores the dataset's fileName.
    if (!s.wildcard_file_name.empty() || !s.prefix.empty()) name.clear();
    // A fileName with folders in it ("sub/x.csv", "../x.csv"): its folders belong to the listing, where the
    // store checks them.
    if (name.find_first_of("/\\") != std::string::npos) {
        name = NormalizeFolder(name);
        folder = JoinStorePath(folder, DirName(name));
        name = std::string(BaseName(name));
    }

    ListRequest request;
    request.folder = folder;
    request.recursive = s.recursive || !folder_pattern.empty();
    if (!s.prefix.empty()) {
        request.folder = std::string(DirName(s.prefix));
        request.name_prefix = s.prefix;
        request.recursive = true;
    }
    if (!name.empty()) {
        request.recursive = false;
        request.name_prefix = JoinStorePath(folder, name);
    }
    auto listing = store.List(request, ctx);
    if (!listing.ok() && !name.empty() && listing.error().kind == ErrorKind::kNotFound) {
        const std::string wanted = JoinStorePath(folder, name);
        return MakeError(ErrorKind::kNotFound, "store.list",
                         "file " + store.Describe(wanted) + " does not exist", "FileNotFound",
                         store.Describe(wanted));
    }
    if (!listing.ok()) return std::move(listing).error();
    std::vector<StoreEntry> listed = std::move(listing).value();
    ADXFLOW_TRY(ctx.CheckCancelled());

    std::vector<StoreEntry> out;
    if (!name.empty()) {
        const std::string wanted = JoinStorePath(folder, name);
        for (auto& e : listed)
            if (e.path == wanted) out.push_back(std::move(e));
        if (out.empty())
            return MakeError(ErrorKind::kNotFound, "store.list",
                             "file " + store.Describe(wanted) + " does not exist", "FileNotFound",
                             store.Describe(wanted));
        return out;
    }
    const size_t pattern_segments = CountSegments(folder_pattern);
    for (auto& e : listed) {
        if (store.SkipsHiddenFiles() && IsHiddenPath(e.path)) continue;
        std::string_view dir = DirName(e.path);
        if (!folder_pattern.empty()) {
            size_t segments = CountSegments(dir);
            if (segments < pattern_segments || (!s.recursive && segments != pattern_segments)) continue;
            if (!WildcardMatch(folder_pattern, FirstSegments(dir, pattern_segments))) continue;
        } else if (!s.prefix.empty()) {
            // Not recursive: nothing below the folder the prefix ends in.
            if (!s.recursive &&
                e.path.find('/', DirName(s.prefix).size() + (DirName(s.prefix).empty() ? 0 : 1)) !=
                    std::string::npos)
                continue;
            if (e.path.rfind(s.prefix, 0) != 0) continue;
        } else if (!s.recursive && dir != folder) {
            continue;
        }
        if (!s.wildcard_file_name.empty() && !WildcardMatch(s.wildcard_file_name, BaseName(e.path))) continue;
        if (s.modified_start || s.modified_end) {
            if (!e.modified) continue;
            if (s.modified_start && *e.modified < *s.modified_start) continue;
            if (s.modified_end && *e.modified >= *s.modified_end) continue;
        }
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(),
              [](const StoreEntry& a, const StoreEntry& b) { return a.path < b.path; });
    return out;
}

std::optional<TimePoint> ParseHttpDate(std::string_view text) {
    std::tm tm{};
    std::string copy(text);
    const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end) return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace adxflow::format
