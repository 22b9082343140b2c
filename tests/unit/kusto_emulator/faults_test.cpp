// Scripted faults: throttling with Retry-After, service errors, delays, in-band errors, a connection cut in
// the middle of a result and a trickling response, armed through the admin endpoints.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "connectors/common/kusto/response.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::kusto_emulator {
namespace {

using namespace std::chrono_literals;

struct Errors : kusto::ResponseHandler {
    size_t rows = 0;
    std::vector<kusto::KustoError> table_errors;
    bool has_errors = false;
    Status OnTableStart(const kusto::TableInfo&) override { return Ok(); }
    Status OnRows(const kusto::TableInfo& t, const RowBatch& b) override {
        if (t.is_primary()) rows += b.rows();
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<kusto::KustoError>& e) override {
        table_errors.insert(table_errors.end(), e.begin(), e.end());
        return Ok();
    }
    void OnCompletion(bool errors, bool, const std::vector<kusto::KustoError>&) override {
        has_errors = errors;
    }
};

class FaultsTest : public ::testing::Test {
  protected:
    api::Response Call(const std::string& method, const std::string& path, const std::string& body = {}) {
        api::Request r;
        r.method = method;
        r.path = path;
        r.body = body;
        return emulator_.Handle(r);
    }
    api::Response Query(const std::string& csl) {
        return Call("POST", "/v2/rest/query", Json{{"db", "NetDefaultDB"}, {"csl", csl}}.dump());
    }
    api::Response Mgmt(const std::string& csl) {
        return Call("POST", "/v1/rest/mgmt", Json{{"db", "NetDefaultDB"}, {"csl", csl}}.dump());
    }
    void Arm(const Json& spec) { ASSERT_EQ(Call("POST", "/_emulator/faults", spec.dump()).status, 200); }
    Emulator emulator_{EmulatorOptions()};
};

TEST_F(FaultsTest, ThrottlingAnswersTheNextRequestsThenStops) {
    Arm({{"count", 2}, {"path", "/v2/rest/query"}, {"status", 429}, {"retryAfterSecs", 3}});
    EXPECT_EQ(Mgmt(".show version").status, 200);  // another path: untouched
    for (int i = 0; i < 2; ++i) {
        auto r = Query("print 1");
        ASSERT_EQ(r.status, 429);
        auto e = kusto::ParseErrorBody(r.body);
        EXPECT_EQ(e.code, "TooManyRequests");
        EXPECT_FALSE(e.permanent);
        bool retry_after = false;
        for (const auto& [k, v] : r.headers) retry_after |= k == "Retry-After" && v == "3";
        EXPECT_TRUE(retry_after);
    }
    EXPECT_EQ(Query("print 1").status, 200);
    EXPECT_TRUE(Json::parse(Call("GET", "/_emulator/faults").body)["faults"].empty());
}

TEST_F(FaultsTest, CommandFilterDelayAndInBandErrors) {
    ASSERT_EQ(Mgmt(".create table T (a:long)").status, 200);
    Arm({{"command", ".ingest"}, {"status", 503}, {"code", "ServiceUnavailable"}});
    EXPECT_EQ(Mgmt(".show tables").status, 200);
    EXPECT_EQ(Mgmt(".ingest inline into table T <| 1").status, 503);
    EXPECT_EQ(Mgmt(".ingest inline into table T <| 1").status, 200);

    Arm({{"action", "delay"}, {"delayMs", 150}});
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(Query("print 1").status, 200);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);

    Arm({{"action", "error"}, {"code", "LimitsExceeded"}, {"message", "too much"}, {"permanent", false}});
    auto r = Query("T");
    ASSERT_EQ(r.status, 200);
    Errors e;
    ASSERT_TRUE(kusto::ParseV2(api::BodyText(r), e).ok());
    ASSERT_EQ(e.table_errors.size(), 1u);
    EXPECT_EQ(e.table_errors[0].code, "LimitsExceeded");
    EXPECT_TRUE(e.has_errors);
}

TEST_F(FaultsTest, ServertimeoutEndsASlowRequestWith504AndOptionsControlTruncation) {
    Arm({{"action", "delay"}, {"delayMs", 3000}});
    const auto started = std::chrono::steady_clock::now();
    auto slow = Call("POST", "/v2/rest/query",
                     Json{{"db", "NetDefaultDB"},
                          {"csl", "print 1"},
                          {"properties", {{"Options", {{"servertimeout", "00:00:00.2"}}}}}}
                         .dump());
    EXPECT_EQ(slow.status, 504);
    auto e = kusto::ParseErrorBody(slow.body);
    EXPECT_EQ(e.code, "RequestExecutionTimeout");
    EXPECT_FALSE(e.permanent);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);  // the timeout, not the whole delay
    // Python sends properties as a JSON string; "1s" is accepted as well.
    Arm({{"action", "delay"}, {"delayMs", 3000}});
    auto python = Call("POST", "/v2/rest/query",
                       Json{{"db", "NetDefaultDB"},
                            {"csl", "print 1"},
                            {"properties", Json{{"Options", {{"servertimeout", "0.2s"}}}}.dump()}}
                           .dump());
    EXPECT_EQ(python.status, 504);

    auto limited = Call("POST", "/v2/rest/query",
                        Json{{"db", "NetDefaultDB"},
                             {"csl", "range x from 1 to 10 step 1"},
                             {"properties", {{"Options", {{"truncationmaxrecords", 3}}}}}}
                            .dump());
    Errors cut;
    ASSERT_TRUE(kusto::ParseV2(api::BodyText(limited), cut).ok());
    EXPECT_EQ(cut.rows, 3u);
    EXPECT_TRUE(cut.has_errors);
    auto whole =
        Call("POST", "/v2/rest/query",
             Json{{"db", "NetDefaultDB"},
                  {"csl", "range x from 1 to 10 step 1"},
                  {"properties", {{"Options", {{"truncationmaxrecords", 3}, {"notruncation", true}}}}}}
                 .dump());
    Errors all;
    ASSERT_TRUE(kusto::ParseV2(api::BodyText(whole), all).ok());
    EXPECT_EQ(all.rows, 10u);
}

TEST_F(FaultsTest, AdminListsClearsAndRejectsBadSpecs) {
    Arm(Json::array({{{"status", 500}, {"count", 5}}, {{"action", "delay"}, {"delayMs", 1}}}));
    EXPECT_EQ(Json::parse(Call("GET", "/_emulator/faults").body)["faults"].size(), 2u);
    EXPECT_EQ(Call("DELETE", "/_emulator/faults").status, 200);
    EXPECT_TRUE(Json::parse(Call("GET", "/_emulator/faults").body)["faults"].empty());
    auto bad = Call("POST", "/_emulator/faults", R"({"action":"explode"})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(kusto::ParseErrorBody(bad.body).message.find("fault.action"), std::string::npos) << bad.body;
    EXPECT_EQ(Call("POST", "/_emulator/faults", R"({"status": 200})").status, 400);
}

// Over a real socket: a result cut mid-body is a transport error for the client; a trickle still arrives
// whole.
TEST(FaultsBinary, ConnectionCutMidBodyAndTrickle) {
    testing::TempDir dir;
    auto started = testing::EmulatorProcess::Start(dir.path(), {"--synthetic-table", "S:100000"});
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& emulator = **started;
    auto send = [&](const std::string&, const std::string& path, const std::string& body) {
        return emulator.Post(path, body);
    };
    const std::string query = Json{{"db", "NetDefaultDB"}, {"csl", "S"}}.dump();

    ASSERT_EQ(send("POST", "/_emulator/faults", R"({"action":"closeMidBody"})")->status, 200);
    auto cut = send("POST", "/v2/rest/query", query);
    EXPECT_FALSE(cut.ok() && cut->status == 200 &&
                 kusto::ParseV2(cut->body, *std::make_unique<Errors>()).ok())
        << "a cut response must not look complete";

    ASSERT_EQ(send("POST", "/_emulator/faults", R"({"action":"trickle","delayMs":20})")->status, 200);
    const auto trickle_start = std::chrono::steady_clock::now();
    auto slow = send("POST", "/v2/rest/query", Json{{"db", "NetDefaultDB"}, {"csl", "S | take 3"}}.dump());
    ASSERT_TRUE(slow.ok()) << slow.error().message;
    EXPECT_GE(std::chrono::steady_clock::now() - trickle_start,
              100ms);  // several 64-byte pieces, 20 ms apart
    Errors e;
    ASSERT_TRUE(kusto::ParseV2(slow->body, e).ok());
    EXPECT_EQ(e.rows, 3u);

    auto after = send("POST", "/v2/rest/query", Json{{"db", "NetDefaultDB"}, {"csl", "S | count"}}.dump());
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->status, 200);
    const int status = emulator.Stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace adxflow::kusto_emulator
