#include "connectors/common/format/format_options.hpp"

namespace adxflow::format {

namespace {

Error BadOption(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "format.options", path + ": " + message, "InvalidFormatOption",
                     path);
}

// A character option. JSON "\t" arrives as a tab already; the two-character spelling "\\t" that some
// hand-written definitions contain is accepted too.
Result<std::optional<char>> ReadChar(const Json& props, const char* name, const std::string& base,
                                     std::optional<char> fallback, bool allow_empty) {
    const Json* v = FindMember(props, name);
    std::string path = JoinPath(base, name);
    if (!v || v->is_null()) return fallback;
    auto s = AsString(*v);
    if (!s) return BadOption(path, "must be a string");
    if (*s == "\\t") return std::optional<char>('\t');
    if (*s == "\\n") return std::optional<char>('\n');
    if (*s == "\\r") return std::optional<char>('\r');
    if (s->empty()) {
        if (allow_empty) return std::optional<char>();
        return BadOption(path, "must not be empty (an empty delimiter is only supported by data flows)");
    }
    if (s->size() != 1) return BadOption(path, "must be a single character, got \"" + *s + "\"");
    return std::optional<char>((*s)[0]);
}

Result<bool> ReadBool(const Json& props, const char* name, const std::string& base, bool fallback) {
    const Json* v = FindMember(props, name);
    if (!v || v->is_null()) return fallback;
    auto b = AsBool(*v);
    if (!b) return BadOption(JoinPath(base, name), "must be true or false");
    return *b;
}

Result<std::string> ReadString(const Json& props, const char* name, const std::string& base,
                               std::string fallback) {
    const Json* v = FindMember(props, name);
    if (!v || v->is_null()) return fallback;
    auto s = AsString(*v);
    if (!s) return BadOption(JoinPath(base, name), "must be a string");
    return *s;
}

Status CheckEncoding(const Json& props, const std::string& base) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string enc, ReadString(props, "encodingName", base, "UTF-8"));
    std::string e = ToLower(enc);
    if (e == "utf-8" || e == "utf8" || e == "us-ascii" || e == "ascii" || e.empty()) return Ok();
    return MakeError(ErrorKind::kUnsupported, "format.options",
                     JoinPath(base, "encodingName") + ": only UTF-8 is supported, got \"" + enc + "\"",
                     "UnsupportedEncoding", JoinPath(base, "encodingName"));
}

Result<int> ParseLevel(const Json* v, const std::string& path) {
    if (!v || v->is_null()) return kGzipOptimal;
    auto s = AsString(*v);
    if (s && IEquals(*s, "Optimal")) return kGzipOptimal;
    if (s && IEquals(*s, "Fastest")) return kGzipFastest;
    return BadOption(path, "must be \"Optimal\" or \"Fastest\"");
}

Result<Codec> ParseCodec(const Json* v, const std::string& path) {
    if (!v || v->is_null()) return Codec::kNone;
    auto s = AsString(*v);
    if (!s) return BadOption(path, "must be a string");
    if (s->empty() || IEquals(*s, "none")) return Codec::kNone;
    if (IEquals(*s, "gzip")) return Codec::kGzip;
    if (IEquals(*s, "deflate")) return Codec::kDeflate;
    for (const char* known : {"bzip2", "ZipDeflate", "snappy", "lz4", "TarGzip", "Tar"})
        if (IEquals(*s, known))
            return MakeError(ErrorKind::kUnsupported, "format.options",
                             path + ": compression \"" + *s + "\" is not supported (gzip and deflate are)",
                             "UnsupportedCompression", path);
    return BadOption(path, "unknown compression \"" + *s + "\"");
}

Result<DelimitedTextOptions> ParseDelimitedText(const Json& props, const Json& settings,
                                                const std::string& settings_path) {
    const std::string base = "dataset.typeProperties";
    DelimitedTextOptions o;
    ADXFLOW_ASSIGN_OR_RETURN(auto col, ReadChar(props, "columnDelimiter", base, ',', false));
    o.column_delimiter = *col;
    ADXFLOW_ASSIGN_OR_RETURN(o.row_delimiter, ReadString(props, "rowDelimiter", base, ""));
    if (o.row_delimiter == "\\n") o.row_delimiter = "\n";
    if (o.row_delimiter == "\\r\\n") o.row_delimiter = "\r\n";
    if (o.row_delimiter.size() > 1 && o.row_delimiter != "\r\n")
        return BadOption(JoinPath(base, "rowDelimiter"), "must be a single character or \"\\r\\n\"");
    ADXFLOW_ASSIGN_OR_RETURN(o.quote_char, ReadChar(props, "quoteChar", base, '"', true));
    ADXFLOW_ASSIGN_OR_RETURN(o.escape_char, ReadChar(props, "escapeChar", base, '\\', true));
    ADXFLOW_ASSIGN_OR_RETURN(o.first_row_as_header, ReadBool(props, "firstRowAsHeader", base, false));
    ADXFLOW_ASSIGN_OR_RETURN(o.null_value, ReadString(props, "nullValue", base, ""));
    if (o.quote_char && *o.quote_char == o.column_delimiter)
        return BadOption(JoinPath(base, "quoteChar"), "must differ from columnDelimiter");

    const Json* fs = FindMember(settings, "formatSettings");
    if (fs && fs->is_object()) {
        std::string fs_path = JoinPath(settings_path, "formatSettings");
        if (const Json* v = FindMember(*fs, "skipLineCount"); v && !v->is_null()) {
            auto n = AsInt(*v);
            if (!n || *n < 0)
                return BadOption(JoinPath(fs_path, "skipLineCount"), "must be a non-negative integer");
            o.skip_line_count = *n;
        }
        ADXFLOW_ASSIGN_OR_RETURN(o.quote_all_text, ReadBool(*fs, "quoteAllText", fs_path, false));
        ADXFLOW_ASSIGN_OR_RETURN(o.file_extension, ReadString(*fs, "fileExtension", fs_path, ""));
    }
    return o;
}

}  // namespace

Result<FormatSpec> ParseFormatSpec(std::string_view dataset_type, const Json& props, const Json& settings,
                                   std::string_view settings_path_view) {
    const std::string base = "dataset.typeProperties";
    const std::string settings_path(settings_path_view);
    FormatSpec spec;
    ADXFLOW_TRY(CheckEncoding(props, base));
    if (IEquals(dataset_type, "DelimitedText")) {
        spec.format = FileFormat::kDelimitedText;
        ADXFLOW_ASSIGN_OR_RETURN(spec.text, ParseDelimitedText(props, settings, settings_path));
        ADXFLOW_ASSIGN_OR_RETURN(spec.compression.codec, ParseCodec(FindMember(props, "compressionCodec"),
                                                                    base + ".compressionCodec"));
        ADXFLOW_ASSIGN_OR_RETURN(spec.compression.level, ParseLevel(FindMember(props, "compressionLevel"),
                                                                    base + ".compressionLevel"));
    } else if (IEquals(dataset_type, "Json") || IEquals(dataset_type, "Binary")) {
        spec.format = IEquals(dataset_type, "Json") ? FileFormat::kJson : FileFormat::kBinary;
        if (const Json* c = FindMember(props, "compression"); c && !c->is_null()) {
            if (!c->is_object()) return BadOption(base + ".compression", "must be an object {type, level}");
            ADXFLOW_ASSIGN_OR_RETURN(spec.compression.codec,
                                     ParseCodec(FindMember(*c, "type"), base + ".compression.type"));
            ADXFLOW_ASSIGN_OR_RETURN(spec.compression.level,
                                     ParseLevel(FindMember(*c, "level"), base + ".compression.level"));
        }
        const Json* fs = FindMember(settings, "formatSettings");
        if (spec.format == FileFormat::kJson && fs && fs->is_object()) {
            std::string path = settings_path + ".formatSettings.filePattern";
            ADXFLOW_ASSIGN_OR_RETURN(std::string pattern, ReadString(*fs, "filePattern", "", "setOfObjects"));
            if (IEquals(pattern, "setOfObjects")) {
                spec.json.file_pattern = JsonFilePattern::kSetOfObjects;
            } else if (IEquals(pattern, "arrayOfObjects")) {
                spec.json.file_pattern = JsonFilePattern::kArrayOfObjects;
            } else {
                return BadOption(path, "must be \"setOfObjects\" or \"arrayOfObjects\"");
            }
        }
    } else {
        return MakeError(ErrorKind::kUnsupported, "format.options",
                         "dataset type \"" + std::string(dataset_type) + "\" is not a text format",
                         "UnsupportedDatasetType", "dataset.type");
    }
    return spec;
}

std::string DefaultExtension(const FormatSpec& spec) {
    std::string ext;
    if (spec.format == FileFormat::kDelimitedText && !spec.text.file_extension.empty()) {
        ext = spec.text.file_extension;
        if (ext[0] != '.') ext.insert(0, ".");
        return ext;
    }
    ext = spec.format == FileFormat::kJson ? ".json" : spec.format == FileFormat::kBinary ? ".bin" : ".csv";
    if (spec.compression.codec == Codec::kGzip) ext += ".gz";
    if (spec.compression.codec == Codec::kDeflate) ext += ".deflate";
    return ext;
}

}  // namespace adxflow::format
