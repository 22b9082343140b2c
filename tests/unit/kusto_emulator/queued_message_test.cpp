// The queued-ingestion pieces that need no storage: reading queue messages as the SDKs write them, the
// storage section of the config file, the account SAS, and the failIngestion fault.
#include <gtest/gtest.h>

#include "connectors/common/azure/encoding.hpp"
#include "tests/support/kusto_emulator/faults.hpp"
#include "tests/support/kusto_emulator/queued_ingest.hpp"

namespace adxflow::kusto_emulator {
namespace {

TEST(QueuedMessage, PythonShapeWithStringListsAndIntegers) {
    const char* text =
        R"({"Id":"6d0c1c7e-0000-4000-8000-000000000001","BlobPath":"https://a.blob.core.windows.net/c/b.csv.gz?sig=x",
        "RawDataSize":1024,"DatabaseName":"Sales","TableName":"Events","RetainBlobOnSuccess":true,
        "FlushImmediately":true,"IgnoreSizeLimit":false,"ReportLevel":2,"ReportMethod":2,
        "SourceMessageCreationTime":"2026-01-01T00:00:00.123456",
        "IngestionStatusInTable":{"TableConnectionString":"https://a.table.core.windows.net/ingestionsstatus?sig=y",
                                  "PartitionKey":"p1","RowKey":"r1"},
        "AdditionalProperties":{"authorizationContext":"tok","format":"CSV","ingestionMappingReference":"m1",
            "tags":"[\"drop-by:x\",\"ingest-by:y\"]","ingestIfNotExists":"[\"y\"]",
            "creationTime":"2025-02-03T04:05:06Z","ignoreFirstRecord":true,"ValidationPolicy":"{}"}})";
    auto m = ParseIngestionMessage(text);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->id, "6d0c1c7e-0000-4000-8000-000000000001");
    EXPECT_EQ(m->database, "Sales");
    EXPECT_EQ(m->table, "Events");
    EXPECT_EQ(m->raw_data_size, 1024);
    EXPECT_TRUE(m->retain_blob_on_success);
    EXPECT_EQ(m->report_level, ReportLevel::kFailuresAndSuccesses);
    EXPECT_EQ(m->report_method, ReportMethod::kQueueAndTable);
    EXPECT_TRUE(m->report_to_table());
    EXPECT_TRUE(m->report_to_queue());
    EXPECT_EQ(m->format, "csv");
    EXPECT_EQ(m->mapping_reference, "m1");
    EXPECT_EQ(m->tags, (std::vector<std::string>{"drop-by:x", "ingest-by:y"}));
    EXPECT_EQ(m->ingest_if_not_exists, (std::vector<std::string>{"y"}));
    ASSERT_TRUE(m->creation_time);
    EXPECT_TRUE(m->ignore_first_record);
    EXPECT_EQ(m->authorization_context, "tok");
    EXPECT_EQ(m->status_partition_key, "p1");
    EXPECT_EQ(m->status_row_key, "r1");
}

TEST(QueuedMessage, JavaCamelCaseNamesAndNodeStatusShape) {
    const char* java = R"({"id":"i","blobPath":"http://127.0.0.1:1/devstoreaccount1/c/b","databaseName":"D",
        "tableName":"T","reportLevel":"FailuresOnly","reportMethod":"Table","retainBlobOnSuccess":"true",
        "additionalProperties":{"authorizationContext":"t","csvMapping":"[{\"Column\":\"a\",\"Properties\":{\"Ordinal\":\"0\"}}]",
                                "ignoreFirstRecord":"false"},
        "ingestionStatusInTable":{"tableConnectionString":"http://127.0.0.1:2?sv=x","partitionKey":"i","rowKey":"i"}})";
    auto m = ParseIngestionMessage(java);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->database, "D");
    EXPECT_EQ(m->report_level, ReportLevel::kFailuresOnly);
    EXPECT_EQ(m->report_method, ReportMethod::kTable);
    EXPECT_TRUE(m->report_to_table());
    EXPECT_FALSE(m->report_to_queue());
    EXPECT_TRUE(m->retain_blob_on_success);
    ASSERT_TRUE(m->mapping);
    EXPECT_TRUE(m->mapping->is_array());
    EXPECT_FALSE(m->ignore_first_record);
    EXPECT_EQ(m->status_table_url, "http://127.0.0.1:2?sv=x");
    // Go omits defaults: FailuresOnly to the queue, blob deleted.
    auto go = ParseIngestionMessage(R"({"BlobPath":"https://a/c/b","DatabaseName":"D","TableName":"T"})");
    ASSERT_TRUE(go.ok());
    EXPECT_EQ(go->report_level, ReportLevel::kFailuresOnly);
    EXPECT_EQ(go->report_method, ReportMethod::kQueue);
    EXPECT_FALSE(go->retain_blob_on_success);
    EXPECT_FALSE(go->id.empty());  // generated
    EXPECT_FALSE(go->report_to_table());
    auto none = ParseIngestionMessage(
        R"({"BlobPath":"https://a/c/b","DatabaseName":"D","TableName":"T","ReportLevel":1})");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->report_to_queue());
}

TEST(QueuedMessage, RefusesWhatCannotBeIngested) {
    EXPECT_FALSE(ParseIngestionMessage("not json").ok());
    auto twice =
        ParseIngestionMessage(azure::Base64Encode(R"({"BlobPath":"b","DatabaseName":"D","TableName":"T"})"));
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().message.find("encoded twice"), std::string::npos) << twice.error().message;
    EXPECT_FALSE(ParseIngestionMessage(R"({"DatabaseName":"D","TableName":"T"})").ok());
    EXPECT_FALSE(ParseIngestionMessage(R"({"BlobPath":"https://a/c/b","TableName":"T"})").ok());
    EXPECT_FALSE(ParseIngestionMessage(
                     R"({"BlobPath":"https://a/c/b","DatabaseName":"D","TableName":"T","ReportLevel":7})")
                     .ok());
    EXPECT_FALSE(
        ParseIngestionMessage(
            R"({"BlobPath":"b","DatabaseName":"D","TableName":"T","AdditionalProperties":{"ingestionMapping":"{"}})")
            .ok());
    EXPECT_FALSE(
        ParseIngestionMessage(
            R"({"BlobPath":"b","DatabaseName":"D","TableName":"T","AdditionalProperties":{"creationTime":"soon"}})")
            .ok());
}

TEST(QueuedStorage, ConfigSectionAndAccountSas) {
    auto parsed = ParseStorageOptions(Json{{"connectionString", "UseDevelopmentStorage=true"},
                                           {"pollIntervalMs", 500},
                                           {"container", "temp"},
                                           {"statusTable", "status"}});
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->poll_interval, std::chrono::milliseconds(500));
    EXPECT_EQ(parsed->container, "temp");
    EXPECT_EQ(parsed->status_table, "status");
    EXPECT_EQ(parsed->ready_queue, "readyforaggregation-secured");
    EXPECT_FALSE(ParseStorageOptions(Json{{"pollIntervalMs", 0}}).ok());
    EXPECT_FALSE(ParseStorageOptions(Json{{"container", 5}}).ok());
    auto text = ParseStorageOptions(Json("UseDevelopmentStorage=true"));
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(text->connection_string, "UseDevelopmentStorage=true");

    azure::StorageAccount account;
    account.account_name = "devstoreaccount1";
    account.account_key = std::string(azure::kDevelopmentAccountKey);
    const auto expiry = *ParseTimestamp("2030-01-02T03:04:05Z");
    const std::string sas = AccountSas(account, expiry);
    EXPECT_NE(sas.find("sv=2019-12-12"), std::string::npos) << sas;
    EXPECT_NE(sas.find("ss=bqt"), std::string::npos);
    EXPECT_NE(sas.find("se=2030-01-02T03%3A04%3A05Z"), std::string::npos) << sas;
    // The signature is over the documented string (account, sp, ss, srt, st, se, sip, spr, sv).
    const std::string to_sign =
        "devstoreaccount1\nrwdlacup\nbqt\nsco\n\n2030-01-02T03:04:05Z\n\nhttps,http\n2019-12-12\n";
    const std::string sig =
        azure::Base64Encode(azure::HmacSha256(*azure::Base64Decode(azure::kDevelopmentAccountKey), to_sign));
    EXPECT_NE(sas.find("sig=" + http::PercentEncode(sig)), std::string::npos) << sas;
    // The identity token is stable for an account.
    EXPECT_EQ(KustoIdentityToken(account), KustoIdentityToken(account));
}

TEST(QueuedFaults, FailIngestionIsOnlyTakenByQueuedIngestion) {
    auto fault = ParseFault(Json{{"action", "failIngestion"}, {"table", "Events"}, {"count", 2}});
    ASSERT_TRUE(fault.ok()) << fault.error().message;
    EXPECT_EQ(fault->code, "General_InternalServerError");
    EXPECT_EQ(FaultJson(*fault)["table"], "Events");
    FaultPlan plan;
    plan.Add(*fault);
    EXPECT_FALSE(plan.Take("/v1/rest/mgmt", ".show tables"));  // HTTP requests never take it
    EXPECT_FALSE(plan.TakeIngestion("Other"));
    EXPECT_TRUE(plan.TakeIngestion("Events"));
    EXPECT_TRUE(plan.TakeIngestion("Events"));
    EXPECT_FALSE(plan.TakeIngestion("Events"));  // count used up
    plan.Add(*ParseFault(Json{{"action", "failIngestion"}, {"code", "X"}, {"permanent", true}}));
    auto any = plan.TakeIngestion("Whatever");
    ASSERT_TRUE(any);
    EXPECT_EQ(any->code, "X");
    EXPECT_TRUE(any->permanent);
}

}  // namespace
}  // namespace adxflow::kusto_emulator
