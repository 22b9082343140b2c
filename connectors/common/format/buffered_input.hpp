#pragma once
// A fixed-size read buffer over a ByteReader, for parsers that look at one character at a time. Memory is
// the buffer, whatever the stream length.

#include <string>

#include "connectors/common/format/byte_stream.hpp"

namespace adxflow::format {

class BufferedInput {
  public:
    explicit BufferedInput(ByteReader& reader, size_t buffer_bytes = 64 * 1024) : reader_(reader) {
        buf_.resize(buffer_bytes);
    }

    bool has_data() const { return pos_ < len_; }
    char peek() const { return buf_[pos_]; }
    char take() { return buf_[pos_++]; }
    // The buffered bytes not taken yet, for parsers that consume runs of ordinary characters at once.
    const char* data() const { return buf_.data() + pos_; }
    size_t available() const { return len_ - pos_; }
    void skip(size_t n) { pos_ += n; }
    // Refills an exhausted buffer; false at end of stream.
    Result<bool> Refill() {
        if (pos_ < len_) return true;
        if (eof_) return false;
        ADXFLOW_ASSIGN_OR_RETURN(size_t got, reader_.Read(buf_.data(), buf_.size()));
        pos_ = 0;
        len_ = got;
        if (got == 0) eof_ = true;
        return got > 0;
    }
    // Ensures a character is available; false at end of stream.
    Result<bool> Ensure() { return has_data() ? Result<bool>(true) : Refill(); }
    size_t capacity() const { return buf_.size(); }

  private:
    ByteReader& reader_;
    std::string buf_;
    size_t pos_ = 0;
    size_t len_ = 0;
    bool eof_ = false;
};

// Skips a UTF-8 byte order mark at the very start of the stream.
inline Status SkipUtf8Bom(BufferedInput& in) {
    static constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};
    ADXFLOW_ASSIGN_OR_RETURN(bool any, in.Ensure());
    if (!any || static_cast<unsigned char>(in.peek()) != kBom[0]) return Ok();
    // A BOM is three bytes; a refill may split it only in a pathologically small buffer, which we do not use.
    in.take();
    for (int i = 1; i < 3; ++i) {
        ADXFLOW_ASSIGN_OR_RETURN(bool more, in.Ensure());
        if (!more || static_cast<unsigned char>(in.peek()) != kBom[i])
            return MakeError(ErrorKind::kInvalidInput, "format.read",
                             "the stream starts with an invalid byte", "InvalidEncoding");
        in.take();
    }
    return Ok();
}

}  // namespace adxflow::format
