#include "tests/support/kusto_emulator/ingest.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <utility>

namespace adxflow::kusto_emulator {

namespace {

Error Bad(const std::string& code, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "kusto.ingest", message, code);
}

// Case-insensitive member lookup: clients spell mapping keys Column/column/columnName, Properties/properties.
const Json* Member(const Json& object, std::initializer_list<const char*> names) {
    if (!object.is_object()) return nullptr;
    for (const char* name : names)
        if (const Json* v = FindMember(object, name)) return v;
    return nullptr;
}

std::string Text(const Json* v) {
    if (!v || v->is_null()) return {};
    return v->is_string() ? v->get<std::string>() : v->dump();
}

char DelimiterOf(const std::string& format) {
    if (format == "tsv" || format == "tsve") return '\t';
    if (format == "psv") return '|';
    if (format == "scsv") return ';';
    if (format == "sohsv") return '\x01';
    return ',';
}

// RFC 4180 records, one at a time to `on_record(fields, count)`; a quoted field may hold delimiters, doubled
// quotes and newlines. The field strings are reused from record to record, so that a large blob parses
// without an allocation per field.
template <class OnRecord>
Status ForEachCsvRecord(std::string_view data, char delimiter, OnRecord&& on_record) {
    std::vector<std::string> fields(1);
    size_t count = 0;  // index of the field being filled
    bool quoted = false, any = false;
    auto next_field = [&] {
        if (++count == fields.size()) fields.emplace_back();
        fields[count].clear();
    };
    auto end_record = [&] {
        if (any || !fields[count].empty()) on_record(fields, count + 1);
        count = 0;
        fields[0].clear();
        any = false;
    };
    const size_t n = data.size();
    for (size_t i = 0; i < n; ++i) {
        if (quoted) {  // up to the next quote in one piece; "" is a literal quote
            const size_t q = data.find('"', i);
            if (q == std::string_view::npos) break;  // unclosed
            fields[count].append(data.data() + i, q - i);
            i = q;
            if (i + 1 < n && data[i + 1] == '"') {
                fields[count] += '"';
                ++i;
            } else {
                quoted = false;
            }
            continue;
        }
        size_t run = i;  // plain characters are appended as one run
        while (run < n && data[run] != delimiter && data[run] != '"' && data[run] != '\n' &&
               data[run] != '\r')
            ++run;
        if (run > i) {
            fields[count].append(data.data() + i, run - i);
            any = true;
            i = run;
            if (i == n) break;
        }
        const char c = data[i];
        if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == delimiter) {
            next_field();
            any = true;
        } else {  // end of line
            if (c == '\r' && i + 1 < n && data[i + 1] == '\n') ++i;
            end_record();
        }
    }
    if (quoted)
        return Bad("Stream_ClosingQuoteMissing",
                   "a quoted CSV field is not closed before the end of the data");
    end_record();
    return Ok();
}

// A JSON value for a column: numbers and booleans directly, strings parsed as the type, the rest as JSON
// text.
Value CellFromJson(ColumnType type, const Json& v) {
    if (v.is_null()) return Value{};
    switch (type) {
        case ColumnType::kBool:
            if (v.is_boolean()) return Value{v.get<bool>()};
            break;
        case ColumnType::kInt:
        case ColumnType::kLong:
            if (v.is_number_integer()) return Value{v.get<int64_t>()};
            if (v.is_number_float()) return Value{static_cast<int64_t>(v.get<double>())};
            break;
        case ColumnType::kReal:
            if (v.is_number()) return Value{v.get<double>()};
            break;
        case ColumnType::kDynamic:
            return Value{v.dump()};
        default:
            if (!v.is_string()) return Value{v.dump()};
    }
    return v.is_string() ? CellFromText(type, v.get<std::string>()) : Value{};
}

// "$.a.b" / "$['a']" paths of the simple kind mappings use.
const Json* FollowPath(const Json& record, const std::string& path) {
    if (path.empty() || path[0] != '$') return nullptr;
    const Json* cur = &record;
    size_t i = 1;
    while (i < path.size() && cur) {
        std::string key;
        if (path[i] == '.') {
            size_t end = path.find_first_of(".[", i + 1);
            key = path.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
            i = end == std::string::npos ? path.size() : end;
        } else if (path[i] == '[') {
            size_t end = path.find(']', i);
            if (end == std::string::npos) return nullptr;
            key = path.substr(i + 1, end - i - 1);
            if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"'))
                key = key.substr(1, key.size() - 2);
            else if (cur->is_array()) {
                size_t index = static_cast<size_t>(std::atoll(key.c_str()));
                cur = index < cur->size() ? &(*cur)[index] : nullptr;
                i = end + 1;
                continue;
            }
            i = end + 1;
        } else {
            return nullptr;
        }
        cur = cur->is_object() && cur->contains(key) ? &(*cur)[key] : nullptr;
    }
    return cur;
}

// Where each schema column's value comes from.
struct Source {
    std::optional<size_t> ordinal;  // CSV
    std::string path;               // JSON
    std::optional<std::string> constant;
};

Result<std::vector<Source>> Plan(const Json* mapping, const std::string& kind, const Schema& schema) {
    std::vector<Source> plan(schema.size());
    if (!mapping) {  // identity: CSV by position, JSON by name
        for (size_t c = 0; c < schema.size(); ++c) {
            if (kind == "csv")
                plan[c].ordinal = c;
            else
                plan[c].path = "$['" + schema[c].name + "']";
        }
        return plan;
    }
    std::vector<bool> mapped(schema.size(), false);
    for (size_t i = 0; i < mapping->size(); ++i) {
        const Json& entry = (*mapping)[i];
        const std::string where = "mapping entry " + std::to_string(i);
        const std::string column =
            Text(Member(entry, {"Column", "column", "columnName", "ColumnName", "Name", "name"}));
        size_t c = 0;
        while (c < schema.size() && schema[c].name != column) ++c;
        if (c == schema.size())
            return Bad("BadRequest_MappingReferenceNotFound",
                       where + ": the table has no column '" + column + "'");
        const Json* props = Member(entry, {"Properties", "properties"});
        const Json& from = props ? *props : entry;  // legacy mappings keep Ordinal/Path at the top level
        mapped[c] = true;
        if (const Json* constant = Member(from, {"ConstValue", "constValue", "constvalue"})) {
            plan[c].constant = Text(constant);
        } else if (kind == "csv") {
            const Json* ordinal = Member(from, {"Ordinal", "ordinal"});
            if (!ordinal)
                return Bad("BadRequest_InvalidMapping",
                           where + ": a CSV mapping needs Ordinal or ConstValue");
            plan[c].ordinal = static_cast<size_t>(std::atoll(Text(ordinal).c_str()));
        } else {
            const std::string path = Text(Member(from, {"Path", "path"}));
            if (path.empty() || path[0] != '$')
                return Bad("BadRequest_InvalidMapping",
                           where + ": a JSON mapping needs a Path starting with '$'");
            plan[c].path = path;
        }
    }
    return plan;
}

}  // namespace

std::string MappingKindOf(const std::string& raw) {
    const std::string f = ToLower(raw);
    if (f == "csv" || f == "tsv" || f == "tsve" || f == "psv" || f == "scsv" || f == "sohsv") return "csv";
    if (f == "json" || f == "multijson" || f == "singlejson") return "json";
    return "";
}

Status ValidateMapping(const Json& mapping, const std::string& kind, const Schema& schema) {
    if (!mapping.is_array() || mapping.empty())
        return Bad("BadRequest_InvalidMapping", "a mapping is a non-empty JSON array of column mappings");
    auto plan = Plan(&mapping, kind, schema);
    return plan.ok() ? Ok() : Status(plan.error());
}

Value CellFromText(ColumnType type, const std::string& text) {
    if (text.empty()) return type == ColumnType::kString ? Value{std::string()} : Value{};
    switch (type) {
        case ColumnType::kBool: {
            std::string t = ToLower(text);
            if (t == "true" || t == "1") return Value{true};
            if (t == "false" || t == "0") return Value{false};
            return Value{};
        }
        case ColumnType::kInt:
        case ColumnType::kLong: {
            char* end = nullptr;
            long long v = std::strtoll(text.c_str(), &end, 10);
            return end && *end == '\0' ? Value{static_cast<int64_t>(v)} : Value{};
        }
        case ColumnType::kReal: {
            char* end = nullptr;
            double v = std::strtod(text.c_str(), &end);
            return end && *end == '\0' ? Value{v} : Value{};
        }
        default:
            return Value{text};
    }
}

Result<std::vector<Value>> ParseIngestData(std::string_view data, const std::string& raw_format,
                                           const Schema& schema, const Json* mapping,
                                           bool ignore_first_record) {
    const std::string format = ToLower(raw_format);
    const std::string kind = MappingKindOf(format);
    if (kind.empty())
        return Bad("BadRequest_FormatNotSupported",
                   "the format '" + raw_format + "' is not supported by this emulator");
    ADXFLOW_ASSIGN_OR_RETURN(std::vector<Source> plan, Plan(mapping, kind, schema));
    std::vector<Value> rows;
    if (kind == "csv") {
        rows.reserve(static_cast<size_t>(std::count(data.begin(), data.end(), '\n') + 1) * schema.size());
        bool skip = ignore_first_record;
        ADXFLOW_TRY(ForEachCsvRecord(
            data, DelimiterOf(format), [&](const std::vector<std::string>& record, size_t fields) {
                if (std::exchange(skip, false)) return;
                for (size_t c = 0; c < schema.size(); ++c) {
                    const Source& s = plan[c];
                    if (s.constant)
                        rows.push_back(CellFromText(schema[c].type, *s.constant));
                    else if (s.ordinal && *s.ordinal < fields)
                        rows.push_back(CellFromText(schema[c].type, record[*s.ordinal]));
                    else
                        rows.emplace_back();
                }
            }));
        return rows;
    }
    auto add = [&](const Json& record) {
        for (size_t c = 0; c < schema.size(); ++c) {
            const Source& s = plan[c];
            if (s.constant)
                rows.push_back(CellFromText(schema[c].type, *s.constant));
            else if (const Json* v = FollowPath(record, s.path))
                rows.push_back(CellFromJson(schema[c].type, *v));
            else
                rows.emplace_back();
        }
    };
    if (format == "json") {  // JSON Lines; malformed lines are skipped, as the service does
        size_t start = 0;
        while (start < data.size()) {
            size_t end = data.find('\n', start);
            if (end == std::string_view::npos) end = data.size();
            std::string_view line = data.substr(start, end - start);
            start = end + 1;
            auto record = Json::parse(line, nullptr, false);
            if (!record.is_discarded() && record.is_object()) add(record);
        }
        return rows;
    }
    // multijson / singlejson: an array of objects, or objects one after another.
    auto whole = Json::parse(data, nullptr, false);
    if (!whole.is_discarded()) {
        if (whole.is_array())
            for (const auto& record : whole) add(record);
        else if (whole.is_object())
            add(whole);
        return rows;
    }
    // Concatenated objects: parse them one at a time with the SAX-less approach of finding balanced braces.
    size_t depth = 0, begin = std::string_view::npos;
    bool in_string = false;
    for (size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '{') {
            if (depth++ == 0) begin = i;
        } else if (c == '}' && depth > 0 && --depth == 0) {
            auto record = Json::parse(data.substr(begin, i - begin + 1), nullptr, false);
            if (record.is_discarded()) return Bad("BadRequest_InvalidBlob", "malformed MultiJSON record");
            add(record);
        }
    }
    if (depth != 0) return Bad("BadRequest_InvalidBlob", "malformed MultiJSON: a record is not closed");
    return rows;
}

}  // namespace adxflow::kusto_emulator
