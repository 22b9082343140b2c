#include "connectors/common/azure/queue_client.hpp"
#include "connectors/common/azure/table_client.hpp"
#include "tests/integration/azurite/azurite_fixture.hpp"

namespace adxflow::azure {
namespace {

using namespace std::chrono_literals;

TEST_F(AzuriteTest, QueueMessages) {
    QueueClient queues(account_, http_);
    ASSERT_TRUE(queues.CreateQueue("ready-for-aggregation").ok());
    auto again = queues.CreateQueue("ready-for-aggregation");
    ASSERT_TRUE(again.ok()) << again.error().Describe();

    // An ingestion message as the Kusto SDKs send it: JSON with characters XML would otherwise mangle.
    const std::string first = R"({"BlobPath":"https://a/b?sv=1&sig=x<y>","DatabaseName":"db","Id":1})";
    auto put = queues.PutMessage("ready-for-aggregation", first);
    ASSERT_TRUE(put.ok()) << put.error().Describe() << "\n" << azurite_->LogTail();
    EXPECT_FALSE(put->message_id.empty());
    EXPECT_FALSE(put->pop_receipt.empty());
    ASSERT_TRUE(queues.PutMessage("ready-for-aggregation", "second").ok());
    ASSERT_TRUE(queues.PutMessage("ready-for-aggregation", std::string("bin\0ary", 7)).ok());

    auto peeked = queues.PeekMessages("ready-for-aggregation", 32);
    ASSERT_TRUE(peeked.ok()) << peeked.error().Describe();
    ASSERT_EQ(peeked->size(), 3u);
    EXPECT_EQ((*peeked)[0].text, first);
    EXPECT_EQ((*peeked)[0].message_id, put->message_id);
    EXPECT_TRUE((*peeked)[0].pop_receipt.empty());
    EXPECT_EQ((*peeked)[2].text, std::string("bin\0ary", 7));

    auto got = queues.GetMessages("ready-for-aggregation", 2, 60s);
    ASSERT_TRUE(got.ok()) << got.error().Describe();
    ASSERT_EQ(got->size(), 2u);
    EXPECT_EQ((*got)[0].text, first);
    EXPECT_EQ((*got)[1].text, "second");
    EXPECT_EQ((*got)[0].dequeue_count, 1);

    // The two dequeued messages are invisible now; only the third can be seen.
    auto visible = queues.PeekMessages("ready-for-aggregation", 32);
    ASSERT_TRUE(visible.ok());
    ASSERT_EQ(visible->size(), 1u);
    EXPECT_EQ((*visible)[0].text, std::string("bin\0ary", 7));

    for (const auto& m : *got) {
        auto deleted = queues.DeleteMessage("ready-for-aggregation", m.message_id, m.pop_receipt);
        ASSERT_TRUE(deleted.ok()) << deleted.error().Describe();
    }
    auto stale = queues.DeleteMessage("ready-for-aggregation", (*got)[0].message_id, (*got)[0].pop_receipt);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().kind, ErrorKind::kNotFound);

    auto last = queues.GetMessages("ready-for-aggregation", 32, 1s);
    ASSERT_TRUE(last.ok());
    ASSERT_EQ(last->size(), 1u);
    ASSERT_TRUE(
        queues.DeleteMessage("ready-for-aggregation", (*last)[0].message_id, (*last)[0].pop_receipt).ok());
    auto empty = queues.PeekMessages("ready-for-aggregation", 32);
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());

    // A message put with a visibility timeout stays hidden.
    ASSERT_TRUE(
        queues.PutMessage("ready-for-aggregation", "later", PutMessageOptions{60s, std::nullopt}).ok());
    auto hidden = queues.PeekMessages("ready-for-aggregation", 32);
    ASSERT_TRUE(hidden.ok());
    EXPECT_TRUE(hidden->empty());

    auto missing = queues.PeekMessages("no-such-queue", 1);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
    ASSERT_TRUE(queues.DeleteQueue("ready-for-aggregation").ok());
}

TableQuery Query(std::string filter, std::vector<std::string> select = {}, std::optional<int> page_size = {},
                 size_t max_entities = 100000) {
    TableQuery q;
    q.filter = std::move(filter);
    q.select = std::move(select);
    q.page_size = page_size;
    q.max_entities = max_entities;
    return q;
}

TEST_F(AzuriteTest, TableEntities) {
    TableClient tables(account_, http_);
    auto created = tables.CreateTable("IngestionStatus");
    ASSERT_TRUE(created.ok()) << created.error().Describe() << "\n" << azurite_->LogTail();
    auto again = tables.CreateTable("IngestionStatus");
    ASSERT_TRUE(again.ok()) << again.error().Describe();

    Json entity = {{"PartitionKey", "run-1"}, {"RowKey", "it's 1"},     {"Status", "Pending"},
                   {"Attempts", 1},           {"Bytes", "12345678901"}, {"Bytes@odata.type", "Edm.Int64"}};
    auto inserted = tables.InsertEntity("IngestionStatus", entity);
    ASSERT_TRUE(inserted.ok()) << inserted.error().Describe() << "\n" << azurite_->LogTail();
    auto duplicate = tables.InsertEntity("IngestionStatus", entity);
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.error().kind, ErrorKind::kConflict);
    EXPECT_EQ(duplicate.error().code, "EntityAlreadyExists");

    auto read = tables.GetEntity("IngestionStatus", "run-1", "it's 1");
    ASSERT_TRUE(read.ok()) << read.error().Describe();
    EXPECT_EQ((*read)["Status"], "Pending");
    EXPECT_EQ((*read)["Attempts"], 1);
    EXPECT_EQ((*read)["Bytes"], "12345678901");

    entity["Status"] = "Succeeded";
    entity.erase("Attempts");
    auto upserted = tables.UpsertEntity("IngestionStatus", entity);
    ASSERT_TRUE(upserted.ok()) << upserted.error().Describe();
    read = tables.GetEntity("IngestionStatus", "run-1", "it's 1");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ((*read)["Status"], "Succeeded");
    EXPECT_FALSE(read->contains("Attempts"));  // replace, not merge

    for (int i = 0; i < 5; ++i) {
        Json row = {{"PartitionKey", "run-2"}, {"RowKey", "r" + std::to_string(i)}, {"Score", i * 10}};
        ASSERT_TRUE(tables.UpsertEntity("IngestionStatus", row).ok());
    }
    auto high = tables.QueryEntities("IngestionStatus", Query("PartitionKey eq 'run-2' and Score ge 20"));
    ASSERT_TRUE(high.ok()) << high.error().Describe();
    ASSERT_EQ(high->size(), 3u);
    EXPECT_EQ((*high)[0]["RowKey"], "r2");

    auto paged = tables.QueryEntities("IngestionStatus", Query("PartitionKey eq 'run-2'", {}, 2));
    ASSERT_TRUE(paged.ok()) << paged.error().Describe();
    ASSERT_EQ(paged->size(), 5u);  // three pages, followed through continuation headers
    EXPECT_EQ((*paged)[4]["RowKey"], "r4");

    auto selected = tables.QueryEntities("IngestionStatus", Query("RowKey eq 'r1'", {"Score"}));
    ASSERT_TRUE(selected.ok());
    ASSERT_EQ(selected->size(), 1u);
    EXPECT_EQ((*selected)[0]["Score"], 10);
    EXPECT_FALSE((*selected)[0].contains("PartitionKey"));

    auto capped = tables.QueryEntities("IngestionStatus", Query("", {}, 2, 3));
    ASSERT_TRUE(capped.ok());
    EXPECT_EQ(capped->size(), 3u);

    ASSERT_TRUE(tables.DeleteEntity("IngestionStatus", "run-1", "it's 1").ok());
    auto gone = tables.GetEntity("IngestionStatus", "run-1", "it's 1");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
    auto gone_again = tables.DeleteEntity("IngestionStatus", "run-1", "it's 1");
    ASSERT_FALSE(gone_again.ok());
    EXPECT_EQ(gone_again.error().kind, ErrorKind::kNotFound);

    auto bad = tables.InsertEntity("IngestionStatus", Json{{"RowKey", "x"}});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidInput);
    ASSERT_TRUE(tables.DeleteTable("IngestionStatus").ok());
}

}  // namespace
}  // namespace adxflow::azure
