// The ADX connector's read side end to end: the real adxflowd against the real adxflow-kusto-emulator over
// TLS, with identities configured so every request carries a token the emulator checks. Linked services are
// written as ADF users write them (the three auth modes, a Key Vault secret), pipelines run over the
// ARM-compatible API, and the files the Copy writes are read back and compared value by value.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "etl-app";
constexpr const char* kAppSecret = "Adx-Sp-Secret-7d2a";
constexpr const char* kUserIdentity =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/etl-identity";

constexpr const char* kIdentityHeader = "app-service-header-3f1c";

Json EmulatorConfig() {
    return {{"identities", Json::array({{{"type", "servicePrincipal"},
                                         {"tenant", kTenant},
                                         {"clientId", kAppId},
                                         {"clientSecret", kAppSecret},
                                         {"roles", {{"*", "admin"}}}},
                                        {{"type", "systemManagedIdentity"}, {"roles", {{"Sales", "viewer"}}}},
                                        {{"type", "userManagedIdentity"},
                                         {"clientId", "etl-identity-client"},
                                         {"resourceId", kUserIdentity},
                                         {"roles", {{"Sales", "viewer"}}}}})},
            {"keyVaultSecrets", {{"adx-sp-key", kAppSecret}}},
            {"identityHeader", kIdentityHeader}};
}

// ADF's three linked-service shapes (the documentation's examples with their placeholders filled in); the
// endpoint keeps the trailing space the documentation's examples have.
Json AdxLinkedService(const std::string& url, const std::string& mode) {
    Json tp = {{"endpoint", url + " "}, {"database", "Sales"}};
    if (mode == "sp") {
        tp["tenant"] = kTenant;
        tp["servicePrincipalId"] = kAppId;
        tp["servicePrincipalKey"] = {{"type", "SecureString"}, {"value", kAppSecret}};
    } else if (mode == "keyvault") {
        tp["tenant"] = kTenant;
        tp["servicePrincipalId"] = kAppId;
        tp["servicePrincipalKey"] = {
            {"type", "AzureKeyVaultSecret"},
            {"store", {{"referenceName", "Vault"}, {"type", "LinkedServiceReference"}}},
            {"secretName", "adx-sp-key"}};
    } else if (mode == "user") {
        tp["credential"] = {{"referenceName", "EtlIdentity"}, {"type", "CredentialReference"}};
    }
    return {{"properties", {{"type", "AzureDataExplorer"}, {"typeProperties", tp}}}};
}

Json AdxDataset(const std::string& linked_service) {
    return {{"properties",
             {{"type", "AzureDataExplorerTable"},
              {"linkedServiceName", {{"referenceName", linked_service}, {"type", "LinkedServiceReference"}}},
              {"typeProperties", {{"table", "People"}}}}}};
}

Json CsvDataset() {
    return {{"properties",
             {{"type", "DelimitedText"},
              {"linkedServiceName", {{"referenceName", "Files"}, {"type", "LinkedServiceReference"}}},
              {"parameters", {{"file", {{"type", "String"}}}}},
              {"typeProperties",
               {{"location",
                 {{"type", "FileServerLocation"},
                  {"folderPath", "out"},
                  {"fileName", {{"value", "@dataset().file"}, {"type", "Expression"}}}}},
                {"columnDelimiter", ","},
                {"firstRowAsHeader", true}}}}}};
}

Json CopyActivity(const std::string& name, const std::string& dataset, Json source, const std::string& file,
                  Json depends_on = Json::array()) {
    return {{"name", name},
            {"type", "Copy"},
            {"dependsOn", std::move(depends_on)},
            {"policy", {{"retry", 0}, {"timeout", "0.00:10:00"}}},
            {"inputs", Json::array({{{"referenceName", dataset}, {"type", "DatasetReference"}}})},
            {"outputs", Json::array({{{"referenceName", "OutCsv"},
                                      {"type", "DatasetReference"},
                                      {"parameters", {{"file", file}}}}})},
            {"typeProperties", {{"source", std::move(source)}, {"sink", {{"type", "DelimitedTextSink"}}}}}};
}

class AdxSourceTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        work_ = new TempDir();
        const fs::path config = work_->path() / "emulator.json";
        WriteFile(config, EmulatorConfig().dump());
        auto emulator = EmulatorProcess::Start(
            work_->path(),
            {"--database", "Sales", "--config", config.string(), "--synthetic-table", "Synth:600000"},
            /*tls=*/true);
        ASSERT_TRUE(emulator.ok()) << emulator.error().message;
        emulator_ = emulator->release();
        SeedPeople();

        fs::create_directories(work_->path() / "files/out");
        DaemonOptions options;
        options.data_dir = work_->path() / "daemon";
        options.file_roots = {work_->path() / "files"};
        options.extra_flags = {"--azure-authority-host", emulator_->url(),
                               "--azure-imds-endpoint",  emulator_->url(),
                               "--azure-ca-file",        emulator_->certificate()->cert_file.string()};
        auto daemon = DaemonProcess::Start(options);
        ASSERT_TRUE(daemon.ok()) << daemon.error().message;
        daemon_ = daemon->release();
        PutFactory();
    }
    static void TearDownTestSuite() {
        delete daemon_;
        delete emulator_;
        delete work_;
        daemon_ = nullptr;
        emulator_ = nullptr;
        work_ = nullptr;
    }

    void SetUp() override {
        ASSERT_NE(daemon_, nullptr);
        ASSERT_NE(emulator_, nullptr);
        ASSERT_TRUE(
            emulator_->client().Send({"DELETE", emulator_->url() + "/_emulator/faults", {}, {}}).ok());
    }

    static void Mgmt(const std::string& csl) {
        auto r = emulator_->Kusto("Sales", csl, emulator_->ClientToken(kTenant, kAppId, kAppSecret));
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << csl << "\n" << r->body;
    }

    static void SeedPeople() {
        Mgmt(
            ".create table People (Id:long, Name:string, Score:real, Active:bool, Joined:datetime, "
            "Tags:dynamic)");
        std::string inline_rows;
        for (int i = 0; i < 250; ++i) {
            inline_rows += std::to_string(i) + ",\"person, " + std::to_string(i) + "\"," +
                           std::to_string(i * 1.5) + "," + (i % 2 ? "true" : "false") + ",2024-03-" +
                           std::to_string(10 + i % 18) + "T08:00:00Z,\"{\"\"n\"\":" + std::to_string(i) +
                           "}\"\n";
        }
        Mgmt(".ingest inline into table People <|\n" + inline_rows);
    }

    static void Put(const std::string& path, const Json& body) {
        auto r = daemon_->Arm("PUT", path, body);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_EQ(r->status, 200) << path << ": " << r->text;
    }

    static void PutFactory() {
        Put("linkedservices/Files",
            {{"properties",
              {{"type", "FileServer"}, {"typeProperties", {{"host", (work_->path() / "files").string()}}}}}});
        Put("linkedservices/Vault",
            {{"properties",
              {{"type", "AzureKeyVault"}, {"typeProperties", {{"baseUrl", emulator_->url()}}}}}});
        Put("credentials/EtlIdentity",
            {{"properties",
              {{"type", "ManagedIdentity"}, {"typeProperties", {{"resourceId", kUserIdentity}}}}}});
        for (const char* mode : {"sp", "keyvault", "system", "user"}) {
            Put(std::string("linkedservices/Adx_") + mode, AdxLinkedService(emulator_->url(), mode));
            Put(std::string("datasets/People_") + mode, AdxDataset(std::string("Adx_") + mode));
        }
        Put("datasets/OutCsv", CsvDataset());
    }

    // Runs a one-off pipeline and returns (run, activity runs).
    static std::pair<Json, Json> RunPipeline(const std::string& name, Json activities,
                                             std::chrono::seconds limit = 120s) {
        Put("pipelines/" + name, {{"properties", {{"activities", std::move(activities)}}}});
        auto created = daemon_->Arm("POST", "pipelines/" + name + "/createRun", Json::object());
        EXPECT_TRUE(created.ok() && created->status == 200);
        if (!created.ok() || created->status != 200) return {};
        const std::string run_id = created->body.value("runId", "");
        auto run = daemon_->WaitForRun(run_id, limit);
        EXPECT_TRUE(run.ok()) << (run.ok() ? "" : run.error().message) << "\n" << daemon_->LogTail();
        auto acts = daemon_->ActivityRuns(run_id);
        return {run.ok() ? *run : Json(), acts.ok() ? *acts : Json()};
    }

    static Json Activity(const Json& runs, const std::string& name) {
        for (const auto& a : runs)
            if (a.value("activityName", "") == name) return a;
        return Json();
    }

    static std::vector<std::vector<std::string>> ReadCsv(const std::string& file) {
        std::vector<std::vector<std::string>> rows;
        std::string cell;
        // The People names hold commas inside quotes; a minimal RFC 4180 reader is enough for these files.
        const std::string text = ReadFile(work_->path() / "files/out" / file);
        std::vector<std::string> row;
        bool quoted = false;
        for (size_t i = 0; i < text.size(); ++i) {
            char c = text[i];
            if (quoted) {
                if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                    cell += '"';
                    ++i;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell += c;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.push_back(cell);
                cell.clear();
            } else if (c == '\n') {
                row.push_back(cell);
                cell.clear();
                rows.push_back(row);
                row.clear();
            } else if (c != '\r') {
                cell += c;
            }
        }
        return rows;
    }

    static TempDir* work_;
    static EmulatorProcess* emulator_;
    static DaemonProcess* daemon_;
};

TempDir* AdxSourceTest::work_ = nullptr;
EmulatorProcess* AdxSourceTest::emulator_ = nullptr;
DaemonProcess* AdxSourceTest::daemon_ = nullptr;

TEST_F(AdxSourceTest, LookupCountFeedsACopyOfTheTableToCsvWithEveryValue) {
    Json lookup = {{"name", "CountPeople"},
                   {"type", "Lookup"},
                   {"typeProperties",
                    {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "People | count"}}},
                     {"dataset", {{"referenceName", "People_sp"}, {"type", "DatasetReference"}}}}}};
    Json copy =
        CopyActivity("CopyPeople", "People_sp",
                     {{"type", "AzureDataExplorerSource"},
                      {"query", "People | where Id >= 0"},
                      {"queryTimeout", "00:05:00"}},
                     "people-@{activity('CountPeople').output.firstRow.Count}.csv",
                     Json::array({{{"activity", "CountPeople"}, {"dependencyConditions", {"Succeeded"}}}}));
    auto [run, acts] = RunPipeline("LookupThenCopy", Json::array({lookup, copy}));
    ASSERT_EQ(run.value("status", ""), "Succeeded") << run.dump(2) << "\n"
                                                    << acts.dump(2) << daemon_->LogTail();
    EXPECT_EQ(Activity(acts, "CountPeople")["output"]["firstRow"]["Count"], 250);
    const Json out = Activity(acts, "CopyPeople")["output"];
    EXPECT_EQ(out.value("rowsRead", 0), 250);
    EXPECT_EQ(out.value("rowsCopied", 0), 250);
    EXPECT_GT(out.value("dataRead", 0), 0);
    EXPECT_EQ(out.value("sourcePeakConnections", 0), 1);
    EXPECT_EQ(out.value("sinkPeakConnections", 0), 1);
    EXPECT_EQ(out.value("adxQueryClientRequestId", "").rfind("adxflow;", 0), 0u) << out.dump(2);

    auto rows = ReadCsv("people-250.csv");
    ASSERT_EQ(rows.size(), 251u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"Id", "Name", "Score", "Active", "Joined", "Tags"}));
    for (int i = 0; i < 250; ++i) {
        const auto& r = rows[static_cast<size_t>(i) + 1];
        ASSERT_EQ(r.size(), 6u);
        EXPECT_EQ(r[0], std::to_string(i));
        EXPECT_EQ(r[1], "person, " + std::to_string(i));
        EXPECT_DOUBLE_EQ(std::stod(r[2]), i * 1.5);
        EXPECT_EQ(r[3], i % 2 ? "True" : "False");
        EXPECT_EQ(r[4].substr(0, 10), "2024-03-" + std::to_string(10 + i % 18));
        EXPECT_EQ(Json::parse(r[5])["n"], i);
    }
}

TEST_F(AdxSourceTest, EveryAuthenticationModeAndAKeyVaultSecretReadTheTable) {
    Json activities = Json::array();
    for (const char* mode : {"sp", "keyvault", "system", "user"}) {
        activities.push_back(
            {{"name", std::string("Lookup_") + mode},
             {"type", "Lookup"},
             {"typeProperties",
              {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "People | count"}}},
               {"dataset",
                {{"referenceName", std::string("People_") + mode}, {"type", "DatasetReference"}}}}}});
    }
    auto [run, acts] = RunPipeline("AuthModes", activities);
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    for (const char* mode : {"sp", "keyvault", "system", "user"})
        EXPECT_EQ(Activity(acts, std::string("Lookup_") + mode)["output"]["firstRow"]["Count"], 250) << mode;
    // The secret never leaves the daemon: not in the log, not in what the API returns.
    EXPECT_EQ(daemon_->LogTail(1 << 20).find(kAppSecret), std::string::npos);
    auto ls = daemon_->Arm("GET", "linkedservices/Adx_sp");
    ASSERT_TRUE(ls.ok());
    EXPECT_EQ(ls->text.find(kAppSecret), std::string::npos);
}

// Deployments that already set the Azure identity libraries' variables need no adxflow setting: a daemon
// started without --azure-authority-host / --azure-imds-endpoint takes AZURE_AUTHORITY_HOST and
// AZURE_POD_IDENTITY_AUTHORITY_HOST, and IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service) win over IMDS.
TEST_F(AdxSourceTest, EndpointsComeFromTheAzureIdentityEnvironmentVariables) {
    auto lookups = [](const std::vector<std::string>& modes) {
        Json activities = Json::array();
        for (const auto& mode : modes)
            activities.push_back(
                {{"name", "Lookup_" + mode},
                 {"type", "Lookup"},
                 {"typeProperties",
                  {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "People | count"}}},
                   {"dataset", {{"referenceName", "People_" + mode}, {"type", "DatasetReference"}}}}}});
        return activities;
    };
    struct Case {
        std::string name;
        std::vector<std::pair<std::string, std::string>> env;
        std::vector<std::string> modes;
    };
    const std::vector<Case> cases = {
        {"imds",
         {{"AZURE_AUTHORITY_HOST", emulator_->url()},
          {"AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator_->url()}},
         {"sp", "system", "user"}},
        // IMDS pointed at a closed loopback port: only the App Service endpoint can have issued the tokens.
        {"appservice",
         {{"IDENTITY_ENDPOINT", emulator_->url() + "/msi/token"},
          {"IDENTITY_HEADER", kIdentityHeader},
          {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"}},
         {"system", "user"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        DaemonOptions options;
        options.data_dir = work_->path() / ("daemon-env-" + c.name);
        options.file_roots = {work_->path() / "files"};
        options.extra_flags = {"--azure-ca-file", emulator_->certificate()->cert_file.string()};
        options.env = c.env;
        auto started = DaemonProcess::Start(options);
        ASSERT_TRUE(started.ok()) << started.error().message;
        std::unique_ptr<DaemonProcess> daemon = std::move(*started);
        DaemonProcess* shared = daemon_;
        daemon_ = daemon.get();  // Put/RunPipeline talk to daemon_
        PutFactory();
        auto [run, acts] = RunPipeline("EnvEndpoints", lookups(c.modes));
        daemon_ = shared;
        ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon->LogTail();
        for (const auto& mode : c.modes)
            EXPECT_EQ(Activity(acts, "Lookup_" + mode)["output"]["firstRow"]["Count"], 250) << mode;
    }
}

TEST_F(AdxSourceTest, AWrongRoleOrSecretFailsWithTheServicesWords) {
    Put("linkedservices/Adx_badkey",
        {{"properties",
          {{"type", "AzureDataExplorer"},
           {"typeProperties",
            {{"endpoint", emulator_->url()},
             {"database", "Sales"},
             {"tenant", kTenant},
             {"servicePrincipalId", kAppId},
             {"servicePrincipalKey", {{"type", "SecureString"}, {"value", "wrong-secret"}}}}}}}});
    Put("datasets/People_badkey", AdxDataset("Adx_badkey"));
    Json lookup = {{"name", "BadKey"},
                   {"type", "Lookup"},
                   {"typeProperties",
                    {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "People | count"}}},
                     {"dataset", {{"referenceName", "People_badkey"}, {"type", "DatasetReference"}}}}}};
    // The system identity has a role on Sales only: another database answers 403.
    Json other = AdxLinkedService(emulator_->url(), "system");
    other["properties"]["typeProperties"]["database"] = "NetDefaultDB";
    Put("linkedservices/Adx_norole", other);
    Put("datasets/People_norole", AdxDataset("Adx_norole"));
    Json forbidden = {{"name", "NoRole"},
                      {"type", "Lookup"},
                      {"typeProperties",
                       {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "print 1"}}},
                        {"dataset", {{"referenceName", "People_norole"}, {"type", "DatasetReference"}}}}}};
    auto [run, acts] = RunPipeline("BadAuth", Json::array({lookup, forbidden}));
    EXPECT_EQ(run.value("status", ""), "Failed");
    const Json bad = Activity(acts, "BadKey");
    EXPECT_EQ(bad.value("status", ""), "Failed");
    EXPECT_NE(bad["error"].value("message", "").find("invalid_client"), std::string::npos) << bad.dump(2);
    const Json no_role = Activity(acts, "NoRole");
    EXPECT_EQ(no_role.value("status", ""), "Failed");
    EXPECT_NE(no_role["error"].value("message", "").find("403"), std::string::npos) << no_role.dump(2);
}

TEST_F(AdxSourceTest, TruncationFailsTheCopyUnlessNoTruncationIsSet) {
    Json truncated = CopyActivity("Truncated", "People_sp",
                                  {{"type", "AzureDataExplorerSource"}, {"query", "Synth"}}, "truncated.csv");
    Json full = CopyActivity(
        "Full", "People_sp",
        {{"type", "AzureDataExplorerSource"}, {"query", "Synth"}, {"noTruncation", true}}, "full.csv");
    auto [run, acts] = RunPipeline("Truncation", Json::array({truncated, full}), 300s);
    const Json t = Activity(acts, "Truncated");
    EXPECT_EQ(t.value("status", ""), "Failed") << t.dump(2);
    EXPECT_EQ(t["error"].value("errorCode", ""), "ResultTruncated") << t.dump(2);
    EXPECT_NE(t["error"].value("message", "").find("noTruncation"), std::string::npos);
    EXPECT_FALSE(fs::exists(work_->path() / "files/out/truncated.csv"))
        << "a truncated result must not be published";
    const Json f = Activity(acts, "Full");
    ASSERT_EQ(f.value("status", ""), "Succeeded") << f.dump(2);
    EXPECT_EQ(f["output"].value("rowsCopied", 0), 600000);
}

TEST_F(AdxSourceTest, ThrottlingIsRetriedAPermanentErrorIsNotAndQueryTimeoutEnds) {
    // Two 429s with Retry-After 1: the query succeeds on the third request.
    auto armed = emulator_->Post("/_emulator/faults",
                                 R"({"count":2,"path":"/v2/rest/query","status":429,"retryAfterSecs":1})");
    ASSERT_TRUE(armed.ok() && armed->status < 300);
    Json throttled = {{"name", "Throttled"},
                      {"type", "Lookup"},
                      {"typeProperties",
                       {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "People | count"}}},
                        {"dataset", {{"referenceName", "People_sp"}, {"type", "DatasetReference"}}}}}};
    auto [run1, acts1] = RunPipeline("Throttled", Json::array({throttled}));
    EXPECT_EQ(run1.value("status", ""), "Succeeded") << acts1.dump(2);
    auto left = emulator_->Get("/_emulator/faults");
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(Json::parse(left->body).value("faults", Json::array()).size(), 0u) << left->body;

    // A semantic error is permanent: one request, no retry, the service's message in the activity error.
    Json missing = {{"name", "Missing"},
                    {"type", "Lookup"},
                    {"typeProperties",
                     {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "NoSuchTable | count"}}},
                      {"dataset", {{"referenceName", "People_sp"}, {"type", "DatasetReference"}}}}}};
    const auto started = std::chrono::steady_clock::now();
    auto [run2, acts2] = RunPipeline("Permanent", Json::array({missing}));
    EXPECT_EQ(run2.value("status", ""), "Failed");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << "a permanent error must not be retried";
    EXPECT_NE(Activity(acts2, "Missing")["error"].value("message", "").find("NoSuchTable"), std::string::npos)
        << acts2.dump(2);

    // queryTimeout 1 s against a 4 s server delay: the service's timeout ends the activity.
    armed = emulator_->Post("/_emulator/faults",
                            R"({"count":1,"path":"/v2/rest/query","action":"delay","delayMs":4000})");
    ASSERT_TRUE(armed.ok() && armed->status < 300);
    Json slow = {
        {"name", "Slow"},
        {"type", "Lookup"},
        {"typeProperties",
         {{"source",
           {{"type", "AzureDataExplorerSource"}, {"query", "People | count"}, {"queryTimeout", "00:00:01"}}},
          {"dataset", {{"referenceName", "People_sp"}, {"type", "DatasetReference"}}}}}};
    auto [run3, acts3] = RunPipeline("Timeout", Json::array({slow}));
    EXPECT_EQ(run3.value("status", ""), "Failed");
    const Json e = Activity(acts3, "Slow")["error"];
    EXPECT_NE(e.value("message", "").find("RequestExecutionTimeout"), std::string::npos) << e.dump(2);
}

TEST_F(AdxSourceTest, BadSettingsAreRefusedWithTheFieldPath) {
    Json bad =
        CopyActivity("BadTimeout", "People_sp",
                     {{"type", "AzureDataExplorerSource"}, {"query", "People"}, {"queryTimeout", "02:00:00"}},
                     "never.csv");
    auto [run, acts] = RunPipeline("BadSettings", Json::array({bad}));
    EXPECT_EQ(run.value("status", ""), "Failed");
    EXPECT_NE(Activity(acts, "BadTimeout")["error"].value("message", "").find("source.queryTimeout"),
              std::string::npos)
        << acts.dump(2);
}

}  // namespace
}  // namespace adxflow::testing

namespace adxflow::testing {
namespace {

// The three linked-service examples of ADF's ADX connector page, as printed there (placeholders and the
// endpoint's trailing space included); the test fills the placeholders in as a user would.
constexpr const char* kPageServicePrincipal = R"({
    "name": "AzureDataExplorerLinkedService",
    "properties": {
        "type": "AzureDataExplorer",
        "typeProperties": {
            "endpoint": "https://<clusterName>.<regionName>.kusto.windows.net ",
            "database": "<database name>",
            "tenant": "<tenant name/id e.g. microsoft.onmicrosoft.com>",
            "servicePrincipalId": "<service principal id>",
            "servicePrincipalKey": {
                "type": "SecureString",
                "value": "<service principal key>"
            }
        }
    }
})";
constexpr const char* kPageSystemIdentity = R"({
    "name": "AzureDataExplorerLinkedService",
    "properties": {
        "type": "AzureDataExplorer",
        "typeProperties": {
            "endpoint": "https://<clusterName>.<regionName>.kusto.windows.net ",
            "database": "<database name>",
        }
    }
})";
constexpr const char* kPageUserIdentity = R"({
    "name": "AzureDataExplorerLinkedService",
    "properties": {
        "type": "AzureDataExplorer",
        "typeProperties": {
            "endpoint": "https://<clusterName>.<regionName>.kusto.windows.net ",
            "database": "<database name>",
            "credential": {
                "referenceName": "credential1",
                "type": "CredentialReference"
            }
        }
    }
})";

std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [placeholder, value] : values)
        for (size_t at; (at = text.find(placeholder)) != std::string::npos;)
            text.replace(at, placeholder.size(), value);
    return text;
}

TEST_F(AdxSourceTest, TheDocumentationsLinkedServiceExamplesRunAsWritten) {
    // Pasted verbatim, the system-identity example has a trailing comma: a 400 that says where.
    auto raw = daemon_->Raw(
        "PUT", std::string(DaemonProcess::kFactoryPath) + "/linkedservices/PageSystem?api-version=2018-06-01",
        kPageSystemIdentity);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw->status, 400) << raw->text;
    EXPECT_NE(raw->text.find("line 8"), std::string::npos) << raw->text;
    EXPECT_NE(raw->text.find("column"), std::string::npos) << raw->text;

    const std::map<std::string, std::string> values = {
        {"https://<clusterName>.<regionName>.kusto.windows.net", emulator_->url()},
        {"<database name>", "Sales"},
        {"<tenant name/id e.g. microsoft.onmicrosoft.com>", kTenant},
        {"<service principal id>", kAppId},
        {"<service principal key>", kAppSecret}};
    Put("credentials/credential1",
        {{"properties", {{"type", "ManagedIdentity"}, {"typeProperties", {{"resourceId", kUserIdentity}}}}}});
    std::string system = Fill(kPageSystemIdentity, values);
    system.erase(system.find("\"Sales\",") + 7, 1);  // the user fixes the comma the 400 pointed at
    const std::vector<std::pair<std::string, std::string>> examples = {
        {"PageSp", Fill(kPageServicePrincipal, values)},
        {"PageSystem", system},
        {"PageUser", Fill(kPageUserIdentity, values)}};
    Json activities = Json::array();
    for (const auto& [name, text] : examples) {
        // Every example is named AzureDataExplorerLinkedService; the user gives each its own name.
        auto put = daemon_->Raw(
            "PUT",
            std::string(DaemonProcess::kFactoryPath) + "/linkedservices/" + name + "?api-version=2018-06-01",
            Fill(text, {{"AzureDataExplorerLinkedService", name}}));
        ASSERT_TRUE(put.ok());
        ASSERT_EQ(put->status, 200) << name << ": " << put->text;
        Put("datasets/" + name + "Table", AdxDataset(name));
        activities.push_back(
            {{"name", "Lookup" + name},
             {"type", "Lookup"},
             {"typeProperties",
              {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "TestTable1 | take 10"}}},
               {"dataset", {{"referenceName", name + "Table"}, {"type", "DatasetReference"}}},
               {"firstRowOnly", false}}}});
    }
    Mgmt(".create table TestTable1 (Id:long, Name:string)");
    Mgmt(".ingest inline into table TestTable1 <|\n1,one\n2,two\n");
    auto [run, acts] = RunPipeline("PageExamples", activities);
    ASSERT_EQ(run.value("status", ""), "Succeeded") << acts.dump(2) << daemon_->LogTail();
    for (const auto& a : acts) EXPECT_EQ(a["output"].value("count", 0), 2) << a.dump(2);
}

TEST_F(AdxSourceTest, CommandActivityReportsTheFirstTableAsAdfDoes) {
    Json command = {{"name", "ShowTables"},
                    {"type", "AzureDataExplorerCommand"},
                    {"linkedServiceName", {{"referenceName", "Adx_sp"}, {"type", "LinkedServiceReference"}}},
                    {"typeProperties", {{"command", ".show tables"}, {"commandTimeout", "00:05:00"}}}};
    Json bad = {{"name", "BadCommand"},
                {"type", "AzureDataExplorerCommand"},
                {"linkedServiceName", {{"referenceName", "Adx_sp"}, {"type", "LinkedServiceReference"}}},
                {"typeProperties", {{"command", ".no such command"}}}};
    auto [run, acts] = RunPipeline("Commands", Json::array({command, bad}));
    EXPECT_EQ(run.value("status", ""), "Failed");
    const Json shown = Activity(acts, "ShowTables");
    ASSERT_EQ(shown.value("status", ""), "Succeeded") << shown.dump(2);
    const Json& out = shown["output"];
    ASSERT_TRUE(out["value"].is_array());
    EXPECT_EQ(out.value("count", 0), out["value"].size());
    bool people = false;
    for (const auto& row : out["value"]) people = people || row.value("TableName", "") == "People";
    EXPECT_TRUE(people) << out.dump(2);
    const Json failed = Activity(acts, "BadCommand");
    EXPECT_EQ(failed.value("status", ""), "Failed");
    EXPECT_NE(failed["error"].value("message", "").find("no such command"), std::string::npos)
        << failed.dump(2);
}

}  // namespace
}  // namespace adxflow::testing

namespace adxflow::testing {
namespace {

TEST_F(AdxSourceTest, TestConnectionSaysWhichStepFailed) {
    auto test = [&](const std::string& name, Json type_properties) -> Json {
        Put("linkedservices/" + name,
            {{"properties", {{"type", "AzureDataExplorer"}, {"typeProperties", type_properties}}}});
        auto r = daemon_->Arm("POST", "linkedservices/" + name + "/testConnection", Json::object());
        EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->text : r.error().message);
        return r.ok() ? r->body : Json();
    };
    auto status_of = [](const Json& result, const std::string& step) {
        for (const auto& s : result.value("steps", Json::array()))
            if (s.value("name", "") == step) return s.value("status", "");
        return std::string("missing");
    };
    Json sp = {{"endpoint", emulator_->url()},
               {"database", "Sales"},
               {"tenant", kTenant},
               {"servicePrincipalId", kAppId},
               {"servicePrincipalKey", {{"type", "SecureString"}, {"value", kAppSecret}}}};
    Json good = test("TcGood", sp);
    EXPECT_TRUE(good.value("succeeded", false)) << good.dump(2);
    for (const char* step : {"token", "reach", "database", "role"})
        EXPECT_EQ(status_of(good, step), "Succeeded") << step;

    Json wrong_key = sp;
    wrong_key["servicePrincipalKey"]["value"] = "not-the-secret";
    Json bad_token = test("TcBadKey", wrong_key);
    EXPECT_EQ(bad_token.value("failedStep", ""), "token") << bad_token.dump(2);
    EXPECT_EQ(bad_token.dump().find("not-the-secret"), std::string::npos);

    Json unreachable = sp;
    unreachable["endpoint"] = "https://127.0.0.1:1";
    EXPECT_EQ(test("TcUnreachable", unreachable).value("failedStep", ""), "reach");

    Json other_db = sp;
    other_db["database"] = "NoSuchDatabase";
    EXPECT_EQ(test("TcNoDb", other_db).value("failedStep", ""), "database");

    // The system identity has a role on Sales only.
    Json no_role = test("TcNoRole", {{"endpoint", emulator_->url()}, {"database", "NetDefaultDB"}});
    EXPECT_EQ(no_role.value("failedStep", ""), "role") << no_role.dump(2);
}

}  // namespace
}  // namespace adxflow::testing
