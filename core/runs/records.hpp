#pragma once
// Run records as ADF reports them, and the persistence interfaces the engine needs. core/ knows no SQL:
// storage/ implements RunRepository and DefinitionSource on SQLite.

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace adxflow::engine {

// ADF status strings, used verbatim in records and the API.
namespace status {
inline constexpr const char* kQueued = "Queued";
inline constexpr const char* kInProgress = "InProgress";
inline constexpr const char* kSucceeded = "Succeeded";
inline constexpr const char* kFailed = "Failed";
inline constexpr const char* kCanceling = "Canceling";
inline constexpr const char* kCancelled = "Cancelled";
inline constexpr const char* kSkipped = "Skipped";
}  // namespace status

bool IsTerminalRunStatus(std::string_view status);

struct PipelineRun {
    std::string run_id;
    std::string run_group_id;
    bool is_latest = true;
    std::string pipeline_name;
    Json parameters = Json::object();  // bound values, typed (the API renders them as strings, as ADF does)
    Json invoked_by = Json::object();  // {"id","name","invokedByType"}
    std::optional<TimePoint> run_start;
    std::optional<TimePoint> run_end;
    std::string status = status::kQueued;
    std::string message;
    TimePoint last_updated{};
    Json pipeline = Json::object();  // the pipeline's properties as they were when the run was created
    bool cancel_requested = false;
    int64_t sequence = 0;  // creation order, assigned by the repository
    // Engine state that must survive a restart mid-run: {"variables": {...}, "pipelineReturnValue": {...}}.
    // Null until the first SetVariable/AppendVariable; the run then resumes with these values.
    Json run_state = nullptr;

    std::optional<int64_t> duration_ms() const;
};

struct ActivityRun {
    std::string activity_run_id;
    std::string run_id;
    std::string pipeline_name;
    std::string activity_name;
    std::string activity_type;
    std::string status = status::kQueued;
    int attempt = 0;  // 0 for the first attempt; ADF's retryAttempt is null for it
    std::optional<TimePoint> start;
    std::optional<TimePoint> end;
    std::optional<TimePoint> not_before;  // a queued retry waits until then
    Json input = nullptr;
    Json output = nullptr;
    Json error = nullptr;       // {"errorCode","message","failureType","target"}
    Json checkpoint = nullptr;  // opaque sink checkpoint of the last committed chunk
    std::string linked_service_name;
    TimePoint last_updated{};

    std::optional<int64_t> duration_ms() const;
};

// RunFilterParameters of queryPipelineRuns / queryActivityruns, already parsed.
struct RunFilter {
    TimePoint last_updated_after{};
    TimePoint last_updated_before{};
    struct Condition {
        std::string operand;  // PipelineName, Status, RunGroupId, LatestOnly, ActivityName, ActivityType, ...
        std::string op;       // Equals, NotEquals, In, NotIn
        std::vector<std::string> values;
    };
    std::vector<Condition> conditions;
    std::string order_by = "RunStart";  // RunStart, RunEnd, PipelineName, Status, ActivityName, ...
    bool descending = true;
    size_t limit = 100;
    std::string continuation;  // opaque token from a previous page
};

struct RunPage {
    std::vector<PipelineRun> runs;
    std::string continuation;  // empty on the last page
};

// Durable run state. Implementations must be safe to call from several threads.
class RunRepository {
  public:
    virtual ~RunRepository() = default;
    virtual Status InsertPipelineRun(PipelineRun& run) = 0;  // assigns run.sequence
    virtual Status UpdatePipelineRun(const PipelineRun& run) = 0;
    virtual Result<std::optional<PipelineRun>> GetPipelineRun(const std::string& run_id) = 0;
    virtual Result<std::vector<PipelineRun>> LoadUnfinishedRuns() = 0;
    // Mark every other run of the group not latest (recovery reruns move `isLatest`).
    virtual Status InsertActivityRun(const ActivityRun& run) = 0;
    virtual Status UpdateActivityRun(const ActivityRun& run) = 0;
    virtual Status SaveCheckpoint(const std::string& activity_run_id, const Json& checkpoint) = 0;
    virtual Result<std::vector<ActivityRun>> LoadActivityRuns(const std::string& run_id) = 0;

    // Group commit. Between BeginWriteBatch and EndWriteBatch, the writes of the calling thread share one
    // transaction, and other threads' writes wait. The scheduler wraps each pass of its loop in a batch, so a
    // burst of runs costs one commit per pass instead of five per run. Repositories without transactions
    // keep the default (each write stands alone).
    virtual void BeginWriteBatch() {}
    virtual Status EndWriteBatch() { return Ok(); }
};

// Resource definitions as the engine needs them at activity start: secrets already decrypted.
class DefinitionSource {
  public:
    virtual ~DefinitionSource() = default;
    // The resource's "properties" object; kNotFound naming kind and name when absent.
    virtual Result<Json> GetLinkedService(const std::string& name) = 0;
    virtual Result<Json> GetDataset(const std::string& name) = 0;
    virtual Result<Json> GetGlobalParameters() = 0;  // {name: {type, value}}
    // A pipeline's "properties" (ExecutePipeline starts a run of it).
    virtual Result<Json> GetPipeline(const std::string& name) {
        return MakeError(ErrorKind::kNotFound, "definitions.get", "pipeline '" + name + "' not found",
                         "PipelineNotFound");
    }
    // A credential resource's "properties" (ManagedIdentity credentials of linked services).
    virtual Result<Json> GetCredential(const std::string& name) {
        return MakeError(ErrorKind::kNotFound, "definitions.get", "credential '" + name + "' not found",
                         "CredentialNotFound");
    }
};

}  // namespace adxflow::engine
