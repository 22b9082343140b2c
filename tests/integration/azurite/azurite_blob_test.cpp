#include <algorithm>
#include <random>

#include "connectors/common/azure/blob_client.hpp"
#include "tests/integration/azurite/azurite_fixture.hpp"

namespace adxflow::azure {
namespace {

std::string RandomBytes(size_t size, uint32_t seed) {
    std::mt19937 gen(seed);
    std::string out(size, '\0');
    for (auto& c : out) c = static_cast<char>(gen() & 0xff);
    return out;
}

TEST_F(AzuriteTest, BlobRoundTrip) {
    BlobClient blobs(account_, http_);
    ASSERT_TRUE(blobs.CreateContainer("landing").ok());
    auto again = blobs.CreateContainer("landing");
    ASSERT_TRUE(again.ok()) << again.error().Describe();  // idempotent

    const std::string csv = "id,name\n1,alpha\n2,beta\n";
    auto put = blobs.PutBlob("landing", "in/2024/day 1.csv", csv, "text/csv");
    ASSERT_TRUE(put.ok()) << put.error().Describe() << "\n" << azurite_->LogTail();

    auto body = blobs.GetBlob("landing", "in/2024/day 1.csv");
    ASSERT_TRUE(body.ok()) << body.error().Describe();
    EXPECT_EQ(*body, csv);

    auto props = blobs.GetProperties("landing", "in/2024/day 1.csv");
    ASSERT_TRUE(props.ok()) << props.error().Describe();
    EXPECT_EQ(props->content_length, csv.size());
    EXPECT_EQ(props->content_type, "text/csv");
    EXPECT_EQ(props->blob_type, "BlockBlob");
    EXPECT_FALSE(props->etag.empty());

    auto middle = blobs.GetBlob("landing", "in/2024/day 1.csv", ByteRange{8, 7});
    ASSERT_TRUE(middle.ok()) << middle.error().Describe();
    EXPECT_EQ(*middle, csv.substr(8, 7));
    auto tail = blobs.GetBlob("landing", "in/2024/day 1.csv", ByteRange{16, std::nullopt});
    ASSERT_TRUE(tail.ok());
    EXPECT_EQ(*tail, csv.substr(16));

    ASSERT_TRUE(blobs.DeleteBlob("landing", "in/2024/day 1.csv").ok());
    auto gone = blobs.GetBlob("landing", "in/2024/day 1.csv");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
    EXPECT_EQ(gone.error().code, "BlobNotFound");
    auto gone_again = blobs.DeleteBlob("landing", "in/2024/day 1.csv");
    ASSERT_FALSE(gone_again.ok());
    EXPECT_EQ(gone_again.error().kind, ErrorKind::kNotFound);

    auto missing_container = blobs.GetProperties("nosuchcontainer", "x");
    ASSERT_FALSE(missing_container.ok());
    EXPECT_EQ(missing_container.error().kind, ErrorKind::kNotFound);
}

TEST_F(AzuriteTest, ListBlobsWithPrefixDelimiterAndPaging) {
    BlobClient blobs(account_, http_);
    ASSERT_TRUE(blobs.CreateContainer("lake").ok());
    const std::vector<std::string> names = {"a/1.json",     "a/2.json", "a/3.json",
                                            "a/sub/4.json", "b/5.json", "top & <odd>.txt"};
    for (const auto& name : names) {
        auto put = blobs.PutBlob("lake", name, "{\"n\":\"" + name + "\"}", "application/json");
        ASSERT_TRUE(put.ok()) << name << ": " << put.error().Describe();
    }

    auto all = blobs.ListBlobs("lake");
    ASSERT_TRUE(all.ok()) << all.error().Describe();
    std::vector<std::string> listed;
    for (const auto& b : all->blobs) listed.push_back(b.name);
    EXPECT_EQ(listed, names);
    EXPECT_TRUE(all->next_marker.empty());
    EXPECT_EQ(all->blobs[0].content_length, std::string("{\"n\":\"a/1.json\"}").size());
    EXPECT_EQ(all->blobs[0].content_type, "application/json");

    ListBlobsOptions one_level;
    one_level.prefix = "a/";
    one_level.delimiter = "/";
    auto level = blobs.ListBlobs("lake", one_level);
    ASSERT_TRUE(level.ok()) << level.error().Describe();
    ASSERT_EQ(level->blobs.size(), 3u);
    EXPECT_EQ(level->prefixes, std::vector<std::string>{"a/sub/"});

    std::vector<std::string> paged;
    ListBlobsOptions page_options;
    page_options.prefix = "a/";
    page_options.max_results = 2;
    int pages = 0;
    do {
        auto page = blobs.ListBlobs("lake", page_options);
        ASSERT_TRUE(page.ok()) << page.error().Describe();
        EXPECT_LE(page->blobs.size(), 2u);
        for (const auto& b : page->blobs) paged.push_back(b.name);
        page_options.marker = page->next_marker;
        ++pages;
    } while (!page_options.marker.empty() && pages < 10);
    EXPECT_EQ(pages, 2);
    EXPECT_EQ(paged, (std::vector<std::string>{"a/1.json", "a/2.json", "a/3.json", "a/sub/4.json"}));
}

TEST_F(AzuriteTest, LargeBlockUploadReadBackWithRangedGets) {
    BlobClient blobs(account_, http_);
    ASSERT_TRUE(blobs.CreateContainer("big").ok());
    const std::string data = RandomBytes(20u << 20, 42);
    CallOptions slow;
    slow.timeout = std::chrono::seconds(120);
    auto upload = blobs.Upload("big", "blob.bin", data, 4u << 20, "application/octet-stream", slow);
    ASSERT_TRUE(upload.ok()) << upload.error().Describe() << "\n" << azurite_->LogTail();

    auto props = blobs.GetProperties("big", "blob.bin");
    ASSERT_TRUE(props.ok());
    EXPECT_EQ(props->content_length, data.size());

    // Ranges that start inside one block and end inside the next, the first byte, and the last bytes.
    const std::vector<ByteRange> ranges = {{0, 1},
                                           {(4u << 20) - 100, 200},
                                           {(12u << 20) + 7, 3u << 20},
                                           {data.size() - 10, 10},
                                           {data.size() - 5, std::nullopt}};
    for (const auto& range : ranges) {
        auto part = blobs.GetBlob("big", "blob.bin", range, slow);
        ASSERT_TRUE(part.ok()) << range.offset << ": " << part.error().Describe();
        size_t length = range.length.value_or(data.size() - range.offset);
        EXPECT_EQ(part->size(), length) << range.offset;
        EXPECT_TRUE(*part == data.substr(range.offset, length)) << "range at " << range.offset;
    }

    // The whole blob, streamed: chunks arrive in order and add up to the original.
    std::string streamed;
    size_t chunks = 0;
    auto whole = blobs.GetBlobStreaming(
        "big", "blob.bin", std::nullopt,
        [&](std::string_view chunk) {
            streamed.append(chunk);
            ++chunks;
            return Ok();
        },
        slow);
    ASSERT_TRUE(whole.ok()) << whole.error().Describe();
    EXPECT_EQ(whole->content_length, data.size());
    EXPECT_GT(chunks, 1u);
    EXPECT_TRUE(streamed == data);

    // A range past the end is the caller's mistake.
    auto beyond = blobs.GetBlob("big", "blob.bin", ByteRange{data.size() + 10, 5});
    ASSERT_FALSE(beyond.ok());
    EXPECT_EQ(beyond.error().kind, ErrorKind::kInvalidInput);
}

TEST_F(AzuriteTest, WrongKeyIsUnauthorized) {
    StorageAccount wrong = account_;
    wrong.account_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    BlobClient blobs(wrong, http_);
    auto created = blobs.CreateContainer("denied");
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind, ErrorKind::kUnauthorized) << created.error().Describe();
    EXPECT_EQ(created.error().message.find(wrong.account_key), std::string::npos);
}

TEST_F(AzuriteTest, DevelopmentStorageConnectionString) {
    DevelopmentStorage dev;
    dev.blob_port = azurite_->blob_port();
    dev.queue_port = azurite_->queue_port();
    dev.table_port = azurite_->table_port();
    auto account = ParseConnectionString("UseDevelopmentStorage=true", dev);
    ASSERT_TRUE(account.ok());
    BlobClient blobs(*account, http_);
    ASSERT_TRUE(blobs.CreateContainer("dev").ok());
    ASSERT_TRUE(blobs.PutBlob("dev", "x", "y").ok());
    auto read = blobs.GetBlob("dev", "x");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*read, "y");
    // All those calls went over one pooled connection.
    EXPECT_EQ(http_.connections_opened(), 1u);
}

}  // namespace
}  // namespace adxflow::azure
