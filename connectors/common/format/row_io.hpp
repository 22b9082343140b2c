#pragma once
// Rows over byte streams: the interfaces every text format implements, and the factory that stacks
// decompression and the format's reader or writer for one FormatSpec.

#include <memory>

#include "connectors/common/format/byte_stream.hpp"
#include "connectors/common/format/format_options.hpp"
#include "core/row_errors.hpp"
#include "core/rows.hpp"

namespace adxflow::format {

class RowReader {
  public:
    virtual ~RowReader() = default;
    // Reads as far as needed to know the columns (a header, or a first sample of rows) and reports them.
    // Called once, before Next.
    virtual Result<Schema> ReadSchema() = 0;
    // Same contract as Source::Next: resets `batch` to the schema's width and fills at most `max_rows`
    // rows; false once the stream is exhausted (the batch may still hold the last rows).
    virtual Result<bool> Next(RowBatch& batch, size_t max_rows) = 0;
    // Rows the format cannot make sense of (DelimitedText: more fields than columns) go to `handler`
    // instead of failing the read, their messages prefixed with `where` (the file). Null: fail.
    virtual void SetIncompatibleRowHandler(IncompatibleRowHandler* handler, std::string where) {
        (void)handler;
        (void)where;
    }
};

class RowWriter {
  public:
    virtual ~RowWriter() = default;
    // Starts the output. A fresh start writes the preamble (CSV header, JSON '['); a resume continues
    // after `rows_already_written` committed rows and writes no preamble.
    virtual Status Begin(const Schema& schema, bool resume, uint64_t rows_already_written) = 0;
    virtual Status Write(const RowBatch& batch) = 0;
    // Writes the closing part (JSON ']'). Called once, just before the output is published.
    virtual Status End() = 0;
};

// Readers and writers keep a reference to the byte stream: it must outlive them.
std::unique_ptr<RowReader> MakeRowReader(const FormatSpec& spec, ByteReader& bytes);
std::unique_ptr<RowWriter> MakeRowWriter(const FormatSpec& spec, ByteWriter& bytes);

// The decompressing layer over `raw`, or null when the spec has no compression.
std::unique_ptr<ByteReader> MakeDecoder(const CompressionOptions& compression, ByteReader& raw);
std::unique_ptr<ByteWriter> MakeEncoder(const CompressionOptions& compression, ByteWriter& raw);

}  // namespace adxflow::format
