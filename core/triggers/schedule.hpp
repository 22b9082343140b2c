#pragma once
// When a ScheduleTrigger fires. ADF's rules: without a schedule the occurrences are startTime + k*interval;
// a schedule expands or restricts each period (week -> month day -> weekday -> hour -> minute) and hours
// or minutes it leaves out default to startTime's. DST rule: frequencies of a Day or longer keep the
// wall-clock time in the trigger's zone; Minute and Hour keep fixed intervals in absolute time.

#include <optional>

#include "core/triggers/trigger_spec.hpp"

namespace adxflow::triggers {

// The first occurrence at or after `t` (UTC), or nullopt when none is left before endTime.
std::optional<TimePoint> FirstOccurrenceAtOrAfter(const ScheduleSpec& spec, TimePoint t);

}  // namespace adxflow::triggers
