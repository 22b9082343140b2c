#include "core/cancel.hpp"

namespace adxflow {

Error CancellationToken::reason() const {
    std::lock_guard g(state_->mu);
    if (!state_->cancelled) return MakeError(ErrorKind::kCancelled, "cancel", "not cancelled");
    return state_->reason;
}

void CancellationToken::Cancel(Error reason) const {
    {
        std::lock_guard g(state_->mu);
        if (state_->cancelled) return;
        state_->reason = std::move(reason);
        state_->cancelled.store(true, std::memory_order_release);
    }
    state_->cv.notify_all();
}

Status CancellationToken::SleepFor(Clock& clock, std::chrono::nanoseconds duration) const {
    const TimePoint deadline = clock.Now() + std::chrono::duration_cast<TimePoint::duration>(duration);
    std::unique_lock lock(state_->mu);
    while (!state_->cancelled && clock.Now() < deadline) clock.WaitUntil(lock, state_->cv, deadline);
    if (state_->cancelled) return state_->reason;
    return Ok();
}

}  // namespace adxflow
