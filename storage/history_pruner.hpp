#pragma once
// Run-history retention in the background: at start and every `interval`, deletes finished runs last
// updated more than `retention` ago, `batch_runs` per transaction with a pause between batches, so that the
// scheduler's and the API's writes wait for at most one small batch (docs/operations.md, "History").

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "storage/store.hpp"

namespace adxflow::storage {

struct HistoryPrunerOptions {
    std::chrono::milliseconds retention{std::chrono::hours(24 * 90)};
    std::chrono::milliseconds interval{std::chrono::hours(1)};
    size_t batch_runs = 500;
    // Between two batches of one pass: the writer lock is free for this long at least.
    std::chrono::milliseconds pause{20};
    std::function<void(size_t runs)> on_pruned;  // after each non-empty batch (metrics)
};

class HistoryPruner {
  public:
    HistoryPruner(Store& store, HistoryPrunerOptions options);
    ~HistoryPruner();
    HistoryPruner(const HistoryPruner&) = delete;
    HistoryPruner& operator=(const HistoryPruner&) = delete;

    void Start();
    void Stop();  // waits for the batch in progress, if any, then returns
    // One whole pass on the calling thread (tests, and the thread's body): the runs deleted.
    Result<size_t> PruneOnce();

  private:
    void Loop();
    Result<size_t> Pass(bool background);     // background: pauses between batches and stops on Stop()
    bool Sleep(std::chrono::milliseconds d);  // false when stopping

    Store& store_;
    HistoryPrunerOptions options_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace adxflow::storage
