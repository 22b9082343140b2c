// The PostgreSQL connector against a real server started in a temp dir: the linked-service shapes ADF
// accepts, typed values out of PostgreSqlV2Source (every mapped type, nulls, unicode, tabs, newlines and
// backslashes), streaming in bounded batches, the AzurePostgreSqlSink's three write methods with the values
// PostgreSQL stores (dynamic -> jsonb, 7-digit datetimes rounded to microseconds, exact decimals), and a
// failing batch that leaves the table as it was.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "connectors/postgres/pg_connector.hpp"
#include "connectors/postgres/pg_sink.hpp"
#include "connectors/postgres/pg_source.hpp"
#include "tests/support/postgres_process.hpp"

namespace adxflow::testing {
namespace {

using namespace std::chrono_literals;
using postgres::MakePostgresConnector;

Json CellJson(const Value& v) {
    switch (v.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(v);
        case 2:
            return std::get<int64_t>(v);
        case 3:
            return std::get<double>(v);
        default:
            return std::get<std::string>(v);
    }
}

class PostgresConnectorTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto started = PostgresProcess::Start();
        ASSERT_TRUE(started.ok()) << started.error().Describe();
        pg_ = started->release();
        connector_ = new ConnectorDescriptor(MakePostgresConnector(nullptr));
    }
    static void TearDownTestSuite() {
        delete connector_;
        delete pg_;
    }
    void SetUp() override { ASSERT_NE(pg_, nullptr); }

    static Json LinkedService() {
        return {{"server", pg_->host()},
                {"port", pg_->port()},
                {"database", pg_->database()},
                {"username", pg_->user()},
                {"password", {{"type", "SecureString"}, {"value", pg_->password()}}},
                {"sslMode", 0}};
    }
    static EndpointSpec Spec(Json settings, Json dataset = Json::object(), Json linked = LinkedService()) {
        EndpointSpec spec;
        spec.linked_service_type = "PostgreSqlV2";
        spec.linked_service = std::move(linked);
        spec.dataset_type = "PostgreSqlV2Table";
        spec.dataset = std::move(dataset);
        spec.settings = std::move(settings);
        spec.run_id = "run";
        spec.activity_name = "Copy data";
        return spec;
    }
    static std::string Sql(const std::string& sql) {
        auto r = pg_->Psql(sql);
        EXPECT_TRUE(r.ok()) << r.error().Describe();
        return r.ok() ? *r : std::string();
    }

    struct ReadResult {
        Schema schema;
        Json rows = Json::array();
        size_t batches = 0;
        size_t largest_batch = 0;
    };
    static Result<ReadResult> Read(const EndpointSpec& spec, size_t batch_rows = 1000) {
        ADXFLOW_ASSIGN_OR_RETURN(auto source, connector_->make_source(spec, ConnectorEnv{}));
        OpContext ctx;
        ReadResult out;
        ADXFLOW_ASSIGN_OR_RETURN(out.schema, source->Open(ctx));
        RowBatch batch;
        for (;;) {
            ADXFLOW_ASSIGN_OR_RETURN(bool more, source->Next(batch, batch_rows, ctx));
            ++out.batches;
            out.largest_batch = std::max(out.largest_batch, batch.rows());
            for (size_t r = 0; r < batch.rows(); ++r) {
                Json row = Json::array();
                for (size_t c = 0; c < batch.width(); ++c) row.push_back(CellJson(batch.Row(r)[c]));
                out.rows.push_back(std::move(row));
            }
            if (!more) break;
        }
        return out;
    }

    static PostgresProcess* pg_;
    static ConnectorDescriptor* connector_;
};

PostgresProcess* PostgresConnectorTest::pg_ = nullptr;
ConnectorDescriptor* PostgresConnectorTest::connector_ = nullptr;

TEST_F(PostgresConnectorTest, ServerStartsWithinFiveSeconds) {
    EXPECT_LT(pg_->startup_time(), 5000ms)
        << "initdb + postgres took " << pg_->startup_time().count() << " ms";
    std::printf("initdb + postgres + first login: %lld ms\n",
                static_cast<long long>(pg_->startup_time().count()));
    EXPECT_EQ(Sql("SELECT current_user"), "adxflow\n");
}

TEST_F(PostgresConnectorTest, LinkedServiceShapes) {
    const postgres::SecretFetcher none;
    auto v2 = postgres::ParseLinkedService(LinkedService(), none, nullptr);
    ASSERT_TRUE(v2.ok()) << v2.error().Describe();
    EXPECT_EQ(v2->host, "127.0.0.1");
    EXPECT_EQ(v2->ssl_mode, "disable");
    EXPECT_EQ(v2->password, pg_->password());
    EXPECT_EQ(v2->Describe().find(pg_->password()), std::string::npos);

    // ADF's AzurePostgreSql: an Npgsql-style connection string, password inside or beside it.
    auto cs = postgres::ParseLinkedService(
        {{"connectionString", "host=db.example;port=6543;database=sales;uid=loader;EncryptionMethod=1"},
         {"password", {{"type", "SecureString"}, {"value", "s3cret"}}}},
        none, nullptr);
    ASSERT_TRUE(cs.ok()) << cs.error().Describe();
    EXPECT_EQ(cs->host, "db.example");
    EXPECT_EQ(cs->port, 6543);
    EXPECT_EQ(cs->database, "sales");
    EXPECT_EQ(cs->username, "loader");
    EXPECT_EQ(cs->password, "s3cret");
    EXPECT_EQ(cs->ssl_mode, "require");
    auto cs2 = postgres::ParseLinkedService(
        {{"connectionString", "Server=h; Port=5432; Database=d; User Id=u; Password=p;SSL Mode=VerifyFull"}},
        none, nullptr);
    ASSERT_TRUE(cs2.ok()) << cs2.error().Describe();
    EXPECT_EQ(cs2->username, "u");
    EXPECT_EQ(cs2->ssl_mode, "verify-full");

    auto bad_port = postgres::ParseLinkedService(
        {{"server", "h"}, {"database", "d"}, {"username", "u"}, {"port", 0}}, none, nullptr);
    ASSERT_FALSE(bad_port.ok());
    EXPECT_EQ(bad_port.error().target, "typeProperties.port");
    auto bad_ssl = postgres::ParseLinkedService(
        {{"server", "h"}, {"database", "d"}, {"username", "u"}, {"sslMode", 9}}, none, nullptr);
    ASSERT_FALSE(bad_ssl.ok());
    EXPECT_EQ(bad_ssl.error().target, "typeProperties.sslMode");
    auto no_db = postgres::ParseLinkedService({{"server", "h"}, {"username", "u"}}, none, nullptr);
    ASSERT_FALSE(no_db.ok());
    EXPECT_EQ(no_db.error().target, "typeProperties.database");
    // A Key Vault password goes through the fetcher with the field's path.
    std::string asked_path;
    postgres::SecretFetcher fetch = [&](const Json&, const std::string& path, const CancellationToken*) {
        asked_path = path;
        return Result<std::string>(std::string("from-vault"));
    };
    auto kv = postgres::ParseLinkedService(
        {{"server", "h"},
         {"database", "d"},
         {"username", "u"},
         {"password", {{"type", "AzureKeyVaultSecret"}, {"secretName", "pg"}, {"store", Json::object()}}}},
        fetch, nullptr);
    ASSERT_TRUE(kv.ok()) << kv.error().Describe();
    EXPECT_EQ(kv->password, "from-vault");
    EXPECT_EQ(asked_path, "typeProperties.password");
}

TEST_F(PostgresConnectorTest, WrongPasswordIsUnauthorizedAndNotEchoed) {
    Json ls = LinkedService();
    ls["password"] = "not-the-password-xyz";
    auto r = Read(Spec({{"query", "SELECT 1"}}, Json::object(), ls));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized) << r.error().Describe();
    EXPECT_EQ(r.error().message.find("not-the-password-xyz"), std::string::npos);
    // The connection test reports the failed login and skips the query.
    OpContext ctx;
    Json steps = connector_->test_connection(Spec(Json::object(), Json::object(), ls), ctx);
    ASSERT_EQ(steps.size(), 3u) << steps.dump();
    EXPECT_EQ(steps[0]["status"], "Succeeded");
    EXPECT_EQ(steps[1]["status"], "Failed");
    EXPECT_NE(steps[1]["message"].get<std::string>().find("password authentication failed"),
              std::string::npos)
        << steps.dump();
    EXPECT_EQ(steps[2]["status"], "Skipped");
    Json good = connector_->test_connection(Spec(Json::object()), ctx);
    ASSERT_EQ(good.size(), 3u);
    EXPECT_EQ(good[2]["status"], "Succeeded") << good.dump();
    EXPECT_NE(good[2]["message"].get<std::string>().find("PostgreSQL 1"), std::string::npos) << good.dump();
}

TEST_F(PostgresConnectorTest, SourceTypedValues) {
    Sql(R"(CREATE TABLE "Typed" (id int4, small int2, big int8, r4 real, r8 float8, dec numeric(38,10), flag bool,
             name text, code varchar(10), ts timestamp, tstz timestamptz, day date, t time, uid uuid, doc jsonb,
             js json, raw bytea, span interval);
           INSERT INTO "Typed" VALUES
             (1, -32768, 9223372036854775807, 1.5, 0.1, 1234567890123456789012345678.0123456789, true,
              E'tab\there\nnew "line" \\ back, comma', 'héllo', '2024-02-29 23:59:59.123456',
              '2024-01-02 03:04:05.654321+02', '1999-12-31', '12:34:56.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
              '{"a": [1, 2, {"b": null}], "ü": "ß"}', '[1,"x"]', '\x00ff10', '1 day 02:03:04'),
             (2, NULL, NULL, 'NaN', '-Infinity', NULL, false, '', NULL, 'infinity', NULL, NULL, NULL, NULL,
              'null', NULL, '\x', NULL);)");
    auto r = Read(Spec({{"type", "PostgreSqlV2Source"}}, {{"schema", "public"}, {"table", "Typed"}}));
    ASSERT_TRUE(r.ok()) << r.error().Describe();
    std::vector<std::string> types;
    for (const auto& c : r->schema) types.push_back(std::string(c.name) + ":" + ToString(c.type));
    EXPECT_EQ(types,
              (std::vector<std::string>{
                  "id:int", "small:int", "big:long", "r4:real", "r8:real", "dec:decimal", "flag:bool",
                  "name:string", "code:string", "ts:datetime", "tstz:datetime", "day:datetime", "t:timespan",
                  "uid:guid", "doc:dynamic", "js:dynamic", "raw:string", "span:string"}));
    ASSERT_EQ(r->rows.size(), 2u);
    const Json& a = r->rows[0];
    EXPECT_EQ(a[0], 1);
    EXPECT_EQ(a[1], -32768);
    EXPECT_EQ(a[2], 9223372036854775807LL);
    EXPECT_EQ(a[3], 1.5);
    EXPECT_EQ(a[4], 0.1);
    EXPECT_EQ(a[5], "1234567890123456789012345678.0123456789");
    EXPECT_EQ(a[6], true);
    EXPECT_EQ(a[7], "tab\there\nnew \"line\" \\ back, comma");
    EXPECT_EQ(a[8], "héllo");
    EXPECT_EQ(a[9], "2024-02-29T23:59:59.123456Z");
    EXPECT_EQ(a[10], "2024-01-02T01:04:05.654321Z");  // +02 -> UTC
    EXPECT_EQ(a[11], "1999-12-31T00:00:00Z");
    EXPECT_EQ(a[12], "12:34:56.789");
    EXPECT_EQ(a[13], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    EXPECT_EQ(Json::parse(a[14].get<std::string>()), Json::parse(R"({"a": [1, 2, {"b": null}], "ü": "ß"})"));
    EXPECT_EQ(a[15], "[1,\"x\"]");
    EXPECT_EQ(a[16], "AP8Q");  // base64 of 00 ff 10
    EXPECT_EQ(a[17], "1 day 02:03:04");
    const Json& b = r->rows[1];
    EXPECT_TRUE(b[1].is_null());
    EXPECT_TRUE(b[3].is_number() && std::isnan(b[3].get<double>()));
    EXPECT_EQ(b[4], -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(b[5].is_null());
    EXPECT_EQ(b[6], false);
    EXPECT_EQ(b[7], "");  // empty text is not null
    EXPECT_TRUE(b[8].is_null());
    EXPECT_TRUE(b[9].is_null());  // infinity has no Kusto datetime
    EXPECT_EQ(b[14], "null");     // JSON null is a value, not a SQL NULL
    EXPECT_EQ(b[16], "");
}

TEST_F(PostgresConnectorTest, SourceStreamsInBoundedBatches) {
    auto r =
        Read(Spec({{"query", "SELECT g AS n, repeat('x', 100) AS pad FROM generate_series(1, 200000) g;  "}}),
             5000);
    ASSERT_TRUE(r.ok()) << r.error().Describe();
    ASSERT_EQ(r->rows.size(), 200000u);
    EXPECT_EQ(r->largest_batch, 5000u);
    EXPECT_GE(r->batches, 40u);
    EXPECT_EQ(r->rows[199999][0], 200000);
}

TEST_F(PostgresConnectorTest, LookupStopsEarlyWithoutReadingEverything) {
    auto source = connector_->make_source(
        Spec({{"query", "SELECT g FROM generate_series(1, 2000000) g -- a trailing comment"}}),
        ConnectorEnv{});
    ASSERT_TRUE(source.ok());
    OpContext ctx;
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE((*source)->Open(ctx).ok());
    RowBatch batch;
    auto more = (*source)->Next(batch, 1, ctx);
    ASSERT_TRUE(more.ok()) << more.error().Describe();
    EXPECT_TRUE(*more);
    ASSERT_EQ(batch.rows(), 1u);
    EXPECT_EQ(std::get<int64_t>(batch.Row(0)[0]), 1);
    source->reset();  // closes the connection mid-COPY
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(PostgresConnectorTest, SourceErrorsNameTheQuery) {
    auto r = Read(Spec({{"query", "SELECT * FROM no_such_table"}}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
    EXPECT_NE(r.error().message.find("no_such_table"), std::string::npos) << r.error().message;
    auto none = Read(Spec({{"type", "PostgreSqlV2Source"}}));
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().target, "source.query");
}

TEST_F(PostgresConnectorTest, CancelStopsALongQuery) {
    auto source = connector_->make_source(Spec({{"query", "SELECT pg_sleep(30) AS slept"}}), ConnectorEnv{});
    ASSERT_TRUE(source.ok());
    OpContext ctx;
    const auto started = std::chrono::steady_clock::now();
    // The server answers COPY only once the first row exists: the cancel arrives while Open waits.
    std::thread canceller([&] {
        std::this_thread::sleep_for(300ms);
        ctx.cancel.Cancel(MakeError(ErrorKind::kCancelled, "test", "cancelled by the test"));
    });
    Status status;
    if (auto opened = (*source)->Open(ctx); !opened.ok()) status = opened.error();
    RowBatch batch;
    if (status.ok()) {
        auto more = (*source)->Next(batch, 10, ctx);
        if (!more.ok()) status = more.error();
    }
    canceller.join();
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().kind, ErrorKind::kCancelled) << status.error().Describe();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

// Rows as the ADX source hands them over: Kusto types, datetimes with 7 digits, decimals and dynamics as
// text.
Schema KustoSchema() {
    return {Column{"Id", ColumnType::kLong},        Column{"Name", ColumnType::kString},
            Column{"Amount", ColumnType::kDecimal}, Column{"At", ColumnType::kDateTime},
            Column{"Doc", ColumnType::kDynamic},    Column{"Ok", ColumnType::kBool},
            Column{"Ratio", ColumnType::kReal},     Column{"Uid", ColumnType::kGuid},
            Column{"Span", ColumnType::kTimeSpan}};
}
void AddKustoRow(RowBatch& batch, int64_t id, const std::string& name) {
    Value* row = batch.AddRow();
    row[0] = id;
    row[1] = name;
    row[2] = std::string("12345678901234567890.123456789");
    row[3] = std::string("2024-03-04T05:06:07.1234567Z");  // PostgreSQL keeps micros: .123457
    row[4] = std::string(R"({"k":[1,"two",{"x":null}],"é":true})");
    row[5] = id % 2 == 0;
    row[6] = 0.1 * static_cast<double>(id);
    row[7] = std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    row[8] = std::string("1.02:03:04.5000000");
}
void AddNullRow(RowBatch& batch, int64_t id) {
    Value* row = batch.AddRow();
    row[0] = id;  // the rest stays null
}

const char* kSinkTable =
    R"(CREATE TABLE IF NOT EXISTS sink_t (id bigint PRIMARY KEY, name text, amount numeric(38,9),
    at timestamptz, doc jsonb, ok boolean, ratio double precision, uid uuid, span interval))";

struct SinkRun {
    Status status;
    uint64_t rows_written = 0;
};

TEST_F(PostgresConnectorTest, SinkWritesEveryMethodWithPostgresTypes) {
    const std::string tricky = "tab\there, \"quoted\"; back\\slash\nnew line \u00e9\u6f22\u5b57 \\N";
    for (const char* method : {"CopyCommand", "BulkInsert", "Upsert"}) {
        SCOPED_TRACE(method);
        Sql(std::string(kSinkTable) + "; TRUNCATE sink_t");
        Json settings = {{"type", "AzurePostgreSqlSink"}, {"writeMethod", method}};
        if (std::string(method) == "Upsert") settings["upsertSettings"] = {{"keys", {"Id"}}};
        EndpointSpec spec = Spec(settings, {{"tableName", "public.sink_t"}});
        spec.linked_service_type = "AzurePostgreSql";
        spec.linked_service = {{"connectionString", "host=127.0.0.1;port=" + std::to_string(pg_->port()) +
                                                        ";database=postgres;uid=adxflow;sslmode=disable"},
                               {"password", {{"type", "SecureString"}, {"value", pg_->password()}}}};
        auto sink = connector_->make_sink(spec, ConnectorEnv{});
        ASSERT_TRUE(sink.ok()) << sink.error().Describe();
        OpContext ctx;
        ASSERT_TRUE((*sink)->Open(KustoSchema(), nullptr, ctx).ok());
        RowBatch batch(KustoSchema().size());
        // More rows than one INSERT statement holds (1000), over two committed chunks.
        for (int64_t id = 1; id <= 1500; ++id)
            AddKustoRow(batch, id, id == 7 ? tricky : "row " + std::to_string(id));
        AddNullRow(batch, 1501);
        auto w = (*sink)->Write(batch, ctx);
        ASSERT_TRUE(w.ok()) << w.error().Describe();
        ASSERT_TRUE((*sink)->CommitChunk({"run", "Copy data", 0}, ctx).ok());
        batch.Clear();
        for (int64_t id = 1502; id <= 1600; ++id) AddKustoRow(batch, id, "second chunk");
        ASSERT_TRUE((*sink)->Write(batch, ctx).ok());
        auto cp = (*sink)->CommitChunk({"run", "Copy data", 1}, ctx);
        ASSERT_TRUE(cp.ok()) << cp.error().Describe();
        EXPECT_EQ((*cp)["chunks"], 2);
        ASSERT_TRUE((*sink)->Finish(ctx).ok());
        EXPECT_EQ((*sink)->stats().rows_written, 1600u);

        EXPECT_EQ(Sql("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM sink_t"),
                  "1600|1600|1|1600\n");
        EXPECT_EQ(Sql("SELECT name = " +
                      std::string("E'tab\\there, \"quoted\"; back\\\\slash\\nnew line "
                                  "\u00e9\u6f22\u5b57 \\\\N'") +
                      " FROM sink_t WHERE id = 7"),
                  "t\n");
        EXPECT_EQ(Sql("SELECT amount::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
                      "jsonb_typeof(doc), doc->'k'->>1, doc->>'é', ok, ratio, uid, span::text FROM sink_t "
                      "WHERE id = 4"),
                  "12345678901234567890.123456789|2024-03-04 05:06:07.123457|object|two|true|t|0.4|"
                  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|1 day 02:03:04.5\n");
        EXPECT_EQ(Sql("SELECT name IS NULL AND amount IS NULL AND at IS NULL AND doc IS NULL AND ok IS NULL "
                      "AND uid IS NULL AND span IS NULL FROM sink_t WHERE id = 1501"),
                  "t\n");
    }
}

TEST_F(PostgresConnectorTest, UpsertUpdatesExistingKeys) {
    Sql(std::string(kSinkTable) +
        "; TRUNCATE sink_t; INSERT INTO sink_t (id, name) VALUES (1, 'old'), (99, 'kept')");
    EndpointSpec spec = Spec({{"writeMethod", "Upsert"}, {"upsertSettings", {{"keys", {"id"}}}}},
                             {{"schema", "public"}, {"table", "sink_t"}});
    auto sink = connector_->make_sink(spec, ConnectorEnv{});
    ASSERT_TRUE(sink.ok());
    OpContext ctx;
    ASSERT_TRUE((*sink)->Open(KustoSchema(), nullptr, ctx).ok());
    RowBatch batch(KustoSchema().size());
    AddKustoRow(batch, 1, "new");
    AddKustoRow(batch, 2, "added");
    ASSERT_TRUE((*sink)->Write(batch, ctx).ok());
    ASSERT_TRUE((*sink)->CommitChunk({"run", "Copy data", 0}, ctx).ok());
    ASSERT_TRUE((*sink)->Finish(ctx).ok());
    EXPECT_EQ(Sql("SELECT id, name FROM sink_t ORDER BY id"), "1|new\n2|added\n99|kept\n");
}

TEST_F(PostgresConnectorTest, FailedBatchLeavesTheTableAsItWas) {
    for (const char* method : {"CopyCommand", "BulkInsert", "Upsert"}) {
        SCOPED_TRACE(method);
        Sql(std::string(kSinkTable) +
            "; TRUNCATE sink_t; INSERT INTO sink_t (id, name) VALUES (1000, 'before')");
        Json settings = {{"writeMethod", method},
                         {"writeBatchTimeout", "00:00:30"},
                         {"preCopyScript", "DELETE FROM sink_t WHERE id = 1000"}};
        if (std::string(method) == "Upsert") settings["upsertSettings"] = {{"keys", {"id"}}};
        auto sink = connector_->make_sink(Spec(settings, {{"table", "sink_t"}}), ConnectorEnv{});
        ASSERT_TRUE(sink.ok());
        OpContext ctx;
        ASSERT_TRUE((*sink)->Open(KustoSchema(), nullptr, ctx).ok());
        EXPECT_EQ(Sql("SELECT count(*) FROM sink_t"), "0\n");  // preCopyScript ran
        RowBatch batch(KustoSchema().size());
        for (int64_t id = 1; id <= 10; ++id) AddKustoRow(batch, id, "good");
        ASSERT_TRUE((*sink)->Write(batch, ctx).ok());
        ASSERT_TRUE((*sink)->CommitChunk({"run", "Copy data", 0}, ctx).ok());
        // The second batch: 1,999 good rows, then one whose decimal PostgreSQL refuses.
        batch.Clear();
        for (int64_t id = 11; id <= 2009; ++id) AddKustoRow(batch, id, "doomed");
        AddKustoRow(batch, 2010, "bad");
        batch.Row(batch.rows() - 1)[2] = std::string("not a number");
        Status failed = (*sink)->Write(batch, ctx);
        if (failed.ok()) {
            auto committed = (*sink)->CommitChunk({"run", "Copy data", 1}, ctx);
            failed = committed.ok() ? Status() : Status(committed.error());
        }
        ASSERT_FALSE(failed.ok());
        EXPECT_NE(failed.error().message.find("numeric"), std::string::npos) << failed.error().message;
        EXPECT_EQ(failed.error().kind, ErrorKind::kInvalidInput);
        (*sink)->Abort();
        EXPECT_EQ(Sql("SELECT count(*), max(id), min(name) FROM sink_t"), "10|10|good\n");
        EXPECT_EQ((*sink)->stats().rows_written, 10u);
    }
}

TEST_F(PostgresConnectorTest, SinkNamesAMissingColumnOrTable) {
    Sql(std::string(kSinkTable));
    OpContext ctx;
    auto sink = connector_->make_sink(Spec(Json::object(), {{"table", "sink_t"}}), ConnectorEnv{});
    ASSERT_TRUE(sink.ok());
    Status s =
        (*sink)->Open({Column{"id", ColumnType::kLong}, Column{"nope", ColumnType::kString}}, nullptr, ctx);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("'nope'"), std::string::npos) << s.error().message;
    auto missing = connector_->make_sink(Spec(Json::object(), {{"table", "absent"}}), ConnectorEnv{});
    ASSERT_TRUE(missing.ok());
    Status m = (*missing)->Open(KustoSchema(), nullptr, ctx);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().kind, ErrorKind::kNotFound) << m.error().Describe();
    auto no_keys =
        connector_->make_sink(Spec({{"writeMethod", "Upsert"}}, {{"table", "sink_t"}}), ConnectorEnv{});
    ASSERT_FALSE(no_keys.ok());
    EXPECT_EQ(no_keys.error().target, "sink.upsertSettings.keys");
}

}  // namespace
}  // namespace adxflow::testing
