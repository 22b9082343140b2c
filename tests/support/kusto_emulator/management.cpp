// Emulator::Management (the /v1/rest/mgmt commands) and Emulator::StreamingIngest (/v1/rest/ingest).
#include "tests/support/kusto_emulator/emulator.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "connectors/common/http/compression.hpp"
#include "connectors/common/kusto/response.hpp"
#include "connectors/common/kusto/writer.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "tests/support/kusto_emulator/ingest.hpp"
#include "tests/support/kusto_emulator/kql.hpp"
#include "tests/support/kusto_emulator/responses.hpp"

namespace adxflow::kusto_emulator {

using namespace detail;
using kusto::KustoError;

namespace {

// ".set-or-append " and the like at the start of a command (lower case), or "".
std::string SetOrAppendVerb(const std::string& lower) {
    for (const char* verb : {".set-or-append ", ".set-or-replace ", ".append ", ".set "})
        if (lower.rfind(verb, 0) == 0) return verb;
    return {};
}

// The tags of `with (tags='["drop-by:x", ...]')` (other properties are ignored).
std::vector<std::string> WithTags(const std::string& props) {
    std::vector<std::string> tags;
    if (auto t = ToLower(props).find("tags"); t != std::string::npos) {
        auto open = props.find('[', t), close = props.find(']', t);
        if (open != std::string::npos && close != std::string::npos) {
            auto parsed = Json::parse(props.substr(open, close - open + 1), nullptr, false);
            if (parsed.is_array())
                for (const auto& tag : parsed)
                    if (tag.is_string()) tags.push_back(tag.get<std::string>());
        }
    }
    return tags;
}

// The primary table of a v1 body, rows flattened.
class FirstTable : public kusto::ResponseHandler {
  public:
    Status OnTableStart(const kusto::TableInfo& t) override {
        if (++tables_ == 1) schema = t.schema;
        return Ok();
    }
    Status OnRows(const kusto::TableInfo&, const RowBatch& batch) override {
        if (tables_ == 1)
            for (size_t r = 0; r < batch.rows(); ++r)
                cells.insert(cells.end(), batch.Row(r), batch.Row(r) + batch.width());
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo&, const std::vector<KustoError>& e) override {
        errors.insert(errors.end(), e.begin(), e.end());
        return Ok();
    }
    void OnCompletion(bool has_errors, bool, const std::vector<KustoError>& e) override {
        failed = failed || has_errors;
        errors.insert(errors.end(), e.begin(), e.end());
    }
    Schema schema;
    std::vector<Value> cells;
    std::vector<KustoError> errors;
    bool failed = false;

  private:
    int tables_ = 0;
};

bool EndsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

// TableName, Schema, DatabaseName, Folder, DocString: what `.create table` and `.show table T schema as json`
// answer; Schema is {"Name","OrderedColumns":[{"Name","Type","CslType"}]}, or "a:long,b:string" (cslschema).
api::Response Emulator::SchemaResponse(const Table& t, const std::string& db, bool csl_form) {
    std::string schema;
    if (csl_form) {
        for (const auto& c : t.schema)
            schema += (schema.empty() ? "" : ",") + c.name + ":" + ToString(c.type);
    } else {
        Json ordered = Json::array();
        for (const auto& c : t.schema)
            ordered.push_back({{"Name", c.name},
                               {"Type", std::string("System.") + kusto::V1DataType(c.type)},
                               {"CslType", ToString(c.type)}});
        schema = Json{{"Name", t.name}, {"OrderedColumns", ordered}}.dump();
    }
    return V1Response({{"TableName", ColumnType::kString},
                       {"Schema", ColumnType::kString},
                       {"DatabaseName", ColumnType::kString},
                       {"Folder", ColumnType::kString},
                       {"DocString", ColumnType::kString}},
                      {Value{t.name}, Value{schema}, Value{db}, Value{std::string()}, Value{std::string()}});
}

// .set / .append / .set-or-append / .set-or-replace T [with (tags='[...]')] <| query: the query runs through
// the emulator's own v1 query path (so it understands what queries understand), and its result becomes one
// new extent; columns are matched by position, as the service does.
api::Response Emulator::SetOrAppend(const api::Request& request, const std::string& db_name,
                                    const std::string& csl) {
    const std::string lower = ToLower(csl);
    const std::string verb = Trim(SetOrAppendVerb(lower));
    const size_t arrow = csl.find("<|");
    if (arrow == std::string::npos) return BadRequest("'" + verb + "' needs '<| query'");
    std::string name = Trim(csl.substr(verb.size(), arrow - verb.size()));
    if (ToLower(name).rfind("async ", 0) == 0)
        return BadRequest("'" + verb + " async' is not supported by this emulator (drop 'async')");
    std::vector<std::string> tags;
    if (auto with = ToLower(name).find(" with"); with != std::string::npos) {
        tags = WithTags(name.substr(with));
        name = Trim(name.substr(0, with));
    }
    if (name.empty()) return BadRequest("'" + verb + "' needs a table name");

    api::Request query;
    query.method = "POST";
    query.path = "/v1/rest/query";
    query.headers = request.headers;
    query.body = Json{{"db", db_name},
                      {"csl", Trim(csl.substr(arrow + 2))},
                      {"properties", {{"Options", {{"notruncation", true}}}}}}
                     .dump();
    api::Response result = Query(query, false);
    if (result.status != 200) return result;
    if (result.stream)  // a streamed result is collected: it becomes one extent anyway
        while (result.stream(result.body)) {
        }
    FirstTable table;
    if (auto parsed = kusto::ParseV1(result.body, table); !parsed.ok())
        return BadRequest(parsed.error().message);
    if (table.failed || !table.errors.empty())
        return ErrorResponse(400, table.errors.empty() ? "General_BadRequest" : table.errors[0].code,
                             "Kusto.Data.Exceptions.KustoBadRequestException",
                             table.errors.empty() ? "the query failed" : table.errors[0].message);

    std::lock_guard g(mu_);
    auto db = databases_.find(db_name);
    if (db == databases_.end()) return EntityNotFound("Database '" + db_name + "' was not found");
    auto it = db->second.tables.find(name);
    const bool exists = it != db->second.tables.end();
    if (verb == ".append" && !exists) return EntityNotFound("Table '" + name + "' was not found");
    if (verb == ".set" && exists)
        return ErrorResponse(400, "BadRequest_EntityAlreadyExists",
                             "Kusto.Data.Exceptions.EntityAlreadyExistsException",
                             "Table '" + name + "' already exists (use .append or .set-or-append)");
    if (!exists) {
        Table fresh;
        fresh.name = name;
        fresh.schema = table.schema;
        it = db->second.tables.emplace(name, std::move(fresh)).first;
    }
    Table& t = it->second;
    const size_t width = t.schema.size();
    if (table.schema.size() != width)
        return BadRequest("the query returns " + std::to_string(table.schema.size()) + " columns, table '" +
                          name + "' has " + std::to_string(width));
    // By position; a cell of another type is converted through its text, as ingestion would read it.
    for (size_t i = 0; i < table.cells.size(); ++i) {
        const size_t c = i % width;
        if (table.schema[c].type != t.schema[c].type && !IsNull(table.cells[i]))
            table.cells[i] = CellFromText(t.schema[c].type, ValueToText(table.cells[i]));
    }
    if (verb == ".set-or-replace") t.extents.clear();
    if (auto saved = PersistTable(db_name, t, !exists || verb == ".set-or-replace"); !saved.ok())
        return BadRequest(saved.error().message);
    const int64_t rows = width ? static_cast<int64_t>(table.cells.size() / width) : 0;
    int64_t size = 0;
    for (const auto& cell : table.cells) size += static_cast<int64_t>(ValueToText(cell).size());
    std::string extent_id;
    if (rows > 0)
        if (auto added = AddExtent(db_name, t, std::move(table.cells), std::move(tags), &extent_id);
            !added.ok())
            return BadRequest(added.error().message);
    std::vector<Value> out;
    if (rows > 0)
        out = {Value{extent_id}, Value{size}, Value{size}, Value{size}, Value{int64_t{0}}, Value{rows}};
    return V1Response({{"ExtentId", ColumnType::kGuid},
                       {"OriginalSize", ColumnType::kLong},
                       {"ExtentSize", ColumnType::kLong},
                       {"ColumnSize", ColumnType::kLong},
                       {"IndexSize", ColumnType::kLong},
                       {"RowCount", ColumnType::kLong}},
                      std::move(out));
}

api::Response Emulator::Management(const api::Request& request) {
    auto body = ReadBody(request);
    if (!body.ok()) return BadRequest(body.error().message);
    const std::string csl = Trim(body->csl);
    const std::string lower = ToLower(csl);
    // `.cancel query` authorizes per query (the caller's own, or a database it administers).
    if (lower.rfind(".cancel query", 0) == 0) return CancelQuery(*running_queries_, auth_, request, *body);
    // The role a command needs, as ADX assigns them: reading metadata is a viewer's, ingesting an
    // ingestor's, changing tables an admin's.
    // The queued-ingestion resources only need a valid token (the data's database is checked later).
    const bool set_or_append = !SetOrAppendVerb(lower).empty();
    const Role needed = lower.rfind(".show", 0) == 0                      ? Role::kViewer
                        : lower.rfind(".ingest", 0) == 0 || set_or_append ? Role::kIngestor
                        : lower.rfind(".get ", 0) == 0                    ? Role::kNone
                                                                          : Role::kAdmin;
    if (auto denied = auth_.Authorize(request, body->db, needed)) return std::move(*denied);
    if (auto queued = QueuedManagement(request, body->db, csl)) return std::move(*queued);
    if (set_or_append) return SetOrAppend(request, body->db, csl);

    if (lower == ".show version") {
        return V1Response({{"BuildVersion", ColumnType::kString},
                           {"BuildTime", ColumnType::kDateTime},
                           {"ServiceType", ColumnType::kString},
                           {"ProductVersion", ColumnType::kString}},
                          {Value{std::string("1.0.0.0")}, Value{std::string("2026-01-01T00:00:00Z")},
                           Value{std::string("Engine")}, Value{std::string("adxflow-kusto-emulator 0.1")}});
    }

    std::lock_guard g(mu_);
    auto db = databases_.find(body->db);
    if (db == databases_.end()) return EntityNotFound("Database '" + body->db + "' was not found");
    auto& tables = db->second.tables;

    if (lower == ".show tables") {
        std::vector<Value> rows;
        for (const auto& [name, t] : tables)
            for (const std::string& cell : {name, body->db, std::string(), std::string()})
                rows.push_back(Value{cell});
        return V1Response({{"TableName", ColumnType::kString},
                           {"DatabaseName", ColumnType::kString},
                           {"Folder", ColumnType::kString},
                           {"DocString", ColumnType::kString}},
                          std::move(rows));
    }
    // .add database D viewers|ingestors|admins ('aadapp=...') and .show database D principals
    if (lower.rfind(".add database ", 0) == 0 ||
        (lower.rfind(".show database ", 0) == 0 && lower.size() > 11 &&
         lower.substr(lower.size() - 11) == " principals")) {
        if (lower.rfind(".show", 0) == 0) {
            std::vector<Value> rows;
            for (const auto& [role, fqn] : auth_.Principals(body->db)) {
                rows.push_back(Value{role});
                rows.push_back(Value{fqn});
            }
            return V1Response({{"Role", ColumnType::kString}, {"PrincipalFQN", ColumnType::kString}},
                              std::move(rows));
        }
        const std::string rest = Trim(lower.substr(14));
        const size_t space = rest.find(' ');
        const std::string db_name = Trim(csl.substr(14, space));
        const std::string kind =
            space == std::string::npos ? "" : Trim(rest.substr(space + 1, rest.find('(') - space - 1));
        const Role role = kind == "viewers"     ? Role::kViewer
                          : kind == "ingestors" ? Role::kIngestor
                          : kind == "admins"    ? Role::kAdmin
                                                : Role::kNone;
        if (role == Role::kNone) return BadRequest("expected viewers, ingestors or admins");
        if (db_name != body->db)
            return BadRequest("the command names database '" + db_name + "' but runs in '" + body->db + "'");
        std::vector<Value> rows;
        for (size_t q = csl.find('\''); q != std::string::npos; q = csl.find('\'', q + 1)) {
            const size_t end = csl.find('\'', q + 1);
            if (end == std::string::npos) break;
            const std::string fqn = csl.substr(q + 1, end - q - 1);
            if (!auth_.Grant(body->db, role, fqn))
                return ErrorResponse(
                    400, "BadRequest_PrincipalNotFound", "Kusto.Data.Exceptions.KustoBadRequestException",
                    "Principal '" + fqn + "' is not known to this emulator (configure it under identities)");
            rows.push_back(Value{kind});
            rows.push_back(Value{fqn});
            q = end;
        }
        if (rows.empty()) return BadRequest("expected ('aadapp=...') principals in parentheses");
        return V1Response({{"Role", ColumnType::kString}, {"PrincipalFQN", ColumnType::kString}},
                          std::move(rows));
    }
    // .alter table T policy streamingingestion enable|disable, .alter database D policy streamingingestion
    // ...
    if (lower.rfind(".alter table ", 0) == 0 || lower.rfind(".alter database ", 0) == 0) {
        const bool database = lower.rfind(".alter database ", 0) == 0;
        const size_t name_start = database ? 16 : 13;
        const size_t policy = lower.find(" policy streamingingestion ", name_start);
        if (policy == std::string::npos)
            return BadRequest("only 'policy streamingingestion enable|disable' is supported here");
        const std::string name = Trim(csl.substr(name_start, policy - name_start));
        const std::string state = Trim(lower.substr(policy + 27));
        if (state != "enable" && state != "disable") return BadRequest("expected 'enable' or 'disable'");
        const bool on = state == "enable";
        if (database) {
            if (name != body->db)
                return BadRequest("the command names database '" + name + "' but runs in '" + body->db + "'");
            db->second.streaming_policy = on;
            if (store_)
                if (auto saved = store_->SaveDatabase(body->db, on); !saved.ok())
                    return BadRequest(saved.error().message);
        } else {
            auto it = tables.find(name);
            if (it == tables.end()) return EntityNotFound("Table '" + name + "' was not found");
            it->second.streaming_policy = on;
            if (auto saved = PersistTable(body->db, it->second, false); !saved.ok())
                return BadRequest(saved.error().message);
        }
        return V1Response({{"PolicyName", ColumnType::kString},
                           {"EntityName", ColumnType::kString},
                           {"Policy", ColumnType::kString}},
                          {Value{std::string("StreamingIngestionPolicy")}, Value{name},
                           Value{Json{{"IsEnabled", on}}.dump()}});
    }
    // .create[-or-alter] table T ingestion csv|json mapping "name" '[...]'
    if ((lower.rfind(".create table ", 0) == 0 || lower.rfind(".create-or-alter table ", 0) == 0) &&
        lower.find(" ingestion ") != std::string::npos) {
        const bool or_alter = lower.rfind(".create-or-alter", 0) == 0;
        const size_t name_start = or_alter ? 23 : 14;
        const size_t ingestion = lower.find(" ingestion ", name_start);
        const std::string table_name = Trim(csl.substr(name_start, ingestion - name_start));
        std::string rest = Trim(csl.substr(ingestion + 11));
        const size_t space = rest.find(' ');
        const std::string kind = ToLower(rest.substr(0, space));
        rest = Trim(rest.substr(space == std::string::npos ? rest.size() : space));
        if (ToLower(rest).rfind("mapping ", 0) != 0) return BadRequest("expected 'mapping \"name\"'");
        rest = Trim(rest.substr(8));
        const size_t q2 = rest.empty() || rest[0] != '"' ? std::string::npos : rest.find('"', 1);
        if (q2 == std::string::npos) return BadRequest("the mapping name must be a double-quoted string");
        const std::string mapping_name = rest.substr(1, q2 - 1);
        std::string literal = Trim(rest.substr(q2 + 1));
        if (literal.size() < 2 || literal.front() != '\'' || literal.back() != '\'')
            return BadRequest("the mapping must be a single-quoted JSON string");
        literal = literal.substr(1, literal.size() - 2);
        auto mapping = Json::parse(literal, nullptr, false);
        if (mapping.is_discarded()) return BadRequest("the mapping is not valid JSON");
        if (kind != "csv" && kind != "json")
            return BadRequest("mapping kind '" + kind + "' is not supported by this emulator");
        auto it = tables.find(table_name);
        if (it == tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
        if (auto valid = ValidateMapping(mapping, kind, it->second.schema); !valid.ok())
            return ErrorResponse(400, valid.error().code, "Kusto.Data.Exceptions.KustoBadRequestException",
                                 valid.error().message);
        const std::string key = kind + "/" + mapping_name;
        if (!or_alter && it->second.mappings.count(key))
            return ErrorResponse(400, "BadRequest_EntityAlreadyExists",
                                 "Kusto.Data.Exceptions.EntityAlreadyExistsException",
                                 "Mapping '" + mapping_name + "' already exists (use .create-or-alter)");
        it->second.mappings[key] = Mapping{kind, mapping};
        if (auto saved = PersistTable(body->db, it->second, false); !saved.ok())
            return BadRequest(saved.error().message);
        return V1Response(
            {{"Name", ColumnType::kString},
             {"Kind", ColumnType::kString},
             {"Mapping", ColumnType::kString},
             {"Database", ColumnType::kString},
             {"Table", ColumnType::kString}},
            {Value{mapping_name}, Value{kind == "csv" ? std::string("Csv") : std::string("Json")},
             Value{mapping.dump()}, Value{body->db}, Value{table_name}});
    }
    // .show table T schema as json, .show table T cslschema
    if (lower.rfind(".show table ", 0) == 0 &&
        (EndsWith(lower, " schema as json") || EndsWith(lower, " cslschema"))) {
        const bool csl_form = EndsWith(lower, " cslschema");
        const std::string name = Trim(csl.substr(12, csl.size() - 12 - (csl_form ? 10 : 15)));
        auto it = tables.find(name);
        if (it == tables.end()) return EntityNotFound("Table '" + name + "' was not found");
        return SchemaResponse(it->second, body->db, csl_form);
    }
    // .show table T extents [where tags has "x"], .drop extents <| .show table T extents [where tags has
    // "x"], .drop extents from T: the extents an ingestion made, found and dropped by tag (drop-by: tags).
    {
        std::string show = lower;
        const bool drop = lower.rfind(".drop extents", 0) == 0;
        if (drop && lower.find("<|") != std::string::npos) show = Trim(lower.substr(lower.find("<|") + 2));
        std::string table_name, tag;
        bool matched = false;
        if (show.rfind(".show table ", 0) == 0 && show.find(" extents") != std::string::npos) {
            const size_t ext = show.find(" extents");
            const size_t name_at = csl.size() - show.size() + 12;
            table_name = Trim(csl.substr(name_at, ext - 12));
            const size_t has = show.find("tags has ", ext);
            if (has != std::string::npos) {
                std::string literal = Trim(csl.substr(csl.size() - show.size() + has + 9));
                if (literal.size() >= 2) tag = literal.substr(1, literal.size() - 2);
            }
            matched = true;
        } else if (drop && lower.rfind(".drop extents from ", 0) == 0) {
            table_name = Trim(csl.substr(19));
            matched = true;
        }
        if (matched) {
            auto it = tables.find(table_name);
            if (it == tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
            Table& t = it->second;
            auto selected = [&](const Extent& e) {
                return tag.empty() || std::find(e.tags.begin(), e.tags.end(), tag) != e.tags.end();
            };
            std::vector<Value> rows;
            const size_t width = t.schema.size();
            for (const auto& e : t.extents) {
                if (!selected(e)) continue;
                std::string tags_text;
                for (const auto& x : e.tags) tags_text += (tags_text.empty() ? "" : "\r\n") + x;
                rows.insert(rows.end(),
                            {Value{e.id}, Value{body->db}, Value{t.name},
                             Value{width ? static_cast<int64_t>(e.rows.size() / width) : int64_t{0}},
                             Value{e.created}, Value{e.created}, Value{tags_text}});
            }
            if (drop) {
                t.extents.erase(std::remove_if(t.extents.begin(), t.extents.end(), selected),
                                t.extents.end());
                if (auto saved = PersistTable(body->db, t, true); !saved.ok())
                    return BadRequest(saved.error().message);
            }
            return V1Response({{"ExtentId", ColumnType::kGuid},
                               {"DatabaseName", ColumnType::kString},
                               {"TableName", ColumnType::kString},
                               {"RowCount", ColumnType::kLong},
                               {"MinCreatedOn", ColumnType::kDateTime},
                               {"MaxCreatedOn", ColumnType::kDateTime},
                               {"Tags", ColumnType::kString}},
                              std::move(rows));
        }
    }
    // .show table T ingestion [csv|json] mappings
    if (lower.rfind(".show table ", 0) == 0 && lower.find(" ingestion ") != std::string::npos &&
        lower.size() > 9 && lower.substr(lower.size() - 9) == " mappings") {
        const size_t ingestion = lower.find(" ingestion ");
        const std::string table_name = Trim(csl.substr(12, ingestion - 12));
        const size_t kind_start = ingestion + 11, mappings_start = lower.size() - 9;  // " mappings"
        const std::string kind_filter = kind_start < mappings_start
                                            ? Trim(lower.substr(kind_start, mappings_start - kind_start))
                                            : std::string();
        auto it = tables.find(table_name);
        if (it == tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
        std::vector<Value> rows;
        for (const auto& [key, m] : it->second.mappings) {
            if (!kind_filter.empty() && kind_filter != m.kind) continue;
            rows.push_back(Value{key.substr(key.find('/') + 1)});
            rows.push_back(Value{m.kind == "csv" ? std::string("Csv") : std::string("Json")});
            rows.push_back(Value{m.columns.dump()});
            rows.push_back(Value{body->db});
            rows.push_back(Value{table_name});
        }
        return V1Response({{"Name", ColumnType::kString},
                           {"Kind", ColumnType::kString},
                           {"Mapping", ColumnType::kString},
                           {"Database", ColumnType::kString},
                           {"Table", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower.rfind(".create table ", 0) == 0 || lower.rfind(".create-merge table ", 0) == 0) {
        const bool merge = lower.rfind(".create-merge", 0) == 0;
        auto spec = TableSpec(csl.substr(merge ? 20 : 14));
        if (!spec.ok()) return BadRequest(spec.error().message);
        auto& [name, schema] = *spec;
        auto it = tables.find(name);
        if (it == tables.end()) {
            Table fresh;
            fresh.name = name;
            fresh.schema = schema;
            tables[name] = std::move(fresh);
            if (auto saved = PersistTable(body->db, tables[name], false); !saved.ok())
                return BadRequest(saved.error().message);
        } else if (merge) {
            // New columns are appended (existing rows get nulls); a type change is refused, as the service
            // does.
            Table& t = it->second;
            for (const auto& col : schema) {
                auto existing = std::find_if(t.schema.begin(), t.schema.end(),
                                             [&](const Column& c) { return c.name == col.name; });
                if (existing != t.schema.end()) {
                    if (existing->type != col.type)
                        return BadRequest("column '" + col.name + "' already exists with type " +
                                          ToString(existing->type));
                    continue;
                }
                const size_t width = t.schema.size();
                for (auto& extent : t.extents) {
                    const size_t count = width ? extent.rows.size() / width : 0;
                    std::vector<Value> widened;
                    for (size_t r = 0; r < count; ++r) {
                        widened.insert(widened.end(), extent.rows.begin() + r * width,
                                       extent.rows.begin() + (r + 1) * width);
                        widened.emplace_back();
                    }
                    extent.rows = std::move(widened);
                }
                t.schema.push_back(col);
            }
            if (auto saved = PersistTable(body->db, t, true); !saved.ok())
                return BadRequest(saved.error().message);
        }  // plain .create of an existing table succeeds without a change
        return SchemaResponse(tables[name], body->db, false);
    }
    if (lower.rfind(".drop table ", 0) == 0) {
        std::string rest = Trim(csl.substr(12));
        bool if_exists = false;
        if (ToLower(rest).size() > 9 && ToLower(rest).substr(rest.size() - 9) == " ifexists") {
            if_exists = true;
            rest = Trim(rest.substr(0, rest.size() - 9));
        }
        const bool existed = tables.erase(rest) > 0;
        if (existed && store_)
            if (auto dropped = store_->DropTable(body->db, rest); !dropped.ok())
                return BadRequest(dropped.error().message);
        if (!existed && !if_exists) return EntityNotFound("Table '" + rest + "' was not found");
        std::vector<Value> rows;
        for (const auto& [name, t] : tables) {
            rows.push_back(Value{name});
            rows.push_back(Value{body->db});
        }
        return V1Response({{"TableName", ColumnType::kString}, {"DatabaseName", ColumnType::kString}},
                          std::move(rows));
    }
    if (lower.rfind(".ingest inline into table ", 0) == 0) {
        const auto arrow = csl.find("<|");
        if (arrow == std::string::npos) return BadRequest("'.ingest inline' needs '<|' before the data");
        std::string name = Trim(csl.substr(26, arrow - 26));
        std::vector<std::string> tags;
        if (auto with = ToLower(name).find(" with"); with != std::string::npos) {
            // with (tags='["drop-by:x"]'): the extent's tags
            tags = WithTags(name.substr(with));
            name = Trim(name.substr(0, with));
        }
        auto it = tables.find(name);
        if (it == tables.end()) return EntityNotFound("Table '" + name + "' was not found");
        Table& t = it->second;
        std::string_view data(csl);
        data.remove_prefix(arrow + 2);
        if (!data.empty() && data.front() == ' ')
            data.remove_prefix(1);  // "<| 1,a": the space is the separator
        auto parsed = ParseIngestData(data, "csv", t.schema, nullptr);
        if (!parsed.ok()) return BadRequest(parsed.error().message);
        std::vector<Value> added = std::move(parsed).value();
        // One extent per ingestion: all rows or none.
        std::string extent_id;
        if (auto added_ok = AddExtent(body->db, t, std::move(added), std::move(tags), &extent_id);
            !added_ok.ok())
            return BadRequest(added_ok.error().message);
        return V1Response({{"ExtentId", ColumnType::kGuid}}, {Value{extent_id}});
    }
    return ErrorResponse(
        400, "General_BadRequest", "Kusto.Data.Exceptions.SyntaxException",
        "Syntax error: the command '" + csl.substr(0, 60) + "' is not supported by this emulator");
}

api::Response Emulator::StreamingIngest(const api::Request& request) {
    // /v1/rest/ingest/{database}/{table}
    const std::string rest = request.path.substr(16);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size())
        return BadRequest("the streaming ingestion path is /v1/rest/ingest/{database}/{table}");
    const std::string db_name = rest.substr(0, slash), table_name = rest.substr(slash + 1);
    if (auto denied = auth_.Authorize(request, db_name, Role::kIngestor)) return std::move(*denied);
    if (request.body.size() > options_.streaming_ingest_limit_bytes)
        return ErrorResponse(413, "Stream_InputStreamTooLarge",
                             "Kusto.DataNode.Exceptions.KustoRequestPayloadTooLargeException",
                             "the request body exceeds the " +
                                 std::to_string(options_.streaming_ingest_limit_bytes) +
                                 "-byte limit of streaming ingestion; use queued ingestion");
    std::string data = request.body;
    if (const std::string* encoding = request.Header("content-encoding");
        encoding && ToLower(*encoding) == "gzip") {
        http::BodyDecoder decoder(http::BodyDecoder::Encoding::kGzip);
        std::string plain;
        if (auto fed = decoder.Feed(request.body, plain); !fed.ok() || !decoder.Finish().ok())
            return BadRequest("the gzip request body cannot be decoded");
        data = std::move(plain);
    }
    const std::string* format_param = request.Query("streamFormat");
    const std::string format = format_param ? *format_param : "csv";
    const std::string kind = MappingKindOf(format);
    if (kind.empty()) return BadRequest("streamFormat '" + format + "' is not supported by this emulator");

    std::lock_guard g(mu_);
    auto db = databases_.find(db_name);
    if (db == databases_.end()) return EntityNotFound("Database '" + db_name + "' was not found");
    auto it = db->second.tables.find(table_name);
    if (it == db->second.tables.end()) return EntityNotFound("Table '" + table_name + "' was not found");
    Table& t = it->second;
    if (!t.streaming_policy && !db->second.streaming_policy)
        return ErrorResponse(
            400, "BadRequest_StreamingIngestionPolicyNotEnabled",
            "Kusto.DataNode.Exceptions.StreamingIngestionPolicyNotEnabledException",
            "Streaming ingestion policy is not enabled for the table '" + table_name + "' or its database");
    const Json* mapping = nullptr;
    if (const std::string* name = request.Query("mappingName"); name && !name->empty()) {
        auto m = t.mappings.find(kind + "/" + *name);
        if (m == t.mappings.end())
            return ErrorResponse(400, "BadRequest_MappingReferenceNotFound",
                                 "Kusto.Data.Exceptions.KustoBadRequestException",
                                 "Mapping reference '" + *name + "' of kind '" + kind +
                                     "' was not found on table '" + table_name + "'");
        mapping = &m->second.columns;
    }
    auto parsed = ParseIngestData(data, format, t.schema, mapping);
    if (!parsed.ok())
        return ErrorResponse(400, parsed.error().code, "Kusto.Data.Exceptions.KustoBadRequestException",
                             parsed.error().message);
    const int64_t records = t.schema.empty() ? 0 : static_cast<int64_t>(parsed->size() / t.schema.size());
    // One extent per ingestion: the rows land together or not at all.
    if (auto added = AddExtent(db_name, t, std::move(parsed).value(), {}, nullptr); !added.ok())
        return BadRequest(added.error().message);
    return V1Response(
        {{"ConsumedRecordsCount", ColumnType::kLong},
         {"UpdatePolicyStatus", ColumnType::kString},
         {"UpdatePolicyFailureCode", ColumnType::kString},
         {"UpdatePolicyFailureReason", ColumnType::kString}},
        {Value{records}, Value{std::string("Inactive")}, Value{std::string("Unknown")}, Value{}});
}

}  // namespace adxflow::kusto_emulator
