#include <gtest/gtest.h>

#include "connectors/common/azure/account.hpp"
#include "connectors/common/azure/encoding.hpp"
#include "connectors/common/azure/shared_key.hpp"
#include "connectors/common/azure/storage_client.hpp"
#include "connectors/common/azure/table_client.hpp"
#include "connectors/common/azure/xml.hpp"

namespace adxflow::azure {
namespace {

std::string Hex(const std::string& bytes) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

TEST(AzureEncoding, Base64AndHmac) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};  // RFC 4648 section 10
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(Base64Encode(plain), encoded);
        EXPECT_EQ(Base64Decode(encoded).value_or("<fail>"), plain);
    }
    for (const char* bad : {"Zg=", "Zg=a", "Z===", "Zm9v!A==", "=Zm9"})
        EXPECT_FALSE(Base64Decode(bad)) << bad;
    // RFC 4231 test case 2.
    EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(FormatHttpDate(std::chrono::sys_days{std::chrono::year{2024} / 3 / 5} + std::chrono::hours(8) +
                             std::chrono::minutes(9) + std::chrono::seconds(10)),
              "Tue, 05 Mar 2024 08:09:10 GMT");
}

TEST(AzureSharedKey, BlobStringToSign) {
    http::HttpRequest request;
    request.method = "PUT";
    request.url =
        "http://127.0.0.1:10000/devstoreaccount1/c/dir/a%20b.csv?comp=block&blockid=YQ%3D%3D&Timeout=30";
    request.headers.Set("Content-Type", "text/csv");
    request.headers.Set("x-ms-version", "2021-08-06");
    request.headers.Set("X-MS-Date", "Tue, 05 Mar 2024 08:09:10 GMT");
    request.headers.Set("x-ms-client-request-id", " id-1 ");
    request.headers.Set("x-ms-range", "bytes=0-9");
    request.body = "0123456789";
    auto url = http::ParseUrl(request.url);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(BlobQueueStringToSign(request, *url, "devstoreaccount1"),
              "PUT\n\n\n10\n\ntext/csv\n\n\n\n\n\n\n"
              "x-ms-client-request-id:id-1\n"
              "x-ms-date:Tue, 05 Mar 2024 08:09:10 GMT\n"
              "x-ms-range:bytes=0-9\n"
              "x-ms-version:2021-08-06\n"
              "/devstoreaccount1/devstoreaccount1/c/dir/a%20b.csv\n"
              "blockid:YQ==\ncomp:block\ntimeout:30");

    // A zero length is signed as an empty line.
    request.body.clear();
    request.method = "GET";
    request.url =
        "https://acct.blob.core.windows.net/c?restype=container&comp=list&include=metadata&include=snapshots";
    request.headers.Remove("x-ms-range");
    request.headers.Remove("Content-Type");
    url = http::ParseUrl(request.url);
    EXPECT_EQ(
        BlobQueueStringToSign(request, *url, "acct"),
        "GET\n\n\n\n\n\n\n\n\n\n\n\n"
        "x-ms-client-request-id:id-1\nx-ms-date:Tue, 05 Mar 2024 08:09:10 GMT\nx-ms-version:2021-08-06\n"
        "/acct/c\ncomp:list\ninclude:metadata,snapshots\nrestype:container");
}

TEST(AzureSharedKey, TableStringToSignAndSignature) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = "https://acct.table.core.windows.net/Tables?comp=x&$top=3";
    request.headers.Set("Content-Type", "application/json");
    request.headers.Set("x-ms-date", "Tue, 05 Mar 2024 08:09:10 GMT");
    auto url = http::ParseUrl(request.url);
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(TableStringToSign(request, *url, "acct"),
              "POST\n\napplication/json\nTue, 05 Mar 2024 08:09:10 GMT\n/acct/Tables?comp=x");

    ASSERT_TRUE(SignSharedKey(request, StorageService::kTable, "acct", "a2V5").ok());
    const std::string expected =
        "SharedKey acct:" +
        Base64Encode(HmacSha256(
            "key", "POST\n\napplication/json\nTue, 05 Mar 2024 08:09:10 GMT\n/acct/Tables?comp=x"));
    EXPECT_EQ(*request.headers.Get("Authorization"), expected);
    EXPECT_FALSE(SignSharedKey(request, StorageService::kBlob, "acct", "not base64!").ok());
}

TEST(AzureAccount, ConnectionStrings) {
    auto cloud = ParseConnectionString(
        "DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi."
        "cn");
    ASSERT_TRUE(cloud.ok()) << cloud.error().Describe();
    EXPECT_EQ(cloud->account_name, "myacct");
    EXPECT_EQ(cloud->account_key, "a2V5");
    EXPECT_EQ(cloud->blob_endpoint, "https://myacct.blob.core.chinacloudapi.cn");
    EXPECT_EQ(cloud->queue_endpoint, "https://myacct.queue.core.chinacloudapi.cn");
    EXPECT_EQ(cloud->table_endpoint, "https://myacct.table.core.chinacloudapi.cn");

    auto sas = ParseConnectionString(
        " BlobEndpoint=https://other.blob.core.windows.net/ ; "
        "SharedAccessSignature=?sv=2021-08-06&sig=abc%3D ");
    ASSERT_TRUE(sas.ok()) << sas.error().Describe();
    EXPECT_EQ(sas->account_name, "other");
    EXPECT_EQ(sas->blob_endpoint, "https://other.blob.core.windows.net");
    EXPECT_EQ(sas->sas_token, "sv=2021-08-06&sig=abc%3D");
    EXPECT_TRUE(sas->queue_endpoint.empty());

    DevelopmentStorage dev{.host = "::1", .blob_port = 1, .queue_port = 2, .table_port = 3};
    auto local = ParseConnectionString("usedevelopmentstorage=TRUE", dev);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local->account_name, "devstoreaccount1");
    EXPECT_EQ(local->blob_endpoint, "http://[::1]:1/devstoreaccount1");
    EXPECT_EQ(local->table_endpoint, "http://[::1]:3/devstoreaccount1");
    EXPECT_TRUE(local->uses_shared_key());

    for (const char* bad : {"AccountName=a", "AccountName=a;AccountKey=not*base64", "AccountKey=a2V5",
                            "DefaultEndpointsProtocol=ftp;AccountName=a;AccountKey=a2V5", "garbage"}) {
        auto parsed = ParseConnectionString(bad);
        ASSERT_FALSE(parsed.ok()) << bad;
        EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidInput);
        EXPECT_EQ(parsed.error().message.find("a2V5"), std::string::npos);  // never echo the key
    }
}

TEST(AzureAccount, ResourceUrls) {
    auto cloud = ParseResourceUrl("https://acct.blob.core.windows.net/ingest/dir/a%20b.csv?sv=1&sig=x",
                                  StorageService::kBlob);
    ASSERT_TRUE(cloud.ok());
    EXPECT_EQ(cloud->account.account_name, "acct");
    EXPECT_EQ(cloud->account.blob_endpoint, "https://acct.blob.core.windows.net");
    EXPECT_EQ(cloud->account.sas_token, "sv=1&sig=x");
    EXPECT_EQ(cloud->container, "ingest");
    EXPECT_EQ(cloud->blob_name, "dir/a b.csv");

    auto local = ParseResourceUrl("http://127.0.0.1:10001/devstoreaccount1/readyforaggregation?sig=s",
                                  StorageService::kQueue);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local->account.account_name, "devstoreaccount1");
    EXPECT_EQ(local->account.queue_endpoint, "http://127.0.0.1:10001/devstoreaccount1");
    EXPECT_EQ(local->container, "readyforaggregation");
    EXPECT_TRUE(local->blob_name.empty());
}

TEST(AzureXml, ListBlobsShapedDocument) {
    const char* doc = R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1/devstoreaccount1" ContainerName='c'>
  <!-- comment -->
  <Blobs>
    <Blob><Name>a &amp; b&#x2F;&#233;.csv</Name><Properties><Content-Length>12</Content-Length><Content-MD5/></Properties></Blob>
    <BlobPrefix><Name><![CDATA[dir<1>/]]></Name></BlobPrefix>
  </Blobs>
  <NextMarker />
</EnumerationResults>)";
    auto root = ParseXml(doc);
    ASSERT_TRUE(root.ok()) << root.error().Describe();
    EXPECT_EQ(root->name, "EnumerationResults");
    EXPECT_EQ(*root->Attribute("ContainerName"), "c");
    const XmlElement* blobs = root->Child("Blobs");
    ASSERT_NE(blobs, nullptr);
    ASSERT_EQ(blobs->children.size(), 2u);
    EXPECT_EQ(blobs->children[0].ChildText("Name"), "a & b/\xC3\xA9.csv");
    EXPECT_EQ(blobs->children[0].Child("Properties")->ChildText("Content-Length"), "12");
    EXPECT_EQ(blobs->children[1].ChildText("Name"), "dir<1>/");
    EXPECT_EQ(root->ChildText("NextMarker"), "");
    EXPECT_EQ(root->ChildText("Absent"), "");

    for (const char* bad :
         {"", "<a>", "<a></b>", "<a>&bogus;</a>", "<a x=1/>", "<a></a><b/>", "<a>&#xZZ;</a>"})
        EXPECT_FALSE(ParseXml(bad).ok()) << bad;
    EXPECT_EQ(XmlEscape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
}

TEST(AzureErrors, StatusAndDocumentMapping) {
    http::HttpResponse blob_missing;
    blob_missing.status = 404;
    blob_missing.headers.Set("x-ms-error-code", "BlobNotFound");
    blob_missing.body =
        "<?xml version=\"1.0\"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not "
        "exist.\nRequestId:1\nTime:2024</Message></Error>";
    Error e = StorageError(blob_missing, "blob.get");
    EXPECT_EQ(e.kind, ErrorKind::kNotFound);
    EXPECT_EQ(e.code, "BlobNotFound");
    EXPECT_EQ(e.message, "HTTP 404 (BlobNotFound): The specified blob does not exist.");

    http::HttpResponse table_conflict;
    table_conflict.status = 409;
    table_conflict.body =
        R"({"odata.error":{"code":"EntityAlreadyExists","message":{"lang":"en-US","value":"The specified entity already exists.\nRequestId:2"}}})";
    e = StorageError(table_conflict, "table.insert");
    EXPECT_EQ(e.kind, ErrorKind::kConflict);
    EXPECT_EQ(e.code, "EntityAlreadyExists");
    EXPECT_EQ(StorageErrorCode(table_conflict), "EntityAlreadyExists");

    http::HttpResponse busy;
    busy.status = 503;
    busy.headers.Set("Retry-After", "7");
    e = StorageError(busy, "queue.put_message");
    EXPECT_EQ(e.kind, ErrorKind::kTransient);
    EXPECT_EQ(e.code, "Http503");
    ASSERT_TRUE(e.retry_after.has_value());
    EXPECT_EQ(*e.retry_after, std::chrono::seconds(7));

    const std::pair<int, ErrorKind> table[] = {
        {400, ErrorKind::kInvalidInput}, {401, ErrorKind::kUnauthorized}, {403, ErrorKind::kForbidden},
        {412, ErrorKind::kConflict},     {413, ErrorKind::kTooLarge},     {416, ErrorKind::kInvalidInput},
        {429, ErrorKind::kTransient},    {500, ErrorKind::kTransient}};
    for (const auto& [status, kind] : table) {
        http::HttpResponse r;
        r.status = status;
        EXPECT_EQ(StorageError(r, "op").kind, kind) << status;
    }
}

TEST(AzureTable, EntityPathsEscapeKeys) {
    EXPECT_EQ(EntityPath("T", "p 1", "it's"), "/T(PartitionKey='p%201',RowKey='it%27%27s')");
}

}  // namespace
}  // namespace adxflow::azure
