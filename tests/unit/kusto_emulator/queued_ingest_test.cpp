// Queued ingestion through a real Azurite: the client side is played with the project's storage clients and
// only the SAS URLs `.get ingestion resources` hands out, as an SDK would; the emulator's worker polls the
// ready queue, ingests and reports to the status queues, the status table and `.show ingestion failures`.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "connectors/common/azure/blob_client.hpp"
#include "connectors/common/azure/queue_client.hpp"
#include "connectors/common/azure/table_client.hpp"
#include "connectors/common/http/compression.hpp"
#include "connectors/common/kusto/response.hpp"
#include "core/ids.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/unit/kusto_emulator/collect.hpp"

namespace adxflow::kusto_emulator {
namespace {

using namespace std::chrono_literals;
using azure::StorageService;

std::string Cell(const std::vector<Value>& row, size_t i) {
    return i < row.size() && std::holds_alternative<std::string>(row[i]) ? std::get<std::string>(row[i]) : "";
}

class QueuedIngestTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto started = testing::AzuriteProcess::Start();
        ASSERT_TRUE(started.ok()) << started.error().Describe();
        azurite_ = std::move(started).value();
        StartEmulator(false);
    }

    void StartEmulator(bool discard) {
        EmulatorOptions options;
        options.databases = {"NetDefaultDB", "Sales"};
        options.storage.connection_string = azurite_->connection_string();
        options.storage.poll_interval = 50ms;
        options.discard_ingested_rows = discard;
        emulator_.reset();
        emulator_ = std::make_unique<Emulator>(options);
        ASSERT_TRUE(emulator_->init_status().ok()) << emulator_->init_status().error().Describe();
        ASSERT_EQ(Mgmt(".create table Events (id:long, name:string)").status, 200);
        auto resources = Table(".get ingestion resources", "NetDefaultDB");
        ASSERT_EQ(resources.size(), 5u);
        for (const auto& row : resources) urls_[Cell(row, 0)] = Cell(row, 1);
        auto token = Table(".get kusto identity token", "NetDefaultDB");
        ASSERT_EQ(token.size(), 1u);
        token_ = Cell(token[0], 0);
        ASSERT_FALSE(token_.empty());
    }

    api::Response Mgmt(const std::string& csl, const std::string& db = "Sales") {
        api::Request r;
        r.method = "POST";
        r.path = "/v1/rest/mgmt";
        r.body = Json{{"db", db}, {"csl", csl}}.dump();
        return emulator_->Handle(r);
    }
    std::vector<std::vector<Value>> Table(const std::string& csl, const std::string& db = "Sales") {
        auto response = Mgmt(csl, db);
        EXPECT_EQ(response.status, 200) << response.body;
        Collect c;
        EXPECT_TRUE(kusto::ParseV1(response.body, c).ok()) << response.body;
        return c.Primary() ? c.Primary()->rows : std::vector<std::vector<Value>>{};
    }
    std::vector<std::vector<Value>> Query(const std::string& csl) {
        api::Request r;
        r.method = "POST";
        r.path = "/v1/rest/query";
        r.body = Json{{"db", "Sales"}, {"csl", csl}}.dump();
        auto response = emulator_->Handle(r);
        EXPECT_EQ(response.status, 200) << response.body;
        Collect c;
        EXPECT_TRUE(kusto::ParseV1(response.body, c).ok()) << response.body;
        return c.Primary() ? c.Primary()->rows : std::vector<std::vector<Value>>{};
    }

    // A client's view: the container and queues through the SAS URLs only.
    azure::ResourceUrl Resource(const std::string& type, StorageService service) {
        auto parsed = azure::ParseResourceUrl(urls_.at(type), service);
        EXPECT_TRUE(parsed.ok()) << urls_.at(type);
        return *parsed;
    }
    std::string Upload(const std::string& name, const std::string& data) {
        auto temp = Resource("TempStorage", StorageService::kBlob);
        azure::BlobClient blobs(temp.account, http_);
        auto put = blobs.PutBlob(temp.container, name, data);
        EXPECT_TRUE(put.ok()) << put.error().Describe();
        return temp.account.blob_endpoint + "/" + temp.container + "/" + name + "?" + temp.account.sas_token;
    }
    bool BlobExists(const std::string& name) {
        auto temp = Resource("TempStorage", StorageService::kBlob);
        azure::BlobClient blobs(temp.account, http_);
        return blobs.GetProperties(temp.container, name).ok();
    }
    Json Message(const std::string& blob_url, const std::string& table = "Events") {
        return {{"Id", NewUuid()},
                {"BlobPath", blob_url},
                {"RawDataSize", 100},
                {"DatabaseName", "Sales"},
                {"TableName", table},
                {"RetainBlobOnSuccess", false},
                {"FlushImmediately", true},
                {"ReportLevel", 2},
                {"ReportMethod", 0},
                {"SourceMessageCreationTime", "2026-01-01T00:00:00Z"},
                {"AdditionalProperties", {{"authorizationContext", token_}, {"format", "csv"}}}};
    }
    void Enqueue(const Json& message) {
        auto ready = Resource("SecuredReadyForAggregationQueue", StorageService::kQueue);
        azure::QueueClient queues(ready.account, http_);
        auto put = queues.PutMessage(ready.container, message.dump());
        ASSERT_TRUE(put.ok()) << put.error().Describe();
    }
    // The report for `source_id` in the success or failure queue (bounded wait); other reports are kept
    // aside.
    std::optional<Json> WaitForReport(const std::string& type, const std::string& source_id,
                                      std::chrono::milliseconds limit = 20s) {
        auto q = Resource(type, StorageService::kQueue);
        azure::QueueClient queues(q.account, http_);
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto it = seen_.find(source_id + type); it != seen_.end()) return it->second;
            auto got = queues.GetMessages(q.container, 32, 30s);
            EXPECT_TRUE(got.ok()) << got.error().Describe();
            if (got.ok())
                for (const auto& m : *got) {
                    Json report = Json::parse(m.text, nullptr, false);
                    EXPECT_TRUE(report.is_object()) << m.text;
                    seen_[report.value("IngestionSourceId", "") + type] = report;
                    EXPECT_TRUE(queues.DeleteMessage(q.container, m.message_id, m.pop_receipt).ok());
                }
            if (seen_.count(source_id + type)) continue;
            std::this_thread::sleep_for(50ms);
        }
        return std::nullopt;
    }
    std::unique_ptr<testing::AzuriteProcess> azurite_;
    std::unique_ptr<Emulator> emulator_;
    http::HttpClient http_;
    std::map<std::string, std::string> urls_;
    std::map<std::string, Json> seen_;
    std::string token_;
};

TEST_F(QueuedIngestTest, ResourcesAreSasUrlsOfAzuriteThatWork) {
    for (const char* type : {"SecuredReadyForAggregationQueue", "FailedIngestionsQueue",
                             "SuccessfulIngestionsQueue", "TempStorage", "IngestionsStatusTable"}) {
        ASSERT_TRUE(urls_.count(type)) << type;
        EXPECT_NE(urls_[type].find("sig="), std::string::npos) << urls_[type];
        EXPECT_EQ(urls_[type].rfind("http://127.0.0.1:", 0), 0u) << urls_[type];
    }
    // Only the SAS, no key: the client can write the container, the queue and the status table.
    const std::string url = Upload("probe.csv", "1,x\n");
    EXPECT_TRUE(BlobExists("probe.csv"));
    auto status = Resource("IngestionsStatusTable", StorageService::kTable);
    azure::TableClient tables(status.account, http_);
    ASSERT_TRUE(
        tables.InsertEntity(status.container, {{"PartitionKey", "p"}, {"RowKey", "r"}, {"Status", "Pending"}})
            .ok());
    auto ready = Resource("SecuredReadyForAggregationQueue", StorageService::kQueue);
    azure::QueueClient queues(ready.account, http_);
    EXPECT_TRUE(queues.PeekMessages(ready.container, 1).ok());
    // Without storage configured the command says what is missing.
    EmulatorOptions plain;
    Emulator without(plain);
    api::Request r;
    r.method = "POST";
    r.path = "/v1/rest/mgmt";
    r.body = Json{{"db", "NetDefaultDB"}, {"csl", ".get ingestion resources"}}.dump();
    auto refused = without.Handle(r);
    EXPECT_EQ(refused.status, 400);
    EXPECT_NE(refused.body.find("--storage"), std::string::npos) << refused.body;
    (void)url;
}

TEST_F(QueuedIngestTest, GzipCsvBecomesOneTaggedExtentAndIsReported) {
    const std::string csv = "1,one\n2,\"two, quoted\"\n3,three\n";
    const std::string url = Upload("Sales__Events__a.csv.gz", *http::GzipCompress(csv));
    // The client inserts the Pending row first, as SDKs do with table reporting.
    auto status = Resource("IngestionsStatusTable", StorageService::kTable);
    azure::TableClient tables(status.account, http_);
    Json message = Message(url);
    const std::string id = message["Id"];
    ASSERT_TRUE(tables
                    .InsertEntity(
                        status.container,
                        {{"PartitionKey", id}, {"RowKey", id}, {"Status", "Pending"}, {"ClientOwn", "kept"}})
                    .ok());
    message["ReportMethod"] = "QueueAndTable";  // Java sends names
    message["AdditionalProperties"]["tags"] = R"(["drop-by:batch1","ingest-by:load-1"])";
    message["IngestionStatusInTable"] = {
        {"TableConnectionString", urls_["IngestionsStatusTable"]}, {"PartitionKey", id}, {"RowKey", id}};
    const auto start = std::chrono::steady_clock::now();
    Enqueue(message);
    auto report = WaitForReport("SuccessfulIngestionsQueue", id);
    const auto latency = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(report) << "no success report";
    EXPECT_EQ(report->value("Database", ""), "Sales");
    EXPECT_EQ(report->value("Table", ""), "Events");
    EXPECT_FALSE(report->value("OperationId", "").empty());
    EXPECT_FALSE(report->value("SucceededOn", "").empty());
    EXPECT_EQ(report->value("IngestionSourcePath", "").find("sig="), std::string::npos);
    EXPECT_LT(latency, 2s);
    std::printf(
        "enqueue-to-success-report latency: %lld ms\n",
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()));

    auto rows = Query("Events | sort by id asc");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(Cell(rows[1], 1), "two, quoted");
    auto extents = Table(".show table Events extents");
    ASSERT_EQ(extents.size(), 1u);
    EXPECT_NE(Cell(extents[0], 6).find("ingest-by:load-1"), std::string::npos);
    EXPECT_NE(Cell(extents[0], 6).find("drop-by:batch1"), std::string::npos);
    auto row = tables.GetEntity(status.container, id, id);
    ASSERT_TRUE(row.ok()) << row.error().Describe();
    EXPECT_EQ(row->value("Status", ""), "Succeeded");
    EXPECT_EQ(row->value("ClientOwn", ""), "kept");  // merged, not replaced
    EXPECT_EQ(row->value("Database", ""), "Sales");
    EXPECT_FALSE(row->value("UpdatedOn", "").empty());
    EXPECT_FALSE(BlobExists("Sales__Events__a.csv.gz"));  // RetainBlobOnSuccess false: deleted
}

TEST_F(QueuedIngestTest, IngestIfNotExistsSkipsATagAlreadyIngested) {
    Json first = Message(Upload("first.csv", "1,a\n"));
    first["RetainBlobOnSuccess"] = true;
    first["AdditionalProperties"]["tags"] = R"(["ingest-by:day-1"])";
    first["AdditionalProperties"]["ingestIfNotExists"] = R"(["day-1"])";
    Enqueue(first);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", first["Id"]));
    EXPECT_TRUE(BlobExists("first.csv"));  // retained

    Json again = Message(Upload("again.csv", "1,a\n2,b\n"));
    again["AdditionalProperties"]["tags"] = Json::array({"ingest-by:day-1"});  // real arrays too
    again["AdditionalProperties"]["ingestIfNotExists"] = Json::array({"day-1"});
    again["ReportMethod"] = 2;
    const std::string id = again["Id"];
    again["IngestionStatusInTable"] = {{"tableConnectionString", urls_["IngestionsStatusTable"]},
                                       {"partitionKey", id},
                                       {"rowKey", id}};  // the Node SDK's camelCase
    Enqueue(again);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", id));
    auto status = Resource("IngestionsStatusTable", StorageService::kTable);
    azure::TableClient tables(status.account, http_);
    auto row = tables.GetEntity(status.container, id, id);
    ASSERT_TRUE(row.ok()) << row.error().Describe();
    EXPECT_EQ(row->value("Status", ""), "Skipped");
    EXPECT_EQ(Query("Events").size(), 1u);
    EXPECT_EQ(Table(".show table Events extents").size(), 1u);

    // A different tag goes in.
    Json other = Message(Upload("other.csv", "3,c\n"));
    other["AdditionalProperties"]["tags"] = R"(["ingest-by:day-2"])";
    other["AdditionalProperties"]["ingestIfNotExists"] = R"(["day-2"])";
    Enqueue(other);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", other["Id"]));
    EXPECT_EQ(Query("Events").size(), 2u);
}

TEST_F(QueuedIngestTest, FailuresGoToTheFailureQueueTheStatusTableAndShowIngestionFailures) {
    // A table that does not exist, with table reporting through the Node SDK's URL shape (no table name).
    Json missing = Message(Upload("missing.csv", "1,a\n"), "NoSuchTable");
    const std::string missing_id = missing["Id"];
    const std::string table_service = urls_["IngestionsStatusTable"];
    missing["ReportMethod"] = 2;
    missing["IngestionStatusInTable"] = {
        {"TableConnectionString", "http://127.0.0.1:" + std::to_string(azurite_->table_port()) + "?" +
                                      table_service.substr(table_service.find('?') + 1)},
        {"PartitionKey", missing_id},
        {"RowKey", missing_id}};
    Enqueue(missing);
    auto failure = WaitForReport("FailedIngestionsQueue", missing_id);
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->value("ErrorCode", ""), "BadRequest_TableNotExist");
    EXPECT_EQ(failure->value("FailureStatus", ""), "Permanent");
    EXPECT_EQ(failure->value("Table", ""), "NoSuchTable");
    EXPECT_FALSE(failure->value("ShouldRetry", true));
    EXPECT_FALSE(failure->value("FailedOn", "").empty());
    EXPECT_TRUE(BlobExists("missing.csv"));  // failed: the blob stays
    auto status = Resource("IngestionsStatusTable", StorageService::kTable);
    azure::TableClient tables(status.account, http_);
    auto row = tables.GetEntity(status.container, missing_id, missing_id);
    ASSERT_TRUE(row.ok()) << row.error().Describe();
    EXPECT_EQ(row->value("Status", ""), "Failed");
    EXPECT_EQ(row->value("ErrorCode", ""), "BadRequest_TableNotExist");
    EXPECT_EQ(row->value("FailureStatus", ""), "Permanent");

    // Bad data: an unclosed quote fails the whole blob.
    Json bad = Message(Upload("bad.csv", "1,\"never closed\n"));
    Enqueue(bad);
    failure = WaitForReport("FailedIngestionsQueue", bad["Id"]);
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->value("ErrorCode", ""), "Stream_ClosingQuoteMissing");

    // A scripted fault after enqueue: transient, with the fault's code; the next ingestion is unaffected.
    api::Request arm;
    arm.method = "POST";
    arm.path = "/_emulator/faults";
    arm.body =
        R"({"action":"failIngestion","table":"Events","code":"General_ThrottledIngestion","message":"scripted"})";
    ASSERT_EQ(emulator_->Handle(arm).status, 200);
    Json faulted = Message(Upload("faulted.csv", "1,a\n"));
    Enqueue(faulted);
    failure = WaitForReport("FailedIngestionsQueue", faulted["Id"]);
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->value("ErrorCode", ""), "General_ThrottledIngestion");
    EXPECT_EQ(failure->value("FailureStatus", ""), "Transient");
    EXPECT_TRUE(failure->value("ShouldRetry", false));
    Json fine = Message(Upload("fine.csv", "1,a\n"));
    Enqueue(fine);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", fine["Id"]));

    // No identity token: refused.
    Json anonymous = Message(Upload("anon.csv", "1,a\n"));
    anonymous["AdditionalProperties"].erase("authorizationContext");
    Enqueue(anonymous);
    failure = WaitForReport("FailedIngestionsQueue", anonymous["Id"]);
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->value("ErrorCode", ""), "BadRequest_InvalidKustoIdentityToken");

    // A message that is not JSON at all is reported too (and not retried forever).
    auto ready = Resource("SecuredReadyForAggregationQueue", StorageService::kQueue);
    azure::QueueClient queues(ready.account, http_);
    ASSERT_TRUE(queues.PutMessage(ready.container, "not json").ok());

    auto failures = Table(".show ingestion failures", "NetDefaultDB");
    ASSERT_GE(failures.size(), 4u);
    std::map<std::string, std::vector<Value>> by_code;
    for (const auto& f : failures) by_code[Cell(f, 10)] = f;
    ASSERT_TRUE(by_code.count("BadRequest_TableNotExist"));
    const auto& f = by_code["BadRequest_TableNotExist"];
    EXPECT_EQ(Cell(f, 1), "Sales");
    EXPECT_EQ(Cell(f, 2), "NoSuchTable");
    EXPECT_NE(Cell(f, 4).find("/missing.csv"), std::string::npos);
    EXPECT_EQ(Cell(f, 4).find("sig="), std::string::npos);
    EXPECT_EQ(Cell(f, 6), "Permanent");
    EXPECT_TRUE(by_code.count("Stream_ClosingQuoteMissing"));
    EXPECT_EQ(Cell(by_code["General_ThrottledIngestion"], 6), "Transient");
    // Filters: a where clause, and one operation.
    EXPECT_EQ(Table(".show ingestion failures | where Table == \"NoSuchTable\"", "NetDefaultDB").size(), 1u);
    const std::string op = Cell(f, 0);
    auto one = Table(".show ingestion failures with (OperationId='" + op + "')", "NetDefaultDB");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(Cell(one[0], 2), "NoSuchTable");
    // The unreadable message shows up without a database.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool unreadable = false;
    while (!unreadable && std::chrono::steady_clock::now() < deadline) {
        unreadable = !Table(".show ingestion failures | where ErrorCode == 'BadRequest_InvalidMessage'",
                            "NetDefaultDB")
                          .empty();
        if (!unreadable) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(unreadable);
    EXPECT_EQ(Query("Events").size(), 1u);  // only `fine` landed
}

TEST_F(QueuedIngestTest, JsonWithMappingsHeaderSkippingAndCreationTime) {
    ASSERT_EQ(
        Mgmt(
            R"(.create table Events ingestion json mapping "ByPath" '[{"column":"id","Properties":{"Path":"$.x"}},{"Column":"name","Properties":{"Path":"$.y.z"}}]')")
            .status,
        200);
    Json json =
        Message(Upload("rows.json", "{\"x\":1,\"y\":{\"z\":\"one\"}}\n{\"x\":2,\"y\":{\"z\":\"two\"}}\n"));
    json["AdditionalProperties"]["format"] = "json";
    json["AdditionalProperties"]["ingestionMappingReference"] = "ByPath";
    json["AdditionalProperties"]["creationTime"] = "2025-06-01T00:00:00Z";
    Enqueue(json);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", json["Id"]));
    auto extents = Table(".show table Events extents");
    ASSERT_EQ(extents.size(), 1u);
    EXPECT_EQ(Cell(extents[0], 4).rfind("2025-06-01T00:00:00", 0), 0u) << Cell(extents[0], 4);

    // An inline CSV mapping (columns swapped) and a header line to skip.
    Json csv = Message(Upload("header.csv", "name,id\nthree,3\n"));
    csv["AdditionalProperties"]["ignoreFirstRecord"] = true;
    csv["AdditionalProperties"]["ingestionMapping"] =
        R"([{"Column":"id","Properties":{"Ordinal":"1"}},{"Column":"name","Properties":{"Ordinal":"0"}}])";
    Enqueue(csv);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", csv["Id"]));

    // An unknown mapping reference fails.
    Json unknown = Message(Upload("unknown.json", "{\"x\":9}\n"));
    unknown["AdditionalProperties"]["format"] = "json";
    unknown["AdditionalProperties"]["ingestionMappingReference"] = "Nope";
    Enqueue(unknown);
    auto failure = WaitForReport("FailedIngestionsQueue", unknown["Id"]);
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->value("ErrorCode", ""), "BadRequest_MappingReferenceWasNotFound");

    auto rows = Query("Events | sort by id asc");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(Cell(rows[0], 1), "one");
    EXPECT_EQ(Cell(rows[2], 1), "three");
}

TEST_F(QueuedIngestTest, DefaultReportLevelReportsFailuresOnly) {
    Json quiet = Message(Upload("quiet.csv", "1,a\n"));
    quiet.erase("ReportLevel");
    quiet.erase("ReportMethod");
    Enqueue(quiet);
    Json loud = Message(Upload("loud.csv", "2,b\n"));  // enqueued after: processed after
    Enqueue(loud);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", loud["Id"]));
    EXPECT_EQ(Query("Events").size(), 2u);
    EXPECT_FALSE(WaitForReport("SuccessfulIngestionsQueue", quiet["Id"], 300ms));
}

TEST_F(QueuedIngestTest, DiscardSinkReportsWithoutKeepingRows) {
    StartEmulator(/*discard=*/true);
    Json message = Message(Upload("bench.csv", "1,a\n2,b\n"));
    Enqueue(message);
    ASSERT_TRUE(WaitForReport("SuccessfulIngestionsQueue", message["Id"]));
    EXPECT_TRUE(Query("Events").empty());
    EXPECT_TRUE(Table(".show table Events extents").empty());
    EXPECT_FALSE(BlobExists("bench.csv"));
    // A missing table is still a failure.
    Json missing = Message(Upload("bench2.csv", "1,a\n"), "Nope");
    Enqueue(missing);
    ASSERT_TRUE(WaitForReport("FailedIngestionsQueue", missing["Id"]));
}

}  // namespace
}  // namespace adxflow::kusto_emulator
