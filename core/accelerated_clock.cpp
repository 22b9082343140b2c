#include "core/accelerated_clock.hpp"

#include <algorithm>

namespace adxflow {

AcceleratedClock::AcceleratedClock(TimePoint start, double speed)
    : start_(start), speed_(std::max(speed, 1e-6)), origin_(std::chrono::steady_clock::now()) {}

TimePoint AcceleratedClock::Now() const {
    auto real = std::chrono::steady_clock::now() - origin_;
    return start_ +
           std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double, std::nano>(
               static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(real).count()) *
               speed_));
}

void AcceleratedClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                 TimePoint deadline) {
    const TimePoint now = Now();
    if (deadline <= now) return;
    // Scale the remaining simulated time to real time; very far deadlines (TimePoint::max) are capped at an
    // hour of real time, after which the caller re-checks anyway.
    const double remaining_ns = std::chrono::duration<double, std::nano>(deadline - now).count() / speed_;
    const double cap_ns = 3600e9;
    auto real = std::chrono::nanoseconds(static_cast<long long>(std::min(remaining_ns, cap_ns)));
    cv.wait_for(lock, real);
}

}  // namespace adxflow
