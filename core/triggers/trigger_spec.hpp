#pragma once
// Trigger definitions (ADF's ScheduleTrigger and TumblingWindowTrigger JSON) parsed into typed specs.
// Parsing is the validation done at PUT: every error is kInvalidInput whose target is the JSON path
// ("properties.typeProperties.recurrence.frequency").

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "core/triggers/time_zone.hpp"

namespace adxflow::triggers {

enum class Frequency { kMinute, kHour, kDay, kWeek, kMonth };
const char* ToString(Frequency f);

struct PipelineTarget {
    std::string pipeline;
    Json parameters = Json::object();  // values may be expressions over trigger()
};

struct MonthlyOccurrence {
    int weekday = 0;     // Sunday = 0
    int occurrence = 0;  // 1..5, -1..-5 from the end, 0 = every such weekday of the month
};

struct ScheduleSpec {
    Frequency frequency = Frequency::kDay;
    int interval = 1;
    std::shared_ptr<const Zone> zone;
    TimePoint start_local{};  // wall-clock time in `zone`
    std::optional<TimePoint> end_local;
    bool has_schedule = false;
    std::vector<int> minutes, hours, week_days, month_days;
    std::vector<MonthlyOccurrence> monthly_occurrences;
};

struct WindowDependency {
    bool self = false;
    std::string trigger;  // referenceTrigger.referenceName (not for self)
    Millis offset{0};
    std::optional<Millis> size;  // default: the dependent window's size
};

struct TumblingSpec {
    Frequency frequency = Frequency::kHour;  // Minute, Hour or Month
    int interval = 1;
    TimePoint start{};
    std::optional<TimePoint> end;
    Millis delay{0};
    int max_concurrency = 1;
    int retry_count = 0;
    int retry_interval_secs = 30;
    std::vector<WindowDependency> depends_on;

    // Window k is [WindowStart(k), WindowStart(k + 1)).
    TimePoint WindowStart(long long k) const;
    // Index of the window containing `t` (may be negative before start).
    long long WindowIndexAt(TimePoint t) const;
};

struct TriggerSpec {
    std::string type;  // "ScheduleTrigger" or "TumblingWindowTrigger"
    std::optional<ScheduleSpec> schedule;
    std::optional<TumblingSpec> tumbling;
    std::vector<PipelineTarget> pipelines;  // tumbling: exactly one
};

inline constexpr const char* kScheduleTrigger = "ScheduleTrigger";
inline constexpr const char* kTumblingWindowTrigger = "TumblingWindowTrigger";

// `properties` is the trigger's properties object.
Result<TriggerSpec> ParseTrigger(const Json& properties);

}  // namespace adxflow::triggers
