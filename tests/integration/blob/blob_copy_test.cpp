// Issue 7's Blob legs through the real adxflowd, a real Azurite and the Kusto emulator: Blob CSV files picked
// by wildcards -> ADX; ADX -> Blob JSON, and Blob CSV split by maxRowsPerFile; several Blob CSV files -> one
// local JSON file (MergeFiles); Lookup on Blob; each checks every row and the typed values (datetime to the
// tick, decimal, dynamic, nulls, unicode, delimiters, quotes and newlines inside values). A daemon killed
// with -9 in the middle of an upload leaves no partial blob, and the resumed run writes every row once. A
// folder tree of Blob CSV files is copied file by file with PreserveHierarchy and FlattenHierarchy.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "connectors/common/azure/blob_client.hpp"
#include "connectors/common/kusto/response.hpp"
#include "tests/support/azurite.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_table.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "blob-app";
constexpr const char* kAppSecret = "Blob-Copy-Secret-5d1e";

// One row of the test data, and the values every leg must carry intact.
struct Row {
    int64_t id;
    std::string ts;      // 7 fractional digits: Kusto's tick precision; empty = null
    std::string amount;  // decimal, beyond double precision; empty = null
    std::string tags;    // dynamic
    std::string name;    // unicode
    std::string note;    // delimiter, quotes, newline
};

Row MakeRow(int64_t id) {
    Row r;
    r.id = id;
    if (id % 10 != 3) {
        char ts[80];
        std::snprintf(ts, sizeof ts, "2024-05-%02lldT10:20:%02lld.%07lldZ",
                      static_cast<long long>(id % 28 + 1), static_cast<long long>(id % 60),
                      static_cast<long long>(1234567 + id));
        r.ts = ts;
    }
    if (id % 10 != 7)
        r.amount = "1234567890123." + std::to_string(1000 + id) + "7";  // 18+ significant digits
    r.tags = "{\"k\":" + std::to_string(id) + ",\"arr\":[1,\"two\"]}";
    r.name = "Zoë ✓ 名前 " + std::to_string(id);
    r.note = id % 2 ? "a, b \"quoted\"\nsecond line" : "";
    return r;
}

// Quotes as the CSV sink does (only where needed), so that a copied file can be compared byte for byte.
std::string Quote(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string Csv(int64_t first, int64_t count) {
    std::string csv = "id,ts,amount,tags,name,note\r\n";
    for (int64_t i = first; i < first + count; ++i) {
        Row r = MakeRow(i);
        csv += std::to_string(r.id) + "," + r.ts + "," + r.amount + "," + Quote(r.tags) + "," +
               Quote(r.name) + "," + (r.note.empty() ? std::string() : Quote(r.note)) + "\r\n";
    }
    return csv;
}

using Table = KustoTextTable;

Json Checkpoint(const fs::path& db, const std::string& run_id) {
    sqlite3* h = nullptr;
    Json out;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(
            h, "SELECT checkpoint FROM activity_runs WHERE run_id = ? ORDER BY rowid DESC LIMIT 1", -1, &st,
            nullptr) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = Json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), nullptr, false);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

class BlobCopyTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        work_ = new TempDir();
        auto azurite = AzuriteProcess::Start();
        ASSERT_TRUE(azurite.ok()) << azurite.error().message;
        azurite_ = azurite->release();
        // The Blob connection string also lives in the emulator's Key Vault (ConnectionStringFromKeyVault).
        auto emulator = EmulatorProcess::StartWithAdminPrincipal(
            work_->path(), "Sales", kTenant, kAppId, kAppSecret, azurite_->connection_string(),
            Json{{"blob-connection", azurite_->connection_string()}});
        ASSERT_TRUE(emulator.ok()) << emulator.error().message;
        emulator_ = emulator->release();
        fs::create_directories(work_->path() / "files/out");
        http_ = new http::HttpClient();
        auto account = azure::ParseConnectionString(azurite_->connection_string());
        ASSERT_TRUE(account.ok());
        blobs_ = new azure::BlobClient(*account, *http_);
        for (const char* c : {"landing", "exports"}) ASSERT_TRUE(blobs_->CreateContainer(c).ok());

        DaemonOptions options;
        options.data_dir = work_->path() / "daemon";
        options.file_roots = {work_->path() / "files"};
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
        delete blobs_;
        delete http_;
        delete emulator_;
        delete azurite_;
        delete work_;
    }
    void SetUp() override { ASSERT_NE(daemon_, nullptr); }

    static Table Kusto(const std::string& csl) {
        return QueryKusto(*emulator_, "Sales", csl, emulator_->ClientToken(kTenant, kAppId, kAppSecret));
    }

    static void Put(const std::string& path, const Json& body) {
        auto r = daemon_->Arm("PUT", path, body);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << path << ": " << r->text;
    }

    static Json Ref(const char* name, Json parameters = Json::object()) {
        return {{"referenceName", name}, {"type", "DatasetReference"}, {"parameters", std::move(parameters)}};
    }

    static void PutFactory() {
        Put("linkedservices/Blob",
            {{"properties",
              {{"type", "AzureBlobStorage"},
               {"typeProperties",
                {{"connectionString",
                  {{"type", "SecureString"}, {"value", azurite_->connection_string()}}}}}}}});
        Put("linkedservices/Files",
            {{"properties",
              {{"type", "FileServer"}, {"typeProperties", {{"host", (work_->path() / "files").string()}}}}}});
        Put("linkedservices/Adx",
            {{"properties",
              {{"type", "AzureDataExplorer"},
               {"typeProperties",
                {{"endpoint", emulator_->url()},
                 {"database", "Sales"},
                 {"tenant", kTenant},
                 {"servicePrincipalId", kAppId},
                 {"servicePrincipalKey", {{"type", "SecureString"}, {"value", kAppSecret}}}}}}}});
        const Json text_options = {
            {"columnDelimiter", ","}, {"escapeChar", "\""}, {"firstRowAsHeader", true}};
        Json csv_props = text_options;
        csv_props["location"] = {{"type", "AzureBlobStorageLocation"},
                                 {"container", {{"value", "@dataset().container"}, {"type", "Expression"}}},
                                 {"folderPath", {{"value", "@dataset().folder"}, {"type", "Expression"}}},
                                 {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}};
        const Json params = {{"container", {{"type", "String"}, {"defaultValue", "landing"}}},
                             {"folder", {{"type", "String"}, {"defaultValue", ""}}},
                             {"file", {{"type", "String"}, {"defaultValue", ""}}}};
        Put("datasets/BlobCsv",
            {{"properties",
              {{"type", "DelimitedText"},
               {"linkedServiceName", {{"referenceName", "Blob"}, {"type", "LinkedServiceReference"}}},
               {"parameters", params},
               {"typeProperties", csv_props}}}});
        Put("datasets/BlobJson",
            {{"properties",
              {{"type", "Json"},
               {"linkedServiceName", {{"referenceName", "Blob"}, {"type", "LinkedServiceReference"}}},
               {"parameters", params},
               {"typeProperties", {{"location", csv_props["location"]}}}}}});
        Put("datasets/LocalJson",
            {{"properties",
              {{"type", "Json"},
               {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
               {"typeProperties",
                {{"location",
                  {{"type", "FileServerLocation"}, {"folderPath", "out"}, {"fileName", "merged.json"}}}}}}}});
        Put("datasets/AdxTable",
            {{"properties",
              {{"type", "AzureDataExplorerTable"},
               {"linkedServiceName", {{"referenceName", "Adx"}, {"type", "LinkedServiceReference"}}},
               {"parameters", {{"table", {{"type", "String"}}}}},
               {"typeProperties", {{"table", {{"value", "@dataset().table"}, {"type", "Expression"}}}}}}}});
    }

    static std::string StartRun(const std::string& pipeline, Json activities) {
        Put("pipelines/" + pipeline, {{"properties", {{"activities", std::move(activities)}}}});
        auto created = daemon_->Arm("POST", "pipelines/" + pipeline + "/createRun", Json::object());
        EXPECT_TRUE(created.ok() && created->status == 200);
        return created.ok() ? created->body.value("runId", "") : "";
    }

    static std::pair<Json, Json> Run(const std::string& pipeline, Json activities) {
        const std::string id = StartRun(pipeline, std::move(activities));
        auto run = daemon_->WaitForRun(id, 180s);
        auto acts = daemon_->ActivityRuns(id);
        return {run.ok() ? *run : Json(), acts.ok() ? *acts : Json()};
    }

    static Json Copy(const char* name, Json input, Json output, Json source, Json sink) {
        return {{"name", name},
                {"type", "Copy"},
                {"policy", {{"retry", 0}, {"timeout", "0.00:10:00"}}},
                {"inputs", Json::array({std::move(input)})},
                {"outputs", Json::array({std::move(output)})},
                {"typeProperties", {{"source", std::move(source)}, {"sink", std::move(sink)}}}};
    }

    static void Upload(const std::string& container, const std::string& name, const std::string& data) {
        ASSERT_TRUE(blobs_->PutBlob(container, name, data).ok()) << name;
    }

    static std::vector<std::string> Names(const std::string& container, const std::string& prefix) {
        azure::ListBlobsOptions list;
        list.prefix = prefix;
        auto page = blobs_->ListBlobs(container, list);
        std::vector<std::string> out;
        if (page.ok())
            for (auto& b : page->blobs) out.push_back(b.name);
        return out;
    }

    // The sales files: three months of 2024 (picked by the wildcards) and decoys that must not be read.
    static int64_t UploadSales() {
        Upload("landing", "sales/2024-01/part-0.csv", Csv(0, 40));
        Upload("landing", "sales/2024-02/part-0.csv", Csv(40, 35));
        Upload("landing", "sales/2024-02/part-1.csv", Csv(75, 25));
        Upload("landing", "sales/2024-02/readme.txt", "not data");
        Upload("landing", "sales/2023-12/part-0.csv", Csv(1000, 5));
        return 100;
    }

    // A JSON object written by the JSON sink for `r`, as the Kusto types come out of ADX.
    static Json ExpectedJson(const Row& r) {
        return {{"id", r.id},
                {"ts", r.ts.empty() ? Json(nullptr) : Json(r.ts)},
                {"amount", r.amount.empty() ? Json(nullptr) : Json(r.amount)},
                {"tags", Json::parse(r.tags)},
                {"name", r.name},
                {"note", r.note}};
    }

    // The JSON object the JSON sink writes for row `i` of a CSV file: every value is text, and empty
    // unquoted fields are null.
    static Json ExpectedJsonFromCsv(int64_t i) {
        Row r = MakeRow(i);
        return {{"id", std::to_string(i)},
                {"ts", r.ts.empty() ? Json(nullptr) : Json(r.ts)},
                {"amount", r.amount.empty() ? Json(nullptr) : Json(r.amount)},
                {"tags", r.tags},
                {"name", r.name},
                {"note", r.note.empty() ? Json(nullptr) : Json(r.note)}};
    }

    static std::vector<Json> JsonLines(const std::string& text) {
        std::vector<Json> lines;
        size_t start = 0;
        for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
            lines.push_back(Json::parse(text.substr(start, nl - start)));
        return lines;
    }

    static TempDir* work_;
    static AzuriteProcess* azurite_;
    static EmulatorProcess* emulator_;
    static DaemonProcess* daemon_;
    static http::HttpClient* http_;
    static azure::BlobClient* blobs_;
};

TempDir* BlobCopyTest::work_ = nullptr;
AzuriteProcess* BlobCopyTest::azurite_ = nullptr;
EmulatorProcess* BlobCopyTest::emulator_ = nullptr;
DaemonProcess* BlobCopyTest::daemon_ = nullptr;
http::HttpClient* BlobCopyTest::http_ = nullptr;
azure::BlobClient* BlobCopyTest::blobs_ = nullptr;

// Blob CSV (wildcards over several files) -> ADX, then ADX -> Blob JSON: every row and value both ways.
TEST_F(BlobCopyTest, BlobCsvIntoAdxAndBackOutAsBlobJson) {
    const int64_t total = UploadSales();
    Kusto(
        ".create table Sales (id:long, ts:datetime, amount:decimal, tags:dynamic, name:string, note:string)");
    Json load = Copy("Load", Ref("BlobCsv"), Ref("AdxTable", {{"table", "Sales"}}),
                     {{"type", "DelimitedTextSource"},
                      {"storeSettings",
                       {{"type", "AzureBlobStorageReadSettings"},
                        {"recursive", true},
                        {"wildcardFolderPath", "sales/2024-*"},
                        {"wildcardFileName", "*.csv"}}}},
                     {{"type", "AzureDataExplorerSink"}});
    Json out =
        Copy("Export", Ref("AdxTable", {{"table", "Sales"}}),
             Ref("BlobJson", {{"container", "exports"}, {"folder", "adx/sales"}, {"file", "sales.json"}}),
             {{"type", "AzureDataExplorerSource"}, {"query", "Sales | order by id asc"}},
             {{"type", "JsonSink"},
              {"storeSettings", {{"type", "AzureBlobStorageWriteSettings"}, {"blockSizeInMB", 1}}},
              {"formatSettings", {{"type", "JsonWriteSettings"}, {"filePattern", "setOfObjects"}}}});
    out["dependsOn"] =
        Json::array({{{"activity", "Load"}, {"dependencyConditions", Json::array({"Succeeded"})}}});
    // The ids again, as CSV blobs of at most 40 rows each (formatSettings.maxRowsPerFile).
    Json parts =
        Copy("ExportParts", Ref("AdxTable", {{"table", "Sales"}}),
             Ref("BlobCsv", {{"container", "exports"}, {"folder", "adx/parts"}}),
             {{"type", "AzureDataExplorerSource"}, {"query", "Sales | order by id asc | project id"}},
             {{"type", "DelimitedTextSink"},
              {"storeSettings", {{"type", "AzureBlobStorageWriteSettings"}}},
              {"formatSettings",
               {{"type", "DelimitedTextWriteSettings"},
                {"fileExtension", ".csv"},
                {"maxRowsPerFile", 40},
                {"fileNamePrefix", "ids"}}}});
    parts["dependsOn"] = out["dependsOn"];
    auto [run, acts] = Run("BlobToAdxToBlob", Json::array({load, out, parts}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    for (const auto& a : acts) {
        EXPECT_EQ(a["output"].value("rowsCopied", -1), total) << a.dump(2);
        if (a.value("activityName", "") == "Load") {
            EXPECT_EQ(a["output"].value("filesRead", 0), 3) << a.dump(2);
        }
    }

    // In ADX: every row, with its typed values.
    Table t = Kusto("Sales | order by id asc | project id, ts, amount, tags, name, note");
    ASSERT_EQ(t.rows.size(), static_cast<size_t>(total));
    for (int64_t i = 0; i < total; ++i) {
        Row r = MakeRow(i);
        std::vector<std::string> expected = {std::to_string(i), r.ts, r.amount, r.tags, r.name, r.note};
        ASSERT_EQ(t.rows[i], expected) << "row " << i;
    }
    EXPECT_EQ(Kusto("Sales | where isnull(ts) | count").rows[0][0], "10");
    EXPECT_EQ(Kusto("Sales | where isnull(amount) | count").rows[0][0], "10");
    EXPECT_EQ(Kusto("Sales | where tags.k == 42 | project name").rows[0][0], "Zoë ✓ 名前 42");

    // Out of ADX into one blob, JSON lines: every object.
    auto blob = blobs_->GetBlob("exports", "adx/sales/sales.json");
    ASSERT_TRUE(blob.ok()) << blob.error().message;
    std::vector<Json> lines;
    size_t start = 0;
    for (size_t nl; (nl = blob->find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(Json::parse(blob->substr(start, nl - start)));
    ASSERT_EQ(lines.size(), static_cast<size_t>(total));
    for (int64_t i = 0; i < total; ++i) ASSERT_EQ(lines[i], ExpectedJson(MakeRow(i))) << "line " << i;

    // Out of ADX into numbered CSV blobs of 40, 40 and 20 ids, each with the header.
    EXPECT_EQ(Names("exports", "adx/parts/"),
              (std::vector<std::string>{"adx/parts/ids_00000.csv", "adx/parts/ids_00001.csv",
                                        "adx/parts/ids_00002.csv"}));
    for (int64_t part = 0; part < 3; ++part) {
        auto csv = blobs_->GetBlob("exports", "adx/parts/ids_0000" + std::to_string(part) + ".csv");
        ASSERT_TRUE(csv.ok()) << csv.error().message;
        std::string expected = "id\r\n";
        for (int64_t i = part * 40; i < std::min<int64_t>(total, part * 40 + 40); ++i)
            expected.append(std::to_string(i)).append("\r\n");
        EXPECT_EQ(*csv, expected) << "part " << part;
    }
}

// Several Blob CSV files -> one local JSON file (MergeFiles), and Lookup on a Blob CSV file.
TEST_F(BlobCopyTest, BlobCsvFilesMergedIntoOneLocalJsonFileAndLookup) {
    Upload("landing", "merge/a.csv", Csv(0, 30));
    Upload("landing", "merge/b.csv", Csv(30, 30));
    Upload("landing", "merge/c.csv", Csv(60, 15));
    Json merge =
        Copy("Merge", Ref("BlobCsv", {{"folder", "merge"}}), Ref("LocalJson"),
             {{"type", "DelimitedTextSource"}, {"storeSettings", {{"type", "AzureBlobStorageReadSettings"}}}},
             {{"type", "JsonSink"},
              {"storeSettings", {{"type", "FileServerWriteSettings"}, {"copyBehavior", "MergeFiles"}}}});
    Json lookup = {{"name", "Peek"},
                   {"type", "Lookup"},
                   {"typeProperties",
                    {{"source", {{"type", "DelimitedTextSource"}}},
                     {"dataset", Ref("BlobCsv", {{"folder", "merge"}, {"file", "b.csv"}})},
                     {"firstRowOnly", false}}}};
    auto [run, acts] = Run("MergeAndLookup", Json::array({merge, lookup}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();

    const std::vector<Json> lines = JsonLines(ReadFile(work_->path() / "files/out/merged.json"));
    ASSERT_EQ(lines.size(), 75u);
    for (int64_t i = 0; i < 75; ++i) ASSERT_EQ(lines[i], ExpectedJsonFromCsv(i)) << "line " << i;

    Json peek;
    for (const auto& a : acts)
        if (a.value("activityName", "") == "Peek") peek = a["output"];
    ASSERT_EQ(peek.value("count", 0), 30) << peek.dump(2);
    EXPECT_EQ(peek["value"][1]["id"], "31");
    EXPECT_EQ(peek["value"][1]["note"], MakeRow(31).note);
    EXPECT_EQ(peek["value"][1]["name"], MakeRow(31).name);
}

// Blob CSV files in a folder tree -> Blob JSON, one output blob per source blob: PreserveHierarchy keeps
// each blob's path below the source folder, FlattenHierarchy puts them all in the sink folder.
TEST_F(BlobCopyTest, BlobCsvTreeCopiedFileByFileWithEachCopyBehavior) {
    Upload("landing", "tree/2024/01/a.csv", Csv(0, 30));
    Upload("landing", "tree/2024/02/b.csv", Csv(30, 25));
    Upload("landing", "tree/c.csv", Csv(55, 10));
    auto copy = [](const char* name, const char* folder, const char* behavior) {
        return Copy(
            name, Ref("BlobCsv", {{"folder", "tree"}}),
            Ref("BlobJson", {{"container", "exports"}, {"folder", folder}}),
            {{"type", "DelimitedTextSource"},
             {"storeSettings", {{"type", "AzureBlobStorageReadSettings"}, {"recursive", true}}}},
            {{"type", "JsonSink"},
             {"storeSettings", {{"type", "AzureBlobStorageWriteSettings"}, {"copyBehavior", behavior}}}});
    };
    auto [run, acts] = Run("TreeCopies", Json::array({copy("Preserve", "tree-preserved", "PreserveHierarchy"),
                                                      copy("Flatten", "tree-flat", "FlattenHierarchy")}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    for (const auto& a : acts) {
        EXPECT_EQ(a["output"].value("rowsCopied", 0), 65) << a.dump(2);
        EXPECT_EQ(a["output"].value("filesRead", 0), 3) << a.dump(2);
        EXPECT_EQ(a["output"].value("filesWritten", 0), 3) << a.dump(2);
    }
    EXPECT_EQ(Names("exports", "tree-preserved/"),
              (std::vector<std::string>{"tree-preserved/2024/01/a.csv", "tree-preserved/2024/02/b.csv",
                                        "tree-preserved/c.csv"}));
    EXPECT_EQ(
        Names("exports", "tree-flat/"),
        (std::vector<std::string>{"tree-flat/2024_01_a.csv", "tree-flat/2024_02_b.csv", "tree-flat/c.csv"}));
    const struct {
        const char* preserved;
        const char* flat;
        int64_t first, count;
    } files[] = {{"2024/01/a.csv", "2024_01_a.csv", 0, 30},
                 {"2024/02/b.csv", "2024_02_b.csv", 30, 25},
                 {"c.csv", "c.csv", 55, 10}};
    for (const auto& f : files) {
        for (const std::string& name :
             {std::string("tree-preserved/") + f.preserved, std::string("tree-flat/") + f.flat}) {
            auto blob = blobs_->GetBlob("exports", name);
            ASSERT_TRUE(blob.ok()) << name << ": " << blob.error().message;
            const std::vector<Json> lines = JsonLines(*blob);
            ASSERT_EQ(lines.size(), static_cast<size_t>(f.count)) << name;
            for (int64_t i = 0; i < f.count; ++i)
                ASSERT_EQ(lines[i], ExpectedJsonFromCsv(f.first + i)) << name << " line " << i;
        }
    }
}

// The connection string as an AzureKeyVaultSecret reference, read with the daemon's system-assigned
// identity from the emulator's vault: a Lookup reads through it, and the secret shows nowhere.
TEST_F(BlobCopyTest, ConnectionStringFromKeyVault) {
    Upload("landing", "vault/v.csv", Csv(7, 3));
    Put("linkedservices/Vault",
        {{"properties", {{"type", "AzureKeyVault"}, {"typeProperties", {{"baseUrl", emulator_->url()}}}}}});
    Put("linkedservices/BlobVault",
        {{"properties",
          {{"type", "AzureBlobStorage"},
           {"typeProperties",
            {{"connectionString",
              {{"type", "AzureKeyVaultSecret"},
               {"store", {{"referenceName", "Vault"}, {"type", "LinkedServiceReference"}}},
               {"secretName", "blob-connection"}}}}}}}});
    Json dataset = {
        {"properties",
         {{"type", "DelimitedText"},
          {"linkedServiceName", {{"referenceName", "BlobVault"}, {"type", "LinkedServiceReference"}}},
          {"typeProperties",
           {{"location",
             {{"type", "AzureBlobStorageLocation"},
              {"container", "landing"},
              {"folderPath", "vault"},
              {"fileName", "v.csv"}}},
            {"columnDelimiter", ","},
            {"escapeChar", "\""},
            {"firstRowAsHeader", true}}}}}};
    Put("datasets/BlobVaultCsv", dataset);
    Json lookup = {{"name", "Peek"},
                   {"type", "Lookup"},
                   {"typeProperties",
                    {{"source", {{"type", "DelimitedTextSource"}}},
                     {"dataset", {{"referenceName", "BlobVaultCsv"}, {"type", "DatasetReference"}}},
                     {"firstRowOnly", false}}}};
    auto [run, acts] = Run("BlobVaultLookup", Json::array({lookup}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    ASSERT_EQ(acts[0]["output"].value("count", 0), 3) << acts.dump(2);
    EXPECT_EQ(acts[0]["output"]["value"][0]["id"], "7");
    EXPECT_EQ(acts[0]["output"]["value"][2]["name"], MakeRow(9).name);
    const std::string cs = azurite_->connection_string();
    const std::string key_part = cs.substr(cs.find("AccountKey=") + 11, 24);
    ASSERT_EQ(key_part.size(), 24u);
    EXPECT_EQ(acts.dump().find(key_part), std::string::npos);
    EXPECT_EQ(daemon_->LogTail(1 << 20).find(key_part), std::string::npos);
}

// enableSkipIncompatibleRow: rows with more fields than the header fail the copy by default; skipped, they
// are counted in rowsSkipped and logged (logSettings to a blob, the legacy redirect to local files).
TEST_F(BlobCopyTest, IncompatibleRowsFailTheCopyUnlessSkippedAndLogged) {
    std::string csv = Csv(0, 20);
    csv += "900,2024-01-01T00:00:00Z,1.5,{},extra,\"field, quoted\",surplus\r\n";  // 7 fields for 6 columns
    csv += Csv(20, 10).substr(csv.find("\r\n") + 2);
    csv += "901,,,,,,,\r\n";
    Upload("landing", "bad/rows.csv", csv);
    ASSERT_TRUE(blobs_->CreateContainer("logs").ok());
    auto copy = [&](const char* name, Json extra) {
        Json c = Copy(name, Ref("BlobCsv", {{"folder", "bad"}}), Ref("LocalJson"),
                      {{"type", "DelimitedTextSource"}}, {{"type", "JsonSink"}});
        c["typeProperties"].update(extra);
        return c;
    };
    Json plain = copy("Plain", Json::object());
    Json logged = copy(
        "Logged", {{"enableSkipIncompatibleRow", true},
                   {"logSettings",
                    {{"enableCopyActivityLog", true},
                     {"copyActivityLogSettings", {{"logLevel", "Warning"}}},
                     {"logLocationSettings",
                      {{"linkedServiceName", {{"referenceName", "Blob"}, {"type", "LinkedServiceReference"}}},
                       {"path", "logs/copy"}}}}}});
    Json redirected =
        copy("Redirected",
             {{"enableSkipIncompatibleRow", "true"},
              {"redirectIncompatibleRowSettings",
               {{"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
                {"path", "rejects"}}}});
    logged["dependsOn"] =
        Json::array({{{"activity", "Plain"}, {"dependencyConditions", Json::array({"Failed"})}}});
    redirected["dependsOn"] =
        Json::array({{{"activity", "Logged"}, {"dependencyConditions", Json::array({"Succeeded"})}}});
    auto [run, acts] = Run("SkipRows", Json::array({plain, logged, redirected}));
    std::map<std::string, Json> by_name;
    for (const auto& a : acts) by_name[a.value("activityName", "")] = a;
    ASSERT_EQ(by_name.size(), 3u) << run.dump(2) << acts.dump(2) << daemon_->LogTail();

    const Json& failed = by_name["Plain"];
    EXPECT_EQ(failed.value("status", ""), "Failed");
    const std::string message = failed["error"].value("message", "");
    EXPECT_NE(message.find("bad/rows.csv"), std::string::npos) << message;
    EXPECT_NE(message.find("line 32: the row has 7 columns, more than the 6 of the header"),
              std::string::npos)
        << message;

    for (const char* name : {"Logged", "Redirected"}) {
        const Json& a = by_name[name];
        ASSERT_EQ(a.value("status", ""), "Succeeded") << a.dump(2);
        EXPECT_EQ(a["output"].value("rowsSkipped", -1), 2) << a.dump(2);
        EXPECT_EQ(a["output"].value("rowsCopied", -1), 30) << a.dump(2);
        EXPECT_EQ(a["output"].value("rowsRead", -1), 32) << a.dump(2);
    }
    const std::string run_id = run.value("runId", "");
    const std::string log_path = by_name["Logged"]["output"].value("logFilePath", "");
    const std::string act_run = by_name["Logged"].value("activityRunId", "");
    EXPECT_EQ(log_path, "logs/copy/copyactivity-logs/Logged/" + act_run + "/");
    auto names = Names("logs", "copy/copyactivity-logs/Logged/" + act_run + "/");
    ASSERT_EQ(names.size(), 1u);
    auto log = blobs_->GetBlob("logs", names[0]);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(log->rfind("Timestamp,Level,OperationName,OperationItem,Message\r\n", 0), 0u) << *log;
    EXPECT_NE(log->find(",Warning,TabularRowSkip,\"900,2024-01-01T00:00:00Z,1.5,{},extra,\"\"field, "
                        "quoted\"\",surplus\","),
              std::string::npos)
        << *log;
    EXPECT_NE(log->find("line 32: the row has 7 columns, more than the 6 of the header"), std::string::npos)
        << *log;
    EXPECT_NE(log->find("901,,,,,,,"), std::string::npos) << *log;

    const fs::path rejects =
        work_->path() / "files/rejects" / by_name["Redirected"].value("activityRunId", "");
    ASSERT_TRUE(fs::is_directory(rejects));
    auto it = fs::directory_iterator(rejects);
    ASSERT_NE(it, fs::directory_iterator());
    const std::string redirected_rows = ReadFile(it->path());
    EXPECT_EQ(redirected_rows.rfind("Row,ErrorCode,ErrorMessage\r\n", 0), 0u) << redirected_rows;
    EXPECT_NE(redirected_rows.find("IncompatibleRow"), std::string::npos) << redirected_rows;
}

// POST linkedservices/{name}/testConnection: the credentials proved by one listing; a wrong key fails
// "reach".
TEST_F(BlobCopyTest, TestConnectionProvesTheCredentials) {
    auto good = daemon_->Arm("POST", "linkedservices/Blob/testConnection", Json::object());
    ASSERT_TRUE(good.ok());
    ASSERT_EQ(good->status, 200) << good->text;
    EXPECT_TRUE(good->body.value("succeeded", false)) << good->body.dump(2);

    std::string wrong = azurite_->connection_string();
    const size_t key = wrong.find("AccountKey=") + 11;
    wrong.replace(key, wrong.find(';', key) - key, std::string(43, 'A') + "=");
    Put("linkedservices/WrongKey",
        {{"properties",
          {{"type", "AzureBlobStorage"},
           {"typeProperties", {{"connectionString", {{"type", "SecureString"}, {"value", wrong}}}}}}}});
    auto bad = daemon_->Arm("POST", "linkedservices/WrongKey/testConnection", Json::object());
    ASSERT_TRUE(bad.ok());
    ASSERT_EQ(bad->status, 200) << bad->text;
    EXPECT_FALSE(bad->body.value("succeeded", true)) << bad->body.dump(2);
    EXPECT_EQ(bad->body.value("failedStep", ""), "reach") << bad->body.dump(2);
    EXPECT_EQ(bad->text.find(std::string(43, 'A')), std::string::npos) << "the key leaked: " << bad->text;
}

// kill -9 while a blob is being uploaded: blocks are staged but no blob shows; after the restart the run
// resumes from its checkpoint and the blob holds every row once.
TEST_F(BlobCopyTest, AKilledUploadLeavesNoPartialBlob) {
    constexpr int64_t kRows = 150000;
    Upload("landing", "big/all.csv", Csv(0, kRows));
    Json copy = Copy("Big", Ref("BlobCsv", {{"folder", "big"}}),
                     Ref("BlobCsv", {{"container", "exports"}, {"folder", "big-out"}, {"file", "all.csv"}}),
                     {{"type", "DelimitedTextSource"}},
                     {{"type", "DelimitedTextSink"},
                      {"storeSettings", {{"type", "AzureBlobStorageWriteSettings"}, {"blockSizeInMB", 1}}}});
    const std::string run_id = StartRun("KilledUpload", Json::array({copy}));
    const fs::path db = work_->path() / "daemon/adxflow.db";
    bool hit = false;
    for (int i = 0; i < 1000 && !hit; ++i) {
        Json cp = Checkpoint(db, run_id);
        hit = cp.is_object() && cp.value("chunk", 0) >= 4 && cp.contains("sink");
        if (!hit) std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(hit) << "the copy never reached its 4th chunk";
    daemon_->Kill();
    EXPECT_TRUE(Names("exports", "big-out/").empty()) << "a partial blob is visible after the kill";
    ASSERT_TRUE(daemon_->Restart().ok()) << daemon_->LogTail();
    auto run = daemon_->WaitForRun(run_id, 180s);
    ASSERT_TRUE(run.ok()) << run.error().message;
    ASSERT_EQ(run->value("status", ""), "Succeeded") << run->dump(2) << daemon_->LogTail();
    auto acts = daemon_->ActivityRuns(run_id);
    ASSERT_TRUE(acts.ok());
    EXPECT_GE(acts->size(), 2u) << "the kill should have cost an attempt";

    auto blob = blobs_->GetBlob("exports", "big-out/all.csv", std::nullopt, {}, 64ull << 20);
    ASSERT_TRUE(blob.ok()) << blob.error().message;
    // The sink writes CSV the way ADX reads it (RFC 4180, CRLF); the bytes equal the source file's.
    EXPECT_EQ(blob->size(), Csv(0, kRows).size());
    EXPECT_TRUE(*blob == Csv(0, kRows)) << "the resumed blob differs from its source";
}

}  // namespace
}  // namespace adxflow::testing
