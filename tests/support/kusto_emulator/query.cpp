// Emulator::Query: a query's source and operators evaluated, the result truncated as the service does and
// written as v1, or streamed as v2 frames; the synthetic tables' generator.
#include "tests/support/kusto_emulator/emulator.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "connectors/common/http/compression.hpp"
#include "connectors/common/kusto/writer.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "tests/support/kusto_emulator/ingest.hpp"
#include "tests/support/kusto_emulator/kql.hpp"
#include "tests/support/kusto_emulator/responses.hpp"

namespace adxflow::kusto_emulator {

using namespace detail;
using kusto::KustoError;

namespace {

// Rows of a query result, produced on demand while the response is written.
class ResultRows {
  public:
    virtual ~ResultRows() = default;
    virtual int64_t count() const = 0;
    virtual void Row(int64_t i, Value* out) = 0;  // i in [0, count())
    virtual void Truncate(int64_t rows) = 0;      // keep the first `rows`
    // Appends row i as v2 wire JSON (`first` of its Rows array: no comma). The default goes through
    // Values; generators write text directly.
    virtual void AppendV2(std::string& out, const Schema& schema, int64_t i, std::vector<Value>& scratch,
                          bool first) {
        Row(i, scratch.data());
        kusto::AppendV2Row(out, schema, scratch.data(), first);
    }
};

class VectorRows final : public ResultRows {
  public:
    VectorRows(size_t width, std::vector<Value> cells) : width_(width), cells_(std::move(cells)) {}
    int64_t count() const override { return width_ ? static_cast<int64_t>(cells_.size() / width_) : 0; }
    void Row(int64_t i, Value* out) override {
        std::copy_n(cells_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * width_), width_,
                    out);
    }
    void Truncate(int64_t rows) override { cells_.resize(static_cast<size_t>(rows) * width_); }

  private:
    size_t width_;
    std::vector<Value> cells_;
};

// Synthetic cells are formatted into a small stack buffer through a cursor and appended once per row: the
// same values as SyntheticRow at ~150 ns a row, so that the emulator is never what limits a client
// benchmark.
char* PutPadded(char* p, int64_t n, int width) {
    for (int k = width - 1; k >= 0; --k) {
        p[k] = static_cast<char>('0' + n % 10);
        n /= 10;
    }
    return p + width;
}

char* PutInt(char* p, int64_t n) {
    return std::to_chars(p, p + 24, n).ptr;
}

char* PutText(char* p, std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    return p + text.size();
}

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

constexpr int64_t kSyntheticEpochDays = 19723;  // 2024-01-01

char* PutClock(char* p, int64_t secs) {
    p = PutPadded(p, secs / 3600, 2);
    *p++ = ':';
    p = PutPadded(p, secs / 60 % 60, 2);
    *p++ = ':';
    return PutPadded(p, secs % 60, 2);
}

char* PutSyntheticCreated(char* p, int64_t i) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(kSyntheticEpochDays + i / 86400, y, m, d);
    p = PutPadded(p, y, 4);
    *p++ = '-';
    p = PutPadded(p, m, 2);
    *p++ = '-';
    p = PutPadded(p, d, 2);
    *p++ = 'T';
    p = PutClock(p, i % 86400);
    return PutText(p, ".0000000Z");
}

char* PutSyntheticKey(char* p, int64_t i) {
    static const char kHex[] = "0123456789abcdef";
    p = PutText(p, "00000000-0000-4000-8000-");
    uint64_t v = static_cast<uint64_t>(i);
    for (int k = 11; k >= 0; --k) {
        p[k] = kHex[v & 0xF];
        v >>= 4;
    }
    return p + 12;
}

class SyntheticRows final : public ResultRows {
  public:
    explicit SyntheticRows(int64_t rows) : rows_(rows) {}
    int64_t count() const override { return rows_; }
    void Row(int64_t i, Value* out) override { SyntheticRow(i, out); }
    void AppendV2(std::string& out, const Schema&, int64_t i, std::vector<Value>&, bool first) override {
        char buf[256];  // a row is < 200 bytes
        char* p = buf;
        if (!first) *p++ = ',';
        *p++ = '[';
        p = PutInt(p, i);
        p = PutText(p, ",\"name-");
        p = PutInt(p, i % 1000);
        p = PutText(p, "\",");
        p = std::to_chars(p, p + 32, static_cast<double>(i) * 0.25).ptr;
        p = PutText(p, i % 3 == 0 ? ",true,\"" : ",false,\"");
        p = PutSyntheticCreated(p, i);
        p = PutText(p, "\",\"");
        p = PutClock(p, i % 86400);
        p = PutText(p, "\",\"");
        p = PutSyntheticKey(p, i);
        p = PutText(p, "\",{\"bucket\":");
        p = PutInt(p, i % 7);
        p = PutText(p, "}]");
        out.append(buf, static_cast<size_t>(p - buf));
    }
    void Truncate(int64_t rows) override { rows_ = rows; }

  private:
    int64_t rows_;
};

// The state of a streamed v2 response: which frame comes next, how far the rows are, how it ends.
struct V2Stream {
    enum class Phase { kHeader, kRows, kEnd, kDone };
    Phase phase = Phase::kHeader;
    kusto::V2Framing framing;
    bool replace = false;  // the first fragment is a DataReplace
    int64_t next_row = 0;
    Schema schema;
    std::unique_ptr<ResultRows> rows;
    std::optional<KustoError> truncated;  // known before the first row
    std::optional<KustoError> stopped;    // cancelled or expired while streaming
    bool cancelled = false;
    std::string request_id;
    std::vector<Value> row;
    size_t piece_bytes = 0;
    std::chrono::steady_clock::time_point started, deadline;
    std::unique_ptr<RunningQueries::Listing> listing;  // listed for `.cancel query` while streaming

    // Appends the next piece; false after the last one.
    bool Next(std::string& out) {
        switch (phase) {
            case Phase::kHeader:
                out += kusto::V2Header(framing, {1});
                out += framing.fragmented ? kusto::V2TableHeader(1, "PrimaryResult", "PrimaryResult", schema)
                                          : kusto::V2TableStart(1, "PrimaryResult", "PrimaryResult", schema);
                phase = Phase::kRows;
                return true;
            case Phase::kRows:
                if (Stopped()) {
                    phase = Phase::kEnd;
                    return true;
                }
                AppendRows(out);
                if (next_row >= rows->count()) phase = Phase::kEnd;
                return true;
            case Phase::kEnd:
                End(out);
                phase = Phase::kDone;
                return false;
            case Phase::kDone:
                break;
        }
        return false;
    }

    // Checked before each piece: a `.cancel query` or the servertimeout ends the rows where they are.
    bool Stopped() {
        if (listing && listing->query().cancelled.load(std::memory_order_acquire)) {
            stopped = QueryCancelledError(listing->query().reason);
            cancelled = true;
        } else if (std::chrono::steady_clock::now() > deadline) {
            stopped = QueryExpiredError();
        }
        return stopped.has_value();
    }

    void AppendRows(std::string& out) {
        const int64_t total = rows->count();
        out.reserve(piece_bytes + 4096);
        const bool fragment = framing.fragmented;
        const int64_t first_row = next_row;
        if (fragment) out += kusto::V2FragmentStart(1, replace && first_row == 0);
        while (next_row < total && (out.size() < piece_bytes || next_row == first_row)) {
            rows->AppendV2(out, schema, next_row, row, fragment ? next_row == first_row : next_row == 0);
            ++next_row;
        }
        if (!fragment) return;
        out += "]}";
        if (framing.progressive)
            out +=
                kusto::V2TableProgress(1, 100.0 * static_cast<double>(next_row) / static_cast<double>(total));
    }

    void End(std::string& out) {
        // A stop while streaming replaces the truncation that would have come at the end.
        std::optional<KustoError> failure = stopped ? stopped : truncated;
        const bool defer = failure && framing.defer_partial_failures;
        const bool in_data = failure && !defer && framing.placement == kusto::ErrorPlacement::kInData;
        if (framing.fragmented) {
            // In-data placement in a fragmented table: the error object is the row of one more fragment.
            if (in_data) out += kusto::V2FragmentStart(1, false) + kusto::V2TableEnd(&*failure, false);
            std::vector<KustoError> at_end;
            if (failure && !defer && framing.placement == kusto::ErrorPlacement::kEndOfTable)
                at_end.push_back(*failure);
            out += kusto::V2TableCompletion(1, next_row, at_end);
        } else {
            // A DataTable frame has no end-of-table slot: end_of_table reports in DataSetCompletion only.
            out += kusto::V2TableEnd(in_data ? &*failure : nullptr, next_row > 0);
        }
        kusto::V2Outcome outcome;
        if (failure) (defer ? outcome.deferred : outcome.errors).push_back(*failure);
        outcome.cancelled = cancelled;
        outcome.row_count = next_row;
        outcome.execution_secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        out += kusto::V2Finish(2, request_id, outcome);
        listing.reset();  // the query is over: no longer cancellable
    }
};

}  // namespace

Schema SyntheticSchema() {
    return {{"Id", ColumnType::kLong},          {"Name", ColumnType::kString},
            {"Amount", ColumnType::kReal},      {"Flag", ColumnType::kBool},
            {"Created", ColumnType::kDateTime}, {"Elapsed", ColumnType::kTimeSpan},
            {"Key", ColumnType::kGuid},         {"Props", ColumnType::kDynamic}};
}

void SyntheticRow(int64_t i, Value* row) {
    char buf[64];
    row[0] = Value{i};
    row[1] = Value{"name-" + std::to_string(i % 1000)};
    row[2] = Value{static_cast<double>(i) * 0.25};
    row[3] = Value{i % 3 == 0};
    row[4] = Value{std::string(buf, PutSyntheticCreated(buf, i))};
    row[5] = Value{std::string(buf, PutClock(buf, i % 86400))};
    row[6] = Value{std::string(buf, PutSyntheticKey(buf, i))};
    row[7] = Value{"{\"bucket\":" + std::to_string(i % 7) + "}"};
}

api::Response Emulator::Query(const api::Request& request, bool v2) {
    auto body = ReadBody(request);
    if (!body.ok()) return BadRequest(body.error().message);
    if (!body->csl.empty() && Trim(body->csl)[0] == '.')
        return BadRequest("Control commands (starting with a dot '.') go to /v1/rest/mgmt");
    if (auto denied = auth_.Authorize(request, body->db, Role::kViewer)) return std::move(*denied);
    auto query = ParseQuery(body->csl);
    if (!query.ok())
        return ErrorResponse(400, "General_BadRequest",
                             query.error().code == "SyntaxError" ? "Kusto.Data.Exceptions.SyntaxException"
                                                                 : "Kusto.Data.Exceptions.SemanticException",
                             query.error().message);
    auto semantic = [](const std::string& message) {
        return ErrorResponse(400, "General_BadRequest", "Kusto.Data.Exceptions.SemanticException", message);
    };

    Schema schema;
    std::vector<Value> rows;
    std::optional<int64_t> synthetic_rows;
    {
        std::lock_guard g(mu_);
        auto db = databases_.find(body->db);
        if (db == databases_.end()) return EntityNotFound("Database '" + body->db + "' was not found");
        if (!query->table.empty()) {
            for (const auto& [name, count] : options_.synthetic_tables)
                if (name == query->table) synthetic_rows = count;
            if (!synthetic_rows) {
                auto t = db->second.tables.find(query->table);
                if (t == db->second.tables.end())
                    return semantic(
                        "Semantic error: 'table' operator: Failed to resolve table expression named '" +
                        query->table + "'");
                schema = t->second.schema;
                rows = t->second.AllRows();  // a snapshot: the query runs without the lock
            }
        }
    }

    // notruncation / truncationmaxrecords come from `set` statements or from the request's Options (SDKs).
    const Json& request_options = body->options;
    bool no_truncation = query->no_truncation;
    if (const Json* o = FindMember(request_options, "notruncation"); o && o->is_boolean())
        no_truncation |= o->get<bool>();
    int64_t limit = query->truncation_max_records.value_or(options_.default_truncation_max_records);
    if (const Json* o = FindMember(request_options, "truncationmaxrecords"); o && o->is_number_integer())
        limit = o->get<int64_t>();

    std::unique_ptr<ResultRows> result;
    // Whether the result is an aggregation (count, summarize): progressive mode reports those as
    // DataReplace fragments.
    bool aggregated = false;
    for (const auto& op : query->operators)
        aggregated |= op.kind == Operator::Kind::kCount || op.kind == Operator::Kind::kSummarize;
    if (synthetic_rows) {
        // Generated, never stored: take and count need no row at all.
        schema = SyntheticSchema();
        int64_t n = *synthetic_rows;
        bool counted = false, other = false;
        for (const auto& op : query->operators) {
            if (op.kind == Operator::Kind::kTake && !counted)
                n = std::min(n, op.count);
            else if (op.kind == Operator::Kind::kCount && !counted)
                counted = true;
            else
                other = true;
        }
        if (other) {
            // Other operators pull the generated rows through the KQL pipeline one at a time; rows past the
            // truncation limit are never made (one more than the limit shows the cut).
            auto executed = ExecuteGenerated(*query, schema, *synthetic_rows, SyntheticRow,
                                             no_truncation || limit == INT64_MAX ? INT64_MAX : limit + 1);
            if (!executed.ok()) return semantic(executed.error().message);
            schema = std::move(executed->first);
            result = std::make_unique<VectorRows>(schema.size(), std::move(executed->second));
        } else if (counted) {
            schema = {{"Count", ColumnType::kLong}};
            result = std::make_unique<VectorRows>(1, std::vector<Value>{Value{n}});
        } else {
            result = std::make_unique<SyntheticRows>(n);
        }
    } else {
        // A table's rows, or (no table) the query's own print, range or datatable.
        auto executed = Execute(*query, schema, std::move(rows));
        if (!executed.ok()) return semantic(executed.error().message);
        schema = std::move(executed->first);
        result = std::make_unique<VectorRows>(schema.size(), std::move(executed->second));
    }

    // Result truncation, as the service applies it unless the query says notruncation.
    std::optional<KustoError> truncated;
    if (!no_truncation && result->count() > limit) {
        result->Truncate(limit);
        truncated = KustoError{
            "LimitsExceeded",
            "Query execution has exceeded the allowed limits (80DA0003): The results of this query "
            "exceed the set limit of " +
                std::to_string(limit) +
                " records, so not all records were returned (E_QUERY_RESULT_SET_TOO_LARGE, "
                "0x80DA0003).",
            "Kusto.Data.Exceptions.KustoServicePartialQueryFailureLimitsExceededException", false};
    }

    api::Response response;
    if (!v2) {
        std::vector<Value> cells(static_cast<size_t>(result->count()) * schema.size());
        for (int64_t i = 0; i < result->count(); ++i)
            result->Row(i, cells.data() + static_cast<size_t>(i) * schema.size());
        Json body_json = Json::parse(kusto::V1Body({{schema, std::move(cells)}}));
        if (truncated) body_json["Exceptions"] = Json::array({truncated->message});
        response.body = body_json.dump();
        return response;
    }

    // v2 is streamed: frames are produced piece by piece as the client reads, so memory stays flat
    // whatever the result size. Progressive or fragmented requests get the primary result as TableHeader,
    // one TableFragment per piece (each followed by TableProgress when progressive) and TableCompletion;
    // the rest as DataTable frames.
    auto state = std::make_shared<V2Stream>();
    state->framing = V2FramingFrom(request_options);
    // Progressive aggregations report their rows as DataReplace fragments (each one the whole result so
    // far); here the result is complete before the first fragment, so one DataReplace holds all of it.
    state->replace = state->framing.progressive && aggregated;
    state->schema = std::move(schema);
    state->rows = std::move(result);
    state->truncated = std::move(truncated);
    const std::string* id = request.Header("x-ms-client-request-id");
    state->request_id = id ? *id : "KE.RunQuery;" + NewUuid();
    state->row.resize(state->schema.size());
    state->piece_bytes = options_.stream_piece_bytes;
    state->started = std::chrono::steady_clock::now();
    // servertimeout bounds the streaming too: a result still being written when it passes ends with the
    // service's in-band expiry (the 200 is out by then).
    std::chrono::milliseconds timeout(240000);  // the service's default for queries
    if (const Json* t = FindMember(request_options, "servertimeout"); t && t->is_string())
        if (auto parsed = ParseServerTimeout(t->get<std::string>())) timeout = *parsed;
    if (const Json* n = FindMember(request_options, "norequesttimeout");
        n && n->is_boolean() && n->get<bool>())
        timeout = std::chrono::milliseconds(3600000);
    state->deadline = state->started + std::min(timeout, std::chrono::milliseconds(3600000));
    const Principal* caller = auth_.Authenticate(request, "");
    state->listing = running_queries_->Add(state->request_id, body->db, caller ? caller->object_id : "");
    response.stream = [state](std::string& out) { return state->Next(out); };
    return response;
}

namespace detail {

namespace {

// A KQL string literal at the start of `text` ('...' or "..." with backslash escapes); nullopt when there
// is none. `rest` receives what follows it.
std::optional<std::string> StringLiteral(std::string_view text, std::string_view* rest) {
    if (text.empty() || (text[0] != '"' && text[0] != '\'')) return std::nullopt;
    const char quote = text[0];
    std::string value;
    for (size_t i = 1; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            value += text[++i];
        } else if (text[i] == quote) {
            *rest = text.substr(i + 1);
            return value;
        } else {
            value += text[i];
        }
    }
    return std::nullopt;
}

}  // namespace

api::Response CancelQuery(RunningQueries& running, const Auth& auth, const api::Request& request,
                          const QueryRequest& body) {
    auto syntax = [](const std::string& why) {
        return ErrorResponse(400, "BadRequest_SyntaxError", "Kusto.Data.Exceptions.SyntaxException",
                             "Syntax error: .cancel query: " + why);
    };
    const std::string csl = Trim(body.csl);
    const std::string args = Trim(std::string_view(csl).substr(std::string_view(".cancel query").size()));
    std::string_view rest;
    auto id = StringLiteral(args, &rest);
    if (!id) return syntax("expected the ClientActivityId as a string literal");
    std::string reason;
    const std::string tail = Trim(rest);
    if (!tail.empty()) {
        // with (reason = "...")
        const std::string lower = ToLower(tail);
        const size_t eq = tail.find('=');
        if (lower.rfind("with", 0) != 0 || lower.find("reason") == std::string::npos ||
            eq == std::string::npos)
            return syntax("expected 'with (reason = \"...\")' after the ClientActivityId");
        const std::string value = Trim(std::string_view(tail).substr(eq + 1));
        std::string_view after;
        auto phrase = StringLiteral(value, &after);
        if (!phrase || Trim(after) != ")")
            return syntax("the reason must be a string literal in parentheses");
        reason = *phrase;
    }

    // Anyone may cancel the queries they started; database admins any query on their database.
    const Principal* caller = nullptr;
    if (auth.required()) {
        caller = auth.Authenticate(request, "");
        if (!caller)
            if (auto denied = auth.Authorize(request, body.db, Role::kAdmin)) return std::move(*denied);
    }
    const Schema schema = {{"ClientRequestId", ColumnType::kString},
                           {"Database", ColumnType::kString},
                           {"StartedOn", ColumnType::kDateTime},
                           {"CancellationState", ColumnType::kString},
                           {"ReasonPhrase", ColumnType::kString}};
    std::vector<Value> rows;
    for (const auto& query : running.Find(*id)) {
        if (caller && caller->object_id != query->principal)
            if (auto denied = auth.Authorize(request, query->database, Role::kAdmin))
                return std::move(*denied);
        const bool now = running.Cancel(*query, reason);
        for (Value v : {Value{*id}, Value{query->database}, Value{query->started},
                        Value{std::string(now ? "Cancelled successfully"
                                              : "Cancel failed: the query is already being cancelled")},
                        Value{reason}})
            rows.push_back(std::move(v));
    }
    if (rows.empty())
        for (Value v : {Value{*id}, Value{std::string()}, Value{},
                        Value{std::string("Cancel failed: no query with this ClientActivityId is running")},
                        Value{reason}})
            rows.push_back(std::move(v));
    return V1Response(schema, std::move(rows));
}

}  // namespace detail

}  // namespace adxflow::kusto_emulator
