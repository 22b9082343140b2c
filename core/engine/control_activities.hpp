#pragma once
// Executors of the control activities that run on a worker (SetVariable, AppendVariable, Filter, Fail).
// ForEach, IfCondition, Switch and Until run on the scheduler thread (engine_containers.cpp).

#include <map>
#include <memory>
#include <string>

#include "core/engine/activity.hpp"

namespace adxflow::engine {

void AddControlExecutors(std::map<std::string, std::unique_ptr<ActivityExecutor>>& executors);

}  // namespace adxflow::engine
