#pragma once
// The FileServer linked service and FileServerLocation, resolved into one struct. Read and write
// storeSettings are the shared ones of every file-like store (connectors/common/format/store.hpp).

#include <filesystem>
#include <string>

#include "connectors/common/format/format_options.hpp"
#include "connectors/file/file_paths.hpp"
#include "core/contract.hpp"

namespace adxflow::file {

struct FileEndpoint {
    PathGuard guard;
    std::filesystem::path host;  // the linked service's host, canonical, inside a root
    std::string folder_path;     // dataset folderPath, relative to the host; may be empty
    std::string file_name;       // dataset fileName; may be empty
    format::FormatSpec format;
};

// `settings_path` is "source" or "sink", used in error targets.
Result<FileEndpoint> ParseFileEndpoint(const EndpointSpec& spec, const ConnectorEnv& env,
                                       std::string_view settings_path);

}  // namespace adxflow::file
