#include "core/retry.hpp"

#include <algorithm>

namespace adxflow {

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int failures, std::mt19937_64& rng) {
    const int shift = std::clamp(failures - 1, 0, 20);
    const int64_t ceiling = std::min<int64_t>(policy.max_delay.count(), policy.base_delay.count() << shift);
    if (ceiling <= 0) return std::chrono::milliseconds(0);
    std::uniform_int_distribution<int64_t> pick(0, ceiling - 1);
    return std::chrono::milliseconds(pick(rng));
}

}  // namespace adxflow
