#include "connectors/common/format/row_io.hpp"

#include "connectors/common/format/delimited_reader.hpp"
#include "connectors/common/format/delimited_writer.hpp"
#include "connectors/common/format/json_reader.hpp"
#include "connectors/common/format/json_writer.hpp"

namespace adxflow::format {

std::unique_ptr<RowReader> MakeRowReader(const FormatSpec& spec, ByteReader& bytes) {
    if (spec.format == FileFormat::kJson) return std::make_unique<JsonReader>(bytes);
    return std::make_unique<DelimitedReader>(spec.text, bytes);
}

std::unique_ptr<RowWriter> MakeRowWriter(const FormatSpec& spec, ByteWriter& bytes) {
    if (spec.format == FileFormat::kJson) return std::make_unique<JsonWriter>(spec.json, bytes);
    return std::make_unique<DelimitedWriter>(spec.text, bytes);
}

std::unique_ptr<ByteReader> MakeDecoder(const CompressionOptions& compression, ByteReader& raw) {
    if (compression.codec == Codec::kGzip) return std::make_unique<GzipReader>(raw);
    if (compression.codec == Codec::kDeflate) return std::make_unique<GzipReader>(raw, DeflateWrapper::kRaw);
    return nullptr;
}

std::unique_ptr<ByteWriter> MakeEncoder(const CompressionOptions& compression, ByteWriter& raw) {
    if (compression.codec == Codec::kGzip) return std::make_unique<GzipWriter>(raw, compression.level);
    if (compression.codec == Codec::kDeflate)
        return std::make_unique<GzipWriter>(raw, compression.level, DeflateWrapper::kRaw);
    return nullptr;
}

}  // namespace adxflow::format
