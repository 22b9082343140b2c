#pragma once
// Every metric family the daemon exports, declared once: name (adxflow_ prefix, unit in the name), help,
// labels. Labels take values from small fixed sets (statuses, activity types, HTTP codes), never ids.
// Documented in docs/metrics.md.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace adxflow {

class Metrics {
  public:
    Metrics();
    prometheus::Registry& registry() { return *registry_; }
    std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

    void PipelineRunFinished(const std::string& status);
    // The same, with the run's wall time from start (or queueing) to its final status.
    void PipelineRunFinished(const std::string& status, double seconds);
    void ActivityRunFinished(const std::string& type, const std::string& status, double seconds);
    void ActivityRetried(const std::string& type, const std::string& reason);
    // A Copy that succeeded: rows and bytes written are the sink connector's, bytes read the source's.
    void RowsCopied(const std::string& source_connector, const std::string& sink_connector, double rows,
                    double bytes_read, double bytes_written);
    void ApiRequest(const std::string& method, int code, double seconds);
    // Called by the scheduler after each pass; also integrates busy workers over time into
    // adxflow_worker_pool_busy_seconds_total, so utilisation between scrapes is not lost to sampling.
    void SetWorkers(double busy, double size);
    void SetQueueDepth(double queued_runs);
    // `kind`: query, command, auth_metadata, queued_ingest. `code`: the HTTP status, 0 when none arrived.
    void AdxRequest(std::string_view kind, int code);
    void TokenRefresh(bool ok);
    void RunRejected(std::string_view reason);
    void HistoryPruned(double runs);

  private:
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& pipeline_runs_;
    prometheus::Family<prometheus::Histogram>& pipeline_duration_;
    prometheus::Family<prometheus::Counter>& activity_runs_;
    prometheus::Family<prometheus::Histogram>& activity_duration_;
    prometheus::Family<prometheus::Counter>& activity_retries_;
    prometheus::Family<prometheus::Counter>& copy_rows_;
    prometheus::Family<prometheus::Counter>& copy_bytes_;
    prometheus::Family<prometheus::Counter>& api_requests_;
    prometheus::Family<prometheus::Histogram>& api_duration_;
    prometheus::Family<prometheus::Counter>& adx_requests_;
    prometheus::Family<prometheus::Counter>& token_refreshes_;
    prometheus::Family<prometheus::Counter>& runs_rejected_;
    prometheus::Counter& history_pruned_;
    prometheus::Gauge& workers_busy_;
    prometheus::Gauge& workers_size_;
    prometheus::Counter& workers_busy_seconds_;
    prometheus::Gauge& queued_runs_;

    std::mutex workers_mu_;
    double last_busy_ = 0;
    std::chrono::steady_clock::time_point last_workers_change_ = std::chrono::steady_clock::now();
};

// Connectors are built by factories that know nothing of the daemon, so they reach the daemon's Metrics
// through this process-wide slot: the daemon installs its instance at start and removes it at stop. With
// nothing installed (unit tests, the emulator) the helpers below do nothing.
void InstallProcessMetrics(Metrics* metrics);
void UninstallProcessMetrics(Metrics* metrics);
Metrics* ProcessMetrics();

inline void CountAdxRequest(std::string_view kind, int code) {
    if (Metrics* m = ProcessMetrics()) m->AdxRequest(kind, code);
}

// Pass-through forms, so that a call site can count a Result-returning call without new statements.
template <class R>
R CountAdxRequest(std::string_view kind, int ok_code, R result) {
    CountAdxRequest(kind, result.ok() ? ok_code : 0);
    return result;
}
template <class R>
R CountTokenRefresh(R result) {
    if (Metrics* m = ProcessMetrics()) m->TokenRefresh(result.ok());
    return result;
}

}  // namespace adxflow
