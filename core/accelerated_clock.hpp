#pragma once
// A clock for whole-daemon tests of schedules: it starts at a chosen instant and runs `speed` times faster
// than real time (speed 3600: an hour per second), so that 48 hourly tumbling windows pass in under a
// minute through the real adxflowd. Waits are real waits, scaled. Only enabled by test-only settings (see
// docs/configuration.md: test_clock_start, test_clock_speed).

#include "core/time.hpp"

namespace adxflow {

class AcceleratedClock final : public Clock {
  public:
    AcceleratedClock(TimePoint start, double speed);
    TimePoint Now() const override;
    void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                   TimePoint deadline) override;

  private:
    TimePoint start_;
    double speed_;
    std::chrono::steady_clock::time_point origin_;
};

}  // namespace adxflow
