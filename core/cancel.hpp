#pragma once
// Cooperative cancellation. The engine cancels an activity (user cancel, timeout, shutdown) through its
// token; long-running work polls `cancelled()` between batches and blocking waits use SleepFor, which wakes
// as soon as the token fires.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.hpp"
#include "core/time.hpp"

namespace adxflow {

class CancellationToken {
public:
    CancellationToken() : state_(std::make_shared<State>()) {}

    bool cancelled() const { return state_->cancelled.load(std::memory_order_acquire); }
    // The reason given to Cancel(); kCancelled with a generic message when not cancelled.
    Error reason() const;
    // First caller wins; later reasons are ignored so that "timed out" is not overwritten by a shutdown.
    void Cancel(Error reason) const;
    // Sleep on `clock` for `duration` unless cancelled first; returns the reason when cancelled.
    Status SleepFor(Clock& clock, std::chrono::nanoseconds duration) const;

private:
    struct State {
        std::atomic<bool> cancelled{false};
        mutable std::mutex mu;
        std::condition_variable cv;
        Error reason;
    };
    std::shared_ptr<State> state_;
};

}  // namespace adxflow
