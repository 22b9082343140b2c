#pragma once
// AzureDataExplorerSource: runs the KQL query and streams its primary result as row batches.
//
// The HTTP client pushes the body as it arrives; the source's Next() pulls. A producer thread therefore
// runs the request and parses it (kusto::V2StreamParser), handing batches through a queue of a few
// batches: memory is bounded by the batch size whatever the result size, and parsing overlaps with the
// sink's writing on the other core. A truncated result (the service's 500,000-record / 64 MB limit with
// noTruncation false) fails with ResultTruncated instead of ending as a short copy.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "connectors/adx/adx_linked_service.hpp"
#include "core/contract.hpp"

namespace adxflow::adx {

struct AdxSourceSettings {
    std::string query;
    std::chrono::milliseconds query_timeout{std::chrono::minutes(10)};
    bool no_truncation = false;
};

// Reads `query` (required unless the dataset names a table), `queryTimeout` (default 00:10:00, at most
// 01:00:00) and `noTruncation` from the Copy source / Lookup source; `table` of the dataset is the query
// when the source has none.
Result<AdxSourceSettings> ParseSourceSettings(const Json& source, const Json& dataset);

class AdxSource final : public Source {
  public:
    AdxSource(std::shared_ptr<KustoClient> client, std::string database, AdxSourceSettings settings);
    ~AdxSource() override;

    Result<Schema> Open(const OpContext& ctx) override;
    Result<bool> Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) override;
    SourceStats stats() const override;
    const KustoCallInfo& call_info() const { return call_; }

  private:
    class Handler;
    void Produce();

    std::shared_ptr<KustoClient> client_;
    std::string database_;
    AdxSourceSettings settings_;
    CancellationToken stop_;  // the producer's token: the activity's cancel, or our destructor
    std::thread producer_;
    const std::string request_id_;  // x-ms-client-request-id of the query, for .cancel query

    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool schema_known_ = false;
    Schema schema_;
    std::deque<RowBatch> ready_;
    std::vector<RowBatch> spare_;  // emptied batches handed back to the producer for reuse
    bool finished_ = false;
    std::optional<Error> error_;
    SourceStats stats_;
    KustoCallInfo call_;
    size_t batch_rows_ = 4096;
};

}  // namespace adxflow::adx
