#include "connectors/common/format/gzip_stream.hpp"

#include <zlib.h>

#include <cstring>

namespace adxflow::format {

namespace {
constexpr size_t kChunkBytes = 64 * 1024;

Error ZlibError(const char* op, int rc, const z_stream& z) {
    std::string detail = z.msg ? z.msg : zError(rc);
    return MakeError(ErrorKind::kInvalidInput, op, std::string("gzip data is corrupt: ") + detail,
                     "GzipCorrupt");
}
}  // namespace

GzipReader::GzipReader(ByteReader& inner, DeflateWrapper wrapper)
    : inner_(inner), z_(std::make_unique<z_stream>()), wrapper_(wrapper) {
    std::memset(z_.get(), 0, sizeof(z_stream));
    if (wrapper_ == DeflateWrapper::kGzip) {
        // 15 + 32: accept both gzip and zlib headers.
        inflateInit2(z_.get(), 15 + 32);
        initialised_ = true;
    }
    in_.resize(kChunkBytes);
}

GzipReader::~GzipReader() {
    if (initialised_) inflateEnd(z_.get());
}

Result<size_t> GzipReader::Read(char* buf, size_t n) {
    if (done_ || n == 0) return size_t{0};
    z_->next_out = reinterpret_cast<Bytef*>(buf);
    z_->avail_out = static_cast<uInt>(n);
    while (z_->avail_out == n) {
        if (z_->avail_in == 0) {
            if (inner_eof_) {
                if (!member_ended_ && any_input_)
                    return MakeError(ErrorKind::kInvalidInput, "gzip.read", "gzip data is truncated",
                                     "GzipCorrupt");
                done_ = true;
                break;
            }
            ADXFLOW_ASSIGN_OR_RETURN(size_t got, inner_.Read(in_.data(), in_.size()));
            if (got == 0) {
                inner_eof_ = true;
                continue;
            }
            any_input_ = true;
            z_->next_in = reinterpret_cast<Bytef*>(in_.data());
            z_->avail_in = static_cast<uInt>(got);
            if (!initialised_) {
                // A zlib header (CMF/FLG: method 8, a multiple of 31) or raw deflate data.
                const auto b0 = static_cast<unsigned char>(in_[0]);
                const bool zlib = got >= 2 && (b0 & 0x0f) == 8 &&
                                  ((b0 << 8) | static_cast<unsigned char>(in_[1])) % 31 == 0;
                inflateInit2(z_.get(), zlib ? 15 : -15);
                initialised_ = true;
            }
        }
        if (member_ended_) {
            // More input after a finished member: another member follows (concatenated gzip).
            inflateReset(z_.get());
            member_ended_ = false;
        }
        int rc = inflate(z_.get(), Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            member_ended_ = true;
        } else if (rc == Z_BUF_ERROR) {
            continue;  // needs more input
        } else if (rc != Z_OK) {
            return ZlibError("gzip.read", rc, *z_);
        }
    }
    return n - z_->avail_out;
}

GzipWriter::GzipWriter(ByteWriter& inner, int level, DeflateWrapper wrapper)
    : inner_(inner), z_(std::make_unique<z_stream>()) {
    std::memset(z_.get(), 0, sizeof(z_stream));
    // 15 + 16: gzip wrapper rather than zlib's; -15: no wrapper at all.
    deflateInit2(z_.get(), level, Z_DEFLATED, wrapper == DeflateWrapper::kGzip ? 15 + 16 : -15, 8,
                 Z_DEFAULT_STRATEGY);
    out_.resize(kChunkBytes);
}

GzipWriter::~GzipWriter() {
    deflateEnd(z_.get());
}

Status GzipWriter::Deflate(std::string_view data, int mode) {
    z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_->avail_in = static_cast<uInt>(data.size());
    for (;;) {
        z_->next_out = reinterpret_cast<Bytef*>(out_.data());
        z_->avail_out = static_cast<uInt>(out_.size());
        int rc = deflate(z_.get(), mode);
        if (rc == Z_STREAM_ERROR) return MakeError(ErrorKind::kInternal, "gzip.write", "deflate failed");
        size_t produced = out_.size() - z_->avail_out;
        if (produced > 0) ADXFLOW_TRY(inner_.Write(std::string_view(out_.data(), produced)));
        if (mode == Z_FINISH ? rc == Z_STREAM_END : (z_->avail_in == 0 && z_->avail_out != 0)) break;
    }
    return Ok();
}

Status GzipWriter::Write(std::string_view data) {
    if (data.empty()) return Ok();
    member_open_ = true;
    return Deflate(data, Z_NO_FLUSH);
}

Status GzipWriter::Flush() {
    if (member_open_) {
        ADXFLOW_TRY(Deflate({}, Z_FINISH));
        deflateReset(z_.get());
        member_open_ = false;
    }
    return inner_.Flush();
}

}  // namespace adxflow::format
