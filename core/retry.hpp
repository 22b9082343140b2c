#pragma once
// The connectors' one retry policy: exponential backoff with full jitter, an attempt cap and a total
// deadline, fed by the Error classification (kTransient and kTimeout retry; everything else is permanent
// and fails at once). A server's Retry-After, when given, replaces the computed wait (still capped by the
// deadline). Request-level only: the engine's ADF retry (activity policy.retry) sits above it.

#include <chrono>
#include <functional>
#include <random>
#include <string>

#include "core/cancel.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

namespace adxflow {

struct RetryPolicy {
    int max_attempts = 4;                              // first try included
    std::chrono::milliseconds base_delay{500};         // the first backoff's upper bound
    std::chrono::milliseconds max_delay{30000};        // cap on one backoff
    std::chrono::milliseconds total_deadline{120000};  // no new attempt starts after this
    // kTimeout is transient in general, but a query that hit its own queryTimeout would only hit it again.
    bool retry_timeouts = true;
};

// The wait before attempt `attempt` (1-based count of failures so far): uniform in [0, min(cap, base*2^n)).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int failures, std::mt19937_64& rng);

// Runs `call` until it succeeds, fails permanently, runs out of attempts or deadline, or `cancel` fires.
// `on_retry` hears about each retried failure (for logs and metrics). The last error is returned as is.
template <class T>
Result<T> WithRetries(
    const RetryPolicy& policy, const CancellationToken& cancel, Clock& clock,
    const std::function<Result<T>()>& call,
    const std::function<void(const Error&, int attempt, std::chrono::milliseconds wait)>& on_retry = {}) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const auto started = clock.Now();
    for (int attempt = 1;; ++attempt) {
        Result<T> r = call();
        if (r.ok() || r.error().permanent() || attempt >= policy.max_attempts || cancel.cancelled()) return r;
        if (!policy.retry_timeouts && r.error().kind == ErrorKind::kTimeout) return r;
        auto wait = r.error().retry_after ? *r.error().retry_after : BackoffDelay(policy, attempt, rng);
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - started);
        if (elapsed + wait > policy.total_deadline) return r;
        if (on_retry) on_retry(r.error(), attempt, wait);
        Status slept = cancel.SleepFor(clock, std::chrono::duration_cast<std::chrono::nanoseconds>(wait));
        if (!slept.ok()) return std::move(slept).error();
    }
}

}  // namespace adxflow
