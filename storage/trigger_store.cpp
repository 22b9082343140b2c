#include "storage/trigger_store.hpp"

namespace adxflow::storage {

using engine::TriggerRun;
using engine::TriggerState;

namespace {

constexpr const char* kColumns =
    "seq, trigger_run_id, trigger_name, trigger_type, scheduled_time, window_end, status, attempt, "
    "not_before, "
    "run_id, message, properties, triggered_pipelines, trigger_run_timestamp";

std::optional<TimePoint> ReadTime(const Statement& s, int col) {
    if (s.ColumnIsNull(col)) return std::nullopt;
    return ParseTimestamp(s.ColumnText(col));
}

Json ReadJson(const Statement& s, int col) {
    Json j = Json::parse(s.ColumnText(col), nullptr, false);
    return j.is_discarded() ? Json::object() : j;
}

TriggerRun ReadRun(const Statement& s) {
    TriggerRun r;
    r.sequence = s.ColumnInt(0);
    r.trigger_run_id = s.ColumnText(1);
    r.trigger_name = s.ColumnText(2);
    r.trigger_type = s.ColumnText(3);
    r.scheduled_time = ReadTime(s, 4).value_or(TimePoint{});
    r.window_end = ReadTime(s, 5);
    r.status = s.ColumnText(6);
    r.attempt = static_cast<int>(s.ColumnInt(7));
    r.not_before = ReadTime(s, 8);
    r.run_id = s.ColumnIsNull(9) ? "" : s.ColumnText(9);
    r.message = s.ColumnText(10);
    r.properties = ReadJson(s, 11);
    r.triggered_pipelines = ReadJson(s, 12);
    r.timestamp = ReadTime(s, 13).value_or(TimePoint{});
    return r;
}

std::optional<std::string> OptTime(const std::optional<TimePoint>& t) {
    if (!t) return std::nullopt;
    return FormatTimestamp(*t);
}

std::string NowText() {
    return FormatTimestamp(std::chrono::system_clock::now());
}

}  // namespace

Result<std::unique_ptr<TriggerStore>> TriggerStore::Open(const std::filesystem::path& path) {
    ADXFLOW_ASSIGN_OR_RETURN(auto conn, Connection::Open(path));
    return std::unique_ptr<TriggerStore>(new TriggerStore(std::move(conn)));
}

Result<std::vector<TriggerState>> TriggerStore::LoadTriggerStates() {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s, conn_.Prepare("SELECT name_key, runtime_state, state FROM trigger_state ORDER BY name_key"));
    std::vector<TriggerState> out;
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        out.push_back(TriggerState{s.ColumnText(0), s.ColumnText(1), ReadJson(s, 2)});
    }
    return out;
}

Result<std::optional<TriggerState>> TriggerStore::GetTriggerState(const std::string& name_key) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s, conn_.Prepare("SELECT name_key, runtime_state, state FROM trigger_state WHERE name_key = ?"));
    s.Bind(1, name_key);
    ADXFLOW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<TriggerState>();
    return std::optional<TriggerState>(TriggerState{s.ColumnText(0), s.ColumnText(1), ReadJson(s, 2)});
}

Status TriggerStore::SaveTriggerState(const TriggerState& state) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s,
        conn_.Prepare(
            "INSERT INTO trigger_state (name_key, runtime_state, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name_key) DO UPDATE SET runtime_state = excluded.runtime_state, "
            "state = excluded.state, updated_at = excluded.updated_at"));
    s.Bind(1, state.name_key).Bind(2, state.runtime_state).Bind(3, state.state.dump()).Bind(4, NowText());
    return s.Run();
}

Status TriggerStore::DeleteTriggerState(const std::string& name_key) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(auto s, conn_.Prepare("DELETE FROM trigger_state WHERE name_key = ?"));
    s.Bind(1, name_key);
    return s.Run();
}

Status TriggerStore::DeleteTriggerRuns(const std::string& trigger_name) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(auto s, conn_.Prepare("DELETE FROM trigger_runs WHERE trigger_key = ?"));
    s.Bind(1, ToLower(trigger_name));
    return s.Run();
}

Result<bool> TriggerStore::InsertTriggerRun(TriggerRun& run) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s,
        conn_.Prepare(
            "INSERT INTO trigger_runs (trigger_run_id, trigger_key, trigger_name, trigger_type, "
            "scheduled_time, "
            "window_end, status, attempt, not_before, run_id, message, properties, triggered_pipelines, "
            "trigger_run_timestamp, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING"));
    s.Bind(1, run.trigger_run_id)
        .Bind(2, ToLower(run.trigger_name))
        .Bind(3, run.trigger_name)
        .Bind(4, run.trigger_type)
        .Bind(5, FormatTimestamp(run.scheduled_time))
        .BindOptional(6, OptTime(run.window_end))
        .Bind(7, run.status)
        .Bind(8, static_cast<int64_t>(run.attempt))
        .BindOptional(9, OptTime(run.not_before))
        .BindOptional(10, run.run_id.empty() ? std::nullopt : std::optional<std::string>(run.run_id))
        .Bind(11, run.message)
        .Bind(12, run.properties.dump())
        .Bind(13, run.triggered_pipelines.dump())
        .Bind(14, FormatTimestamp(run.timestamp))
        .Bind(15, NowText());
    ADXFLOW_TRY(s.Run());
    bool inserted = sqlite3_changes(conn_.raw()) > 0;
    if (inserted) run.sequence = sqlite3_last_insert_rowid(conn_.raw());
    return inserted;
}

Status TriggerStore::UpdateTriggerRun(const TriggerRun& run) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s,
        conn_.Prepare(
            "UPDATE trigger_runs SET status = ?, attempt = ?, not_before = ?, run_id = ?, message = ?, "
            "properties = ?, triggered_pipelines = ?, trigger_run_timestamp = ?, last_updated = ? "
            "WHERE trigger_run_id = ?"));
    s.Bind(1, run.status)
        .Bind(2, static_cast<int64_t>(run.attempt))
        .BindOptional(3, OptTime(run.not_before))
        .BindOptional(4, run.run_id.empty() ? std::nullopt : std::optional<std::string>(run.run_id))
        .Bind(5, run.message)
        .Bind(6, run.properties.dump())
        .Bind(7, run.triggered_pipelines.dump())
        .Bind(8, FormatTimestamp(run.timestamp))
        .Bind(9, NowText())
        .Bind(10, run.trigger_run_id);
    return s.Run();
}

Result<std::vector<TriggerRun>> TriggerStore::Select(const std::string& where,
                                                     const std::vector<std::string>& args) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s, conn_.Prepare(std::string("SELECT ") + kColumns + " FROM trigger_runs " + where));
    for (size_t i = 0; i < args.size(); ++i) s.Bind(static_cast<int>(i + 1), args[i]);
    std::vector<TriggerRun> out;
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        out.push_back(ReadRun(s));
    }
    return out;
}

Result<std::optional<TriggerRun>> TriggerStore::GetTriggerRun(const std::string& trigger_run_id) {
    ADXFLOW_ASSIGN_OR_RETURN(auto runs, Select("WHERE trigger_run_id = ?", {trigger_run_id}));
    if (runs.empty()) return std::optional<TriggerRun>();
    return std::optional<TriggerRun>(runs.front());
}

Result<std::vector<TriggerRun>> TriggerStore::OpenWindows(const std::string& trigger_name) {
    return Select(
        "WHERE trigger_key = ? AND window_end IS NOT NULL AND status IN ('Waiting', 'WaitingOnDependency', "
        "'Running') ORDER BY scheduled_time",
        {ToLower(trigger_name)});
}

Result<std::vector<TriggerRun>> TriggerStore::WindowsBetween(const std::string& trigger_name, TimePoint from,
                                                             TimePoint to) {
    // ISO 8601 with 7 fractional digits sorts as text.
    return Select(
        "WHERE trigger_key = ? AND window_end IS NOT NULL AND scheduled_time >= ? AND scheduled_time < ? "
        "ORDER BY scheduled_time",
        {ToLower(trigger_name), FormatTimestamp(from), FormatTimestamp(to)});
}

Result<std::optional<TimePoint>> TriggerStore::LastWindowStart(const std::string& trigger_name) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s,
        conn_.Prepare(
            "SELECT max(scheduled_time) FROM trigger_runs WHERE trigger_key = ? AND window_end IS NOT NULL"));
    s.Bind(1, ToLower(trigger_name));
    ADXFLOW_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.ColumnIsNull(0)) return std::optional<TimePoint>();
    return ParseTimestamp(s.ColumnText(0));
}

Result<std::vector<TriggerRun>> TriggerStore::QueryTriggerRuns(const engine::TriggerRunFilter& f) {
    std::string where = "WHERE 1 = 1";
    std::vector<std::string> args;
    if (f.after) {
        where += " AND trigger_run_timestamp >= ?";
        args.push_back(FormatTimestamp(*f.after));
    }
    if (f.before) {
        where += " AND trigger_run_timestamp <= ?";
        args.push_back(FormatTimestamp(*f.before));
    }
    if (!f.trigger_names.empty()) {
        where += f.exclude ? " AND trigger_key NOT IN (" : " AND trigger_key IN (";
        for (size_t i = 0; i < f.trigger_names.size(); ++i) {
            where += i ? ", ?" : "?";
            args.push_back(ToLower(f.trigger_names[i]));
        }
        where += ")";
    }
    where += " ORDER BY trigger_run_timestamp, seq LIMIT 10000";
    ADXFLOW_ASSIGN_OR_RETURN(auto runs, Select(where, args));
    return runs;
}

Result<std::vector<std::string>> TriggerStore::RunsInvokedBy(const std::string& trigger_run_id) {
    std::lock_guard g(mu_);
    ADXFLOW_ASSIGN_OR_RETURN(
        auto s,
        conn_.Prepare(
            "SELECT run_id FROM pipeline_runs WHERE json_extract(invoked_by, '$.id') = ? ORDER BY seq"));
    s.Bind(1, trigger_run_id);
    std::vector<std::string> out;
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        out.push_back(s.ColumnText(0));
    }
    return out;
}

}  // namespace adxflow::storage
