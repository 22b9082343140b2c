#include "core/metrics.hpp"

#include <array>

namespace adxflow {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

namespace {
// Activity durations span milliseconds (a Wait of 0 s) to hours (a large Copy).
const prometheus::Histogram::BucketBoundaries kActivityBuckets = {0.001, 0.01, 0.1, 0.5,  1,     5,    15,
                                                                  60,    300,  900, 3600, 14400, 86400};
const prometheus::Histogram::BucketBoundaries kApiBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,   0.1,   0.25,   0.5,   1,    5};

// Label values come from the network in two places (HTTP methods, status codes); anything outside the
// known set is folded so that a client cannot create series at will.
std::string MethodLabel(const std::string& method) {
    static constexpr std::array<std::string_view, 7> kKnown = {"GET",  "PUT",     "POST", "DELETE",
                                                               "HEAD", "OPTIONS", "PATCH"};
    for (auto known : kKnown)
        if (method == known) return method;
    return "other";
}

std::string CodeLabel(int code) {
    if (code <= 0) return "none";
    if (code < 100 || code > 599) return "other";
    return std::to_string(code);
}

std::atomic<Metrics*> g_process_metrics{nullptr};
}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      pipeline_runs_(BuildCounter()
                         .Name("adxflow_pipeline_runs_total")
                         .Help("Pipeline runs that reached a final status, by status")
                         .Register(*registry_)),
      pipeline_duration_(BuildHistogram()
                             .Name("adxflow_pipeline_run_duration_seconds")
                             .Help("Wall time of pipeline runs from start to final status, by status")
                             .Register(*registry_)),
      activity_runs_(BuildCounter()
                         .Name("adxflow_activity_runs_total")
                         .Help("Activity run attempts that ended, by activity type and status")
                         .Register(*registry_)),
      activity_duration_(BuildHistogram()
                             .Name("adxflow_activity_duration_seconds")
                             .Help("Duration of activity run attempts, by activity type")
                             .Register(*registry_)),
      activity_retries_(BuildCounter()
                            .Name("adxflow_activity_retries_total")
                            .Help("Activity attempts scheduled again, by activity type and reason")
                            .Register(*registry_)),
      copy_rows_(BuildCounter()
                     .Name("adxflow_copy_rows_total")
                     .Help("Rows copied by Copy activities, by sink connector")
                     .Register(*registry_)),
      copy_bytes_(BuildCounter()
                      .Name("adxflow_copy_bytes_total")
                      .Help("Bytes read from sources and written to sinks by Copy activities")
                      .Register(*registry_)),
      api_requests_(BuildCounter()
                        .Name("adxflow_api_requests_total")
                        .Help("HTTP API requests answered, by method and status code")
                        .Register(*registry_)),
      api_duration_(BuildHistogram()
                        .Name("adxflow_api_request_duration_seconds")
                        .Help("Time to answer HTTP API requests, by method")
                        .Register(*registry_)),
      adx_requests_(
          BuildCounter()
              .Name("adxflow_adx_requests_total")
              .Help("Requests to Azure Data Explorer, by kind and HTTP status code (none: no answer)")
              .Register(*registry_)),
      token_refreshes_(BuildCounter()
                           .Name("adxflow_token_refreshes_total")
                           .Help("Access tokens fetched from an identity endpoint, by outcome")
                           .Register(*registry_)),
      runs_rejected_(BuildCounter()
                         .Name("adxflow_pipeline_runs_rejected_total")
                         .Help("createRun requests refused before a run was created, by reason")
                         .Register(*registry_)),
      history_pruned_(BuildCounter()
                          .Name("adxflow_history_pruned_runs_total")
                          .Help("Finished pipeline runs deleted by history retention")
                          .Register(*registry_)
                          .Add({})),
      workers_busy_(BuildGauge()
                        .Name("adxflow_worker_pool_busy_workers")
                        .Help("Workers currently executing an activity")
                        .Register(*registry_)
                        .Add({})),
      workers_size_(BuildGauge()
                        .Name("adxflow_worker_pool_size_workers")
                        .Help("Workers in the pool")
                        .Register(*registry_)
                        .Add({})),
      workers_busy_seconds_(BuildCounter()
                                .Name("adxflow_worker_pool_busy_seconds_total")
                                .Help("Sum over workers of the time spent executing activities")
                                .Register(*registry_)
                                .Add({})),
      queued_runs_(BuildGauge()
                       .Name("adxflow_queued_pipeline_runs")
                       .Help("Pipeline runs accepted and waiting for a run slot")
                       .Register(*registry_)
                       .Add({})) {
    // Series that alerts and dashboards divide by exist from the start, at zero, so that rate() and ratios
    // have a value before the first run ends.
    for (const char* status : {"Succeeded", "Failed", "Cancelled"}) pipeline_runs_.Add({{"status", status}});
    for (const char* outcome : {"success", "failure"}) token_refreshes_.Add({{"outcome", outcome}});
    runs_rejected_.Add({{"reason", "queue_full"}});
}

void Metrics::PipelineRunFinished(const std::string& status) {
    pipeline_runs_.Add({{"status", status}}).Increment();
}

void Metrics::PipelineRunFinished(const std::string& status, double seconds) {
    PipelineRunFinished(status);
    pipeline_duration_.Add({{"status", status}}, kActivityBuckets).Observe(seconds);
}

void Metrics::ActivityRunFinished(const std::string& type, const std::string& status, double seconds) {
    activity_runs_.Add({{"type", type}, {"status", status}}).Increment();
    activity_duration_.Add({{"type", type}}, kActivityBuckets).Observe(seconds);
}

void Metrics::ActivityRetried(const std::string& type, const std::string& reason) {
    activity_retries_.Add({{"type", type}, {"reason", reason}}).Increment();
}

void Metrics::RowsCopied(const std::string& source_connector, const std::string& sink_connector, double rows,
                         double bytes_read, double bytes_written) {
    copy_rows_.Add({{"connector", sink_connector}}).Increment(rows);
    copy_bytes_.Add({{"connector", source_connector}, {"direction", "read"}}).Increment(bytes_read);
    copy_bytes_.Add({{"connector", sink_connector}, {"direction", "written"}}).Increment(bytes_written);
}

void Metrics::ApiRequest(const std::string& method, int code, double seconds) {
    const std::string m = MethodLabel(method);
    api_requests_.Add({{"method", m}, {"code", CodeLabel(code)}}).Increment();
    api_duration_.Add({{"method", m}}, kApiBuckets).Observe(seconds);
}

void Metrics::SetWorkers(double busy, double size) {
    {
        std::lock_guard lock(workers_mu_);
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - last_workers_change_).count();
        if (elapsed > 0) workers_busy_seconds_.Increment(last_busy_ * elapsed);
        last_busy_ = busy;
        last_workers_change_ = now;
    }
    workers_busy_.Set(busy);
    workers_size_.Set(size);
}

void Metrics::SetQueueDepth(double queued_runs) {
    queued_runs_.Set(queued_runs);
}

void Metrics::AdxRequest(std::string_view kind, int code) {
    adx_requests_.Add({{"kind", std::string(kind)}, {"code", CodeLabel(code)}}).Increment();
}

void Metrics::TokenRefresh(bool ok) {
    token_refreshes_.Add({{"outcome", ok ? "success" : "failure"}}).Increment();
}

void Metrics::RunRejected(std::string_view reason) {
    runs_rejected_.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::HistoryPruned(double runs) {
    history_pruned_.Increment(runs);
}

void InstallProcessMetrics(Metrics* metrics) {
    g_process_metrics.store(metrics);
}

void UninstallProcessMetrics(Metrics* metrics) {
    Metrics* expected = metrics;
    g_process_metrics.compare_exchange_strong(expected, nullptr);
}

Metrics* ProcessMetrics() {
    return g_process_metrics.load();
}

}  // namespace adxflow
