// The Copy activity. Rows stream from the source in bounded batches, through the column mapping, into the
// sink. Every `chunk_rows` rows the sink commits a chunk and returns a checkpoint, which is persisted with
// the activity run before more rows are written. A later attempt (after a crash, a restart or a retry)
// reopens the sink at that checkpoint and skips the rows the source already delivered into committed
// chunks, so each row lands in the sink exactly once.
#include "core/engine/copy_activity.hpp"

#include <chrono>

#include "core/connector_slots.hpp"
#include "core/crash_point.hpp"
#include "core/engine/mapping.hpp"
#include "core/engine/skipped_rows.hpp"

namespace adxflow::engine {

namespace {

struct Endpoints {
    EndpointSpec source_spec;
    EndpointSpec sink_spec;
    const ConnectorDescriptor* source_connector = nullptr;
    const ConnectorDescriptor* sink_connector = nullptr;
};

Result<const ConnectorDescriptor*> FindConnector(const ActivityTask& task, const EndpointSpec& spec,
                                                 std::string_view role) {
    const auto* c = task.services->connectors->ForLinkedService(spec.linked_service_type);
    if (!c)
        return MakeError(
            ErrorKind::kUnsupported, "copy.connector",
            "linked service type '" + spec.linked_service_type + "' is not supported by this daemon",
            "UnsupportedLinkedServiceType", task.activity_name);
    if ((role == "source" && !c->make_source) || (role == "sink" && !c->make_sink))
        return MakeError(ErrorKind::kUnsupported, "copy.connector",
                         "'" + spec.linked_service_type + "' cannot be used as a Copy " + std::string(role),
                         "UnsupportedLinkedServiceType", task.activity_name);
    return c;
}

const Json& FirstReference(const Json& definition, const char* key) {
    static const Json kNull;
    const Json* list = FindMember(definition, key);
    if (!list || !list->is_array() || list->empty()) return kNull;
    return (*list)[0];
}

// Copies rows [offset, rows) of `in` into `out`.
void Tail(const RowBatch& in, size_t offset, RowBatch& out) {
    out.Reset(in.width());
    for (size_t r = offset; r < in.rows(); ++r) {
        Value* dst = out.AddRow();
        const Value* src = in.Row(r);
        for (size_t c = 0; c < in.width(); ++c) dst[c] = src[c];
    }
    out.set_source_file(in.source_file());
}

class CopyExecutor final : public ActivityExecutor {
  public:
    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        auto tp = EvaluateTypeProperties(task);
        if (!tp.ok()) {
            result.output = std::move(tp).error();
            return result;
        }
        result.input = *tp;
        result.output = Run(task, *tp);
        return result;
    }

  private:
    Result<Json> Run(ActivityTask& task, const Json& tp) {
        const auto started = std::chrono::steady_clock::now();
        // An attempt that published before the daemon died (its "published" checkpoint saved, the run's
        // record not) only reports it: opening the sink again would find its temp file renamed away, and
        // the source may be gone (deleteFilesAfterCompletion).
        if (task.checkpoint.is_object() && task.checkpoint.value("published", false)) {
            const uint64_t rows = task.checkpoint.value("rowsCommitted", uint64_t{0});
            return Json{{"dataRead", 0},
                        {"dataWritten", task.checkpoint.value("dataWritten", uint64_t{0})},
                        {"rowsRead", 0},
                        {"rowsCopied", rows},
                        {"rowsSkipped", 0},
                        {"copyDuration", 0},
                        {"throughput", 0.0},
                        {"errors", Json::array()},
                        {"effectiveIntegrationRuntime", "adxflowd"},
                        {"resumedFromRow", rows}};
        }
        const Json* source_settings = FindMember(tp, "source");
        const Json* sink_settings = FindMember(tp, "sink");
        if (!source_settings || !sink_settings)
            return MakeError(ErrorKind::kInvalidInput, "copy", "typeProperties needs a source and a sink",
                             "InvalidCopyDefinition", task.activity_name);
        Endpoints ep;
        ADXFLOW_ASSIGN_OR_RETURN(
            ep.source_spec,
            ResolveEndpoint(task, FirstReference(task.definition, "inputs"), *source_settings, "inputs[0]"));
        ADXFLOW_ASSIGN_OR_RETURN(
            ep.sink_spec,
            ResolveEndpoint(task, FirstReference(task.definition, "outputs"), *sink_settings, "outputs[0]"));
        ADXFLOW_ASSIGN_OR_RETURN(ep.source_connector, FindConnector(task, ep.source_spec, "source"));
        ADXFLOW_ASSIGN_OR_RETURN(ep.sink_connector, FindConnector(task, ep.sink_spec, "sink"));
        const auto& env = task.services->connector_env;
        ADXFLOW_ASSIGN_OR_RETURN(
            auto slots,
            AcquireSlots(env.slots, {ep.source_spec.linked_service_type, ep.sink_spec.linked_service_type},
                         task.op.cancel));
        ADXFLOW_ASSIGN_OR_RETURN(auto source, ep.source_connector->make_source(ep.source_spec, env));
        ADXFLOW_ASSIGN_OR_RETURN(auto sink, ep.sink_connector->make_sink(ep.sink_spec, env));
        // enableSkipIncompatibleRow: rows that cannot be copied go to this log instead of failing the copy.
        ADXFLOW_ASSIGN_OR_RETURN(std::unique_ptr<SkippedRowLog> skipped, SkippedRowLog::Make(task, tp));
        task.op.incompatible_rows = skipped.get();
        struct Unset {
            OpContext& op;
            ~Unset() { op.incompatible_rows = nullptr; }
        } unset{task.op};

        // A sink that prepared its publication before a crash (PrepareFinish) only has to finish it: the
        // source is not read again, so a source whose result changed cannot change what gets published.
        if (task.checkpoint.is_object() && task.checkpoint.value("sourceDone", false) &&
            task.checkpoint.contains("sink") && !task.checkpoint["sink"].is_null()) {
            const uint64_t rows = task.checkpoint.value("rowsCommitted", uint64_t{0});
            Status opened = sink->Open(Schema{}, task.checkpoint["sink"], task.op);
            if (opened.ok()) opened = sink->Finish(task.op);
            if (!opened.ok()) {
                sink->Abort();
                Error e = std::move(opened).error();
                if (e.target.empty()) e.target = task.activity_name;
                return e;
            }
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            return Json{{"dataRead", 0},
                        {"dataWritten", sink->stats().bytes_written},
                        {"rowsRead", 0},
                        {"rowsCopied", rows},
                        {"rowsSkipped", 0},
                        {"copyDuration", static_cast<int64_t>(seconds + 0.5)},
                        {"throughput", 0.0},
                        {"errors", Json::array()},
                        {"effectiveIntegrationRuntime", "adxflowd"},
                        {"resumedFromRow", rows}};
        }

        ADXFLOW_CRASH_POINT("copy.source.before_open");
        ADXFLOW_ASSIGN_OR_RETURN(Schema schema, source->Open(task.op));
        ADXFLOW_CRASH_POINT("copy.source.after_open");
        const Json* translator = FindMember(tp, "translator");
        ADXFLOW_ASSIGN_OR_RETURN(ColumnMapping mapping, BuildMapping(schema, ep.sink_spec.dataset_schema,
                                                                     translator ? *translator : Json()));

        // Resume point. A checkpoint without a sink part means the sink could not resume: start over.
        uint64_t chunk = 0, committed_rows = 0;
        Json sink_checkpoint = nullptr;
        if (task.checkpoint.is_object() && task.checkpoint.contains("sink") &&
            !task.checkpoint["sink"].is_null()) {
            chunk = task.checkpoint.value("chunk", uint64_t{0});
            committed_rows = task.checkpoint.value("rowsCommitted", uint64_t{0});
            sink_checkpoint = task.checkpoint["sink"];
        }
        Status opened = sink->Open(mapping.output, sink_checkpoint, task.op);
        if (!opened.ok()) return std::move(opened).error();
        ADXFLOW_CRASH_POINT("copy.sink.after_open");

        size_t chunk_rows = task.services->default_chunk_rows;
        if (const Json* wbs = FindMember(*sink_settings, "writeBatchSize"))
            if (auto n = AsInt(*wbs); n && *n > 0) chunk_rows = static_cast<size_t>(*n);

        auto fail = [&](Error e) -> Result<Json> {
            sink->Abort();
            if (e.target.empty()) e.target = task.activity_name;
            return e;
        };

        RowBatch batch, tail, mapped;
        uint64_t rows_seen = 0, rows_since_commit = 0;
        uint64_t mapping_skipped = 0;  // rows the translator's conversions handed to the skip log
        const uint64_t resumed_rows = committed_rows;
        auto commit = [&]() -> Status {
            ADXFLOW_CRASH_POINT("copy.sink.before_commit");
            ADXFLOW_ASSIGN_OR_RETURN(Json cp,
                                     sink->CommitChunk({task.run_id, task.activity_name, chunk}, task.op));
            ADXFLOW_CRASH_POINT("copy.sink.after_commit");  // checkpoint not saved yet
            ++chunk;
            committed_rows = rows_seen;
            rows_since_commit = 0;
            Json checkpoint = {{"chunk", chunk}, {"rowsCommitted", committed_rows}, {"sink", cp}};
            ADXFLOW_TRY(task.save_checkpoint(checkpoint));
            ADXFLOW_CRASH_POINT("copy.checkpoint.after_save");
            return Ok();
        };

        bool more = true;
        while (more) {
            if (auto c = task.op.CheckCancelled(); !c.ok()) return fail(std::move(c).error());
            auto next = source->Next(batch, task.services->batch_rows, task.op);
            if (!next.ok()) return fail(std::move(next).error());
            more = *next;
            const RowBatch* rows = &batch;
            const uint64_t before = rows_seen;
            rows_seen += batch.rows();
            if (rows_seen <= resumed_rows) continue;  // entirely inside committed chunks
            if (before < resumed_rows) {
                Tail(batch, resumed_rows - before, tail);
                rows = &tail;
            }
            if (rows->rows() == 0) continue;
            const RowBatch* out = rows;
            if (!mapping.identity) {
                if (auto m = ApplyMapping(mapping, *rows, mapped, task.op.incompatible_rows); !m.ok())
                    return fail(std::move(m).error());
                mapping_skipped += rows->rows() - mapped.rows();
                out = &mapped;
            }
            ADXFLOW_CRASH_POINT("copy.sink.before_write");
            if (auto w = sink->Write(*out, task.op); !w.ok()) return fail(std::move(w).error());
            ADXFLOW_CRASH_POINT("copy.sink.after_write");
            rows_since_commit += out->rows();
            if (rows_since_commit >= chunk_rows)
                if (auto c = commit(); !c.ok()) return fail(std::move(c).error());
        }
        if (rows_since_commit > 0 || chunk == 0)
            if (auto c = commit(); !c.ok()) return fail(std::move(c).error());
        auto prepared = sink->PrepareFinish(task.op);
        if (!prepared.ok()) return fail(std::move(prepared).error());
        ADXFLOW_CRASH_POINT("copy.sink.after_prepare");
        if (!prepared->is_null()) {
            Json checkpoint = {{"chunk", chunk},
                               {"rowsCommitted", committed_rows},
                               {"sink", *prepared},
                               {"sourceDone", true}};
            if (auto saved = task.save_checkpoint(checkpoint); !saved.ok())
                return fail(std::move(saved).error());
            ADXFLOW_CRASH_POINT("copy.manifest.after_save");  // the ADX sink's manifest is persisted
        }
        ADXFLOW_CRASH_POINT("copy.sink.before_finish");
        if (auto f = sink->Finish(task.op); !f.ok()) return fail(std::move(f).error());
        ADXFLOW_CRASH_POINT("copy.sink.after_finish");  // published; the activity is not recorded yet
        // Recorded at once: the activity's Succeeded commits later with the scheduler's next batch.
        if (auto saved = task.save_checkpoint({{"chunk", chunk},
                                               {"rowsCommitted", committed_rows},
                                               {"dataWritten", sink->stats().bytes_written},
                                               {"published", true}});
            !saved.ok())
            return std::move(saved).error();
        ADXFLOW_CRASH_POINT("copy.published.after_save");
        // File stores delete what they read (deleteFilesAfterCompletion) only once the output is published.
        if (auto done = source->Complete(task.op); !done.ok()) return std::move(done).error();
        if (skipped)
            if (auto closed = skipped->Close(); !closed.ok()) return std::move(closed).error();

        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const SourceStats in = source->stats();
        const SinkStats out = sink->stats();
        Json output = {
            {"dataRead", in.bytes_read},
            {"dataWritten", out.bytes_written},
            {"rowsRead", in.rows_read},
            {"rowsCopied", committed_rows},
            {"rowsSkipped", 0},
            {"copyDuration", static_cast<int64_t>(seconds + 0.5)},
            {"throughput", seconds > 0 ? static_cast<double>(in.bytes_read) / 1024.0 / seconds : 0.0},
            {"errors", Json::array()},
            {"effectiveIntegrationRuntime", "adxflowd"},
            {"usedParallelCopies", 1},
            {"executionDetails",
             Json::array({{{"source", {{"type", ep.source_spec.linked_service_type}}},
                           {"sink", {{"type", ep.sink_spec.linked_service_type}}},
                           {"status", "Succeeded"},
                           {"duration", static_cast<int64_t>(seconds + 0.5)},
                           {"usedParallelCopies", 1},
                           {"detailedDurations", {{"queuingDuration", 0}, {"transferDuration", seconds}}}}})},
        };
        output["sourcePeakConnections"] = in.peak_connections;
        output["sinkPeakConnections"] = out.peak_connections;
        for (const auto& [key, value] : in.details.items()) output[key] = value;
        for (const auto& [key, value] : out.details.items()) output[key] = value;
        if (in.files_read) output["filesRead"] = in.files_read;
        if (out.files_written) output["filesWritten"] = out.files_written;
        if (skipped) {
            output.update(skipped->OutputFields());
            // ADF counts skipped rows as read; rows the mapping skipped were read (and counted) already.
            output["rowsRead"] = in.rows_read + skipped->skipped() - mapping_skipped;
            output["rowsCopied"] = committed_rows - mapping_skipped;
        }
        if (resumed_rows > 0) output["resumedFromRow"] = resumed_rows;  // adxflow extension: resumed attempt
        return output;
    }
};

class LookupExecutor final : public ActivityExecutor {
  public:
    ActivityResult Execute(ActivityTask& task) override {
        ActivityResult result;
        auto tp = EvaluateTypeProperties(task);
        if (!tp.ok()) {
            result.output = std::move(tp).error();
            return result;
        }
        result.input = *tp;
        result.output = Run(task, *tp);
        return result;
    }

  private:
    Result<Json> Run(ActivityTask& task, const Json& tp) {
        const Json* source_settings = FindMember(tp, "source");
        const Json* dataset = FindMember(tp, "dataset");
        if (!source_settings || !dataset)
            return MakeError(ErrorKind::kInvalidInput, "lookup",
                             "typeProperties needs a source and a dataset", "InvalidLookupDefinition",
                             task.activity_name);
        bool first_row_only = true;
        if (const Json* f = FindMember(tp, "firstRowOnly"))
            if (auto b = AsBool(*f)) first_row_only = *b;
        // The dataset reference was evaluated with the rest of typeProperties; resolve it as is.
        ADXFLOW_ASSIGN_OR_RETURN(EndpointSpec spec,
                                 ResolveEndpoint(task, *dataset, *source_settings, "typeProperties.dataset"));
        ADXFLOW_ASSIGN_OR_RETURN(const ConnectorDescriptor* connector, FindConnector(task, spec, "source"));
        ADXFLOW_ASSIGN_OR_RETURN(auto slot, AcquireSlots(task.services->connector_env.slots,
                                                         {spec.linked_service_type}, task.op.cancel));
        ADXFLOW_ASSIGN_OR_RETURN(auto source, connector->make_source(spec, task.services->connector_env));
        ADXFLOW_ASSIGN_OR_RETURN(Schema schema, source->Open(task.op));

        const size_t limit = first_row_only ? 1 : kLookupMaxRows;
        Json rows = Json::array();
        size_t bytes = 0;
        RowBatch batch;
        bool more = true;
        while (more && rows.size() < limit) {
            ADXFLOW_TRY(task.op.CheckCancelled());
            ADXFLOW_ASSIGN_OR_RETURN(
                more, source->Next(batch, std::min<size_t>(limit - rows.size(), 1000), task.op));
            for (size_t r = 0; r < batch.rows() && rows.size() < limit; ++r) {
                Json obj = Json::object();
                const Value* row = batch.Row(r);
                for (size_t c = 0; c < schema.size() && c < batch.width(); ++c)
                    obj[schema[c].name] = ValueToJson(row[c], schema[c].type);
                bytes += obj.dump().size();
                if (bytes > kLookupMaxBytes)
                    return MakeError(ErrorKind::kTooLarge, "lookup",
                                     "the Lookup output exceeds the 4 MB limit; return fewer rows or columns",
                                     "LookupOutputTooLarge", task.activity_name);
                rows.push_back(std::move(obj));
            }
        }
        Json output = Json::object();
        if (first_row_only) {
            if (!rows.empty()) output["firstRow"] = rows[0];  // ADF leaves firstRow out for an empty result
        } else {
            output["count"] = rows.size();
            output["value"] = std::move(rows);
        }
        output["effectiveIntegrationRuntime"] = "adxflowd";
        return output;
    }
};

}  // namespace

Json ValueToJson(const Value& value, ColumnType type) {
    switch (value.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(value);
        case 2:
            return std::get<int64_t>(value);
        case 3:
            return std::get<double>(value);
        default: {
            const auto& s = std::get<std::string>(value);
            if (type == ColumnType::kDynamic) {
                Json parsed = Json::parse(s, nullptr, false);
                if (!parsed.is_discarded()) return parsed;
            }
            return s;
        }
    }
}

std::unique_ptr<ActivityExecutor> MakeCopyExecutor() {
    return std::make_unique<CopyExecutor>();
}
std::unique_ptr<ActivityExecutor> MakeLookupExecutor() {
    return std::make_unique<LookupExecutor>();
}

}  // namespace adxflow::engine
