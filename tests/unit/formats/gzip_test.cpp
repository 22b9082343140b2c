// gzip streams: round trips through zlib, concatenated members, corrupt and truncated input.

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>

#include "connectors/common/format/gzip_stream.hpp"
#include "tests/unit/formats/format_test_util.hpp"

namespace adxflow::testing {
namespace {

using format::GzipReader;
using format::GzipWriter;
using format::StringReader;
using format::StringWriter;

std::string Inflate(const std::string& compressed, size_t step = 1 << 16) {
    TrickleReader raw(compressed, step);
    GzipReader gz(raw);
    std::string out;
    char buf[4096];
    for (;;) {
        auto n = gz.Read(buf, sizeof buf);
        EXPECT_TRUE(n.ok()) << n.error().message;
        if (!n.ok() || *n == 0) return out;
        out.append(buf, *n);
    }
}

std::string SomeText(size_t bytes) {
    std::mt19937 rng(7);
    std::string s;
    while (s.size() < bytes) s += "row " + std::to_string(rng() % 100000) + ",value\r\n";
    return s;
}

TEST(Gzip, RoundTripAtBothLevels) {
    std::string text = SomeText(300000);
    for (int level : {format::kGzipOptimal, format::kGzipFastest}) {
        StringWriter out;
        GzipWriter gz(out, level);
        ASSERT_TRUE(gz.Write(text.substr(0, 1000)).ok());
        ASSERT_TRUE(gz.Write(text.substr(1000)).ok());
        ASSERT_TRUE(gz.Flush().ok());
        EXPECT_LT(out.data().size(), text.size() / 2);
        EXPECT_EQ(static_cast<unsigned char>(out.data()[0]), 0x1f);  // gzip magic
        EXPECT_EQ(static_cast<unsigned char>(out.data()[1]), 0x8b);
        EXPECT_EQ(Inflate(out.data()), text);
        EXPECT_EQ(Inflate(out.data(), 7), text);
    }
}

TEST(Gzip, EachFlushEndsAMemberAndMembersConcatenate) {
    StringWriter out;
    GzipWriter gz(out, format::kGzipOptimal);
    ASSERT_TRUE(gz.Write("first,").ok());
    ASSERT_TRUE(gz.Flush().ok());
    size_t first_member = out.data().size();
    ASSERT_TRUE(gz.Flush().ok());  // nothing new: no empty member
    EXPECT_EQ(out.data().size(), first_member);
    ASSERT_TRUE(gz.Write("second").ok());
    ASSERT_TRUE(gz.Flush().ok());
    EXPECT_EQ(Inflate(out.data().substr(0, first_member)), "first,");
    EXPECT_EQ(Inflate(out.data()), "first,second");

    // zlib's own gunzip agrees that the prefix at a flush is a complete stream.
    std::string inflated(64, '\0');
    uLongf len = inflated.size();
    z_stream z{};
    inflateInit2(&z, 15 + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(out.data().data()));
    z.avail_in = static_cast<uInt>(first_member);
    z.next_out = reinterpret_cast<Bytef*>(inflated.data());
    z.avail_out = static_cast<uInt>(len);
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
    inflateEnd(&z);
}

TEST(Gzip, EmptyInputIsAnEmptyStream) {
    EXPECT_EQ(Inflate(""), "");
}

TEST(Gzip, CorruptAndTruncatedInputAreErrors) {
    StringWriter out;
    GzipWriter gz(out, format::kGzipOptimal);
    ASSERT_TRUE(gz.Write(SomeText(10000)).ok());
    ASSERT_TRUE(gz.Flush().ok());

    StringReader truncated(out.data().substr(0, out.data().size() / 2));
    GzipReader r1(truncated);
    char buf[65536];
    Result<size_t> n = size_t{0};
    do n = r1.Read(buf, sizeof buf);
    while (n.ok() && *n > 0);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().kind, ErrorKind::kInvalidInput);

    StringReader garbage("this is not gzip at all, just text");
    GzipReader r2(garbage);
    auto g = r2.Read(buf, sizeof buf);
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().code, "GzipCorrupt");
}

}  // namespace
}  // namespace adxflow::testing
