#pragma once
#include <memory>

#include "core/engine/activity.hpp"

namespace adxflow::engine {
// Copy: source -> column mapping -> sink, in checkpointed chunks (see copy_activity.cpp).
std::unique_ptr<ActivityExecutor> MakeCopyExecutor();
// Lookup: the first row, or up to 5,000 rows, of a source as JSON.
std::unique_ptr<ActivityExecutor> MakeLookupExecutor();

// Lookup limits, as ADF documents them.
inline constexpr size_t kLookupMaxRows = 5000;
inline constexpr size_t kLookupMaxBytes = 4 * 1024 * 1024;

// A cell as JSON, keeping the column's type (numbers stay numbers, dynamic becomes JSON).
Json ValueToJson(const Value& value, ColumnType type);
}  // namespace adxflow::engine
