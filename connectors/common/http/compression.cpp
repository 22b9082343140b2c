#include "connectors/common/http/compression.hpp"

#include <zlib.h>

namespace adxflow::http {
namespace {

Error ZlibError(const char* op, const char* what) {
    return MakeError(ErrorKind::kTransient, op, std::string("compressed body is invalid: ") + what);
}

}  // namespace

Result<std::string> GzipCompress(std::string_view data) {
    z_stream zs{};
    // windowBits 15 + 16 selects the gzip wrapper.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return MakeError(ErrorKind::kInternal, "http.gzip", "deflateInit2 failed");
    std::string out;
    out.resize(deflateBound(&zs, data.size()) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return MakeError(ErrorKind::kInternal, "http.gzip", "deflate did not finish");
    return out;
}

struct GzipEncoder::State {
    z_stream zs{};
    bool ok = false;
};

GzipEncoder::GzipEncoder(int level) : state_(std::make_unique<State>()) {
    state_->ok = deflateInit2(&state_->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipEncoder::~GzipEncoder() {
    if (state_->ok) deflateEnd(&state_->zs);
}

namespace {

Status Deflate(z_stream& zs, std::string_view input, int flush, std::string& out) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    zs.avail_in = static_cast<uInt>(input.size());
    char buf[64 * 1024];
    do {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        int rc = deflate(&zs, flush);
        if (rc == Z_STREAM_ERROR) return MakeError(ErrorKind::kInternal, "http.gzip", "deflate failed");
        out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
    return Ok();
}

}  // namespace

Status GzipEncoder::Feed(std::string_view input, std::string& out) {
    if (!state_->ok) return MakeError(ErrorKind::kInternal, "http.gzip", "deflateInit2 failed");
    return Deflate(state_->zs, input, Z_SYNC_FLUSH, out);
}

Status GzipEncoder::Finish(std::string& out) {
    if (!state_->ok) return MakeError(ErrorKind::kInternal, "http.gzip", "deflateInit2 failed");
    return Deflate(state_->zs, {}, Z_FINISH, out);
}

struct BodyDecoder::State {
    Encoding encoding;
    z_stream zs{};
    bool initialized = false;
    bool finished = false;
};

BodyDecoder::BodyDecoder(Encoding encoding) : state_(std::make_unique<State>()) {
    state_->encoding = encoding;
}

BodyDecoder::~BodyDecoder() {
    if (state_->initialized) inflateEnd(&state_->zs);
}

Status BodyDecoder::Feed(std::string_view input, std::string& out) {
    State& s = *state_;
    if (input.empty()) return Ok();
    if (!s.initialized) {
        int window_bits = 15 + 16;  // gzip only
        if (s.encoding == Encoding::kDeflate) {
            // zlib streams start with a CMF byte whose low nibble is 8 (deflate) and a checksum over two
            // bytes.
            auto b0 = static_cast<unsigned char>(input[0]);
            bool zlib_wrapped =
                (b0 & 0x0f) == 8 &&
                (input.size() < 2 || ((b0 << 8) | static_cast<unsigned char>(input[1])) % 31 == 0);
            window_bits = zlib_wrapped ? 15 : -15;
        }
        if (inflateInit2(&s.zs, window_bits) != Z_OK)
            return MakeError(ErrorKind::kInternal, "http.decode", "inflateInit2 failed");
        s.initialized = true;
    }
    if (s.finished) return ZlibError("http.decode", "data after the end of the compressed stream");
    s.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    s.zs.avail_in = static_cast<uInt>(input.size());
    char buffer[64 * 1024];
    // zpipe pattern: while inflate fills the whole output buffer there may be more to produce from the same
    // input; a partly filled buffer means the input is used up.
    do {
        s.zs.next_out = reinterpret_cast<Bytef*>(buffer);
        s.zs.avail_out = sizeof buffer;
        int rc = inflate(&s.zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            s.finished = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return ZlibError("http.decode", s.zs.msg ? s.zs.msg : "inflate failed");
        }
        out.append(buffer, sizeof buffer - s.zs.avail_out);
    } while (!s.finished && s.zs.avail_out == 0);
    if (s.finished && s.zs.avail_in > 0)
        return ZlibError("http.decode", "data after the end of the compressed stream");
    return Ok();
}

Status BodyDecoder::Finish() const {
    if (state_->initialized && !state_->finished) return ZlibError("http.decode", "the stream ended early");
    return Ok();
}

}  // namespace adxflow::http
