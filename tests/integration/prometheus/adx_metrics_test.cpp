// The ADX and identity counters on the real daemon against the Kusto emulator (TLS, its Azure AD): a
// Lookup through a service principal counts a successful token fetch and a query answered 200; a linked
// service with a wrong secret counts a failed token fetch and no ADX request. The secrets never reach
// /metrics.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/daemon_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTenant = "contoso";
constexpr const char* kAppId = "metrics-app";
constexpr const char* kAppSecret = "Metrics-Sp-Secret-4e9b";
constexpr const char* kWrongSecret = "Wrong-Sp-Secret-0c3d";

Json LinkedService(const std::string& url, const std::string& secret) {
    return {{"properties",
             {{"type", "AzureDataExplorer"},
              {"typeProperties",
               {{"endpoint", url},
                {"database", "Sales"},
                {"tenant", kTenant},
                {"servicePrincipalId", kAppId},
                {"servicePrincipalKey", {{"type", "SecureString"}, {"value", secret}}}}}}}};
}

Json LookupPipeline(const std::string& dataset) {
    return {
        {"properties",
         {{"activities",
           Json::array({{{"name", "Count"},
                         {"type", "Lookup"},
                         {"policy", {{"retry", 0}}},
                         {"typeProperties",
                          {{"source", {{"type", "AzureDataExplorerSource"}, {"query", "Synth | count"}}},
                           {"dataset", {{"referenceName", dataset}, {"type", "DatasetReference"}}}}}}})}}}};
}

Json Dataset(const std::string& linked_service) {
    return {{"properties",
             {{"type", "AzureDataExplorerTable"},
              {"linkedServiceName", {{"referenceName", linked_service}, {"type", "LinkedServiceReference"}}},
              {"typeProperties", {{"table", "Synth"}}}}}};
}

// The value of one series in the text format, or -1 when absent.
double Series(const std::string& metrics, const std::string& series) {
    const auto at = metrics.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(metrics.substr(at + series.size() + 2));
}

TEST(AdxMetrics, QueriesAndTokenFetchesAreCounted) {
    TempDir dir;
    const Json config = {{"identities", Json::array({{{"type", "servicePrincipal"},
                                                      {"tenant", kTenant},
                                                      {"clientId", kAppId},
                                                      {"clientSecret", kAppSecret},
                                                      {"roles", {{"*", "admin"}}}}})}};
    WriteFile(dir.path() / "emulator.json", config.dump());
    auto emulator =
        EmulatorProcess::Start(dir.path(),
                               {"--database", "Sales", "--config", (dir.path() / "emulator.json").string(),
                                "--synthetic-table", "Synth:100"},
                               /*tls=*/true);
    ASSERT_TRUE(emulator.ok()) << emulator.error().message;
    auto& e = **emulator;
    DaemonOptions options;
    options.data_dir = dir.path() / "daemon";
    options.extra_flags = {"--azure-authority-host", e.url(),
                           "--azure-imds-endpoint",  e.url(),
                           "--azure-ca-file",        e.certificate()->cert_file.string()};
    auto started = DaemonProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& d = **started;
    ASSERT_EQ(d.Arm("PUT", "linkedservices/Good", LinkedService(e.url(), kAppSecret))->status, 200);
    ASSERT_EQ(d.Arm("PUT", "linkedservices/Bad", LinkedService(e.url(), kWrongSecret))->status, 200);
    ASSERT_EQ(d.Arm("PUT", "datasets/SynthGood", Dataset("Good"))->status, 200);
    ASSERT_EQ(d.Arm("PUT", "datasets/SynthBad", Dataset("Bad"))->status, 200);
    ASSERT_EQ(d.Arm("PUT", "pipelines/CountGood", LookupPipeline("SynthGood"))->status, 200);
    ASSERT_EQ(d.Arm("PUT", "pipelines/CountBad", LookupPipeline("SynthBad"))->status, 200);

    auto good = d.Arm("POST", "pipelines/CountGood/createRun", Json::object());
    auto run = d.WaitForRun(good->body["runId"], 60s);
    ASSERT_TRUE(run.ok());
    ASSERT_EQ((*run)["status"], "Succeeded") << run->dump() << d.LogTail();
    std::string metrics = d.Raw("GET", "/metrics")->text;
    EXPECT_GE(Series(metrics, R"(adxflow_adx_requests_total{code="200",kind="query"})"), 1) << metrics;
    EXPECT_GE(Series(metrics, R"(adxflow_token_refreshes_total{outcome="success"})"), 1);
    EXPECT_EQ(Series(metrics, R"(adxflow_token_refreshes_total{outcome="failure"})"), 0);
    const double queries = Series(metrics, R"(adxflow_adx_requests_total{code="200",kind="query"})");

    auto bad = d.Arm("POST", "pipelines/CountBad/createRun", Json::object());
    run = d.WaitForRun(bad->body["runId"], 60s);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ((*run)["status"], "Failed");
    metrics = d.Raw("GET", "/metrics")->text;
    EXPECT_GE(Series(metrics, R"(adxflow_token_refreshes_total{outcome="failure"})"), 1) << metrics;
    EXPECT_EQ(Series(metrics, R"(adxflow_adx_requests_total{code="200",kind="query"})"), queries)
        << "no query is sent without a token";
    EXPECT_EQ(metrics.find(kAppSecret), std::string::npos);
    EXPECT_EQ(metrics.find(kWrongSecret), std::string::npos);
    EXPECT_EQ(d.Stop(), 0);
}

}  // namespace
}  // namespace adxflow::testing
