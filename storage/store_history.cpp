// Run-history retention and the queue count behind createRun back-pressure. Kept apart from store.cpp:
// neither is on the path of a run's own writes.
#include "storage/store.hpp"
#include "storage/store_internal.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

namespace adxflow::storage {

namespace {
// The finished runs to delete in one batch, oldest first (pipeline_runs_last_updated serves the range).
constexpr const char* kBatchRuns =
    "SELECT seq FROM pipeline_runs WHERE last_updated < ? AND status IN ('Succeeded', 'Failed', 'Cancelled') "
    "ORDER BY last_updated LIMIT ?";

// One statement's text from its pieces, appended (GCC 12 warns falsely about chains of std::string +).
std::string Sql(std::initializer_list<std::string_view> parts) {
    std::string sql;
    for (std::string_view part : parts) sql += part;
    return sql;
}
}  // namespace

Result<size_t> Store::PruneHistory(TimePoint cutoff, size_t max_runs) {
    if (max_runs == 0) return size_t{0};
    // One short transaction per batch: writers wait at most for one batch, never for a whole prune.
    std::lock_guard<std::recursive_mutex> g(write_mu_);
    auto& w = *writer_;
    ADXFLOW_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(w.conn));
    const std::string before = FormatTimestamp(cutoff);
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * activities,
        w.Get(
            Sql({"DELETE FROM activity_runs WHERE run_id IN (SELECT run_id FROM pipeline_runs WHERE seq IN (",
                 kBatchRuns, "))"})));
    activities->Bind(1, before).Bind(2, static_cast<int64_t>(max_runs));
    ADXFLOW_TRY(activities->Run());
    ADXFLOW_ASSIGN_OR_RETURN(Statement * runs,
                             w.Get(Sql({"DELETE FROM pipeline_runs WHERE seq IN (", kBatchRuns, ")"})));
    runs->Bind(1, before).Bind(2, static_cast<int64_t>(max_runs));
    ADXFLOW_TRY(runs->Run());
    const auto deleted = static_cast<size_t>(sqlite3_changes(w.conn.raw()));
    ADXFLOW_TRY(tx.Commit());
    return deleted;
}

Result<int64_t> Store::CountQueuedRuns() {
    ADXFLOW_ASSIGN_OR_RETURN(auto r, Reader());
    // The IN term repeats the WHERE of the partial index pipeline_runs_unfinished, which lets SQLite use it:
    // the count then costs in proportion to the unfinished runs, not to the history.
    ADXFLOW_ASSIGN_OR_RETURN(
        Statement * s, r->Get("SELECT count(*) FROM pipeline_runs WHERE status IN ('Queued', 'InProgress', "
                              "'Canceling') AND status = 'Queued'"));
    ADXFLOW_ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t n = row ? s->ColumnInt(0) : 0;
    s->Reset();
    return n;
}

}  // namespace adxflow::storage
