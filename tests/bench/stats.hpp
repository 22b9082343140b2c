#pragma once
// Order statistics for the benchmark report: the spread of repeated runs and latency percentiles.

#include <algorithm>
#include <cmath>
#include <vector>

namespace adxflow::bench {

// Median, min and max of repeated measurements of one figure (the report's "median [min..max]").
struct Spread {
    double median = 0;
    double min = 0;
    double max = 0;
};

inline Spread SpreadOf(std::vector<double> values) {
    Spread s;
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    s.min = values.front();
    s.max = values.back();
    return s;
}

// Nearest-rank percentile (p in 0..100): the smallest value with at least p % of the values at or below it.
template <typename T>
double Percentile(std::vector<T> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    rank = std::clamp<size_t>(rank, 1, values.size());
    return static_cast<double>(values[rank - 1]);
}

}  // namespace adxflow::bench
