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
    // Appends row i as v2 wire JSON. The default goes through Values; generators write text directly.
    virtual void AppendV2(std::string& out, const Schema& schema, int64_t i, std::vector<Value>& scratch) {
        Row(i, scratch.data());
        kusto::AppendV2Row(out, schema, scratch.data(), i == 0);
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
    void AppendV2(std::string& out, const Schema&, int64_t i, std::vector<Value>&) override {
        char buf[256];  // a row is < 200 bytes
        char* p = buf;
        if (i) *p++ = ',';
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
    // whatever the result size.
    struct Stream {
        int phase = 0;  // 0 header + table start, 1 rows, 2 table end + completion, 3 done
        int64_t next_row = 0;
        Schema schema;
        std::unique_ptr<ResultRows> rows;
        std::optional<KustoError> truncated;
        std::string request_id;
        std::vector<Value> row;
        size_t piece_bytes;
    };
    auto state = std::make_shared<Stream>();
    state->schema = std::move(schema);
    state->rows = std::move(result);
    state->truncated = std::move(truncated);
    const std::string* id = request.Header("x-ms-client-request-id");
    state->request_id = id ? *id : "";
    state->row.resize(state->schema.size());
    state->piece_bytes = options_.stream_piece_bytes;
    response.stream = [state](std::string& out) {
        switch (state->phase) {
            case 0:
                out += kusto::V2Header();
                out += kusto::V2TableStart(1, "PrimaryResult", "PrimaryResult", state->schema);
                state->phase = 1;
                return true;
            case 1: {
                const int64_t total = state->rows->count();
                out.reserve(state->piece_bytes + 4096);
                while (state->next_row < total && out.size() < state->piece_bytes) {
                    state->rows->AppendV2(out, state->schema, state->next_row, state->row);
                    ++state->next_row;
                }
                if (state->next_row >= total) state->phase = 2;
                return true;
            }
            case 2: {
                out += kusto::V2TableEnd(state->truncated ? &*state->truncated : nullptr,
                                         state->rows->count() > 0);
                std::vector<KustoError> errors;
                if (state->truncated) errors.push_back(*state->truncated);
                out += kusto::V2Finish(2, state->request_id, errors);
                state->phase = 3;
                return false;
            }
            default:
                return false;
        }
    };
    return response;
}

}  // namespace adxflow::kusto_emulator
