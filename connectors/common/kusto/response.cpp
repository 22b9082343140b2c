#include "connectors/common/kusto/response.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <optional>

namespace adxflow::kusto {

namespace {

Error Malformed(std::string message) {
    return MakeError(ErrorKind::kInvalidInput, "kusto.response",
                     "malformed Kusto response: " + std::move(message), "MalformedResponse");
}

// Kusto type names, their v2 aliases and v1 DataType names. An unknown type (new service types, the
// hand-made "missing" of the fixtures) is read as text rather than failing the whole response.
ColumnType KustoColumnType(std::string_view name) {
    std::string n = ToLower(name);
    if (n == "uuid") return ColumnType::kGuid;
    if (n == "sqldecimal" || n == "system.data.sqltypes.sqldecimal") return ColumnType::kDecimal;
    return ParseColumnType(n).value_or(ColumnType::kString);
}

std::string TextOf(const Json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

KustoError ErrorFromOneApi(const Json& wrapper) {
    // Either {"error": {...}} or the inner object itself.
    const Json& e = wrapper.is_object() && wrapper.contains("error") ? wrapper["error"] : wrapper;
    KustoError out;
    if (!e.is_object()) {
        out.message = TextOf(e);
        return out;
    }
    out.code = e.value("code", "");
    out.message = e.contains("@message") && e["@message"].is_string() ? e["@message"].get<std::string>()
                                                                      : e.value("message", "");
    out.type = e.value("@type", "");
    if (e.contains("@permanent") && e["@permanent"].is_boolean()) out.permanent = e["@permanent"].get<bool>();
    return out;
}

std::vector<KustoError> ErrorsFrom(const Json* list) {
    std::vector<KustoError> out;
    if (!list || !list->is_array()) return out;
    for (const auto& e : *list) out.push_back(ErrorFromOneApi(e));
    return out;
}

// A row that is an object instead of an array carries errors: v2 {"OneApiErrors": [...]}, v1 {"Exceptions":
// [...]}.
std::vector<KustoError> RowErrors(const Json& row) {
    if (const Json* one_api = FindMember(row, "OneApiErrors")) return ErrorsFrom(one_api);
    std::vector<KustoError> out;
    if (const Json* exceptions = FindMember(row, "Exceptions"); exceptions && exceptions->is_array())
        for (const auto& text : *exceptions) out.push_back({"", TextOf(text), "", true});
    return out;
}

Result<Schema> SchemaFrom(const Json& columns, std::vector<std::string>& type_names) {
    if (!columns.is_array()) return Malformed("Columns is not an array");
    Schema schema;
    type_names.clear();
    for (const auto& c : columns) {
        if (!c.is_object()) return Malformed("a column is not an object");
        std::string name = c.value("ColumnName", "");
        // v2 writes ColumnType; v1 writes DataType and, on newer services, ColumnType too (prefer it).
        std::string type = c.contains("ColumnType") && c["ColumnType"].is_string()
                               ? c["ColumnType"].get<std::string>()
                               : c.value("DataType", "string");
        schema.push_back({std::move(name), KustoColumnType(type)});
        type_names.push_back(std::move(type));
    }
    return schema;
}

// Fills a row from a wire array; extra cells are ignored and missing ones stay null (hand-edited and older
// responses have both).
Status FillRow(const TableInfo& table, const Json& wire, Value* row) {
    const size_t n = std::min(table.schema.size(), wire.size());
    for (size_t i = 0; i < n; ++i) {
        auto v = DecodeValue(table.schema[i].type, wire[i]);
        if (!v.ok()) {
            Error e = std::move(v).error();
            e.message = "table " + table.name + ", column " + table.schema[i].name + ": " + e.message;
            return e;
        }
        row[i] = std::move(v).value();
    }
    return Ok();
}

// Builds a JSON value from SAX events, for the parts of a frame that are small (everything but Rows).
class DomBuilder {
  public:
    bool active() const { return active_; }
    void Begin() {
        root_ = Json();
        stack_.clear();
        active_ = true;
    }
    // Each returns true when the value that Begin started is complete.
    bool Scalar(Json v) {
        if (stack_.empty()) {
            root_ = std::move(v);
            return Finish();
        }
        Insert(std::move(v));
        return false;
    }
    void StartContainer(bool object) {
        Json fresh = object ? Json::object() : Json::array();
        if (stack_.empty()) {
            root_ = std::move(fresh);
            stack_.push_back(&root_);
        } else {
            stack_.push_back(Insert(std::move(fresh)));
        }
    }
    void Key(std::string key) { key_ = std::move(key); }
    bool EndContainer() {
        stack_.pop_back();
        return stack_.empty() ? Finish() : false;
    }
    Json Take() { return std::move(root_); }

  private:
    bool Finish() {
        active_ = false;
        return true;
    }
    // Pointers on the stack stay valid: only the innermost open container ever grows.
    Json* Insert(Json v) {
        Json& parent = *stack_.back();
        if (parent.is_object()) {
            Json& slot = parent[key_];
            slot = std::move(v);
            return &slot;
        }
        parent.push_back(std::move(v));
        return &parent.back();
    }
    Json root_;
    std::vector<Json*> stack_;
    std::string key_;
    bool active_ = false;
};

// The v2 state machine. Depths: 0 = the frame array, 1 = a frame, 2 = a frame member (Rows array),
// 3 = a row, 4+ = inside a dynamic cell.
class V2Parser {
  public:
    using number_integer_t = Json::number_integer_t;
    using number_unsigned_t = Json::number_unsigned_t;
    using number_float_t = Json::number_float_t;
    using string_t = Json::string_t;
    using binary_t = Json::binary_t;

    V2Parser(ResponseHandler& handler, const ParseOptions& options) : handler_(handler), options_(options) {}

    Status Finish() {
        if (!status_.ok()) return status_;
        if (!saw_array_) return Malformed("the body is not a JSON array of frames");
        if (!closed_) return Malformed("the frame array is not closed");
        return Ok();
    }

    // ---- SAX interface
    bool null() { return OnScalar(Json(nullptr)); }
    bool boolean(bool v) { return OnScalar(Json(v)); }
    bool number_integer(number_integer_t v) { return OnScalar(Json(v)); }
    bool number_unsigned(number_unsigned_t v) { return OnScalar(Json(v)); }
    bool number_float(number_float_t v, const string_t&) { return OnScalar(Json(v)); }
    bool string(string_t& v) { return OnScalar(Json(std::move(v))); }
    bool binary(binary_t&) { return Fail(Malformed("binary value")); }

    bool start_object(std::size_t) {
        if (dom_.active()) {
            dom_.StartContainer(true);
            return true;
        }
        switch (depth_) {
            case 0:
                return Fail(Malformed("the body is an object, not an array of frames (a v1 response?)"));
            case 1:
                BeginFrame();
                break;
            case 2:
                dom_.Begin();
                dom_.StartContainer(true);
                capture_ = Capture::kMember;
                break;
            case 3:
                dom_.Begin();
                dom_.StartContainer(true);
                capture_ = Capture::kRowObject;
                break;
            default:
                dom_.Begin();
                dom_.StartContainer(true);
                capture_ = Capture::kCell;
                break;
        }
        ++depth_;
        return true;
    }
    bool end_object() {
        if (dom_.active()) return dom_.EndContainer() ? Captured() : true;
        --depth_;
        if (depth_ == 1) return EndFrame();
        return true;
    }
    bool start_array(std::size_t) {
        if (dom_.active()) {
            dom_.StartContainer(false);
            return true;
        }
        switch (depth_) {
            case 0:
                if (saw_array_) return Fail(Malformed("nested frame arrays"));
                saw_array_ = true;
                break;
            case 1:
                return Fail(Malformed("a frame is an array"));
            case 2:
                if (key_ == "Rows") {
                    if (!BeginRows()) return false;
                } else {
                    dom_.Begin();
                    dom_.StartContainer(false);
                    capture_ = Capture::kMember;
                }
                break;
            case 3:
                if (buffering_) {
                    dom_.Begin();
                    dom_.StartContainer(false);
                    capture_ = Capture::kBufferedRow;
                } else {
                    BeginRow();
                }
                break;
            default:
                dom_.Begin();
                dom_.StartContainer(false);
                capture_ = Capture::kCell;
                break;
        }
        ++depth_;
        return true;
    }
    bool end_array() {
        if (dom_.active()) return dom_.EndContainer() ? Captured() : true;
        --depth_;
        if (depth_ == 0) closed_ = true;
        if (depth_ == 3) return EndRow();
        return true;
    }
    bool key(string_t& k) {
        if (dom_.active())
            dom_.Key(std::move(k));
        else if (depth_ == 2)
            key_ = std::move(k);
        return true;
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
        return Fail(Malformed("JSON syntax error at byte " + std::to_string(position) + ": " + e.what()));
    }

  private:
    enum class Capture { kMember, kRowObject, kBufferedRow, kCell };

    struct Table {
        TableInfo info;
        bool started = false;
        std::vector<KustoError> row_errors;
    };

    bool Fail(Status s) {
        if (status_.ok()) status_ = std::move(s);
        return false;
    }
    bool Check(Status s) { return s.ok() ? true : Fail(std::move(s)); }

    bool OnScalar(Json v) {
        if (dom_.active()) return dom_.Scalar(std::move(v)) ? Captured() : true;
        switch (depth_) {
            case 2:  // a scalar frame member
                members_[key_] = std::move(v);
                return true;
            case 4:
                return Cell(v);
            case 3:
                return Fail(Malformed("a row is a scalar"));
            default:
                return Fail(Malformed("unexpected scalar at depth " + std::to_string(depth_)));
        }
    }

    // A captured container ended: its start was counted in depth_, its end went to the builder.
    bool Captured() {
        --depth_;
        Json v = dom_.Take();
        switch (capture_) {
            case Capture::kMember:
                members_[key_] = std::move(v);
                return true;
            case Capture::kRowObject: {
                auto errors = RowErrors(v);
                if (Table* t = CurrentTable())
                    t->row_errors.insert(t->row_errors.end(), errors.begin(), errors.end());
                else
                    pending_row_errors_.insert(pending_row_errors_.end(), errors.begin(), errors.end());
                return true;
            }
            case Capture::kBufferedRow:
                buffered_rows_.push_back(std::move(v));
                return true;
            case Capture::kCell:
                return Cell(v);
        }
        return true;
    }

    void BeginFrame() {
        members_.clear();
        key_.clear();
        buffering_ = false;
        buffered_rows_.clear();
        pending_row_errors_.clear();
        current_ = nullptr;
    }

    std::string MemberString(const char* name) const {
        auto it = members_.find(name);
        return it != members_.end() && it->second.is_string() ? it->second.get<std::string>() : std::string();
    }
    std::optional<int> MemberInt(const char* name) const {
        auto it = members_.find(name);
        if (it == members_.end() || !it->second.is_number_integer()) return std::nullopt;
        return it->second.get<int>();
    }

    Table* CurrentTable() { return current_; }

    // Whether the frame's members seen so far say which table the rows belong to, with its columns.
    Table* ResolveTable() {
        const std::string type = MemberString("FrameType");
        if (type == "TableFragment") {
            auto id = MemberInt("TableId");
            if (!id) return nullptr;
            auto it = tables_.find(*id);
            return it == tables_.end() ? nullptr : &it->second;
        }
        if (type != "DataTable") return nullptr;
        auto id = MemberInt("TableId");
        auto columns = members_.find("Columns");
        if (!id || columns == members_.end() || !members_.count("TableKind") || !members_.count("TableName"))
            return nullptr;
        Table& t = tables_[*id];
        t.info.id = *id;
        t.info.name = MemberString("TableName");
        t.info.kind = MemberString("TableKind");
        auto schema = SchemaFrom(columns->second, t.info.type_names);
        if (!schema.ok()) {
            Fail(schema.error());
            return nullptr;
        }
        t.info.schema = std::move(schema).value();
        return &t;
    }

    bool StartTable(Table& t) {
        if (t.started) return true;
        t.started = true;
        return Check(handler_.OnTableStart(t.info));
    }

    bool BeginRows() {
        current_ = ResolveTable();
        if (!status_.ok()) return false;
        if (!current_) {  // members in an unusual order: keep the rows until the frame ends
            buffering_ = true;
            return true;
        }
        if (!StartTable(*current_)) return false;
        batch_.Reset(current_->info.schema.size());
        return true;
    }

    void BeginRow() {
        row_ = batch_.AddRow();
        cell_ = 0;
    }

    bool Cell(const Json& v) {
        if (buffering_ || !current_) return true;  // buffered rows are captured whole, never cell by cell
        if (cell_ < current_->info.schema.size()) {
            auto decoded = DecodeValue(current_->info.schema[cell_].type, v);
            if (!decoded.ok()) {
                Error e = std::move(decoded).error();
                e.message = "table " + current_->info.name + ", column " + current_->info.schema[cell_].name +
                            ": " + e.message;
                return Fail(std::move(e));
            }
            row_[cell_] = std::move(decoded).value();
        }
        ++cell_;
        return true;
    }

    bool EndRow() {
        if (batch_.rows() >= options_.batch_rows) return Flush();
        return true;
    }

    bool Flush() {
        if (!current_ || batch_.empty()) return true;
        bool ok = Check(handler_.OnRows(current_->info, batch_));
        batch_.Clear();
        return ok;
    }

    bool EndFrame() {
        const std::string type = MemberString("FrameType");
        if (!Flush()) return false;
        if (buffering_) {  // rows arrived before the members that place them
            current_ = ResolveTable();
            if (!status_.ok()) return false;
            if (!current_) return Fail(Malformed(type + " frame with rows but no usable TableId/Columns"));
            if (!StartTable(*current_)) return false;
            batch_.Reset(current_->info.schema.size());
            for (const auto& row : buffered_rows_) {
                if (!Check(FillRow(current_->info, row, batch_.AddRow()))) return false;
                if (batch_.rows() >= options_.batch_rows && !Flush()) return false;
            }
            if (!Flush()) return false;
            buffered_rows_.clear();
        }
        if (current_ && !pending_row_errors_.empty()) {
            current_->row_errors.insert(current_->row_errors.end(), pending_row_errors_.begin(),
                                        pending_row_errors_.end());
        }
        if (type == "DataTable") {
            Table* t = current_ ? current_ : ResolveTable();
            if (!status_.ok()) return false;
            if (!t)
                return Fail(Malformed("DataTable frame without TableId, TableName, TableKind or Columns"));
            if (!StartTable(*t)) return false;
            return EndTable(*t, {});
        }
        if (type == "TableHeader") {
            auto id = MemberInt("TableId");
            auto columns = members_.find("Columns");
            if (!id || columns == members_.end())
                return Fail(Malformed("TableHeader without TableId or Columns"));
            Table& t = tables_[*id];
            t.info.id = *id;
            t.info.name = MemberString("TableName");
            t.info.kind = MemberString("TableKind");
            auto schema = SchemaFrom(columns->second, t.info.type_names);
            if (!schema.ok()) return Fail(schema.error());
            t.info.schema = std::move(schema).value();
            return StartTable(t);
        }
        if (type == "TableCompletion") {
            auto id = MemberInt("TableId");
            auto it = id ? tables_.find(*id) : tables_.end();
            if (it == tables_.end()) return Fail(Malformed("TableCompletion for a table never announced"));
            auto errors = ErrorsFrom(members_.count("OneApiErrors") ? &members_["OneApiErrors"] : nullptr);
            return EndTable(it->second, std::move(errors));
        }
        if (type == "DataSetCompletion") {
            auto flag = [this](const char* name) {
                auto it = members_.find(name);
                return it != members_.end() && it->second.is_boolean() && it->second.get<bool>();
            };
            handler_.OnCompletion(
                flag("HasErrors"), flag("Cancelled"),
                ErrorsFrom(members_.count("OneApiErrors") ? &members_["OneApiErrors"] : nullptr));
            return true;
        }
        // DataSetHeader, TableFragment (rows already delivered), TableProgress and frame types added later.
        return true;
    }

    bool EndTable(Table& t, std::vector<KustoError> errors) {
        errors.insert(errors.begin(), t.row_errors.begin(), t.row_errors.end());
        t.row_errors.clear();
        return Check(handler_.OnTableEnd(t.info, errors));
    }

    ResponseHandler& handler_;
    ParseOptions options_;
    Status status_ = Ok();
    DomBuilder dom_;
    Capture capture_ = Capture::kMember;
    int depth_ = 0;
    bool saw_array_ = false;
    bool closed_ = false;
    std::string key_;
    std::map<std::string, Json> members_;  // of the current frame, except Rows
    std::map<int, Table> tables_;
    Table* current_ = nullptr;  // the table the current frame's rows go to
    bool buffering_ = false;
    std::vector<Json> buffered_rows_;
    std::vector<KustoError> pending_row_errors_;
    RowBatch batch_;
    Value* row_ = nullptr;
    size_t cell_ = 0;
};

}  // namespace

std::string TimespanFromTicks(int64_t ticks) {
    const bool negative = ticks < 0;
    // |INT64_MIN| does not fit: clamp one tick, invisible at this scale.
    uint64_t t = negative ? static_cast<uint64_t>(-(ticks + 1)) + 1 : static_cast<uint64_t>(ticks);
    const uint64_t fraction = t % 10000000;
    uint64_t secs = t / 10000000;
    const uint64_t days = secs / 86400;
    secs %= 86400;
    char buf[64];
    int n = days ? std::snprintf(buf, sizeof buf, "%s%llu.%02llu:%02llu:%02llu", negative ? "-" : "",
                                 static_cast<unsigned long long>(days),
                                 static_cast<unsigned long long>(secs / 3600),
                                 static_cast<unsigned long long>(secs / 60 % 60),
                                 static_cast<unsigned long long>(secs % 60))
                 : std::snprintf(buf, sizeof buf, "%s%02llu:%02llu:%02llu", negative ? "-" : "",
                                 static_cast<unsigned long long>(secs / 3600),
                                 static_cast<unsigned long long>(secs / 60 % 60),
                                 static_cast<unsigned long long>(secs % 60));
    std::string out(buf, static_cast<size_t>(n));
    if (fraction) {
        std::snprintf(buf, sizeof buf, ".%07llu", static_cast<unsigned long long>(fraction));
        out += buf;
    }
    return out;
}

Result<Value> DecodeValue(ColumnType type, const Json& wire) {
    if (wire.is_null()) return Value{};
    auto bad = [&](const char* expected) -> Result<Value> {
        return Malformed(std::string("expected ") + expected + ", got " + wire.dump());
    };
    switch (type) {
        case ColumnType::kBool:
            if (wire.is_boolean()) return Value{wire.get<bool>()};
            if (wire.is_number_integer()) return Value{wire.get<int64_t>() != 0};  // v1 writes 0/1
            if (wire.is_string()) {
                const std::string s = ToLower(wire.get<std::string>());
                if (s == "true" || s == "1") return Value{true};
                if (s == "false" || s == "0") return Value{false};
            }
            return bad("a bool");
        case ColumnType::kInt:
        case ColumnType::kLong:
            if (wire.is_number_integer()) return Value{wire.get<int64_t>()};
            if (wire.is_number_float()) return Value{static_cast<int64_t>(wire.get<double>())};
            if (wire.is_string()) {
                const std::string s = wire.get<std::string>();
                char* end = nullptr;
                errno = 0;
                long long v = std::strtoll(s.c_str(), &end, 10);
                if (errno == 0 && end && *end == '\0' && !s.empty()) return Value{static_cast<int64_t>(v)};
            }
            return bad("an integer");
        case ColumnType::kReal:
            if (wire.is_number()) return Value{wire.get<double>()};
            if (wire.is_string()) {
                const std::string s = wire.get<std::string>();
                if (s == "NaN") return Value{std::numeric_limits<double>::quiet_NaN()};
                if (s == "Infinity") return Value{std::numeric_limits<double>::infinity()};
                if (s == "-Infinity") return Value{-std::numeric_limits<double>::infinity()};
                char* end = nullptr;
                double v = std::strtod(s.c_str(), &end);
                if (end && *end == '\0' && !s.empty()) return Value{v};
            }
            return bad("a real");
        case ColumnType::kTimeSpan:
            if (wire.is_number_integer()) return Value{TimespanFromTicks(wire.get<int64_t>())};
            if (wire.is_string()) return Value{wire.get<std::string>()};
            return bad("a timespan");
        case ColumnType::kDynamic:
            return Value{TextOf(wire)};
        case ColumnType::kDecimal:
            if (wire.is_number_float()) {  // some services write decimals as JSON numbers
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.17g", wire.get<double>());
                return Value{std::string(buf)};
            }
            return Value{TextOf(wire)};
        case ColumnType::kString:
        case ColumnType::kDateTime:
        case ColumnType::kGuid:
            // A string column may still carry an object in hand-edited responses: keep its JSON text.
            return Value{TextOf(wire)};
    }
    return bad("a known type");
}

Status ParseV2(std::string_view body, ResponseHandler& handler, const ParseOptions& options) {
    V2Parser parser(handler, options);
    Json::sax_parse(body.begin(), body.end(), &parser, nlohmann::detail::input_format_t::json,
                    /*strict=*/true);
    return parser.Finish();
}

Status ParseV1(std::string_view body, ResponseHandler& handler, const ParseOptions& options) {
    ADXFLOW_ASSIGN_OR_RETURN(Json doc, ParseJson(body, "Kusto v1 response"));
    const Json* tables = FindMember(doc, "Tables");
    if (!tables || !tables->is_array()) return Malformed("no Tables array (a v2 response?)");
    // The table of contents (last table when there are several) names and classifies the others.
    std::vector<std::pair<std::string, std::string>> toc;  // (kind, name) by ordinal
    size_t data_tables = tables->size();
    if (tables->size() > 1) {
        const Json& last = tables->back();
        std::vector<std::string> ignored;
        auto schema = SchemaFrom(last.value("Columns", Json::array()), ignored);
        auto column = [&](const char* name) -> int {
            if (!schema.ok()) return -1;
            for (size_t i = 0; i < schema->size(); ++i)
                if ((*schema)[i].name == name) return static_cast<int>(i);
            return -1;
        };
        const int kind = column("Kind"), name = column("Name");
        if (kind >= 0 && name >= 0 && last.contains("Rows") && last["Rows"].is_array()) {
            for (const auto& row : last["Rows"])
                if (row.is_array() && static_cast<int>(row.size()) > std::max(kind, name))
                    toc.emplace_back(TextOf(row[kind]), TextOf(row[name]));
            data_tables = tables->size() - 1;
        }
    }
    RowBatch batch;
    for (size_t i = 0; i < tables->size(); ++i) {
        const Json& t = (*tables)[i];
        TableInfo info;
        info.id = static_cast<int>(i);
        info.name = t.value("TableName", "Table_" + std::to_string(i));
        if (i < toc.size()) info.kind = toc[i].first;
        if (i >= data_tables) info.kind = "TableOfContents";
        ADXFLOW_ASSIGN_OR_RETURN(info.schema, SchemaFrom(t.value("Columns", Json::array()), info.type_names));
        ADXFLOW_TRY(handler.OnTableStart(info));
        std::vector<KustoError> errors;
        batch.Reset(info.schema.size());
        if (const Json* rows = FindMember(t, "Rows"); rows && rows->is_array()) {
            for (const auto& row : *rows) {
                if (row.is_object()) {
                    auto e = RowErrors(row);
                    errors.insert(errors.end(), e.begin(), e.end());
                    continue;
                }
                if (!row.is_array()) return Malformed("a row of " + info.name + " is not an array");
                ADXFLOW_TRY(FillRow(info, row, batch.AddRow()));
                if (batch.rows() >= options.batch_rows) {
                    ADXFLOW_TRY(handler.OnRows(info, batch));
                    batch.Clear();
                }
            }
        }
        if (!batch.empty()) ADXFLOW_TRY(handler.OnRows(info, batch));
        batch.Clear();
        // Top-level Exceptions belong to the primary result (the first table) when no row carried them.
        if (i == 0 && errors.empty())
            if (const Json* exceptions = FindMember(doc, "Exceptions"); exceptions && exceptions->is_array())
                for (const auto& text : *exceptions) errors.push_back({"", TextOf(text), "", true});
        ADXFLOW_TRY(handler.OnTableEnd(info, errors));
    }
    return Ok();
}

KustoError ParseErrorBody(std::string_view body) {
    auto doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("error")) return ErrorFromOneApi(doc);
    // Plain text: "General_BadRequest: message\nError details:\n..." or just a sentence.
    KustoError e;
    std::string_view first = body.substr(0, body.find('\n'));
    while (!first.empty() && (first.back() == '\r' || first.back() == ' ')) first.remove_suffix(1);
    auto colon = first.find(": ");
    // A code is one token without spaces before ": ".
    if (colon != std::string_view::npos && first.substr(0, colon).find(' ') == std::string_view::npos) {
        e.code = std::string(first.substr(0, colon));
        e.message = std::string(first.substr(colon + 2));
    } else {
        e.message = std::string(first);
    }
    return e;
}

}  // namespace adxflow::kusto
