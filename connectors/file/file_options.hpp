#pragma once
// The FileServer linked service, FileServerLocation and FileServer read settings, resolved into one struct.

#include <filesystem>
#include <string>

#include "connectors/common/format/format_options.hpp"
#include "connectors/file/file_paths.hpp"
#include "core/contract.hpp"

namespace adxflow::file {

struct FileEndpoint {
    PathGuard guard;
    std::filesystem::path folder;  // host + folderPath, canonical, inside a root
    std::string file_name;         // dataset fileName; may be empty
    format::FormatSpec format;
    // Source only (storeSettings):
    bool recursive = true;
    std::string wildcard_file_name;
};

// `settings_path` is "source" or "sink", used in error targets.
Result<FileEndpoint> ParseFileEndpoint(const EndpointSpec& spec, const ConnectorEnv& env,
                                       std::string_view settings_path);

}  // namespace adxflow::file
