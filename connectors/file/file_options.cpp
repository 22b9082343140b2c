#include "connectors/file/file_options.hpp"

#include "connectors/common/format/store.hpp"

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

    ADXFLOW_ASSIGN_OR_RETURN(ep.host, ep.guard.Resolve(fs::path(host), ls_path + ".host"));
    // Checked here too (the store checks every path it touches), so a bad folder fails before any I/O.
    ep.folder_path = format::NormalizeFolder(folder_path);
    ADXFLOW_TRY(ep.guard.Resolve(ep.host / ep.folder_path, ds_path + ".location.folderPath"));
    ADXFLOW_ASSIGN_OR_RETURN(
        ep.format, format::ParseFormatSpec(spec.dataset_type, spec.dataset, spec.settings, settings_path));
    return ep;
}

}  // namespace adxflow::file
