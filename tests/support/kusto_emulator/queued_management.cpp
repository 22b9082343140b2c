// The Emulator's side of queued ingestion: the management commands a queued-ingest client calls
// (`.get ingestion resources`, `.get kusto identity token`) and `.show ingestion failures`, and the
// IngestionTarget calls of the worker in queued_ingest.cpp (precheck, commit as one extent, failures).
#include <algorithm>

#include "core/json.hpp"
#include "core/time.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/kusto_emulator/ingest.hpp"
#include "tests/support/kusto_emulator/responses.hpp"

namespace adxflow::kusto_emulator {

using namespace detail;

namespace {

constexpr size_t kMaxFailuresKept = 10000;  // the service keeps 14 days; a bounded list does here

// An extent of `table` already carries one of the `ingest-by:` tags the message names.
template <class Extents>
std::string IngestedBy(const Extents& extents, const std::vector<std::string>& if_not_exists) {
    for (const auto& wanted : if_not_exists)
        for (const auto& e : extents)
            if (std::find(e.tags.begin(), e.tags.end(), "ingest-by:" + wanted) != e.tags.end()) return wanted;
    return {};
}

IngestionOutcome Skipped(const std::string& tag) {
    IngestionOutcome o;
    o.kind = IngestionOutcome::Kind::kSkipped;
    o.details = "skipped: an extent already carries the tag 'ingest-by:" + tag + "' (ingestIfNotExists)";
    return o;
}

// `| where Col == "x" and Col2 has "y"` over the failure rows (string columns; ==, !=, =~, has, contains).
struct Condition {
    size_t column = 0;
    std::string op;
    std::string literal;
};

Result<std::vector<Condition>> ParseWhere(const std::string& text, const Schema& schema) {
    std::vector<Condition> out;
    std::string rest = Trim(text);
    while (!rest.empty()) {
        const size_t and_at = ToLower(rest).find(" and ");
        const std::string part = Trim(rest.substr(0, and_at));
        rest = and_at == std::string::npos ? std::string() : Trim(rest.substr(and_at + 5));
        Condition c;
        size_t op_at = std::string::npos;
        for (const char* op : {"==", "!=", "=~", " has ", " contains "}) {
            const size_t at = ToLower(part).find(op);
            if (at != std::string::npos && at < op_at) {
                op_at = at;
                c.op = Trim(op);
            }
        }
        if (op_at == std::string::npos)
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt",
                             "expected 'Column == \"value\"' (or !=, =~, has, contains) in: " + part);
        const std::string column = Trim(part.substr(0, op_at));
        std::string literal = Trim(part.substr(op_at + (c.op.size() == 2 ? 2 : c.op.size() + 2)));
        if (literal.size() < 2 || (literal.front() != '"' && literal.front() != '\'') ||
            literal.back() != literal.front())
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "expected a quoted string in: " + part);
        c.literal = literal.substr(1, literal.size() - 2);
        auto col =
            std::find_if(schema.begin(), schema.end(), [&](const Column& x) { return x.name == column; });
        if (col == schema.end())
            return MakeError(ErrorKind::kInvalidInput, "kusto.mgmt", "no column '" + column + "'");
        c.column = static_cast<size_t>(col - schema.begin());
        out.push_back(std::move(c));
    }
    return out;
}

bool Matches(const Condition& c, const Value& cell) {
    const std::string* text = std::get_if<std::string>(&cell);
    const std::string value = text ? *text : std::string();
    if (c.op == "==") return value == c.literal;
    if (c.op == "!=") return value != c.literal;
    if (c.op == "=~") return IEquals(value, c.literal);
    return ToLower(value).find(ToLower(c.literal)) != std::string::npos;  // has / contains
}

}  // namespace

std::optional<api::Response> Emulator::QueuedManagement(const api::Request& request, const std::string& db,
                                                        const std::string& csl) {
    (void)request;
    const std::string lower = ToLower(csl);
    if (lower.rfind(".get ingestion resources", 0) == 0) {
        if (!queued_)
            return ErrorResponse(
                400, "BadRequest_QueuedIngestionNotConfigured",
                "Kusto.Data.Exceptions.KustoBadRequestException",
                "queued ingestion needs a storage account: start the emulator with --storage "
                "or a \"storage\" section in its config file");
        auto resources = queued_->Resources();
        if (!resources.ok())
            return ErrorResponse(503, "ServiceUnavailable", "Kusto.Data.Exceptions.KustoServiceException",
                                 "the ingestion storage is not reachable: " + resources.error().message,
                                 false);
        std::vector<Value> rows;
        for (auto& [type, url] : *resources) {
            rows.emplace_back(type);
            rows.emplace_back(url);
        }
        return V1Response({{"ResourceTypeName", ColumnType::kString}, {"StorageRoot", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower == ".get kusto identity token") {
        const std::string token =
            queued_ ? queued_->IdentityToken() : KustoIdentityToken(azure::StorageAccount{});
        return V1Response({{"AuthorizationContext", ColumnType::kString}}, {Value{token}});
    }
    if (lower.rfind(".show ingestion failures", 0) != 0) return std::nullopt;

    const Schema schema = {{"OperationId", ColumnType::kString},
                           {"Database", ColumnType::kString},
                           {"Table", ColumnType::kString},
                           {"FailedOn", ColumnType::kDateTime},
                           {"IngestionSourcePath", ColumnType::kString},
                           {"Details", ColumnType::kString},
                           {"FailureKind", ColumnType::kString},
                           {"RootActivityId", ColumnType::kString},
                           {"OperationKind", ColumnType::kString},
                           {"OriginatesFromUpdatePolicy", ColumnType::kBool},
                           {"ErrorCode", ColumnType::kString},
                           {"Principal", ColumnType::kString},
                           {"User", ColumnType::kString},
                           {"IngestionProperties", ColumnType::kString},
                           {"NumberOfSources", ColumnType::kInt},
                           {"ShouldRetry", ColumnType::kBool}};
    std::string rest = Trim(csl.substr(24));
    std::string operation_id;
    if (ToLower(rest).rfind("with", 0) == 0) {  // with (OperationId=guid)
        const size_t open = rest.find('('), close = rest.find(')');
        const size_t eq = rest.find('=');
        if (open == std::string::npos || close == std::string::npos || eq == std::string::npos ||
            eq > close || !IEquals(Trim(rest.substr(open + 1, eq - open - 1)), "OperationId"))
            return BadRequest("expected '.show ingestion failures with (OperationId=<guid>)'");
        operation_id = Trim(rest.substr(eq + 1, close - eq - 1));
        if (operation_id.size() >= 2 && (operation_id.front() == '\'' || operation_id.front() == '"'))
            operation_id = operation_id.substr(1, operation_id.size() - 2);
        rest = Trim(rest.substr(close + 1));
    }
    std::vector<Condition> conditions;
    if (!rest.empty()) {
        if (rest[0] != '|' || ToLower(Trim(rest.substr(1))).rfind("where ", 0) != 0)
            return BadRequest(
                "only '| where Column == \"value\" [and ...]' may follow '.show ingestion failures'");
        auto parsed = ParseWhere(Trim(rest.substr(1)).substr(6), schema);
        if (!parsed.ok()) return BadRequest(parsed.error().message);
        conditions = std::move(parsed).value();
    }
    std::vector<Value> rows;
    std::lock_guard g(mu_);
    for (const auto& f : ingestion_failures_) {
        // NetDefaultDB sees every database's failures; another database its own.
        if (db != "NetDefaultDB" && f.database != db) continue;
        if (!operation_id.empty() && f.operation_id != operation_id) continue;
        std::vector<Value> row = {Value{f.operation_id},
                                  Value{f.database},
                                  Value{f.table},
                                  Value{f.failed_on},
                                  Value{f.source_path},
                                  Value{f.details},
                                  Value{f.failure_kind},
                                  Value{f.root_activity_id},
                                  Value{std::string("DataIngestPull")},
                                  Value{false},
                                  Value{f.error_code},
                                  Value{std::string()},
                                  Value{std::string()},
                                  Value{f.ingestion_properties},
                                  Value{int64_t{1}},
                                  Value{f.should_retry}};
        if (!std::all_of(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return Matches(c, row[c.column]); }))
            continue;
        rows.insert(rows.end(), std::make_move_iterator(row.begin()), std::make_move_iterator(row.end()));
    }
    return V1Response(schema, std::move(rows));
}

std::optional<IngestionOutcome> Emulator::Precheck(const IngestionMessage& m) {
    if (auto fault = faults_.TakeIngestion(m.table))
        return IngestionOutcome::Failed(fault->code, fault->message, fault->permanent);
    std::lock_guard g(mu_);
    auto db = databases_.find(m.database);
    if (db == databases_.end())
        return IngestionOutcome::Failed("BadRequest_DatabaseNotExist",
                                        "Database '" + m.database + "' was not found");
    auto t = db->second.tables.find(m.table);
    if (t == db->second.tables.end())
        return IngestionOutcome::Failed(
            "BadRequest_TableNotExist",
            "Table '" + m.table + "' was not found in database '" + m.database + "'");
    if (std::string tag = IngestedBy(t->second.extents, m.ingest_if_not_exists); !tag.empty())
        return Skipped(tag);
    const std::string kind = MappingKindOf(m.format);
    if (kind.empty())
        return IngestionOutcome::Failed("BadRequest_FormatNotSupported",
                                        "the format '" + m.format + "' is not supported by this emulator");
    if (!m.mapping_reference.empty() && !t->second.mappings.count(kind + "/" + m.mapping_reference))
        return IngestionOutcome::Failed("BadRequest_MappingReferenceWasNotFound",
                                        "Mapping reference '" + m.mapping_reference + "' of kind '" + kind +
                                            "' was not found on table '" + m.table + "'");
    if (options_.discard_ingested_rows) return IngestionOutcome{};  // acknowledged unread
    return std::nullopt;
}

IngestionOutcome Emulator::Commit(const IngestionMessage& m, std::string_view data) {
    // The rows are parsed without the lock (a large blob must not stall queries), against a snapshot of the
    // schema and mapping; the commit re-checks both, and ingestIfNotExists, under the lock.
    const std::string kind = MappingKindOf(m.format);
    auto snapshot = [&](Schema& schema, std::optional<Json>& mapping) -> std::optional<IngestionOutcome> {
        auto db = databases_.find(m.database);
        if (db == databases_.end())
            return IngestionOutcome::Failed("BadRequest_DatabaseNotExist",
                                            "Database '" + m.database + "' was not found");
        auto t = db->second.tables.find(m.table);
        if (t == db->second.tables.end())
            return IngestionOutcome::Failed(
                "BadRequest_TableNotExist",
                "Table '" + m.table + "' was not found in database '" + m.database + "'");
        schema = t->second.schema;
        mapping = m.mapping;
        if (!m.mapping_reference.empty()) {
            auto found = t->second.mappings.find(kind + "/" + m.mapping_reference);
            if (found == t->second.mappings.end())
                return IngestionOutcome::Failed(
                    "BadRequest_MappingReferenceWasNotFound",
                    "Mapping reference '" + m.mapping_reference + "' was not found");
            mapping = found->second.columns;
        }
        return std::nullopt;
    };
    Schema schema;
    std::optional<Json> mapping;
    {
        std::lock_guard g(mu_);
        if (auto failed = snapshot(schema, mapping)) return *failed;
    }
    if (mapping)
        if (auto valid = ValidateMapping(*mapping, kind, schema); !valid.ok())
            return IngestionOutcome::Failed(valid.error().code, valid.error().message);
    auto parse = [&]() {
        return ParseIngestData(data, m.format, schema, mapping ? &*mapping : nullptr, m.ignore_first_record);
    };
    auto parsed = parse();
    std::lock_guard g(mu_);
    Schema now;
    std::optional<Json> mapping_now;
    if (auto failed = snapshot(now, mapping_now)) return *failed;
    if (now != schema || mapping_now != mapping) {  // altered meanwhile: parse again, as it is now
        schema = std::move(now);
        mapping = std::move(mapping_now);
        parsed = parse();
    }
    if (!parsed.ok())
        return IngestionOutcome::Failed(
            parsed.error().code.empty() ? "BadRequest_InvalidBlob" : parsed.error().code,
            parsed.error().message);
    if (parsed->empty())
        return IngestionOutcome::Failed("BadRequest_NoRecordsOrWrongFormat",
                                        "the blob holds no records in the format '" + m.format + "'");
    Table& table = databases_[m.database].tables[m.table];
    if (std::string tag = IngestedBy(table.extents, m.ingest_if_not_exists); !tag.empty())
        return Skipped(tag);
    IngestionOutcome outcome;
    outcome.rows = schema.empty() ? 0 : static_cast<int64_t>(parsed->size() / schema.size());
    const std::string created = m.creation_time ? FormatTimestamp(*m.creation_time) : std::string();
    if (auto added =
            AddExtent(m.database, table, std::move(parsed).value(), m.tags, &outcome.extent_id, created);
        !added.ok())
        return IngestionOutcome::Failed("General_InternalServerError", added.error().message, false);
    return outcome;
}

void Emulator::RecordFailure(IngestionFailureRecord record) {
    std::lock_guard g(mu_);
    if (ingestion_failures_.size() >= kMaxFailuresKept)
        ingestion_failures_.erase(ingestion_failures_.begin());
    ingestion_failures_.push_back(std::move(record));
}

}  // namespace adxflow::kusto_emulator
