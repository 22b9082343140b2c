// The emulator's streamed v2 results beyond the plain DataTable form: progressive and fragmented frames
// compared with the responses recorded from the service (tests/fixtures/kusto), error placements,
// `.cancel query` and servertimeout stopping a result mid-stream. Every body is also read back with the
// project's own parser (connectors/common/kusto/response).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "connectors/common/http/http_client.hpp"
#include "connectors/common/kusto/response.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/kusto_emulator/collect.hpp"

namespace adxflow::kusto_emulator {
namespace {

using kusto::KustoError;
using OrderedJson = nlohmann::ordered_json;

// Collect, plus what DataSetCompletion says about cancellation and its errors.
class Completion : public Collect {
  public:
    void OnCompletion(bool errors, bool was_cancelled, const std::vector<KustoError>& list) override {
        has_errors = errors;
        cancelled = was_cancelled;
        completion_errors = list;
    }
    bool cancelled = false;
    std::vector<KustoError> completion_errors;
};

OrderedJson Fixture(const std::string& name) {
    return OrderedJson::parse(testing::ReadFile(testing::SourceDir() / "tests/fixtures/kusto" / name));
}

std::vector<std::string> FrameTypes(const OrderedJson& frames) {
    std::vector<std::string> types;
    for (const auto& f : frames) types.push_back(f.value("FrameType", ""));
    return types;
}

std::vector<std::string> Keys(const OrderedJson& object) {
    std::vector<std::string> keys;
    for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
    return keys;
}

const OrderedJson* FrameOf(const OrderedJson& frames, const std::string& type) {
    for (const auto& f : frames)
        if (f.value("FrameType", "") == type) return &f;
    return nullptr;
}

// Pulls a streamed body piece by piece (what the HTTP server does), so tests can act between pieces.
class Pull {
  public:
    explicit Pull(api::Response response) : response_(std::move(response)) {}
    bool Next() {
        if (!response_.stream) {
            if (done_) return false;
            text_ += response_.body;
            done_ = true;
            return false;
        }
        std::string piece;
        const bool more = response_.stream(piece);
        pieces_.push_back(piece.size());
        text_ += piece;
        return more;
    }
    const std::string& Drain() {
        while (Next()) {
        }
        return text_;
    }
    const std::vector<size_t>& pieces() const { return pieces_; }
    int status() const { return response_.status; }

  private:
    api::Response response_;
    std::string text_;
    std::vector<size_t> pieces_;
    bool done_ = false;
};

class EmulatorStreaming : public ::testing::Test {
  protected:
    static EmulatorOptions Options() {
        EmulatorOptions o;
        o.databases = {"NetDefaultDB", "Sales"};
        o.synthetic_tables = {{"Synthetic", 1000000}};
        o.stream_piece_bytes = 4096;
        return o;
    }
    api::Response Post(const std::string& path, const std::string& csl, const Json& options = Json::object(),
                       const std::string& request_id = "test;1") {
        api::Request r;
        r.method = "POST";
        r.path = path;
        r.headers["x-ms-client-request-id"] = request_id;
        r.body = Json{{"db", "Sales"}, {"csl", csl}, {"properties", {{"Options", options}}}}.dump();
        return emulator_.Handle(r);
    }
    std::string QueryText(const std::string& csl, const Json& options) {
        auto r = Post("/v2/rest/query", csl, options);
        EXPECT_EQ(r.status, 200) << r.body;
        return api::BodyText(r);
    }
    Completion Parse(const std::string& body) {
        Completion c;
        Status s = kusto::ParseV2(body, c);
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message) << "\n" << body.substr(0, 2000);
        return c;
    }
    Collect Mgmt(const std::string& csl) {
        auto r = Post("/v1/rest/mgmt", csl);
        EXPECT_EQ(r.status, 200) << csl << " -> " << r.body;
        Collect c;
        EXPECT_TRUE(kusto::ParseV1(r.body, c).ok()) << r.body;
        return c;
    }
    void Seed() {
        Mgmt(".create table Orders (id:long, customer:string, amount:real)");
        Mgmt(".ingest inline into table Orders <|\n1,alice,10.5\n2,bob,20\n3,carol,\n4,dave,7.25\n5,erin,1");
    }
    Emulator emulator_{Options()};
};

// Progressive: the frame sequence and each frame's members, in order, as in the recorded response.
TEST_F(EmulatorStreaming, ProgressiveFramesFollowTheRecordedResponse) {
    Seed();
    const Json progressive = {{"results_progressive_enabled", true}};
    const std::string body = QueryText("Orders", progressive);
    const OrderedJson frames = OrderedJson::parse(body);
    const OrderedJson recorded = Fixture("py-v2-progressive_result.json");
    ASSERT_EQ(FrameTypes(frames), FrameTypes(recorded)) << body;
    for (const char* type :
         {"TableHeader", "TableFragment", "TableProgress", "TableCompletion", "DataSetCompletion"}) {
        SCOPED_TRACE(type);
        EXPECT_EQ(Keys(*FrameOf(frames, type)), Keys(*FrameOf(recorded, type)));
    }
    // The recording predates IsFragmented and ErrorReportingPlacement, which current clusters append.
    const auto header = Keys(frames[0]), old_header = Keys(recorded[0]);
    ASSERT_GE(header.size(), old_header.size());
    EXPECT_TRUE(std::equal(old_header.begin(), old_header.end(), header.begin()));
    EXPECT_EQ(frames[0]["IsProgressive"], true);
    EXPECT_EQ(frames[0]["IsFragmented"], true);
    for (const auto& f : frames) {
        if (f["FrameType"] == "DataTable") {
            EXPECT_EQ(Keys(f), Keys(recorded[1])) << f.dump().substr(0, 200);  // FrameType first, then ids
        }
    }
    EXPECT_EQ(frames[1]["Rows"][0][1], "Visualization");
    EXPECT_EQ(frames[3]["TableFragmentType"], "DataAppend");
    EXPECT_EQ(frames[4]["TableProgress"], 100.0);
    EXPECT_EQ(frames[5]["RowCount"], 5);

    // The project's parser reads the same rows as from the DataTable form.
    Completion parsed = Parse(body);
    Completion plain = Parse(QueryText("Orders", Json::object()));
    ASSERT_TRUE(parsed.Primary() && plain.Primary());
    EXPECT_EQ(parsed.Primary()->rows, plain.Primary()->rows);
    EXPECT_EQ(parsed.Primary()->rows.size(), 5u);
    EXPECT_FALSE(parsed.has_errors);

    // Aggregations are progressive aggregations: their rows come as DataReplace.
    const OrderedJson counted = OrderedJson::parse(QueryText("Orders | summarize n = count()", progressive));
    EXPECT_EQ((*FrameOf(counted, "TableFragment"))["TableFragmentType"], "DataReplace");
    EXPECT_EQ(Parse(QueryText("Orders | count", progressive)).Primary()->rows[0][0], Value{int64_t{5}});
}

// Fragmented (Go's options): validFrames without errors, partialError with a truncation at end of table.
TEST_F(EmulatorStreaming, FragmentedFramesFollowTheRecordedResponsesAndPlaceErrorsAtTheEndOfTheTable) {
    Seed();
    const Json go_options = {{"results_v2_newlines_between_frames", true},
                             {"results_v2_fragment_primary_tables", true},
                             {"results_error_reporting_placement", "end_of_table"}};
    const std::string body = QueryText("Orders", go_options);
    const OrderedJson frames = OrderedJson::parse(body);
    const OrderedJson valid = Fixture("go-v2-fragmented-validFrames.json");
    ASSERT_EQ(FrameTypes(frames), FrameTypes(valid)) << body;
    EXPECT_EQ(Keys(frames[0]), Keys(valid[0]));
    EXPECT_EQ(frames[0]["IsProgressive"], false);
    EXPECT_EQ(frames[0]["IsFragmented"], true);
    EXPECT_EQ(frames[0]["ErrorReportingPlacement"], "EndOfTable");
    // One frame per line, the way Go reads them: "[" + frame, then "," + frame, then "]".
    size_t lines = static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
    EXPECT_EQ(lines, frames.size() + 1);

    const std::string cut = QueryText("set truncationmaxrecords=1; Orders", go_options);
    const OrderedJson cut_frames = OrderedJson::parse(cut);
    const OrderedJson partial = Fixture("go-v2-fragmented-partialError.json");
    // With an error the service writes no QueryCompletionInformation.
    ASSERT_EQ(FrameTypes(cut_frames), FrameTypes(partial)) << cut;
    const OrderedJson& completion = *FrameOf(cut_frames, "TableCompletion");
    EXPECT_EQ(Keys(completion), Keys(*FrameOf(partial, "TableCompletion")));
    EXPECT_EQ(Keys(completion["OneApiErrors"][0]["error"]),
              Keys((*FrameOf(partial, "TableCompletion"))["OneApiErrors"][0]["error"]));
    EXPECT_EQ(Keys(cut_frames.back()), Keys(partial.back()));
    Completion parsed = Parse(cut);
    ASSERT_TRUE(parsed.Primary());
    EXPECT_EQ(parsed.Primary()->rows.size(), 1u);
    ASSERT_EQ(parsed.Primary()->errors.size(), 1u);
    EXPECT_EQ(parsed.Primary()->errors[0].code, "LimitsExceeded");
    EXPECT_TRUE(parsed.has_errors);

    // end_of_dataset: only DataSetCompletion carries it.
    Completion at_end = Parse(QueryText("set truncationmaxrecords=1; Orders",
                                        {{"results_v2_fragment_primary_tables", true},
                                         {"results_error_reporting_placement", "end_of_dataset"}}));
    EXPECT_TRUE(at_end.Primary()->errors.empty());
    ASSERT_EQ(at_end.completion_errors.size(), 1u);
    // in_data (the default) in a fragmented table: the error object is a row of a last fragment.
    Completion in_data = Parse(
        QueryText("set truncationmaxrecords=1; Orders", {{"results_v2_fragment_primary_tables", true}}));
    ASSERT_EQ(in_data.Primary()->errors.size(), 1u);
    EXPECT_EQ(in_data.Primary()->rows.size(), 1u);
}

// The DataTable form's truncation, in band and deferred, frame for frame as recorded.
TEST_F(EmulatorStreaming, TruncationInBandOrDeferredFollowsTheRecordedResponses) {
    Seed();
    const OrderedJson in_band =
        OrderedJson::parse(QueryText("set truncationmaxrecords=3; Orders", Json::object()));
    const OrderedJson recorded = Fixture("py-v2-query_partial_results_defer_is_false.json");
    ASSERT_EQ(FrameTypes(in_band), FrameTypes(recorded));
    EXPECT_EQ(Keys(in_band[2]["Rows"][3]["OneApiErrors"][0]["error"]),
              Keys(recorded[2]["Rows"][5]["OneApiErrors"][0]["error"]));
    EXPECT_EQ(Keys(in_band.back()), Keys(recorded.back()));

    const std::string deferred_text =
        QueryText("set truncationmaxrecords=3; Orders", {{"deferpartialqueryfailures", true}});
    const OrderedJson deferred = OrderedJson::parse(deferred_text);
    const OrderedJson recorded_deferred = Fixture("py-v2-query_partial_results_defer_is_true.json");
    ASSERT_EQ(FrameTypes(deferred), FrameTypes(recorded_deferred));
    const OrderedJson& status = deferred[3];
    ASSERT_EQ(status["Rows"].size(), 2u);  // the Error row, then Stats
    EXPECT_EQ(status["Rows"][0][5], 2);
    EXPECT_EQ(status["Rows"][0][7], -2133196797);
    EXPECT_EQ(status["Rows"][0][10], "QueryLimitsExceeded");
    EXPECT_EQ(status["Rows"][1][6], "Stats");
    EXPECT_EQ(deferred.back()["HasErrors"], false);
    Completion parsed = Parse(deferred_text);
    EXPECT_EQ(parsed.Primary()->rows.size(), 3u);
    EXPECT_TRUE(parsed.Primary()->errors.empty());
    EXPECT_FALSE(parsed.has_errors);
}

// A large synthetic result stays streamed: one TableFragment per piece, progress rising to 100.
TEST_F(EmulatorStreaming, ProgressiveSyntheticResultIsOneFragmentPerPiece) {
    Pull pull(Post("/v2/rest/query", "Synthetic | take 50000", {{"results_progressive_enabled", true}}));
    const std::string& body = pull.Drain();
    EXPECT_GT(pull.pieces().size(), 500u);  // ~6.5 MB in 4 KB pieces
    for (size_t bytes : pull.pieces()) EXPECT_LT(bytes, 4096u + 1024u);
    const OrderedJson frames = OrderedJson::parse(body);
    double last_progress = -1;
    size_t fragments = 0;
    for (const auto& f : frames) {
        if (f["FrameType"] == "TableFragment") ++fragments;
        if (f["FrameType"] == "TableProgress") {
            EXPECT_GE(f["TableProgress"].get<double>(), last_progress);  // one decimal: steps may repeat
            last_progress = f["TableProgress"].get<double>();
        }
    }
    EXPECT_GT(fragments, 500u);
    EXPECT_EQ(last_progress, 100.0);
    Completion parsed = Parse(body);
    ASSERT_EQ(parsed.Primary()->rows.size(), 50000u);
    std::vector<Value> expected(8);
    for (int64_t i : {int64_t{0}, int64_t{1234}, int64_t{49999}}) {
        SyntheticRow(i, expected.data());
        for (size_t c = 0; c < 7; ++c)
            EXPECT_EQ(parsed.Primary()->rows[static_cast<size_t>(i)][c], expected[c]);
    }
}

// `.cancel query` between two pieces: the result ends with the cancellation in band, DataSetCompletion
// says Cancelled, and the query is no longer listed.
TEST_F(EmulatorStreaming, CancelQueryStopsAStreamingResultInBand) {
    for (const bool fragmented : {false, true}) {
        SCOPED_TRACE(fragmented ? "fragmented" : "DataTable");
        const std::string id = fragmented ? "KNC.execute;cancel-fragmented" : "KNC.execute;cancel-table";
        Json options = {{"notruncation", true}};
        if (fragmented) options["results_v2_fragment_primary_tables"] = true;
        Pull pull(Post("/v2/rest/query", "Synthetic", options, id));
        for (int i = 0; i < 4; ++i) ASSERT_TRUE(pull.Next());

        Collect answer = Mgmt(".cancel query \"" + id + "\" with (reason = \"enough rows\")");
        ASSERT_EQ(answer.tables.size(), 1u);
        ASSERT_EQ(answer.tables[0].rows.size(), 1u);
        EXPECT_EQ(answer.tables[0].rows[0][0], Value{id});
        EXPECT_EQ(answer.tables[0].rows[0][1], Value{std::string("Sales")});
        EXPECT_EQ(answer.tables[0].rows[0][3], Value{std::string("Cancelled successfully")});
        EXPECT_EQ(answer.tables[0].rows[0][4], Value{std::string("enough rows")});

        const std::string& body = pull.Drain();
        EXPECT_LT(pull.pieces().size(), 10u);
        Completion parsed = Parse(body);
        ASSERT_TRUE(parsed.Primary());
        EXPECT_LT(parsed.Primary()->rows.size(), 1000000u);
        ASSERT_EQ(parsed.Primary()->errors.size(), 1u);
        const KustoError& e = parsed.Primary()->errors[0];
        EXPECT_NE(e.message.find("0x80DA0006"), std::string::npos) << e.message;
        EXPECT_NE(e.message.find("enough rows"), std::string::npos) << e.message;
        EXPECT_FALSE(e.permanent);
        EXPECT_TRUE(parsed.has_errors);
        EXPECT_TRUE(parsed.cancelled);
        if (fragmented) {
            const OrderedJson frames = OrderedJson::parse(body);
            EXPECT_EQ((*FrameOf(frames, "TableCompletion"))["RowCount"],
                      static_cast<int64_t>(parsed.Primary()->rows.size()));
        }

        // Over: a second cancel finds nothing running.
        Collect again = Mgmt(".cancel query \"" + id + "\"");
        EXPECT_EQ(std::get<std::string>(again.tables[0].rows[0][3]).rfind("Cancel failed", 0), 0u);
    }
    EXPECT_EQ(Post("/v1/rest/mgmt", ".cancel query").status, 400);
    EXPECT_EQ(Post("/v1/rest/mgmt", ".cancel query \"x\" with (because = 1)").status, 400);
}

// servertimeout bounds the streaming too: past it, the result ends with the service's expiry in band.
TEST_F(EmulatorStreaming, ServerTimeoutExpiresAStreamingResultInBand) {
    Pull pull(Post("/v2/rest/query", "Synthetic", {{"notruncation", true}, {"servertimeout", "00:00:00.2"}}));
    ASSERT_TRUE(pull.Next());
    ASSERT_TRUE(pull.Next());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Completion parsed = Parse(pull.Drain());
    ASSERT_EQ(parsed.Primary()->errors.size(), 1u);
    EXPECT_NE(parsed.Primary()->errors[0].message.find("Query is expired"), std::string::npos);
    EXPECT_EQ(parsed.Primary()->errors[0].code, "Internal service error");
    EXPECT_FALSE(parsed.cancelled);
    EXPECT_TRUE(parsed.has_errors);
}

// With identities: a query's owner may cancel it, a database admin may cancel anyone's, others get 403.
TEST(EmulatorCancelAuth, OwnersAndDatabaseAdminsMayCancel) {
    EmulatorOptions options;
    options.databases = {"NetDefaultDB", "Sales"};
    options.synthetic_tables = {{"Synthetic", 1000000}};
    options.stream_piece_bytes = 4096;
    auto principal = [](const std::string& id, Role role) {
        Principal p;
        p.kind = Principal::Kind::kServicePrincipal;
        p.tenant = "t";
        p.client_id = id;
        p.client_secret = "s";
        p.object_id = id + "-oid";
        p.roles["Sales"] = role;
        return p;
    };
    options.auth.required = true;
    options.auth.principals = {principal("alice", Role::kViewer), principal("bob", Role::kViewer),
                               principal("admin", Role::kAdmin)};
    Emulator emulator(options);
    Auth tokens(options.auth);
    auto post = [&](const std::string& path, const std::string& csl, const std::string& who,
                    const std::string& id) {
        api::Request r;
        r.method = "POST";
        r.path = path;
        r.headers["x-ms-client-request-id"] = id;
        if (!who.empty()) {
            const Principal* p = nullptr;
            for (const auto& candidate : options.auth.principals)
                if (candidate.client_id == who) p = &candidate;
            r.headers["authorization"] =
                "Bearer " + tokens.IssueToken(*p, "https://kusto.kusto.windows.net", "t");
        }
        r.body = Json{{"db", "Sales"}, {"csl", csl}, {"properties", {{"Options", {{"notruncation", true}}}}}}
                     .dump();
        return emulator.Handle(r);
    };
    for (const std::string canceller : {"alice", "admin"}) {
        SCOPED_TRACE(canceller);
        const std::string id = "alice-query-" + canceller;
        Pull pull(post("/v2/rest/query", "Synthetic", "alice", id));
        ASSERT_EQ(pull.status(), 200);
        ASSERT_TRUE(pull.Next());
        EXPECT_EQ(post("/v1/rest/mgmt", ".cancel query '" + id + "'", "", "c").status, 401);
        EXPECT_EQ(post("/v1/rest/mgmt", ".cancel query '" + id + "'", "bob", "c").status, 403);
        auto answer = post("/v1/rest/mgmt", ".cancel query '" + id + "'", canceller, "c");
        ASSERT_EQ(answer.status, 200) << answer.body;
        EXPECT_NE(answer.body.find("Cancelled successfully"), std::string::npos);
        Completion parsed;
        ASSERT_TRUE(kusto::ParseV2(pull.Drain(), parsed).ok());
        EXPECT_TRUE(parsed.cancelled);
    }
}

// The binary over sockets: the query streams on one connection while `.cancel query` arrives on another.
TEST(EmulatorCancelBinary, CancelFromASecondConnectionEndsTheFirst) {
    testing::TempDir dir;
    auto started = testing::EmulatorProcess::Start(
        dir.path(), {"--database", "Sales", "--synthetic-table", "Synthetic:50000000"});
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& emulator = **started;

    http::HttpClient reader;
    http::HttpRequest query;
    query.method = "POST";
    query.url = emulator.url() + "/v2/rest/query";
    query.headers.Set("Content-Type", "application/json");
    query.headers.Set("x-ms-client-request-id", "binary;cancel-1");
    query.body =
        Json{{"db", "Sales"},
             {"csl", "Synthetic"},
             {"properties", {{"Options", {{"notruncation", true}, {"results_progressive_enabled", true}}}}}}
            .dump();
    http::RequestOptions options;
    options.timeout = std::chrono::seconds(60);
    options.max_body_bytes = 0;
    std::string tail;  // the last bytes: where the completion frames are
    uint64_t received = 0;
    std::promise<void> first_chunk;
    std::shared_future<void> cancelled_future;
    std::promise<void> cancelled;
    cancelled_future = cancelled.get_future().share();
    bool signalled = false;
    std::thread canceller([&] {
        first_chunk.get_future().wait();
        auto answer = emulator.Post(
            "/v1/rest/mgmt", Json{{"db", "Sales"}, {"csl", ".cancel query \"binary;cancel-1\""}}.dump());
        EXPECT_TRUE(answer.ok() && answer->status == 200 &&
                    answer->body.find("Cancelled successfully") != std::string::npos)
            << (answer.ok() ? answer->body : answer.error().message);
        cancelled.set_value();
    });
    auto result = reader.Send(query, options, [&](std::string_view chunk) {
        received += chunk.size();
        tail.append(chunk);
        if (tail.size() > 8192) tail.erase(0, tail.size() - 8192);
        if (!signalled) {
            // Hold the first chunk until the cancel has been answered: the rest of the result can only be
            // what was already in flight.
            signalled = true;
            first_chunk.set_value();
            cancelled_future.wait();
        }
        return Ok();
    });
    canceller.join();
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->status, 200);
    EXPECT_LT(received, 200u << 20) << "50M rows are ~6.5 GB; a cancelled query stops early";
    EXPECT_NE(tail.find("\"Cancelled\":true"), std::string::npos) << tail.substr(tail.size() - 600);
    EXPECT_NE(tail.find("0x80DA0006"), std::string::npos);
    EXPECT_NE(tail.find("\"FrameType\":\"TableCompletion\""), std::string::npos);
    emulator.Stop();
}

}  // namespace
}  // namespace adxflow::kusto_emulator
