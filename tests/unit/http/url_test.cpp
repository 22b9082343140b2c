#include <gtest/gtest.h>

#include "connectors/common/http/url.hpp"

namespace adxflow::http {
namespace {

struct UrlCase {
    const char* text;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
    const char* query;
    const char* authority;
};

TEST(Url, ParsesAbsoluteUrls) {
    const UrlCase cases[] = {
        {"https://acct.blob.core.windows.net/c/b.txt?sv=1&sig=a%2Bb", "https", "acct.blob.core.windows.net",
         443, "/c/b.txt", "sv=1&sig=a%2Bb", "acct.blob.core.windows.net"},
        {"http://127.0.0.1:10000/devstoreaccount1", "http", "127.0.0.1", 10000, "/devstoreaccount1", "",
         "127.0.0.1:10000"},
        {"HTTP://LocalHost", "http", "localhost", 80, "/", "", "localhost"},
        {"http://[::1]:8080/x?y", "http", "::1", 8080, "/x", "y", "[::1]:8080"},
        {"https://[2001:db8::1]/", "https", "2001:db8::1", 443, "/", "", "[2001:db8::1]"},
        {"https://h:443/a#frag", "https", "h", 443, "/a", "", "h"},
        {"https://h?q=1", "https", "h", 443, "/", "q=1", "h"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto url = ParseUrl(c.text);
        ASSERT_TRUE(url.ok()) << url.error().Describe();
        EXPECT_EQ(url->scheme, c.scheme);
        EXPECT_EQ(url->host, c.host);
        EXPECT_EQ(url->port, c.port);
        EXPECT_EQ(url->path, c.path);
        EXPECT_EQ(url->query, c.query);
        EXPECT_EQ(url->Authority(), c.authority);
    }
}

TEST(Url, RejectsMalformedUrls) {
    for (const char* text : {"ftp://h/", "h/path", "https://", "https://user:pw@h/", "https://h:99999/",
                             "https://h:0/", "https://h:12a/", "https://[::1/", "https://[zz::1]/"}) {
        auto url = ParseUrl(text);
        EXPECT_FALSE(url.ok()) << text;
        if (!url.ok()) {
            EXPECT_EQ(url.error().kind, ErrorKind::kInvalidInput) << text;
        }
    }
}

TEST(Url, RedactedDropsTheQuery) {
    auto url = ParseUrl("https://a.blob.core.windows.net/c?sig=secret");
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->Redacted(), "https://a.blob.core.windows.net/c");
    EXPECT_EQ(url->ToString(), "https://a.blob.core.windows.net/c?sig=secret");
}

TEST(Url, LoopbackHosts) {
    for (const char* host :
         {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "api.localhost", "::1", "::ffff:127.0.0.1"})
        EXPECT_TRUE(IsLoopbackHost(host)) << host;
    for (const char* host : {"128.0.0.1", "10.0.0.1", "example.com", "localhost.example.com", "::2",
                             "0.0.0.0", "::ffff:10.0.0.1", "127.0.0.1.nip.io"})
        EXPECT_FALSE(IsLoopbackHost(host)) << host;
}

TEST(Url, PercentEncoding) {
    EXPECT_EQ(PercentEncode("a b/c+d=é~"), "a%20b%2Fc%2Bd%3D%C3%A9~");
    EXPECT_EQ(PercentEncode("dir/file name.csv", "/"), "dir/file%20name.csv");
    EXPECT_EQ(PercentDecode("a%20b%2Fc%2bd+e%zz%4"), "a b/c+d+e%zz%4");
    auto pairs = ParseQuery("restype=container&comp=list&prefix=a%2Fb&flag&&x=1%3D2");
    ASSERT_EQ(pairs.size(), 5u);
    EXPECT_EQ(pairs[2], (std::pair<std::string, std::string>{"prefix", "a/b"}));
    EXPECT_EQ(pairs[3], (std::pair<std::string, std::string>{"flag", ""}));
    EXPECT_EQ(pairs[4], (std::pair<std::string, std::string>{"x", "1=2"}));
    std::string query;
    AppendQueryParam(query, "comp", "list");
    AppendQueryParam(query, "marker", "2!a/b c");
    EXPECT_EQ(query, "comp=list&marker=2%21a%2Fb%20c");
}

}  // namespace
}  // namespace adxflow::http
