#include "connectors/adx/adx_command.hpp"

#include <spdlog/spdlog.h>

#include "core/engine/copy_activity.hpp"

namespace adxflow::adx {

namespace {

constexpr std::chrono::minutes kDefaultCommandTimeout{20};
constexpr std::chrono::minutes kMaxCommandTimeout{60};
// ADF caps what an activity output may hold; a command listing millions of extents must not fill memory.
constexpr size_t kMaxOutputRows = 5000;

// Keeps the first table of the answer as typed JSON rows (longs as numbers, datetimes as ISO text).
class FirstTable final : public kusto::ResponseHandler {
  public:
    Status OnTableStart(const kusto::TableInfo& table) override {
        if (!first_) {
            first_ = table.id;
            schema_ = table.schema;
        }
        return Ok();
    }
    Status OnRows(const kusto::TableInfo& table, const RowBatch& rows) override {
        if (!first_ || table.id != *first_) return Ok();
        for (size_t r = 0; r < rows.rows(); ++r) {
            ++count_;
            if (value_.size() >= kMaxOutputRows) continue;
            Json obj = Json::object();
            for (size_t c = 0; c < schema_.size() && c < rows.width(); ++c)
                obj[schema_[c].name] = engine::ValueToJson(rows.Row(r)[c], schema_[c].type);
            value_.push_back(std::move(obj));
        }
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo& table, const std::vector<kusto::KustoError>& errors) override {
        if (first_ && table.id == *first_ && !errors.empty())
            return ErrorFromInBand(errors.front(), "the command");
        return Ok();
    }
    Json Output() const { return {{"count", count_}, {"value", value_}}; }

  private:
    std::optional<int> first_;
    Schema schema_;
    uint64_t count_ = 0;
    Json value_ = Json::array();
};

}  // namespace

Result<Json> RunAdxCommand(AdxServices& services, const AdxEnvironment& env,
                           const EndpointSpec& linked_service, const Json& tp, const OpContext& ctx) {
    auto invalid = [](const std::string& path, const std::string& message) {
        return MakeError(ErrorKind::kInvalidInput, "adx.command", path + ": " + message,
                         "InvalidCommandSettings", path);
    };
    const Json* command = FindMember(tp, "command");
    if (!command || !command->is_string() ||
        command->get_ref<const std::string&>().find_first_not_of(" \t\r\n") == std::string::npos)
        return invalid("typeProperties.command", "is required (a control command such as '.show tables')");
    std::chrono::milliseconds timeout = kDefaultCommandTimeout;
    if (const Json* t = FindMember(tp, "commandTimeout"); t && !t->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(timeout, ParseTimespan(*t, "typeProperties.commandTimeout"));
        if (timeout > kMaxCommandTimeout || timeout.count() <= 0)
            return invalid("typeProperties.commandTimeout", "must be between 00:00:01 and 01:00:00");
    }
    ADXFLOW_ASSIGN_OR_RETURN(AdxLinkedService ls, ParseAdxLinkedService(linked_service.linked_service));
    ADXFLOW_ASSIGN_OR_RETURN(auto credential, MakeCredential(ls.auth, services, env, &ctx.cancel));
    KustoClient client(services, std::move(credential), ls.endpoint);
    KustoRequest request;
    request.database = ls.database;
    request.csl = command->get<std::string>();
    request.options["servertimeout"] = FormatTimespan(timeout);
    request.client_timeout = timeout + std::chrono::seconds(30);
    spdlog::info("adx: run {} activity '{}' runs a command on {} database {}", ctx.run_id, ctx.activity_name,
                 ls.endpoint, ls.database);
    FirstTable table;
    ADXFLOW_ASSIGN_OR_RETURN(KustoCallInfo info, client.Management(request, table, &ctx.cancel));
    Json output = table.Output();
    output["effectiveIntegrationRuntime"] = "adxflowd";
    output["clientRequestId"] = info.client_request_id;
    return output;
}

}  // namespace adxflow::adx
