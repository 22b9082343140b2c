#include "storage/store.hpp"

#include <algorithm>

#include "core/crash_point.hpp"
#include "core/ids.hpp"
#include "core/model/secrets.hpp"
#include "storage/migrations.hpp"
#include "storage/run_secrets.hpp"
#include "storage/store_internal.hpp"

namespace adxflow::storage {

using engine::ActivityRun;
using engine::PipelineRun;

namespace {

std::string Now() {
    return FormatTimestamp(std::chrono::system_clock::now());
}

std::optional<std::string> OptTime(const std::optional<TimePoint>& t) {
    if (!t) return std::nullopt;
    return FormatTimestamp(*t);
}

std::optional<TimePoint> ReadTime(const Statement& s, int col) {
    if (s.ColumnIsNull(col)) return std::nullopt;
    return ParseTimestamp(s.ColumnText(col));
}

Json ReadJson(const Statement& s, int col) {
    auto text = s.ColumnText(col);
    if (text.empty()) return nullptr;
    return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

constexpr const char* kRunColumns =
    "seq, run_id, run_group_id, is_latest, pipeline_name, parameters, invoked_by, run_start, run_end, "
    "status, "
    "message, last_updated, pipeline, cancel_requested, run_state";

PipelineRun ReadRun(const Statement& s) {
    PipelineRun r;
    r.sequence = s.ColumnInt(0);
    r.run_id = s.ColumnText(1);
    r.run_group_id = s.ColumnText(2);
    r.is_latest = s.ColumnInt(3) != 0;
    r.pipeline_name = s.ColumnText(4);
    r.parameters = ReadJson(s, 5);
    r.invoked_by = ReadJson(s, 6);
    r.run_start = ReadTime(s, 7);
    r.run_end = ReadTime(s, 8);
    r.status = s.ColumnText(9);
    r.message = s.ColumnText(10);
    r.last_updated = ParseTimestamp(s.ColumnText(11)).value_or(TimePoint{});
    r.pipeline = ReadJson(s, 12);
    r.cancel_requested = s.ColumnInt(13) != 0;
    r.run_state = ReadJson(s, 14);
    return r;
}

constexpr const char* kActivityColumns =
    "activity_run_id, run_id, pipeline_name, activity_name, activity_type, status, attempt, start_time, "
    "end_time, not_before, input, output, error, checkpoint, linked_service_name, last_updated";

ActivityRun ReadActivity(const Statement& s) {
    ActivityRun a;
    a.activity_run_id = s.ColumnText(0);
    a.run_id = s.ColumnText(1);
    a.pipeline_name = s.ColumnText(2);
    a.activity_name = s.ColumnText(3);
    a.activity_type = s.ColumnText(4);
    a.status = s.ColumnText(5);
    a.attempt = static_cast<int>(s.ColumnInt(6));
    a.start = ReadTime(s, 7);
    a.end = ReadTime(s, 8);
    a.not_before = ReadTime(s, 9);
    a.input = ReadJson(s, 10);
    a.output = ReadJson(s, 11);
    a.error = ReadJson(s, 12);
    a.checkpoint = ReadJson(s, 13);
    a.linked_service_name = s.ColumnText(14);
    a.last_updated = ParseTimestamp(s.ColumnText(15)).value_or(TimePoint{});
    return a;
}

void BindActivity(Statement& s, const ActivityRun& a) {
    s.Bind(1, a.activity_run_id)
        .Bind(2, a.run_id)
        .Bind(3, a.pipeline_name)
        .Bind(4, a.activity_name)
        .Bind(5, a.activity_type)
        .Bind(6, a.status)
        .Bind(7, static_cast<int64_t>(a.attempt))
        .BindOptional(8, OptTime(a.start))
        .BindOptional(9, OptTime(a.end))
        .BindOptional(10, OptTime(a.not_before))
        .Bind(11, a.input.dump())
        .Bind(12, a.output.dump())
        .Bind(13, a.error.dump())
        .Bind(14, a.checkpoint.dump())
        .Bind(15, a.linked_service_name)
        .Bind(16, FormatTimestamp(a.last_updated));
}

}  // namespace

Store::Store(std::filesystem::path path) : path_(std::move(path)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path) {
    std::unique_ptr<Store> store(new Store(path));
    ADXFLOW_ASSIGN_OR_RETURN(auto conn, Connection::Open(path));
    ADXFLOW_TRY(Migrate(conn));
    store->writer_ = std::make_unique<PooledConnection>();
    store->writer_->conn = std::move(conn);
    return store;
}

Result<Store::Lease> Store::Reader() {
    {
        std::lock_guard g(readers_mu_);
        if (!idle_readers_.empty()) {
            auto c = std::move(idle_readers_.back());
            idle_readers_.pop_back();
            return Lease(this, std::move(c));
        }
    }
    ADXFLOW_ASSIGN_OR_RETURN(auto conn, Connection::Open(path_));
    auto pc = std::make_unique<PooledConnection>();
    pc->conn = std::move(conn);
    return Lease(this, std::move(pc));
}

int Store::schema_version() const {
    return LatestSchemaVersion();
}

// ---------------------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------------------

Result<std::optional<StoredResource>> Store::GetResource(std::string_view kind, std::string_view name) {
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s,
        r->Get("SELECT name, body, etag, updated_at FROM resources WHERE kind = ? AND name_key = ?"));
    s->Bind(1, kind).Bind(2, ToLower(name));
    ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<StoredResource>();
    StoredResource res{s->ColumnText(0), ReadJson(*s, 1), s->ColumnText(2), s->ColumnText(3)};
    s->Reset();
    return std::optional<StoredResource>(std::move(res));
}

Result<std::vector<StoredResource>> Store::ListResources(std::string_view kind) {
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s,
        r->Get("SELECT name, body, etag, updated_at FROM resources WHERE kind = ? ORDER BY name_key"));
    s->Bind(1, kind);
    std::vector<StoredResource> out;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        out.push_back({s->ColumnText(0), ReadJson(*s, 1), s->ColumnText(2), s->ColumnText(3)});
    }
    s->Reset();
    return out;
}

Result<StoredResource> Store::PutResource(std::string_view kind, std::string_view name, const Json& body,
                                          const std::optional<std::string>& if_match) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    auto& w = *writer_;
    ADXFLOW_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(w.conn));
    ADXFLOW_ASSIGN_OR_RETURN(Statement * find,
                             w.Get("SELECT name, etag FROM resources WHERE kind = ? AND name_key = ?"));
    find->Bind(1, kind).Bind(2, ToLower(name));
    ADXFLOW_ASSIGN_OR_RETURN(bool exists, find->Step());
    std::string stored_name(name), current_etag;
    if (exists) {
        stored_name = find->ColumnText(0);
        current_etag = find->ColumnText(1);
    }
    find->Reset();
    if (if_match && *if_match != "*" && (!exists || *if_match != current_etag))
        return MakeError(
            ErrorKind::kConflict, "store.put_resource",
            "the etag in If-Match does not match the current version of '" + std::string(name) + "'",
            "PreconditionFailed");
    if (if_match && *if_match == "*" && !exists)
        return MakeError(ErrorKind::kConflict, "store.put_resource",
                         "If-Match: * was given but '" + std::string(name) + "' does not exist",
                         "PreconditionFailed");
    StoredResource res;
    res.name = stored_name;
    res.body = body;
    res.body["name"] = stored_name;
    res.etag = NewUuid();
    res.updated_at = Now();
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * up,
        w.Get(
            "INSERT INTO resources (kind, name_key, name, body, etag, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, name_key) DO UPDATE SET body = excluded.body, etag = excluded.etag, "
            "updated_at = excluded.updated_at"));
    up->Bind(1, kind)
        .Bind(2, ToLower(name))
        .Bind(3, stored_name)
        .Bind(4, res.body.dump())
        .Bind(5, res.etag)
        .Bind(6, res.updated_at);
    ADXFLOW_TRY(up->Run());
    ADXFLOW_TRY(tx.Commit());
    return res;
}

Result<bool> Store::DeleteResource(std::string_view kind, std::string_view name) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s,
                             writer_->Get("DELETE FROM resources WHERE kind = ? AND name_key = ?"));
    s->Bind(1, kind).Bind(2, ToLower(name));
    ADXFLOW_TRY(s->Run());
    return sqlite3_changes(writer_->conn.raw()) > 0;
}

Result<Json> Store::GetGlobalParameters() {
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s, r->Get("SELECT global_parameters FROM factory WHERE id = 1"));
    ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
    Json out = row ? ReadJson(*s, 0) : Json::object();
    s->Reset();
    return out.is_object() ? out : Json::object();
}

Status Store::PutGlobalParameters(const Json& parameters) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s,
                             writer_->Get("UPDATE factory SET global_parameters = ? WHERE id = 1"));
    s->Bind(1, parameters.dump());
    return s->Run();
}

// ---------------------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------------------

Status Store::InsertPipelineRun(PipelineRun& run) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    auto& w = *writer_;
    // Inside a batch the batch's transaction already makes the demote and the insert atomic.
    std::optional<Transaction> tx;
    if (!batch_open_) {
        ADXFLOW_ASSIGN_OR_RETURN(auto begun, Transaction::Begin(w.conn));
        tx.emplace(std::move(begun));
    }
    if (!run.is_latest) run.is_latest = true;
    // A recovery rerun joins an existing group and becomes its latest member. A run that starts its own group
    // (the common case) has nobody to demote.
    if (run.run_group_id != run.run_id) {
        ADXFLOW_ASSIGN_OR_RETURN(
            Statement * demote,
            w.Get("UPDATE pipeline_runs SET is_latest = 0 WHERE run_group_id = ? AND is_latest = 1"));
        demote->Bind(1, run.run_group_id);
        ADXFLOW_TRY(demote->Run());
    }
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s, w.Get("INSERT INTO pipeline_runs (run_id, run_group_id, is_latest, pipeline_name, "
                             "parameters, invoked_by, "
                             "run_start, run_end, status, message, last_updated, pipeline, cancel_requested) "
                             "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    Json stored_parameters = run.parameters;
    Json stored_pipeline = run.pipeline;
    if (box_) {
        const SecretBox& box = *box_;
        stored_parameters = SealRunParameters(run.pipeline, run.parameters, box);
        ADXFLOW_ASSIGN_OR_RETURN(
            stored_pipeline, model::SealSecrets(
                                 run.pipeline, [&box](std::string_view v) { return box.Seal(v); }, nullptr));
        if (auto secrets = model::SecureParameterValues(run.pipeline, run.parameters); !secrets.empty()) {
            std::lock_guard sg(secrets_mu_);
            run_secrets_[run.run_id] = std::move(secrets);
        }
    }
    s->Bind(1, run.run_id)
        .Bind(2, run.run_group_id)
        .Bind(3, run.pipeline_name)
        .Bind(4, stored_parameters.dump())
        .Bind(5, run.invoked_by.dump())
        .BindOptional(6, OptTime(run.run_start))
        .BindOptional(7, OptTime(run.run_end))
        .Bind(8, run.status)
        .Bind(9, run.message)
        .Bind(10, FormatTimestamp(run.last_updated))
        .Bind(11, stored_pipeline.dump())
        .Bind(12, static_cast<int64_t>(run.cancel_requested));
    ADXFLOW_TRY(s->Run());
    run.sequence = sqlite3_last_insert_rowid(w.conn.raw());
    if (tx) {  // else the batch's commit is the one that counts (store.batch.*)
        ADXFLOW_CRASH_POINT("store.run_insert.before_commit");
        ADXFLOW_TRY(tx->Commit());
        ADXFLOW_CRASH_POINT("store.run_insert.after_commit");
    }
    return Ok();
}

void Store::BeginWriteBatch() {
    write_mu_.lock();
    if (batch_depth_++ > 0) return;  // nested: the outermost batch commits
    // If BEGIN fails, the writes below autocommit one by one: nothing is lost, only the grouping.
    batch_open_ = writer_->conn.Exec("BEGIN IMMEDIATE").ok();
    if (crash::g_armed.load(std::memory_order_relaxed))
        batch_changes_ = sqlite3_total_changes64(writer_->conn.raw());
}

Status Store::EndWriteBatch() {
    Status committed = Ok();
    if (--batch_depth_ == 0 && batch_open_) {
        batch_open_ = false;
        // The crash points count only batches that wrote something (an idle pass commits an empty one).
        const bool wrote = crash::g_armed.load(std::memory_order_relaxed) &&
                           sqlite3_total_changes64(writer_->conn.raw()) != batch_changes_;
        if (wrote) ADXFLOW_CRASH_POINT("store.batch.before_commit");
        committed = writer_->conn.Exec("COMMIT");
        if (!committed.ok()) (void)writer_->conn.Exec("ROLLBACK");
        if (wrote && committed.ok()) ADXFLOW_CRASH_POINT("store.batch.after_commit");
    }
    write_mu_.unlock();
    return committed;
}

Status Store::UpdatePipelineRun(const PipelineRun& run) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s,
        writer_->Get("UPDATE pipeline_runs SET run_start = ?, run_end = ?, status = ?, message = ?, "
                     "last_updated = ?, cancel_requested = ?, run_state = ? WHERE run_id = ?"));
    s->BindOptional(1, OptTime(run.run_start))
        .BindOptional(2, OptTime(run.run_end))
        .Bind(3, run.status)
        .Bind(4, model::ScrubSecrets(run.message, SecretsOf(run.run_id)))
        .Bind(5, FormatTimestamp(run.last_updated))
        .Bind(6, static_cast<int64_t>(run.cancel_requested))
        .Bind(7, run.run_state.is_null() ? std::string() : run.run_state.dump())
        .Bind(8, run.run_id);
    ADXFLOW_TRY(s->Run());
    if (engine::IsTerminalRunStatus(run.status)) {
        std::lock_guard sg(secrets_mu_);
        run_secrets_.erase(run.run_id);
    }
    return Ok();
}

void Store::ProtectRunSecrets(const SecretBox& box) {
    box_ = box;
}

std::vector<std::string> Store::SecretsOf(const std::string& run_id) {
    std::lock_guard sg(secrets_mu_);
    auto it = run_secrets_.find(run_id);
    return it == run_secrets_.end() ? std::vector<std::string>() : it->second;
}

Status Store::OpenRun(PipelineRun& run, bool remember_secrets) {
    if (!box_) return Ok();
    const SecretBox& box = *box_;
    ADXFLOW_ASSIGN_OR_RETURN(run.parameters, OpenRunParameters(run.parameters, box));
    ADXFLOW_ASSIGN_OR_RETURN(
        run.pipeline, model::OpenSecrets(run.pipeline, [&box](std::string_view v) { return box.Open(v); }));
    if (remember_secrets) {
        if (auto secrets = model::SecureParameterValues(run.pipeline, run.parameters); !secrets.empty()) {
            std::lock_guard sg(secrets_mu_);
            run_secrets_[run.run_id] = std::move(secrets);
        }
    }
    return Ok();
}

Result<std::optional<PipelineRun>> Store::GetPipelineRun(const std::string& run_id) {
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s, r->Get(std::string("SELECT ") + kRunColumns + " FROM pipeline_runs WHERE run_id = ?"));
    s->Bind(1, run_id);
    ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<PipelineRun>();
    auto run = ReadRun(*s);
    s->Reset();
    ADXFLOW_TRY(OpenRun(run, false));
    return std::optional<PipelineRun>(std::move(run));
}

Result<std::vector<PipelineRun>> Store::LoadUnfinishedRuns() {
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s, r->Get(std::string("SELECT ") + kRunColumns +
                              " FROM pipeline_runs WHERE status IN ('Queued', 'InProgress', 'Canceling') "
                              "ORDER BY seq"));
    std::vector<PipelineRun> out;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        out.push_back(ReadRun(*s));
    }
    s->Reset();
    // The engine resumes these runs: it needs their plaintext parameters, and their later writes are
    // scrubbed.
    for (auto& run : out) ADXFLOW_TRY(OpenRun(run, true));
    return out;
}

Status Store::InsertActivityRun(const ActivityRun& run) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s,
                             writer_->Get(std::string("INSERT INTO activity_runs (") + kActivityColumns +
                                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    BindActivity(*s, Scrubbed(run));
    return s->Run();
}

ActivityRun Store::Scrubbed(const ActivityRun& run) {
    auto secrets = SecretsOf(run.run_id);
    if (secrets.empty()) return run;
    ActivityRun copy = run;
    model::ScrubSecrets(copy.input, secrets);
    model::ScrubSecrets(copy.output, secrets);
    model::ScrubSecrets(copy.error, secrets);
    return copy;
}

Status Store::UpdateActivityRun(const ActivityRun& run) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s,
        writer_->Get(
            "UPDATE activity_runs SET activity_run_id = ?1, run_id = ?2, pipeline_name = ?3, "
            "activity_name = ?4, activity_type = ?5, status = ?6, attempt = ?7, start_time = ?8, "
            "end_time = ?9, not_before = ?10, input = ?11, output = ?12, error = ?13, checkpoint = ?14, "
            "linked_service_name = ?15, last_updated = ?16 WHERE activity_run_id = ?1"));
    BindActivity(*s, Scrubbed(run));
    return s->Run();
}

Status Store::SaveCheckpoint(const std::string& activity_run_id, const Json& checkpoint) {
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s,
                             writer_->Get("UPDATE activity_runs SET checkpoint = ?, last_updated = ? "
                                          "WHERE activity_run_id = ?"));
    s->Bind(1, checkpoint.dump()).Bind(2, Now()).Bind(3, activity_run_id);
    ADXFLOW_CRASH_POINT("store.checkpoint.before_save");
    ADXFLOW_TRY(s->Run());
    ADXFLOW_CRASH_POINT("store.checkpoint.after_save");
    return Ok();
}

Result<std::vector<ActivityRun>> Store::LoadActivityRuns(const std::string& run_id) {
    engine::RunFilter all;
    all.last_updated_before = TimePoint::max();
    all.order_by = "Sequence";
    all.descending = false;
    all.limit = 100000;
    return QueryActivityRuns(run_id, all);
}

namespace {

// Maps a RunFilter operand to a column; empty when the operand does not apply.
std::string RunColumn(std::string_view operand) {
    if (IEquals(operand, "PipelineName")) return "pipeline_name";
    if (IEquals(operand, "Status")) return "status";
    if (IEquals(operand, "RunGroupId")) return "run_group_id";
    if (IEquals(operand, "RunStart")) return "run_start";
    if (IEquals(operand, "RunEnd")) return "run_end";
    if (IEquals(operand, "ActivityName")) return "activity_name";
    if (IEquals(operand, "ActivityType")) return "activity_type";
    if (IEquals(operand, "ActivityRunStart")) return "start_time";
    if (IEquals(operand, "ActivityRunEnd")) return "end_time";
    if (IEquals(operand, "Sequence")) return "seq";
    return {};
}

// Appends the WHERE conditions of `filter` to `sql`; returns the values to bind in order.
Result<std::vector<std::string>> AppendConditions(std::string& sql, const engine::RunFilter& filter,
                                                  bool activity_table) {
    std::vector<std::string> binds;
    for (const auto& c : filter.conditions) {
        if (IEquals(c.operand, "LatestOnly")) {
            if (!activity_table && !c.values.empty() && IEquals(c.values[0], "true"))
                sql += " AND is_latest = 1";
            continue;
        }
        std::string col = RunColumn(c.operand);
        if (col.empty() || col == "seq")
            return MakeError(ErrorKind::kInvalidInput, "query.filter",
                             "unsupported filter operand '" + c.operand + "'", "BadRequest", "filters");
        if (activity_table != (col == "activity_name" || col == "activity_type" || col == "start_time" ||
                               col == "end_time") &&
            col != "status")
            return MakeError(ErrorKind::kInvalidInput, "query.filter",
                             "filter operand '" + c.operand + "' does not apply to this query", "BadRequest",
                             "filters");
        if (c.values.empty())
            return MakeError(ErrorKind::kInvalidInput, "query.filter",
                             "filter on '" + c.operand + "' has no values", "BadRequest", "filters");
        bool negate = IEquals(c.op, "NotEquals") || IEquals(c.op, "NotIn");
        if (!negate && !IEquals(c.op, "Equals") && !IEquals(c.op, "In"))
            return MakeError(ErrorKind::kInvalidInput, "query.filter",
                             "unsupported filter operator '" + c.op + "' (use Equals, NotEquals, In, NotIn)",
                             "BadRequest", "filters");
        bool ci = col == "pipeline_name" || col == "activity_name";  // names are case-insensitive
        sql += " AND " + col + (ci ? " COLLATE NOCASE" : "") + (negate ? " NOT IN (" : " IN (");
        for (size_t i = 0; i < c.values.size(); ++i) {
            sql += i ? ", ?" : "?";
            binds.push_back(c.values[i]);
        }
        sql += ")";
    }
    return binds;
}

}  // namespace

namespace {

// queryPipelineRuns pages by key, not by offset: the token holds the sort value and sequence number of the
// last run returned, and the next page starts strictly after it. Runs created or updated while a client
// pages (new runs sort first under the default RunStart DESC) then neither repeat nor push others out of
// sight, and a page costs the same however deep it is. Token: "k1." + hex(sort value) + "." + seq.
// A token of digits only is an offset from an older daemon, still accepted.
std::string PageToken(const std::string& value, int64_t seq) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "k1.";
    for (unsigned char c : value) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out + "." + std::to_string(seq);
}

struct PageKey {
    std::string value;
    int64_t seq = 0;
};

std::optional<PageKey> ParsePageToken(const std::string& token) {
    if (token.rfind("k1.", 0) != 0) return std::nullopt;
    const auto dot = token.find('.', 3);
    if (dot == std::string::npos || (dot - 3) % 2 != 0 || dot + 1 == token.size()) return std::nullopt;
    PageKey key;
    auto nibble = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    for (size_t i = 3; i < dot; i += 2) {
        const int hi = nibble(token[i]), lo = nibble(token[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        key.value += static_cast<char>(hi << 4 | lo);
    }
    for (size_t i = dot + 1; i < token.size(); ++i) {
        if (token[i] < '0' || token[i] > '9' || i - dot > 18) return std::nullopt;
        key.seq = key.seq * 10 + (token[i] - '0');
    }
    return key;
}

}  // namespace

Result<engine::RunPage> Store::QueryPipelineRuns(const engine::RunFilter& filter) {
    std::string order = RunColumn(filter.order_by);
    if (order.empty() || order == "activity_name" || order == "activity_type")
        return MakeError(ErrorKind::kInvalidInput, "query.order",
                         "unsupported orderBy '" + filter.order_by + "'", "BadRequest", "orderBy");
    // NULL (a run not started or not ended yet) sorts as the empty string: first ascending, last descending,
    // as SQLite orders NULLs, and comparable in the page condition.
    const bool by_seq = order == "seq";
    const std::string key = by_seq ? "seq" : "COALESCE(" + order + ", '')";
    const char* dir = filter.descending ? " DESC" : " ASC";
    const char* after = filter.descending ? " < " : " > ";
    std::string sql = std::string("SELECT ") + kRunColumns + ", " + key +
                      " FROM pipeline_runs WHERE last_updated >= ? AND last_updated <= ?";
    ADXFLOW_ASSIGN_OR_RETURN(auto binds, AppendConditions(sql, filter, false));
    size_t offset = 0;
    std::optional<PageKey> from;
    if (!filter.continuation.empty()) {
        from = ParsePageToken(filter.continuation);
        const bool digits = filter.continuation.size() < 19 &&
                            filter.continuation.find_first_not_of("0123456789") == std::string::npos;
        if (!from && !digits)
            return MakeError(ErrorKind::kInvalidInput, "query.page", "invalid continuationToken",
                             "BadRequest", "continuationToken");
        if (!from) offset = std::stoul(filter.continuation);
    }
    if (from)
        sql += by_seq ? std::string(" AND seq") + after + "?"
                      : " AND (" + key + after + "? OR (" + key + " = ? AND seq" + after + "?))";
    sql += " ORDER BY " + key + dir + ", seq" + dir + " LIMIT ? OFFSET ?";
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s, r->Get(sql));
    int i = 1;
    s->Bind(i++, FormatTimestamp(filter.last_updated_after));
    s->Bind(i++, FormatTimestamp(filter.last_updated_before));
    for (const auto& b : binds) s->Bind(i++, b);
    if (from && by_seq) s->Bind(i++, from->seq);
    if (from && !by_seq) {
        s->Bind(i++, from->value);
        s->Bind(i++, from->value);
        s->Bind(i++, from->seq);
    }
    s->Bind(i++, static_cast<int64_t>(filter.limit + 1));
    s->Bind(i++, static_cast<int64_t>(offset));
    engine::RunPage page;
    std::vector<std::string> keys;
    constexpr int kKeyColumn = 15;  // after the kRunColumns
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        page.runs.push_back(ReadRun(*s));
        keys.push_back(s->ColumnText(kKeyColumn));
    }
    s->Reset();
    for (auto& run : page.runs) ADXFLOW_TRY(OpenRun(run, false));
    if (filter.limit > 0 && page.runs.size() > filter.limit) {
        page.runs.pop_back();
        page.continuation = PageToken(keys[filter.limit - 1], page.runs.back().sequence);
    }
    return page;
}

Result<std::vector<ActivityRun>> Store::QueryActivityRuns(const std::string& run_id,
                                                          const engine::RunFilter& filter) {
    std::string sql = std::string("SELECT ") + kActivityColumns +
                      " FROM activity_runs WHERE run_id = ? AND last_updated >= ? AND last_updated <= ?";
    ADXFLOW_ASSIGN_OR_RETURN(auto binds, AppendConditions(sql, filter, true));
    std::string order = filter.order_by.empty() ? "seq" : RunColumn(filter.order_by);
    if (order.empty() || order == "pipeline_name" || order == "run_group_id") order = "seq";
    sql += " ORDER BY " + order + (filter.descending ? " DESC" : " ASC") + ", seq ASC LIMIT ?";
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    ADXFLOW_ASSIGN_OR_RETURN(Statement * s, r->Get(sql));
    int i = 1;
    s->Bind(i++, run_id);
    s->Bind(i++, FormatTimestamp(filter.last_updated_after));
    s->Bind(i++, FormatTimestamp(filter.last_updated_before));
    for (const auto& b : binds) s->Bind(i++, b);
    s->Bind(i++, static_cast<int64_t>(std::min<size_t>(filter.limit, 1000000)));
    std::vector<ActivityRun> out;
    while (true) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
        if (!row) break;
        out.push_back(ReadActivity(*s));
    }
    s->Reset();
    return out;
}

}  // namespace adxflow::storage
