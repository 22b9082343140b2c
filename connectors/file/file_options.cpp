#include "connectors/file/file_options.hpp"

#include <algorithm>

namespace adxflow::file {

namespace fs = std::filesystem;

namespace {

Error BadOption(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "file.options", path + ": " + message, "InvalidFileOption",
                     path);
}

Result<std::string> OptionalString(const Json& object, const char* name, const std::string& path) {
    const Json* v = FindMember(object, name);
    if (!v || v->is_null()) return std::string();
    auto s = AsString(*v);
    if (!s || !v->is_string()) return BadOption(JoinPath(path, name), "must be a string");
    return *s;
}

bool HasWildcard(std::string_view s) {
    return s.find_first_of("*?") != std::string_view::npos;
}

// folderPath is relative to the host; ADF users write either separator.
fs::path RelativeFolder(std::string folder) {
    std::replace(folder.begin(), folder.end(), '\\', '/');
    while (!folder.empty() && folder.front() == '/') folder.erase(0, 1);
    return fs::path(folder);
}

}  // namespace

Result<FileEndpoint> ParseFileEndpoint(const EndpointSpec& spec, const ConnectorEnv& env,
                                       std::string_view settings_path_view) {
    const std::string settings_path(settings_path_view);
    ADXFLOW_ASSIGN_OR_RETURN(PathGuard guard, PathGuard::Make(env.file_roots));
    FileEndpoint ep;
    ep.guard = std::move(guard);

    const std::string ls_path = "linkedService.typeProperties";
    ADXFLOW_ASSIGN_OR_RETURN(std::string host, OptionalString(spec.linked_service, "host", ls_path));
    if (host.empty()) return BadOption(ls_path + ".host", "is required (the local folder to read or write)");

    const std::string ds_path = "dataset.typeProperties";
    std::string folder_path;
    if (const Json* loc = FindMember(spec.dataset, "location"); loc && !loc->is_null()) {
        const std::string loc_path = ds_path + ".location";
        if (!loc->is_object()) return BadOption(loc_path, "must be an object");
        ADXFLOW_ASSIGN_OR_RETURN(std::string type, OptionalString(*loc, "type", loc_path));
        if (!type.empty() && !IEquals(type, "FileServerLocation"))
            return BadOption(
                loc_path + ".type",
                "must be FileServerLocation for a FileServer linked service, got \"" + type + "\"");
        ADXFLOW_ASSIGN_OR_RETURN(folder_path, OptionalString(*loc, "folderPath", loc_path));
        ADXFLOW_ASSIGN_OR_RETURN(ep.file_name, OptionalString(*loc, "fileName", loc_path));
    }

    if (const Json* store = FindMember(spec.settings, "storeSettings"); store && store->is_object()) {
        const std::string store_path = settings_path + ".storeSettings";
        if (const Json* r = FindMember(*store, "recursive"); r && !r->is_null()) {
            auto b = AsBool(*r);
            if (!b) return BadOption(store_path + ".recursive", "must be true or false");
            ep.recursive = *b;
        }
        ADXFLOW_ASSIGN_OR_RETURN(ep.wildcard_file_name,
                                 OptionalString(*store, "wildcardFileName", store_path));
        ADXFLOW_ASSIGN_OR_RETURN(std::string wildcard_folder,
                                 OptionalString(*store, "wildcardFolderPath", store_path));
        if (!wildcard_folder.empty()) {
            if (HasWildcard(wildcard_folder))
                return MakeError(
                    ErrorKind::kUnsupported, "file.options",
                    store_path + ".wildcardFolderPath: wildcards in folder paths are not supported",
                    "UnsupportedOption", store_path + ".wildcardFolderPath");
            folder_path = wildcard_folder;  // ADF: the wildcard folder replaces the dataset's folderPath
        }
        // With a wildcard, ADF ignores the dataset's fileName.
        if (!ep.wildcard_file_name.empty()) ep.file_name.clear();
    }

    fs::path host_path(host);
    ADXFLOW_ASSIGN_OR_RETURN(fs::path host_resolved, ep.guard.Resolve(host_path, ls_path + ".host"));
    ADXFLOW_ASSIGN_OR_RETURN(ep.folder, ep.guard.Resolve(host_resolved / RelativeFolder(folder_path),
                                                         ds_path + ".location.folderPath"));
    ADXFLOW_ASSIGN_OR_RETURN(
        ep.format, format::ParseFormatSpec(spec.dataset_type, spec.dataset, spec.settings, settings_path));
    return ep;
}

}  // namespace adxflow::file
