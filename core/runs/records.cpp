#include "core/runs/records.hpp"

namespace adxflow::engine {

bool IsTerminalRunStatus(std::string_view s) {
    return s == status::kSucceeded || s == status::kFailed || s == status::kCancelled || s == status::kSkipped;
}

namespace {
std::optional<int64_t> Duration(const std::optional<TimePoint>& a, const std::optional<TimePoint>& b) {
    if (!a || !b) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*b - *a).count();
}
}  // namespace

std::optional<int64_t> PipelineRun::duration_ms() const { return Duration(run_start, run_end); }
std::optional<int64_t> ActivityRun::duration_ms() const { return Duration(start, end); }

}  // namespace adxflow::engine
