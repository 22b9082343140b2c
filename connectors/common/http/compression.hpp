#pragma once
// gzip for request bodies and streaming gzip/deflate decoding of response bodies (zlib).

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow::http {

Result<std::string> GzipCompress(std::string_view data);

// Encodes a body as gzip piece by piece (servers streaming a large response). Level 1: on a loopback or LAN
// link the CPU spent on stronger compression costs more time than the bytes it saves.
class GzipEncoder {
  public:
    explicit GzipEncoder(int level = 1);
    ~GzipEncoder();
    GzipEncoder(const GzipEncoder&) = delete;
    GzipEncoder& operator=(const GzipEncoder&) = delete;
    // Appends the compressed bytes of `input` to `out` (flushed, so the client can decode what it has).
    Status Feed(std::string_view input, std::string& out);
    // Appends the gzip trailer.
    Status Finish(std::string& out);

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// Decodes a Content-Encoding of "gzip" or "deflate" chunk by chunk. "deflate" is meant to be zlib-wrapped,
// but some servers send raw deflate; the first bytes decide.
class BodyDecoder {
  public:
    enum class Encoding { kGzip, kDeflate };
    explicit BodyDecoder(Encoding encoding);
    ~BodyDecoder();
    BodyDecoder(const BodyDecoder&) = delete;
    BodyDecoder& operator=(const BodyDecoder&) = delete;

    // Appends the decoded bytes of `input` to `out`.
    Status Feed(std::string_view input, std::string& out);
    // Fails when the compressed stream ended early (a truncated body).
    Status Finish() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace adxflow::http
