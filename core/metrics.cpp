#include "core/metrics.hpp"

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
}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      pipeline_runs_(BuildCounter()
                         .Name("adxflow_pipeline_runs_total")
                         .Help("Pipeline runs that reached a final status, by status")
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
      queued_runs_(BuildGauge()
                       .Name("adxflow_queued_pipeline_runs")
                       .Help("Pipeline runs accepted and waiting for a run slot")
                       .Register(*registry_)
                       .Add({})) {}

void Metrics::PipelineRunFinished(const std::string& status) {
    pipeline_runs_.Add({{"status", status}}).Increment();
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
    api_requests_.Add({{"method", method}, {"code", std::to_string(code)}}).Increment();
    api_duration_.Add({{"method", method}}, kApiBuckets).Observe(seconds);
}

void Metrics::SetWorkers(double busy, double size) {
    workers_busy_.Set(busy);
    workers_size_.Set(size);
}

void Metrics::SetQueueDepth(double queued_runs) {
    queued_runs_.Set(queued_runs);
}

}  // namespace adxflow
