#pragma once
// What a worker gets to execute one attempt of one activity, and the executors per activity type.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/contract.hpp"
#include "core/expr/expr.hpp"
#include "core/runs/records.hpp"

namespace adxflow::engine {

// Services shared by every attempt; owned by the Engine.
struct ExecutionServices {
    DefinitionSource* definitions = nullptr;
    const ConnectorRegistry* connectors = nullptr;
    ConnectorEnv connector_env;
    Clock* clock = &SystemClock::Instance();
    size_t default_chunk_rows = 100000;  // rows per committed sink chunk unless the sink says writeBatchSize
    size_t batch_rows = 10000;           // rows per source batch
};

struct ActivityTask {
    std::string run_id;
    std::string activity_run_id;
    std::string pipeline_name;
    std::string activity_name;
    std::string activity_type;
    int attempt = 0;
    Json definition;         // the activity's JSON from the pipeline
    expr::EvalContext eval;  // snapshot of what expressions may see (pipeline(), activity(), variables)
    Json checkpoint;         // the last persisted checkpoint of this activity (null on a fresh start)
    OpContext op;            // cancellation (user cancel, timeout, shutdown) and clock
    std::function<Status(const Json&)> save_checkpoint;  // persists a checkpoint before the next chunk
    const ExecutionServices* services = nullptr;
};

struct ActivityResult {
    Json input = nullptr;  // evaluated typeProperties, for the activity-run record
    Result<Json> output = Json::object();
    // SetVariable / AppendVariable: what to change in the run's variables, applied by the scheduler thread
    // (variables are run state): {"name", "value", "append": bool} or {"pipelineReturnValue": {...}}.
    Json variable_update = nullptr;
};

class ActivityExecutor {
  public:
    virtual ~ActivityExecutor() = default;
    virtual ActivityResult Execute(ActivityTask& task) = 0;
};

// Activity types this engine runs, keyed by lower-cased type name.
std::map<std::string, std::unique_ptr<ActivityExecutor>> BuiltinExecutors();

// Helpers shared by executors.
// Evaluates the activity's typeProperties (expressions resolved); errors name the activity.
Result<Json> EvaluateTypeProperties(const ActivityTask& task);
// Resolves a DatasetReference ({referenceName, parameters}) into a connector endpoint: dataset and linked
// service loaded, their parameters bound, their expressions evaluated. `settings` is the Copy source/sink.
Result<EndpointSpec> ResolveEndpoint(const ActivityTask& task, const Json& dataset_reference,
                                     const Json& settings, std::string_view path);

// Resolves a LinkedServiceReference ({referenceName, parameters}) with `ctx` (the activity's or a dataset's
// expression context) into `spec`: parameters bound, expressions evaluated, Key Vault and credential
// references inlined.
Status ResolveLinkedService(const ActivityTask& task, const Json& reference, const expr::EvalContext& ctx,
                            EndpointSpec& spec);

// Resolves linked service `name` (parameters bound to `parameters` and their defaults, expressions
// evaluated with the factory's global parameters, references inlined) and runs its connector's
// test_connection. The result: {"linkedService", "type", "succeeded", "failedStep"?, "steps": [...]}.
Result<Json> TestLinkedService(const ExecutionServices& services, const std::string& name,
                               const Json& parameters);

// Executors for the activity types connectors own (ConnectorDescriptor::activity_types).
std::unique_ptr<ActivityExecutor> MakeConnectorActivityExecutor(const ConnectorDescriptor& connector);

}  // namespace adxflow::engine
