#pragma once
// Time: an injectable clock (so tests of timeouts, retries and triggers run on simulated time), ADF's
// timestamp format, and ADF timespans ("d.hh:mm:ss").

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace adxflow {

using TimePoint = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint Now() const = 0;
    // Waits on `cv` (with `lock` held by the caller) until notified or until `deadline` on this clock.
    // May return early (spurious wake-ups, or a simulated clock advancing): callers re-check their state.
    virtual void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                           TimePoint deadline) = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint Now() const override { return std::chrono::system_clock::now(); }
    void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint deadline) override;
    static SystemClock& Instance();
};

// Time moves only when a test calls Advance() or Set(); every waiter is woken to re-check its deadline.
class SimulatedClock final : public Clock {
public:
    explicit SimulatedClock(TimePoint start);
    TimePoint Now() const override;
    void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint deadline) override;
    void Advance(std::chrono::nanoseconds by);
    void Set(TimePoint to);

private:
    void WakeAll();
    mutable std::mutex mu_;
    TimePoint now_;
    std::multiset<std::condition_variable*> waiters_;
};

// "2018-06-16T00:37:44.6257014Z": ISO 8601 UTC with 7 fractional digits, as ADF writes run times.
std::string FormatTimestamp(TimePoint t);
// Accepts ISO 8601 with or without fraction, 'Z' or a +hh:mm offset, and a date alone.
std::optional<TimePoint> ParseTimestamp(std::string_view text);

// ADF timespan "[d.]hh:mm:ss[.fffffff]". Errors name the text.
Result<Millis> ParseTimespan(std::string_view text);
std::string FormatTimespan(Millis span);

}  // namespace adxflow
