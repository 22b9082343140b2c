#include "storage/migrations.hpp"

#include <string>
#include <vector>

namespace adxflow::storage {

namespace {

// Append only. Never edit a migration that has shipped: add a new one.
const std::vector<const char*>& Migrations() {
    static const std::vector<const char*> migrations = {
        // 1: definitions and run history.
        R"sql(
        CREATE TABLE resources (
            kind        TEXT NOT NULL,
            name_key    TEXT NOT NULL,          -- lower-cased name: ADF names are case-insensitive
            name        TEXT NOT NULL,          -- as the user spelled it
            body        TEXT NOT NULL,          -- JSON, secrets sealed
            etag        TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (kind, name_key)
        );
        CREATE TABLE factory (
            id                INTEGER PRIMARY KEY CHECK (id = 1),
            global_parameters TEXT NOT NULL
        );
        INSERT INTO factory (id, global_parameters) VALUES (1, '{}');
        CREATE TABLE pipeline_runs (
            seq              INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id           TEXT NOT NULL UNIQUE,
            run_group_id     TEXT NOT NULL,
            is_latest        INTEGER NOT NULL,
            pipeline_name    TEXT NOT NULL,
            parameters       TEXT NOT NULL,
            invoked_by       TEXT NOT NULL,
            run_start        TEXT,
            run_end          TEXT,
            status           TEXT NOT NULL,
            message          TEXT NOT NULL,
            last_updated     TEXT NOT NULL,  -- ISO 8601 with 7 fractional digits: sorts as text
            pipeline         TEXT NOT NULL,
            cancel_requested INTEGER NOT NULL
        );
        CREATE INDEX pipeline_runs_last_updated ON pipeline_runs (last_updated);
        CREATE INDEX pipeline_runs_unfinished ON pipeline_runs (status)
            WHERE status IN ('Queued', 'InProgress', 'Canceling');
        CREATE TABLE activity_runs (
            seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
            activity_run_id     TEXT NOT NULL UNIQUE,
            run_id              TEXT NOT NULL REFERENCES pipeline_runs (run_id),
            pipeline_name       TEXT NOT NULL,
            activity_name       TEXT NOT NULL,
            activity_type       TEXT NOT NULL,
            status              TEXT NOT NULL,
            attempt             INTEGER NOT NULL,
            start_time          TEXT,
            end_time            TEXT,
            not_before          TEXT,
            input               TEXT NOT NULL,
            output              TEXT NOT NULL,
            error               TEXT NOT NULL,
            checkpoint          TEXT NOT NULL,
            linked_service_name TEXT NOT NULL,
            last_updated        TEXT NOT NULL
        );
        CREATE INDEX activity_runs_run ON activity_runs (run_id, seq);
        )sql",
        // 2: createRun demotes the previous latest run of its group; without this index that UPDATE scanned
        // the whole run history on every createRun (createRun/s fell as history grew).
        R"sql(
        CREATE INDEX pipeline_runs_group_latest ON pipeline_runs (run_group_id) WHERE is_latest = 1;
        )sql",
        // 3: pipeline variables (and pipelineReturnValue) change while a run is InProgress; a run resumed
        // after a restart must see the values it had, not the declared defaults.
        R"sql(
        ALTER TABLE pipeline_runs ADD COLUMN run_state TEXT NOT NULL DEFAULT '';
        )sql",
        // 4: triggers. runtime_state is ADF's read-only Started/Stopped (changed only by start/stop); state is
        // the scheduler's bookkeeping (last schedule occurrence fired). trigger_runs holds schedule fires and
        // tumbling windows; a window is unique per trigger, so no window is ever created twice.
        R"sql(
        CREATE TABLE trigger_state (
            name_key      TEXT PRIMARY KEY,     -- lower-cased trigger name
            runtime_state TEXT NOT NULL,
            state         TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );
        CREATE TABLE trigger_runs (
            seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
            trigger_run_id        TEXT NOT NULL UNIQUE,
            trigger_key           TEXT NOT NULL,
            trigger_name          TEXT NOT NULL,
            trigger_type          TEXT NOT NULL,
            scheduled_time        TEXT NOT NULL,  -- schedule occurrence, or window start
            window_end            TEXT,           -- tumbling windows only
            status                TEXT NOT NULL,
            attempt               INTEGER NOT NULL,
            not_before            TEXT,
            run_id                TEXT,
            message               TEXT NOT NULL,
            properties            TEXT NOT NULL,
            triggered_pipelines   TEXT NOT NULL,
            trigger_run_timestamp TEXT NOT NULL,
            last_updated          TEXT NOT NULL
        );
        CREATE UNIQUE INDEX trigger_runs_window ON trigger_runs (trigger_key, scheduled_time)
            WHERE window_end IS NOT NULL;
        CREATE INDEX trigger_runs_timestamp ON trigger_runs (trigger_run_timestamp);
        )sql",
    };
    return migrations;
}

Result<int> UserVersion(Connection& conn) {
    ADXFLOW_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("PRAGMA user_version"));
    ADXFLOW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    return row ? static_cast<int>(stmt.ColumnInt(0)) : 0;
}

}  // namespace

int LatestSchemaVersion() {
    return static_cast<int>(Migrations().size());
}

Status Migrate(Connection& conn) {
    ADXFLOW_ASSIGN_OR_RETURN(int current, UserVersion(conn));
    const auto& migrations = Migrations();
    if (current > static_cast<int>(migrations.size()))
        return MakeError(ErrorKind::kInternal, "store.migrate",
                         "the database is at schema version " + std::to_string(current) +
                             ", newer than this adxflowd understands (" + std::to_string(migrations.size()) +
                             "); use a newer binary");
    for (int v = current; v < static_cast<int>(migrations.size()); ++v) {
        ADXFLOW_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(conn));
        ADXFLOW_TRY(conn.Exec(migrations[v]));
        ADXFLOW_TRY(conn.Exec("PRAGMA user_version = " + std::to_string(v + 1)));
        ADXFLOW_TRY(tx.Commit());
    }
    return Ok();
}

}  // namespace adxflow::storage
