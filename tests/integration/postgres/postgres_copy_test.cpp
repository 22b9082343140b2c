// PostgreSQL through the real adxflowd, as a user would run it: PostgreSqlV2 -> ADX (the Kusto emulator over
// TLS, queued ingestion staged in Azurite), ADX -> PostgreSQL through AzurePostgreSql with each writeMethod,
// Lookup on PostgreSQL, and a failing batch that leaves the table as it was. Every row and the typed values
// are checked on the far side: datetime precision, decimals, dynamic -> jsonb, nulls, unicode, embedded
// delimiters and newlines.
#include <gtest/gtest.h>

#include <signal.h>

#include <string>
#include <thread>

#include "connectors/common/azure/blob_client.hpp"
#include "connectors/common/kusto/response.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_table.hpp"
#include "tests/support/postgres_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "pg-loader";
constexpr const char* kAppSecret = "Pg-Copy-Secret-4c1d";

using Table = KustoTextTable;

Json Ref(const std::string& name, Json parameters = Json::object()) {
    return {{"referenceName", name}, {"type", "DatasetReference"}, {"parameters", std::move(parameters)}};
}

class PostgresCopyTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        work_ = new TempDir();
        auto pg = PostgresProcess::Start();
        ASSERT_TRUE(pg.ok()) << pg.error().Describe();
        pg_ = pg->release();
        auto azurite = AzuriteProcess::Start();
        ASSERT_TRUE(azurite.ok()) << azurite.error().message;
        azurite_ = azurite->release();
        const fs::path config = work_->path() / "emulator.json";
        WriteFile(config,
                  Json{{"identities",
                        Json::array({{{"type", "servicePrincipal"},
                                      {"tenant", kTenant},
                                      {"clientId", kAppId},
                                      {"clientSecret", kAppSecret},
                                      {"roles", {{"*", "admin"}}}},
                                     {{"type", "systemManagedIdentity"}, {"roles", {{"*", "admin"}}}}})},
                       {"keyVaultSecrets", {{"pg-password", pg_->password()}}}}
                      .dump());
        auto emulator =
            EmulatorProcess::Start(work_->path(),
                                   {"--database", "Sales", "--config", config.string(), "--storage",
                                    azurite_->connection_string(), "--ingest-poll-ms", "50"},
                                   /*tls=*/true);
        ASSERT_TRUE(emulator.ok()) << emulator.error().message;
        emulator_ = emulator->release();
        DaemonOptions options;
        options.data_dir = work_->path() / "daemon";
        options.extra_flags = {"--azure-authority-host", emulator_->url(),
                               "--azure-ca-file",        emulator_->certificate()->cert_file.string(),
                               "--copy-chunk-rows",      "1000",
                               "--azure-imds-endpoint",  emulator_->url()};
        auto daemon = DaemonProcess::Start(options);
        ASSERT_TRUE(daemon.ok()) << daemon.error().message;
        daemon_ = daemon->release();
        PutFactory();
    }
    static void TearDownTestSuite() {
        delete daemon_;
        delete emulator_;
        delete azurite_;
        delete pg_;
        delete work_;
        daemon_ = nullptr;
    }
    void SetUp() override { ASSERT_NE(daemon_, nullptr); }

    static void Put(const std::string& path, const Json& body) {
        auto r = daemon_->Arm("PUT", path, body);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << path << ": " << r->text;
    }

    static void PutFactory() {
        Put("linkedservices/Adx",
            {{"properties",
              {{"type", "AzureDataExplorer"},
               {"typeProperties",
                {{"endpoint", emulator_->url()},
                 {"database", "Sales"},
                 {"tenant", kTenant},
                 {"servicePrincipalId", kAppId},
                 {"servicePrincipalKey", {{"type", "SecureString"}, {"value", kAppSecret}}}}}}}});
        Put("datasets/AdxTable",
            {{"properties",
              {{"type", "AzureDataExplorerTable"},
               {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"table", {{"type", "String"}}}}},
               {"typeProperties", {{"table", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
        // Reading: PostgreSqlV2 with its fields; writing: AzurePostgreSql with a connection string.
        Put("linkedservices/Pg", {{"properties",
                                   {{"type", "PostgreSqlV2"},
                                    {"typeProperties",
                                     {{"server", pg_->host()},
                                      {"port", pg_->port()},
                                      {"database", "postgres"},
                                      {"username", pg_->user()},
                                      {"password", {{"type", "SecureString"}, {"value", pg_->password()}}},
                                      {"sslMode", 0},
                                      {"authenticationType", "Basic"}}}}}});
        Put("datasets/PgTable",
            {{"properties",
              {{"type", "PostgreSqlV2Table"},
               {"linkedServiceName", {{"referenceName", "Pg"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"table", {{"type", "String"}}}}},
               {"typeProperties",
                {{"schema", "public"},
                 {"table", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
        Put("linkedservices/Blob",
            {{"properties",
              {{"type", "AzureBlobStorage"},
               {"typeProperties",
                {{"connectionString",
                  {{"type", "SecureString"}, {"value", azurite_->connection_string()}}}}}}}});
        for (const char* format : {"DelimitedText", "Json"}) {
            Json props = {{"location",
                           {{"type", "AzureBlobStorageLocation"},
                            {"container", "exports"},
                            {"folderPath", "pg"},
                            {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}}}};
            if (std::string(format) == "DelimitedText") {
                props["columnDelimiter"] = ",";
                props["escapeChar"] = "\"";
                props["firstRowAsHeader"] = true;
            }
            Put(std::string("datasets/Blob") + format,
                {{"properties",
                  {{"type", format},
                   {"linkedServiceName", {{"referenceName", "Blob"}, {"type", "LinkedServiceReference"}}},
                   {"parameters", {{"file", {{"type", "String"}}}}},
                   {"typeProperties", props}}}});
        }
        // The same server with its password in Key Vault (the emulator's vault, read with the daemon's
        // system-assigned identity).
        Put("linkedservices/Vault",
            {{"properties",
              {{"type", "AzureKeyVault"}, {"typeProperties", {{"baseUrl", emulator_->url()}}}}}});
        Put("linkedservices/PgVault",
            {{"properties",
              {{"type", "PostgreSqlV2"},
               {"typeProperties",
                {{"server", pg_->host()},
                 {"port", pg_->port()},
                 {"database", "postgres"},
                 {"username", pg_->user()},
                 {"password",
                  {{"type", "AzureKeyVaultSecret"},
                   {"store", {{"referenceName", "Vault"}, {"type", "LinkedServiceReference"}}},
                   {"secretName", "pg-password"}}}}}}}});
        Put("datasets/PgVaultTable",
            {{"properties",
              {{"type", "PostgreSqlV2Table"},
               {"linkedServiceName", {{"referenceName", "PgVault"}, {"type", "LinkedServiceReference"}}},
               {"typeProperties", {{"table", "config"}}}}}});
        Put("linkedservices/AzPg",
            {{"properties",
              {{"type", "AzurePostgreSql"},
               {"typeProperties",
                {{"connectionString", "host=127.0.0.1;port=" + std::to_string(pg_->port()) +
                                          ";database=postgres;uid=adxflow;sslmode=disable"},
                 {"password", {{"type", "SecureString"}, {"value", pg_->password()}}}}}}}});
        Put("datasets/AzPgTable",
            {{"properties",
              {{"type", "AzurePostgreSqlTable"},
               {"linkedServiceName", {{"referenceName", "AzPg"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"table", {{"type", "String"}}}}},
               {"typeProperties",
                {{"tableName", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
    }

    static std::pair<Json, Json> Run(const std::string& pipeline, Json activities) {
        Put("pipelines/" + pipeline, {{"properties", {{"activities", std::move(activities)}}}});
        auto created = daemon_->Arm("POST", "pipelines/" + pipeline + "/createRun", Json::object());
        EXPECT_TRUE(created.ok() && created->status == 200);
        const std::string id = created.ok() ? created->body.value("runId", "") : "";
        auto run = daemon_->WaitForRun(id, 180s);
        auto acts = daemon_->ActivityRuns(id);
        return {run.ok() ? *run : Json(), acts.ok() ? *acts : Json()};
    }

    static std::string Token() { return emulator_->ClientToken(kTenant, kAppId, kAppSecret); }
    static Table Kusto(const std::string& csl) { return QueryKusto(*emulator_, "Sales", csl, Token()); }
    static std::string Sql(const std::string& sql) {
        auto r = pg_->Psql(sql);
        EXPECT_TRUE(r.ok()) << r.error().Describe();
        return r.ok() ? *r : std::string();
    }

    static TempDir* work_;
    static PostgresProcess* pg_;
    static AzuriteProcess* azurite_;
    static EmulatorProcess* emulator_;
    static DaemonProcess* daemon_;
};

TempDir* PostgresCopyTest::work_ = nullptr;
PostgresProcess* PostgresCopyTest::pg_ = nullptr;
AzuriteProcess* PostgresCopyTest::azurite_ = nullptr;
EmulatorProcess* PostgresCopyTest::emulator_ = nullptr;
DaemonProcess* PostgresCopyTest::daemon_ = nullptr;

TEST_F(PostgresCopyTest, PostgresToAdxEveryRowAndTypedValues) {
    Sql(R"(CREATE TABLE orders (id bigint, name text, amount numeric(20,6), at timestamptz, doc jsonb, flag boolean,
             ratio double precision, uid uuid, small int4, note text);
           INSERT INTO orders SELECT g, 'name ' || g, g * 1.5 + 0.000001, timestamptz '2024-05-06 07:08:09.123456+00'
               + g * interval '1 second', jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g)), g % 2 = 0,
               g / 8.0, md5(g::text)::uuid, g % 1000, NULL
             FROM generate_series(1, 2500) g;
           UPDATE orders SET name = E'tab\there, "quoted"; back\\slash\nsecond line \u00e9\u6f22\u5b57', note = ''
             WHERE id = 7;)");
    Kusto(
        ".create table Orders (id:long, name:string, amount:decimal, at:datetime, doc:dynamic, flag:bool, "
        "ratio:real, uid:guid, small:int, note:string)");
    Json copy = {
        {"name", "PgToAdx"},
        {"type", "Copy"},
        {"inputs", Json::array({Ref("PgTable", {{"table", "orders"}})})},
        {"outputs", Json::array({Ref("AdxTable", {{"table", "Orders"}})})},
        {"typeProperties",
         {{"source", {{"type", "PostgreSqlV2Source"}}}, {"sink", {{"type", "AzureDataExplorerSink"}}}}}};
    auto [run, acts] = Run("PgToAdx", Json::array({copy}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    EXPECT_EQ(acts[0]["output"].value("rowsRead", 0), 2500);
    EXPECT_EQ(acts[0]["output"].value("rowsCopied", 0), 2500);

    Table count = Kusto("Orders | summarize count(), dcount(id), sum(small), countif(flag)");
    ASSERT_EQ(count.rows.size(), 1u);
    EXPECT_EQ(count.rows[0], (std::vector<std::string>{"2500", "2500", "1124250", "1250"}));
    Table row = Kusto(
        "Orders | where id == 7 | project id, name, tostring(amount), at == "
        "datetime(2024-05-06T07:08:16.123456Z), tolong(doc.g), "
        "tostring(doc.tags[1]), "
        "flag, ratio, tostring(uid), small, isnull(note), note");
    ASSERT_EQ(row.rows.size(), 1u);
    EXPECT_EQ(row.rows[0], (std::vector<std::string>{
                               "7", "tab\there, \"quoted\"; back\\slash\nsecond line \u00e9\u6f22\u5b57",
                               "10.500001", "True", "7", "7", "False", "0.875",
                               Sql("SELECT md5('7')::uuid").substr(0, 36), "7", "False", ""}));
    Table nulls = Kusto("Orders | where id == 8 | project isnull(note), isempty(note)");
    ASSERT_EQ(nulls.rows.size(), 1u);
    EXPECT_EQ(nulls.rows[0][1], "True");  // Kusto strings have no null: a SQL NULL becomes empty
}

// ADX -> PostgreSQL by each writeMethod, from a query whose values exercise the conversions.
TEST_F(PostgresCopyTest, AdxToPostgresEveryWriteMethod) {
    // Row 1201 carries the awkward text and a null of every type.
    const std::string query =
        "range i from 1 to 1201 step 1 | extend last = i == 1201 | project id = i, "
        "name = iff(last, 'tab\\there, \"q\"; back\\\\slash\\nline2 \u00e9\u6f22', strcat('n', i)), "
        "amount = iff(last, decimal(null), todecimal(i) / 8), "
        "at = iff(last, datetime(null), datetime(2024-03-04 05:06:07.1234567) + 1s * i), "
        "doc = iff(last, dynamic(null), dynamic({\"k\": [1, \"two\", null], \"é\": true})), "
        "ok = iff(last, bool(null), i % 3 == 0), ratio = iff(last, real(null), i * 0.25), "
        "uid = iff(last, guid(null), guid(a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11))";
    for (const char* method : {"CopyCommand", "BulkInsert", "Upsert"}) {
        SCOPED_TRACE(method);
        Sql(R"(DROP TABLE IF EXISTS target; CREATE TABLE target (id bigint PRIMARY KEY, name text, amount numeric,
               at timestamptz, doc jsonb, ok boolean, ratio double precision, uid uuid);
               INSERT INTO target (id, name) VALUES (1, 'stale'), (5000, 'kept');)");
        Json sink = {{"type", "AzurePostgreSqlSink"}, {"writeMethod", method}, {"writeBatchSize", 500}};
        if (std::string(method) == "Upsert")
            sink["upsertSettings"] = {{"keys", {"id"}}};
        else
            sink["preCopyScript"] = "DELETE FROM target WHERE id < 5000";
        Json copy = {{"name", "AdxToPg"},
                     {"type", "Copy"},
                     {"inputs", Json::array({Ref("AdxTable", {{"table", "unused"}})})},
                     {"outputs", Json::array({Ref("AzPgTable", {{"table", "public.target"}})})},
                     {"typeProperties",
                      {{"source", {{"type", "AzureDataExplorerSource"}, {"query", query}}}, {"sink", sink}}}};
        auto [run, acts] = Run(std::string("AdxToPg") + method, Json::array({copy}));
        ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
        EXPECT_EQ(acts[0]["output"].value("rowsCopied", 0), 1201);
        EXPECT_EQ(Sql("SELECT count(*), count(DISTINCT id), max(id) FILTER (WHERE id < 5000) FROM target"),
                  "1202|1202|1201\n");
        EXPECT_EQ(Sql("SELECT name, amount, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
                      "jsonb_typeof(doc), doc->'k'->>1, doc->'k'->2, doc->>'é', ok, ratio, uid FROM target "
                      "WHERE id = 3"),
                  "n3|0.375|2024-03-04 05:06:10.123457|object|two|null|true|t|0.75|"
                  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\n");
        EXPECT_EQ(
            Sql("SELECT name = E'tab\\there, \"q\"; back\\\\slash\\nline2 \u00e9\u6f22', amount IS NULL, "
                "at IS NULL, doc IS NULL, ok IS NULL, ratio IS NULL, uid IS NULL FROM target WHERE id = "
                "1201"),
            "t|t|t|t|t|t|t\n");
    }
}

TEST_F(PostgresCopyTest, AFailingBatchLeavesTheTableAsItWas) {
    Sql("DROP TABLE IF EXISTS strict_t; CREATE TABLE strict_t (id bigint PRIMARY KEY, n integer NOT NULL);"
        "INSERT INTO strict_t VALUES (100, 1), (200, 2);");
    // The third row's n is not an integer: the batch it belongs to is rolled back, earlier rows included.
    const std::string query = "datatable(id:long, n:string) [1, '10', 2, '20', 3, 'thirty', 4, '40']";
    for (const char* method : {"CopyCommand", "BulkInsert", "Upsert"}) {
        SCOPED_TRACE(method);
        Json sink = {{"type", "AzurePostgreSqlSink"}, {"writeMethod", method}};
        if (std::string(method) == "Upsert") sink["upsertSettings"] = {{"keys", {"id"}}};
        Json copy = {{"name", "Strict"},
                     {"type", "Copy"},
                     {"inputs", Json::array({Ref("AdxTable", {{"table", "unused"}})})},
                     {"outputs", Json::array({Ref("AzPgTable", {{"table", "strict_t"}})})},
                     {"typeProperties",
                      {{"source", {{"type", "AzureDataExplorerSource"}, {"query", query}}}, {"sink", sink}}}};
        auto [run, acts] = Run(std::string("Strict") + method, Json::array({copy}));
        EXPECT_EQ(run.value("status", ""), "Failed") << acts.dump(2);
        const std::string message = acts[0]["error"].value("message", "");
        EXPECT_NE(message.find("thirty"), std::string::npos) << acts.dump(2);
        EXPECT_EQ(Sql("SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM strict_t"), "100:1,200:2\n");
    }
}

TEST_F(PostgresCopyTest, LookupOnPostgres) {
    Sql(R"(DROP TABLE IF EXISTS config; CREATE TABLE config (k text, v int, on_ boolean, at timestamp, doc jsonb);
           INSERT INTO config VALUES ('alpha', 1, true, '2024-01-02 03:04:05.5', '{"x": [1, 2]}'),
                                     ('beta', 2, false, NULL, NULL), ('γ', 3, NULL, NULL, '"s"');)");
    Json first = {
        {"name", "First"},
        {"type", "Lookup"},
        {"typeProperties",
         {{"source", {{"type", "PostgreSqlV2Source"}, {"query", "SELECT * FROM config ORDER BY v"}}},
          {"dataset", Ref("PgTable", {{"table", "config"}})}}}};
    Json all = {{"name", "All"},
                {"type", "Lookup"},
                {"typeProperties",
                 {{"source", {{"type", "PostgreSqlV2Source"}}},
                  {"dataset", Ref("PgTable", {{"table", "config"}})},
                  {"firstRowOnly", false}}}};
    Json none = {
        {"name", "None"},
        {"type", "Lookup"},
        {"typeProperties",
         {{"source", {{"type", "PostgreSqlV2Source"}, {"query", "SELECT * FROM config WHERE false"}}},
          {"dataset", Ref("PgTable", {{"table", "config"}})}}}};
    auto [run, acts] = Run("PgLookup", Json::array({first, all, none}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    std::map<std::string, Json> by_name;
    for (const auto& a : acts) by_name[a.value("activityName", "")] = a["output"];
    EXPECT_EQ(
        by_name["First"]["firstRow"],
        Json::parse(R"({"k":"alpha","v":1,"on_":true,"at":"2024-01-02T03:04:05.5Z","doc":{"x":[1,2]}})"));
    EXPECT_EQ(by_name["All"]["count"], 3);
    ASSERT_EQ(by_name["All"]["value"].size(), 3u);
    EXPECT_EQ(by_name["All"]["value"][1],
              Json::parse(R"({"k":"beta","v":2,"on_":false,"at":null,"doc":null})"));
    EXPECT_EQ(by_name["All"]["value"][2]["k"], "γ");
    EXPECT_EQ(by_name["All"]["value"][2]["doc"], "s");
    EXPECT_FALSE(by_name["None"].contains("firstRow")) << by_name["None"].dump();
}

// A TabularTranslator with typeConversion turns ADX strings into the PostgreSQL columns' types; a row that
// does not convert fails the Copy, or is skipped and counted with enableSkipIncompatibleRow.
TEST_F(PostgresCopyTest, TypeConversionIntoPostgres) {
    const std::string query =
        "datatable(Code:string, When:string, Price:string) ['1', '05/06/2024 07:08', '1.25', '2', "
        "'06/06/2024 "
        "00:00', '2.5', 'x3', '07/06/2024 00:00', '3', '4', '08/06/2024 23:59', '4.75']";
    Json translator = {
        {"type", "TabularTranslator"},
        {"typeConversion", true},
        {"typeConversionSettings", {{"dateTimeFormat", "dd/MM/yyyy HH:mm"}}},
        {"mappings",
         {{{"source", {{"name", "Code"}}}, {"sink", {{"name", "id"}, {"type", "Int64"}}}},
          {{"source", {{"name", "When"}}}, {"sink", {{"name", "at"}, {"type", "DateTime"}}}},
          {{"source", {{"name", "Price"}}}, {"sink", {{"name", "price"}, {"type", "Decimal"}}}}}}};
    for (bool skip : {false, true}) {
        SCOPED_TRACE(skip ? "skipping" : "failing");
        Sql("DROP TABLE IF EXISTS converted; CREATE TABLE converted (id bigint, at timestamptz, price "
            "numeric)");
        Json tp = {{"source", {{"type", "AzureDataExplorerSource"}, {"query", query}}},
                   {"sink", {{"type", "AzurePostgreSqlSink"}, {"writeMethod", "CopyCommand"}}},
                   {"translator", translator}};
        if (skip) tp["enableSkipIncompatibleRow"] = true;
        Json copy = {{"name", "Convert"},
                     {"type", "Copy"},
                     {"inputs", Json::array({Ref("AdxTable", {{"table", "unused"}})})},
                     {"outputs", Json::array({Ref("AzPgTable", {{"table", "converted"}})})},
                     {"typeProperties", tp}};
        auto [run, acts] = Run(skip ? "ConvertSkip" : "ConvertFail", Json::array({copy}));
        if (!skip) {
            EXPECT_EQ(run.value("status", ""), "Failed") << acts.dump(2);
            const std::string message = acts[0]["error"].value("message", "");
            EXPECT_NE(message.find("column 'id': cannot convert 'x3' from string to long"), std::string::npos)
                << acts.dump(2);
            EXPECT_EQ(Sql("SELECT count(*) FROM converted"), "0\n");
            continue;
        }
        ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
        EXPECT_EQ(acts[0]["output"].value("rowsCopied", 0), 3);
        EXPECT_EQ(acts[0]["output"].value("rowsSkipped", 0), 1);
        EXPECT_EQ(acts[0]["output"].value("rowsRead", 0), 4);
        EXPECT_EQ(Sql("SELECT string_agg(id || '|' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
                      "|| '|' || "
                      "price, ',' ORDER BY id) FROM converted"),
                  "1|2024-06-05 07:08|1.25,2|2024-06-06 00:00|2.5,4|2024-06-08 23:59|4.75\n");
    }
}

// PostgreSQL -> Blob (Azurite), as CSV and as JSON lines: every row, the typed values as each format writes
// them.
TEST_F(PostgresCopyTest, PostgresToBlob) {
    Sql(R"(DROP TABLE IF EXISTS exported; CREATE TABLE exported (id bigint, name text, amount numeric(12,3), at timestamptz,
             doc jsonb, flag boolean, ratio real);
           INSERT INTO exported SELECT g, 'n' || g, g / 8.0, timestamptz '2024-01-01 00:00:00.25+00' + g * interval '1 minute',
               jsonb_build_object('g', g), g % 2 = 0, g / 4.0 FROM generate_series(1, 1500) g;
           INSERT INTO exported VALUES (0, E'tab\there, "q"; back\\slash\nline2 \u00e9', NULL, NULL, NULL, NULL, NULL);)");
    http::HttpClient http;
    auto account = azure::ParseConnectionString(azurite_->connection_string());
    ASSERT_TRUE(account.ok());
    azure::BlobClient blobs(*account, http);
    ASSERT_TRUE(blobs.CreateContainer("exports").ok());
    auto copy = [](const std::string& name, const std::string& dataset, const std::string& file,
                   const char* sink) {
        return Json{
            {"name", name},
            {"type", "Copy"},
            {"inputs", Json::array({Ref("PgTable", {{"table", "exported"}})})},
            {"outputs", Json::array({Ref(dataset, {{"file", file}})})},
            {"typeProperties",
             {{"source", {{"type", "PostgreSqlV2Source"}, {"query", "SELECT * FROM exported ORDER BY id"}}},
              {"sink", {{"type", sink}}}}}};
    };
    auto [run, acts] =
        Run("PgToBlob", Json::array({copy("Csv", "BlobDelimitedText", "out.csv", "DelimitedTextSink"),
                                     copy("Json", "BlobJson", "out.json", "JsonSink")}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    for (const auto& a : acts) EXPECT_EQ(a["output"].value("rowsCopied", 0), 1501) << a.dump(2);

    auto json = blobs.GetBlob("exports", "pg/out.json");
    ASSERT_TRUE(json.ok()) << json.error().message;
    std::vector<Json> lines;
    size_t start = 0;
    for (size_t nl; (nl = json->find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(Json::parse(json->substr(start, nl - start)));
    ASSERT_EQ(lines.size(), 1501u);
    EXPECT_EQ(lines[0],
              Json::parse(R"({"id":0,"name":"tab\there, \"q\"; back\\slash\nline2 \u00e9","amount":null,
                                         "at":null,"doc":null,"flag":null,"ratio":null})"));
    for (int64_t g = 1; g <= 1500; ++g) {
        const Json& l = lines[static_cast<size_t>(g)];
        ASSERT_EQ(l["id"], g);
        ASSERT_EQ(l["doc"], Json({{"g", g}}));
        ASSERT_EQ(l["flag"], g % 2 == 0);
        ASSERT_EQ(l["ratio"], static_cast<double>(g) / 4.0);
    }
    EXPECT_EQ(lines[3]["amount"], "0.375");
    EXPECT_EQ(lines[3]["at"], "2024-01-01T00:03:00.25Z");

    auto csv = blobs.GetBlob("exports", "pg/out.csv");
    ASSERT_TRUE(csv.ok()) << csv.error().message;
    EXPECT_EQ(csv->substr(0, csv->find('\n') + 1), "id,name,amount,at,doc,flag,ratio\r\n");
    EXPECT_NE(csv->find("0,\"tab\there, \"\"q\"\"; back\\slash\nline2 \u00e9\",,,,,\r\n"), std::string::npos)
        << csv->substr(0, 300);
    EXPECT_NE(csv->find("\r\n3,n3,0.375,2024-01-01T00:03:00.25Z,\"{\"\"g\"\": 3}\",False,0.75\r\n"),
              std::string::npos)
        << csv->substr(0, 400);
}

TEST_F(PostgresCopyTest, PasswordFromKeyVault) {
    Sql("DROP TABLE IF EXISTS config; CREATE TABLE config (k text); INSERT INTO config VALUES ('from "
        "vault')");
    Json lookup = {
        {"name", "Vaulted"},
        {"type", "Lookup"},
        {"typeProperties", {{"source", {{"type", "PostgreSqlV2Source"}}}, {"dataset", Ref("PgVaultTable")}}}};
    auto [run, acts] = Run("PgVault", Json::array({lookup}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    EXPECT_EQ(acts[0]["output"]["firstRow"]["k"], "from vault");
    // The secret shows neither in the activity run nor in the daemon's log.
    EXPECT_EQ(acts.dump().find(pg_->password()), std::string::npos);
    EXPECT_EQ(daemon_->LogTail(1 << 20).find(pg_->password()), std::string::npos);
    // Nor in the linked services the API returns (SecureString password, connection string).
    for (const char* ls : {"linkedservices/Pg", "linkedservices/AzPg"}) {
        auto got = daemon_->Arm("GET", ls, Json());
        ASSERT_TRUE(got.ok() && got->status == 200) << ls;
        EXPECT_EQ(got->text.find(pg_->password()), std::string::npos) << got->text;
        EXPECT_NE(got->text.find("SecureString"), std::string::npos) << got->text;
    }
}

// A daemon killed (-9) right after the first batch's COMMIT and checkpoint resumes on restart after that
// batch: every row lands once, and preCopyScript (which would delete the committed batch) is not run again.
TEST_F(PostgresCopyTest, KilledAfterABatchResumesWithoutDuplicates) {
    Sql("DROP TABLE IF EXISTS src_big; CREATE TABLE src_big AS SELECT g AS id, md5(g::text) AS h FROM "
        "generate_series(1, 25000) g; DROP TABLE IF EXISTS dst_big; CREATE TABLE dst_big (id bigint, h text);"
        "INSERT INTO dst_big VALUES (-1, 'pre-copy script deletes me')");
    DaemonOptions options;
    options.data_dir = work_->path() / "crash-daemon";
    options.env = {{"ADXFLOW_CRASH_AT", "copy.checkpoint.after_save:1"}};
    auto armed = DaemonProcess::Start(options);
    ASSERT_TRUE(armed.ok()) << armed.error().message;
    DaemonProcess& d = **armed;
    auto put = [](DaemonProcess& daemon, const std::string& path, const Json& body) {
        auto r = daemon.Arm("PUT", path, body);
        ASSERT_TRUE(r.ok() && r->status == 200) << path << ": " << (r.ok() ? r->text : r.error().message);
    };
    // The same linked services as the suite's daemon (its GET masks the secrets, so they are spelled out).
    put(d, "linkedservices/Pg",
        {{"properties",
          {{"type", "PostgreSqlV2"},
           {"typeProperties",
            {{"server", pg_->host()},
             {"port", pg_->port()},
             {"database", "postgres"},
             {"username", pg_->user()},
             {"password", {{"type", "SecureString"}, {"value", pg_->password()}}},
             {"sslMode", 0}}}}}});
    put(d, "linkedservices/AzPg",
        {{"properties",
          {{"type", "AzurePostgreSql"},
           {"typeProperties",
            {{"connectionString", "host=127.0.0.1;port=" + std::to_string(pg_->port()) +
                                      ";database=postgres;uid=adxflow;sslmode=disable"},
             {"password", {{"type", "SecureString"}, {"value", pg_->password()}}}}}}}});
    for (const char* name : {"PgTable", "AzPgTable"}) {
        auto got = daemon_->Arm("GET", std::string("datasets/") + name);
        ASSERT_TRUE(got.ok());
        put(d, std::string("datasets/") + name, {{"properties", got->body["properties"]}});
    }
    Json copy = {
        {"name", "Big"},
        {"type", "Copy"},
        {"inputs", Json::array({Ref("PgTable", {{"table", "src_big"}})})},
        {"outputs", Json::array({Ref("AzPgTable", {{"table", "dst_big"}})})},
        {"typeProperties",
         {{"source", {{"type", "PostgreSqlV2Source"}, {"query", "SELECT * FROM src_big ORDER BY id"}}},
          {"sink",
           {{"type", "AzurePostgreSqlSink"},
            {"writeMethod", "CopyCommand"},
            {"writeBatchSize", 10000},
            {"preCopyScript", "DELETE FROM dst_big"}}}}}};
    put(d, "pipelines/Big", {{"properties", {{"activities", Json::array({copy})}}}});
    auto created = d.Arm("POST", "pipelines/Big/createRun", Json::object());
    ASSERT_TRUE(created.ok() && created->status == 200);
    const std::string run_id = created->body.value("runId", "");
    // The daemon kills itself at the armed point: wait until it no longer answers, then reap it.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline && d.Raw("GET", "/healthz").ok())
        std::this_thread::sleep_for(100ms);
    d.Kill();
    EXPECT_EQ(Sql("SELECT count(*), min(id), max(id) FROM dst_big"), "10000|1|10000\n");  // one batch in

    options.env.clear();
    options.port = d.port();
    auto resumed = DaemonProcess::Start(options);
    ASSERT_TRUE(resumed.ok()) << resumed.error().message;
    auto run = (*resumed)->WaitForRun(run_id, 120s);
    ASSERT_TRUE(run.ok());
    auto acts = (*resumed)->ActivityRuns(run_id);
    ASSERT_EQ(run->value("status", ""), "Succeeded")
        << (acts.ok() ? acts->dump(2) : "") << (*resumed)->LogTail();
    EXPECT_EQ(Sql("SELECT count(*), count(DISTINCT id), min(id), max(id), bool_and(h = md5(id::text)) FROM "
                  "dst_big"),
              "25000|25000|1|25000|t\n");
}

}  // namespace
}  // namespace adxflow::testing
