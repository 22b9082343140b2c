#pragma once
// Every metric family the daemon exports, declared once: name (adxflow_ prefix, unit in the name), help,
// labels. Labels take values from small fixed sets (statuses, activity types, HTTP codes), never ids.
// Documented in docs/metrics.md.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace adxflow {

class Metrics {
  public:
    Metrics();
    prometheus::Registry& registry() { return *registry_; }
    std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

    void PipelineRunFinished(const std::string& status);
    void ActivityRunFinished(const std::string& type, const std::string& status, double seconds);
    void ActivityRetried(const std::string& type, const std::string& reason);
    // A Copy that succeeded: rows and bytes written are the sink connector's, bytes read the source's.
    void RowsCopied(const std::string& source_connector, const std::string& sink_connector, double rows,
                    double bytes_read, double bytes_written);
    void ApiRequest(const std::string& method, int code, double seconds);
    void SetWorkers(double busy, double size);
    void SetQueueDepth(double queued_runs);

  private:
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& pipeline_runs_;
    prometheus::Family<prometheus::Counter>& activity_runs_;
    prometheus::Family<prometheus::Histogram>& activity_duration_;
    prometheus::Family<prometheus::Counter>& activity_retries_;
    prometheus::Family<prometheus::Counter>& copy_rows_;
    prometheus::Family<prometheus::Counter>& copy_bytes_;
    prometheus::Family<prometheus::Counter>& api_requests_;
    prometheus::Family<prometheus::Histogram>& api_duration_;
    prometheus::Gauge& workers_busy_;
    prometheus::Gauge& workers_size_;
    prometheus::Gauge& queued_runs_;
};

}  // namespace adxflow
