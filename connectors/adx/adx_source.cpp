#include "connectors/adx/adx_source.hpp"

#include <spdlog/spdlog.h>

#include "connectors/adx/result_tables.hpp"
#include "core/ids.hpp"
#include "core/retry.hpp"

namespace adxflow::adx {

namespace {

constexpr size_t kQueueDepth = 4;  // batches parsed ahead of the sink
constexpr std::chrono::minutes kMaxQueryTimeout{60};
// The client waits a little longer than the server so that the service's own timeout error, which says
// what happened, arrives before the socket is cut.
constexpr std::chrono::seconds kClientGrace{30};

Error Invalid(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "adx.source", path + ": " + message, "InvalidSourceSettings",
                     path);
}

}  // namespace

Result<AdxSourceSettings> ParseSourceSettings(const Json& source, const Json& dataset) {
    AdxSourceSettings s;
    const Json* query = FindMember(source, "query");
    if (query && !query->is_null()) {
        if (!query->is_string()) return Invalid("source.query", "must be a string of KQL");
        s.query = query->get<std::string>();
    } else if (const Json* table = FindMember(dataset, "table"); table && table->is_string()) {
        s.query =
            "['" + table->get<std::string>() + "']";  // ADF: a dataset with only a table reads the table
    }
    if (s.query.find_first_not_of(" \t\r\n") == std::string::npos)
        return Invalid("source.query", "is required (or the dataset's table)");
    if (const Json* t = FindMember(source, "queryTimeout"); t && !t->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(s.query_timeout, ParseTimespan(*t, "source.queryTimeout"));
        if (s.query_timeout > kMaxQueryTimeout || s.query_timeout.count() <= 0)
            return Invalid("source.queryTimeout", "must be between 00:00:01 and 01:00:00");
    }
    if (const Json* n = FindMember(source, "noTruncation"); n && !n->is_null()) {
        if (!n->is_boolean()) return Invalid("source.noTruncation", "must be true or false");
        s.no_truncation = n->get<bool>();
    }
    return s;
}

// Receives the parser's events on the producer thread: the primary result's batches go to the queue.
class AdxSource::Handler final : public kusto::ResponseHandler {
  public:
    explicit Handler(AdxSource& source) : s_(source) {}

    Status OnTableStart(const kusto::TableInfo& table) override {
        if (!table.is_primary() || primary_id_) return Ok();
        primary_id_ = table.id;
        std::lock_guard lock(s_.mu_);
        s_.schema_ = table.schema;
        s_.schema_known_ = true;
        s_.cv_.notify_all();
        return Ok();
    }
    Status OnRows(const kusto::TableInfo&, const RowBatch&) override { return Ok(); }
    Status OnRowsOwned(const kusto::TableInfo& table, RowBatch& rows) override {
        if (!primary_id_ || table.id != *primary_id_) return Ok();
        delivered_ = true;
        std::unique_lock lock(s_.mu_);
        s_.cv_.wait(lock, [&] { return s_.ready_.size() < kQueueDepth || s_.stop_.cancelled(); });
        if (s_.stop_.cancelled()) return s_.stop_.reason();
        s_.stats_.rows_read += rows.rows();
        s_.ready_.push_back(std::move(rows));
        if (!s_.spare_.empty()) {
            rows = std::move(s_.spare_.back());
            s_.spare_.pop_back();
        }
        s_.cv_.notify_all();
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo& table, const std::vector<kusto::KustoError>& errors) override {
        if (!primary_id_ || table.id != *primary_id_ || errors.empty()) return Ok();
        return ErrorFromInBand(errors.front(), "the query's result");
    }
    void OnCompletion(bool has_errors, bool cancelled,
                      const std::vector<kusto::KustoError>& errors) override {
        if (cancelled)
            completion_error_ =
                MakeError(ErrorKind::kCancelled, "adx.query", "the service cancelled the query");
        else if (has_errors && !errors.empty())
            completion_error_ = ErrorFromInBand(errors.front(), "the query");
    }

    bool delivered() const { return delivered_; }
    bool saw_primary() const { return primary_id_.has_value(); }
    std::optional<Error> completion_error_;

  private:
    AdxSource& s_;
    std::optional<int> primary_id_;
    bool delivered_ = false;
};

AdxSource::AdxSource(std::shared_ptr<KustoClient> client, std::string database, AdxSourceSettings settings)
    : client_(std::move(client)),
      database_(std::move(database)),
      settings_(std::move(settings)),
      request_id_("adxflow;" + NewUuid()) {}

AdxSource::~AdxSource() {
    bool abandoned = false;
    {
        std::lock_guard lock(mu_);
        abandoned = producer_.joinable() && !finished_;
    }
    stop_.Cancel(MakeError(ErrorKind::kCancelled, "adx.source", "the source was closed"));
    {
        std::lock_guard lock(mu_);
        cv_.notify_all();
    }
    // Closing the socket stops the transfer, but the service would go on computing the query: tell it, as
    // the SDKs do when a client gives up (a Lookup that has its rows, a cancelled or failed activity).
    if (abandoned) {
        KustoRequest cancel;
        cancel.database = database_;
        cancel.csl = ".cancel query \"" + request_id_ + "\"";
        cancel.client_timeout = std::chrono::seconds(10);
        DiscardRows ignore;
        auto sent = client_->Management(cancel, ignore, nullptr);
        if (!sent.ok())
            spdlog::debug("adx: .cancel query {} failed: {}", request_id_, sent.error().Describe());
    }
    if (producer_.joinable()) producer_.join();
}

void AdxSource::Produce() {
    KustoRequest request;
    request.database = database_;
    request.csl = settings_.query;
    request.options["servertimeout"] = FormatTimespan(settings_.query_timeout);
    if (settings_.no_truncation) request.options["notruncation"] = true;
    request.client_timeout = settings_.query_timeout + kClientGrace;
    request.batch_rows = batch_rows_;
    {
        std::lock_guard lock(mu_);
        request.client_request_id = request_id_;
    }

    RetryPolicy policy;
    policy.retry_timeouts = false;  // the query would only time out again
    bool delivered = false;
    Result<KustoCallInfo> result = WithRetries<KustoCallInfo>(
        policy, stop_, SystemClock::Instance(),
        [&]() -> Result<KustoCallInfo> {
            Handler handler(*this);
            auto r = client_->Query(request, handler, &stop_);
            delivered = delivered || handler.delivered();
            if (r.ok() && handler.completion_error_) return *handler.completion_error_;
            if (r.ok() && !handler.saw_primary())
                return MakeError(ErrorKind::kInvalidInput, "adx.query",
                                 "the query returned no primary result", "NoPrimaryResult");
            if (!r.ok() && delivered) {
                // Rows already went to the sink: a silent re-run would duplicate them. The engine's retry
                // (activity policy) restarts the whole copy instead.
                Error e = std::move(r).error();
                if (e.kind == ErrorKind::kTransient) e.message += " (after part of the result was read)";
                return MakeError(e.kind == ErrorKind::kTransient ? ErrorKind::kInternal : e.kind, e.op,
                                 e.message, e.code);
            }
            return r;
        },
        [&](const Error& e, int attempt, std::chrono::milliseconds wait) {
            spdlog::warn("adx: query attempt {} failed ({}); retrying in {} ms", attempt, e.Describe(),
                         wait.count());
        });

    std::lock_guard lock(mu_);
    if (result.ok()) {
        call_ = *result;
        stats_.bytes_read = call_.response_bytes;
        stats_.details["adxQueryClientRequestId"] = call_.client_request_id;
        if (!call_.activity_id.empty()) stats_.details["adxQueryActivityId"] = call_.activity_id;
    } else if (!error_) {
        error_ = std::move(result).error();
    }
    finished_ = true;
    cv_.notify_all();
}

Result<Schema> AdxSource::Open(const OpContext& ctx) {
    spdlog::info("adx: run {} activity '{}' queries {} database {} (queryTimeout {}, noTruncation {})",
                 ctx.run_id, ctx.activity_name, client_->cluster_url(), database_,
                 FormatTimespan(settings_.query_timeout), settings_.no_truncation);
    producer_ = std::thread([this] { Produce(); });
    std::unique_lock lock(mu_);
    while (!schema_known_ && !finished_) {
        cv_.wait_for(lock, std::chrono::milliseconds(200));
        if (ctx.cancel.cancelled()) {
            stop_.Cancel(ctx.cancel.reason());
            cv_.notify_all();
            return ctx.cancel.reason();
        }
    }
    if (!schema_known_) {
        if (error_) return *error_;
        return MakeError(ErrorKind::kInvalidInput, "adx.query", "the query returned no primary result",
                         "NoPrimaryResult");
    }
    return schema_;
}

Result<bool> AdxSource::Next(RowBatch& batch, size_t max_rows, const OpContext& ctx) {
    (void)max_rows;  // batches are cut by the parser at batch_rows_ (<= the engine's batch size)
    std::unique_lock lock(mu_);
    for (;;) {
        if (!ready_.empty()) {
            spare_.push_back(std::move(batch));
            batch = std::move(ready_.front());
            ready_.pop_front();
            cv_.notify_all();
            return true;
        }
        if (finished_) {
            if (error_) return *error_;
            batch.Clear();
            return false;
        }
        if (ctx.cancel.cancelled()) {
            stop_.Cancel(ctx.cancel.reason());
            cv_.notify_all();
            return ctx.cancel.reason();
        }
        cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
}

SourceStats AdxSource::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

}  // namespace adxflow::adx
