#pragma once
// gzip over the byte streams (zlib, streaming: memory is two fixed buffers whatever the file size).

#include <memory>
#include <string>

#include "connectors/common/format/byte_stream.hpp"

struct z_stream_s;

namespace adxflow::format {

// ADF's compressionLevel: "Optimal" -> zlib 6, "Fastest" -> zlib 1.
constexpr int kGzipOptimal = 6;
constexpr int kGzipFastest = 1;

// The wrapper around the deflate data: gzip (gzip or zlib accepted on read), or raw deflate (ADF's
// "deflate" codec; a zlib header is accepted on read too).
enum class DeflateWrapper { kGzip, kRaw };

// Inflates a gzip (or zlib) stream read from `inner`. Concatenated gzip members are read as one stream, as
// gunzip does; the sink relies on this because every commit closes a member (raw deflate: a stream).
class GzipReader : public ByteReader {
  public:
    explicit GzipReader(ByteReader& inner, DeflateWrapper wrapper = DeflateWrapper::kGzip);
    ~GzipReader() override;
    GzipReader(const GzipReader&) = delete;
    GzipReader& operator=(const GzipReader&) = delete;

    Result<size_t> Read(char* buf, size_t n) override;

  private:
    ByteReader& inner_;
    std::unique_ptr<z_stream_s> z_;
    std::string in_;
    bool inner_eof_ = false;
    bool member_ended_ = false;  // the last inflate call finished a member
    bool any_input_ = false;     // an empty file is an empty stream, not a truncated one
    bool done_ = false;
    DeflateWrapper wrapper_;
    bool initialised_ = false;  // raw streams pick raw or zlib when they see the first two bytes
};

// Deflates into gzip members written to `inner`. Flush() ends the current member (so the output so far is
// a complete gzip file) and the next Write starts a new one.
class GzipWriter : public ByteWriter {
  public:
    GzipWriter(ByteWriter& inner, int level, DeflateWrapper wrapper = DeflateWrapper::kGzip);
    ~GzipWriter() override;
    GzipWriter(const GzipWriter&) = delete;
    GzipWriter& operator=(const GzipWriter&) = delete;

    Status Write(std::string_view data) override;
    Status Flush() override;

  private:
    Status Deflate(std::string_view data, int mode);
    ByteWriter& inner_;
    std::unique_ptr<z_stream_s> z_;
    std::string out_;
    bool member_open_ = false;  // bytes were fed since the last member ended
};

}  // namespace adxflow::format
