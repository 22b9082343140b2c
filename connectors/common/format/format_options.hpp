#pragma once
// ADF dataset and copy-settings options of the text formats, parsed once into plain structs. Shared by
// every file-like store (local files, blob), which only differ in where the bytes live.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/common/format/gzip_stream.hpp"
#include "core/json.hpp"

namespace adxflow::format {

// kBinary: files copied as bytes (Binary datasets), never parsed into rows.
enum class FileFormat { kDelimitedText, kJson, kBinary };
// kDeflate is raw deflate (RFC 1951, .NET's DeflateStream, what ADF writes); a zlib header is accepted on
// read.
enum class Codec { kNone, kGzip, kDeflate };

struct CompressionOptions {
    Codec codec = Codec::kNone;
    int level = kGzipOptimal;
};

struct DelimitedTextOptions {
    char column_delimiter = ',';
    // As given. Reading: empty or any line break means "any of \r\n, \r, \n"; otherwise one character.
    // Writing: empty means "\r\n", ADF's default for Copy.
    std::string row_delimiter;
    std::optional<char> quote_char = '"';    // nullopt: no quoting
    std::optional<char> escape_char = '\\';  // nullopt: no escaping
    bool first_row_as_header = false;
    std::string null_value;       // a field equal to this (unquoted) reads as null; null writes as this
    int64_t skip_line_count = 0;  // non-empty lines skipped before the header (source formatSettings)
    bool quote_all_text = false;  // sink formatSettings
    std::string file_extension;   // sink formatSettings, used when the dataset names no file
};

enum class JsonFilePattern { kSetOfObjects, kArrayOfObjects };

struct JsonOptions {
    JsonFilePattern file_pattern = JsonFilePattern::kSetOfObjects;  // sink formatSettings.filePattern
};

struct FormatSpec {
    FileFormat format = FileFormat::kDelimitedText;
    DelimitedTextOptions text;
    JsonOptions json;
    CompressionOptions compression;
};

// `dataset_type` is "DelimitedText", "Json" or "Binary"; `dataset_props` the dataset's typeProperties;
// `settings` the Copy source or sink object, named `settings_path` ("source", "sink") in error targets. Wrong
// values are kInvalidInput with the option's JSON path, e.g. "dataset.typeProperties.columnDelimiter".
Result<FormatSpec> ParseFormatSpec(std::string_view dataset_type, const Json& dataset_props,
                                   const Json& settings, std::string_view settings_path);

// ".csv" / ".json" / ".bin", plus ".gz" or ".deflate" when compressed; a DelimitedText fileExtension option
// wins.
std::string DefaultExtension(const FormatSpec& spec);

}  // namespace adxflow::format
