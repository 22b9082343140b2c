// Activities owned by a connector (AzureDataExplorerCommand): the engine resolves the linked service the
// activity names and hands over; the connector does the work and shapes the output.
#include "core/engine/activity.hpp"

namespace adxflow::engine {

namespace {

class ConnectorActivityExecutor final : public ActivityExecutor {
  public:
    explicit ConnectorActivityExecutor(const ConnectorDescriptor& connector) : connector_(connector) {}

    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        auto tp = EvaluateTypeProperties(task);
        if (!tp.ok()) {
            result.output = std::move(tp).error();
            return result;
        }
        result.input = *tp;
        result.output = Run(task, *tp);
        if (!result.output.ok()) {
            Error e = std::move(result.output).error();
            if (e.target.empty()) e.target = task.activity_name;
            result.output = std::move(e);
        }
        return result;
    }

  private:
    Result<Json> Run(ActivityTask& task, const Json& tp) {
        const Json* reference = FindMember(task.definition, "linkedServiceName");
        if (!reference)
            return MakeError(ErrorKind::kInvalidInput, "activity.resolve",
                             "linkedServiceName is required for a " + connector_.name + " activity",
                             "InvalidActivityDefinition", task.activity_name);
        EndpointSpec spec;
        ADXFLOW_TRY(ResolveLinkedService(task, *reference, task.eval, spec));
        if (!connector_.KnowsLinkedService(spec.linked_service_type))
            return MakeError(ErrorKind::kInvalidInput, "activity.resolve",
                             "linkedServiceName: a linked service of type '" + spec.linked_service_type +
                                 "' cannot run this activity",
                             "InvalidReference", task.activity_name);
        return connector_.run_activity(spec, tp, task.op);
    }

    const ConnectorDescriptor& connector_;
};

}  // namespace

std::unique_ptr<ActivityExecutor> MakeConnectorActivityExecutor(const ConnectorDescriptor& connector) {
    return std::make_unique<ConnectorActivityExecutor>(connector);
}

}  // namespace adxflow::engine
