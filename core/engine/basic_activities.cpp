// Executors for activities that need no connector, and the table of built-in executors.
#include <cmath>

#include "core/engine/activity.hpp"
#include "core/engine/control_activities.hpp"
#include "core/engine/copy_activity.hpp"

namespace adxflow::engine {

namespace {

// ADF's Wait: sleeps waitTimeInSeconds on the engine's clock; cancel and timeout wake it at once.
class WaitExecutor final : public ActivityExecutor {
  public:
    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        auto tp = EvaluateTypeProperties(task);
        if (!tp.ok()) {
            result.output = std::move(tp).error();
            return result;
        }
        result.input = *tp;
        const Json* seconds = FindMember(*tp, "waitTimeInSeconds");
        auto value = seconds ? AsNumber(*seconds) : std::nullopt;
        if (!value || *value < 0 || !std::isfinite(*value)) {
            result.output = MakeError(ErrorKind::kInvalidInput, "wait",
                                      "typeProperties.waitTimeInSeconds must be a number of seconds >= 0",
                                      "InvalidWaitTime", task.activity_name);
            return result;
        }
        auto status = task.op.cancel.SleepFor(
            *task.op.clock,
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(*value)));
        if (!status.ok()) {
            result.output = std::move(status).error();
            return result;
        }
        result.output = Json::object();
        return result;
    }
};

}  // namespace

std::map<std::string, std::unique_ptr<ActivityExecutor>> BuiltinExecutors() {
    std::map<std::string, std::unique_ptr<ActivityExecutor>> out;
    out["wait"] = std::make_unique<WaitExecutor>();
    out["copy"] = MakeCopyExecutor();
    out["lookup"] = MakeLookupExecutor();
    AddControlExecutors(out);
    return out;
}

}  // namespace adxflow::engine
