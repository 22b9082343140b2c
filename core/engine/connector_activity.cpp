// Activities owned by a connector (AzureDataExplorerCommand): the engine resolves the linked service the
// activity names and hands over; the connector does the work and shapes the output.
#include "core/connector_slots.hpp"
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
        ADXFLOW_ASSIGN_OR_RETURN(auto slot, AcquireSlots(task.services->connector_env.slots,
                                                         {spec.linked_service_type}, task.op.cancel));
        return connector_.run_activity(spec, tp, task.op);
    }

    const ConnectorDescriptor& connector_;
};

}  // namespace

Result<Json> TestLinkedService(const ExecutionServices& services, const std::string& name,
                               const Json& parameters) {
    ActivityTask task;
    task.run_id = "test-connection";
    task.activity_name = "TestConnection";
    task.services = &services;
    task.op.clock = services.clock;
    ADXFLOW_ASSIGN_OR_RETURN(Json globals, services.definitions->GetGlobalParameters());
    Json global_values = Json::object();
    if (globals.is_object())
        for (const auto& [key, value] : globals.items())
            global_values[key] = value.is_object() && value.contains("value") ? value["value"] : value;
    task.eval.pipeline = {
        {"DataFactory", ""}, {"parameters", Json::object()}, {"globalParameters", global_values}};
    EndpointSpec spec;
    Json reference = {
        {"referenceName", name}, {"type", "LinkedServiceReference"}, {"parameters", parameters}};
    ADXFLOW_TRY(ResolveLinkedService(task, reference, task.eval, spec));
    const ConnectorDescriptor* connector = services.connectors->ForLinkedService(spec.linked_service_type);
    if (!connector || !connector->test_connection)
        return MakeError(ErrorKind::kUnsupported, "test_connection",
                         "linked services of type '" + spec.linked_service_type + "' have no connection test",
                         "TestConnectionUnsupported");
    Json steps = connector->test_connection(spec, task.op);
    Json out = {
        {"linkedService", name}, {"type", spec.linked_service_type}, {"steps", steps}, {"succeeded", true}};
    for (const auto& step : steps) {
        if (step.value("status", "") == "Failed") {
            out["succeeded"] = false;
            out["failedStep"] = step.value("name", "");
            break;
        }
    }
    return out;
}

std::unique_ptr<ActivityExecutor> MakeConnectorActivityExecutor(const ConnectorDescriptor& connector) {
    return std::make_unique<ConnectorActivityExecutor>(connector);
}

}  // namespace adxflow::engine
