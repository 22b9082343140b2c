#include "core/engine/skipped_rows.hpp"

#include "core/ids.hpp"

namespace adxflow::engine {

namespace {

Error Invalid(const std::string& path, const std::string& message, const std::string& activity) {
    return MakeError(ErrorKind::kInvalidInput, "copy.skip", "typeProperties." + path + ": " + message,
                     "InvalidCopyDefinition", activity);
}

std::string Trimmed(std::string path) {
    std::replace(path.begin(), path.end(), '\\', '/');
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    return path;
}

constexpr size_t kFlushRows = 1000;

}  // namespace

Result<std::unique_ptr<SkippedRowLog>> SkippedRowLog::Make(const ActivityTask& task, const Json& tp) {
    const Json* enable = FindMember(tp, "enableSkipIncompatibleRow");
    if (!enable || enable->is_null()) return std::unique_ptr<SkippedRowLog>();
    auto on = AsBool(*enable);
    if (!on) return Invalid("enableSkipIncompatibleRow", "must be true or false", task.activity_name);
    if (!*on) return std::unique_ptr<SkippedRowLog>();

    std::unique_ptr<SkippedRowLog> log(new SkippedRowLog());
    log->task_ = &task;
    const Json* location = nullptr;
    std::string location_path;
    if (const Json* ls = FindMember(tp, "logSettings"); ls && ls->is_object()) {
        const Json* enabled = FindMember(*ls, "enableCopyActivityLog");
        if (!enabled || AsBool(*enabled).value_or(false)) {
            location = FindMember(*ls, "logLocationSettings");
            location_path = "logSettings.logLocationSettings";
            if (const Json* s = FindMember(*ls, "copyActivityLogSettings"); s && s->is_object())
                if (const Json* level = FindMember(*s, "logLevel"); level && level->is_string())
                    log->info_level_ = IEquals(level->get<std::string>(), "Info");
        }
    }
    if (!location) {
        if (const Json* r = FindMember(tp, "redirectIncompatibleRowSettings"); r && r->is_object()) {
            location = r;
            location_path = "redirectIncompatibleRowSettings";
            log->redirect_ = true;
        }
    }
    if (!location) return log;  // counted, not logged
    if (!location->is_object()) return Invalid(location_path, "must be an object", task.activity_name);
    const Json* ref = FindMember(*location, "linkedServiceName");
    if (!ref || !ref->is_object())
        return Invalid(location_path + ".linkedServiceName", "is required (a LinkedServiceReference)",
                       task.activity_name);
    log->linked_service_ref_ = *ref;
    std::string path;
    if (const Json* p = FindMember(*location, "path"); p && !p->is_null()) {
        if (!p->is_string()) return Invalid(location_path + ".path", "must be a string", task.activity_name);
        path = Trimmed(p->get<std::string>());
    }
    const std::string run = task.activity_run_id.empty() ? task.run_id : task.activity_run_id;
    log->folder_ =
        log->redirect_ ? path + "/" + run : path + "/copyactivity-logs/" + task.activity_name + "/" + run;
    if (path.empty()) log->folder_.erase(0, 1);
    log->display_path_ = log->folder_ + "/";
    return log;
}

SkippedRowLog::~SkippedRowLog() {
    if (sink_) sink_->Abort();
}

Status SkippedRowLog::OpenSink() {
    EndpointSpec spec;
    ADXFLOW_TRY(ResolveLinkedService(*task_, linked_service_ref_, task_->eval, spec));
    const ConnectorDescriptor* connector =
        task_->services->connectors->ForLinkedService(spec.linked_service_type);
    if (!connector || !connector->make_sink)
        return MakeError(
            ErrorKind::kUnsupported, "copy.skip",
            "the log of skipped rows cannot be written to a '" + spec.linked_service_type + "' store",
            "UnsupportedLinkedServiceType", task_->activity_name);
    Json location;
    const std::string file = NewUuid() + ".csv";
    if (IEquals(spec.linked_service_type, "AzureBlobStorage")) {
        const size_t slash = folder_.find('/');
        location = {{"type", "AzureBlobStorageLocation"},
                    {"container", folder_.substr(0, slash)},
                    {"folderPath", slash == std::string::npos ? std::string() : folder_.substr(slash + 1)},
                    {"fileName", file}};
    } else {
        location = {{"type", "FileServerLocation"}, {"folderPath", folder_}, {"fileName", file}};
    }
    spec.dataset_type = "DelimitedText";
    spec.dataset = {{"location", location}, {"firstRowAsHeader", true}, {"escapeChar", "\""}};
    spec.settings = {{"type", "DelimitedTextSink"}};
    spec.run_id = task_->run_id;
    spec.activity_name = task_->activity_name + ".skipped";  // its own temp names, apart from the copy's sink
    ADXFLOW_ASSIGN_OR_RETURN(sink_, connector->make_sink(spec, task_->services->connector_env));
    static const std::vector<std::string> kRedirectColumns = {"Row", "ErrorCode", "ErrorMessage"};
    static const std::vector<std::string> kLogColumns = {"Timestamp", "Level", "OperationName",
                                                         "OperationItem", "Message"};
    Schema schema;
    for (const std::string& name : redirect_ ? kRedirectColumns : kLogColumns)
        schema.push_back({name, ColumnType::kString});
    pending_.Reset(schema.size());
    Status opened = sink_->Open(schema, nullptr, task_->op);
    if (!opened.ok()) {
        sink_.reset();
        return opened;
    }
    return Ok();
}

Status SkippedRowLog::Skip(const IncompatibleRow& row) {
    ++skipped_;
    if (linked_service_ref_.is_null()) return Ok();
    if (!sink_) ADXFLOW_TRY(OpenSink());
    Value* out = pending_.AddRow();
    if (redirect_) {
        out[0] = row.item;
        out[1] = std::string("IncompatibleRow");
        out[2] = row.message;
    } else {
        out[0] = FormatTimestamp(task_->services->clock->Now());
        out[1] = std::string("Warning");
        out[2] = std::string("TabularRowSkip");
        out[3] = row.item;
        out[4] = row.message;
    }
    if (pending_.rows() >= kFlushRows) return FlushRows();
    return Ok();
}

Status SkippedRowLog::FlushRows() {
    if (!sink_ || pending_.empty()) return Ok();
    ADXFLOW_TRY(sink_->Write(pending_, task_->op));
    pending_.Clear();
    return Ok();
}

Status SkippedRowLog::Close() {
    if (!sink_) return Ok();
    ADXFLOW_TRY(FlushRows());
    ADXFLOW_TRY(sink_->Finish(task_->op));
    sink_.reset();
    return Ok();
}

Json SkippedRowLog::OutputFields() const {
    Json out = {{"rowsSkipped", skipped_}};
    if (skipped_ > 0 && !linked_service_ref_.is_null())
        out[redirect_ ? "redirectRowPath" : "logFilePath"] = display_path_;
    return out;
}

}  // namespace adxflow::engine
