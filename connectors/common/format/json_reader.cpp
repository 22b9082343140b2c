#include "connectors/common/format/json_reader.hpp"

#include <algorithm>
#include <limits>

namespace adxflow::format {

namespace {

using OrderedJson = nlohmann::ordered_json;

Error JsonError(uint64_t line, const std::string& message, const char* code = "JsonInvalidData") {
    return MakeError(ErrorKind::kInvalidInput, "json.read", "line " + std::to_string(line) + ": " + message,
                     code);
}

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string Dump(const OrderedJson& v) {
    return v.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// What the sample showed about one column.
struct Seen {
    bool integer = false, real = false, boolean = false, string = false, complex = false;
    ColumnType Type() const {
        if (complex) return ColumnType::kDynamic;
        if (string || (boolean && (integer || real))) return ColumnType::kString;
        if (boolean) return ColumnType::kBool;
        if (real) return ColumnType::kReal;
        if (integer) return ColumnType::kLong;
        return ColumnType::kString;
    }
    void Add(const OrderedJson& v) {
        if (v.is_number_integer()) {
            // An unsigned beyond int64 cannot be a long.
            if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
                real = true;
            else
                integer = true;
        } else if (v.is_number_float()) {
            real = true;
        } else if (v.is_boolean()) {
            boolean = true;
        } else if (v.is_string()) {
            string = true;
        } else if (v.is_structured()) {
            complex = true;
        }
    }
};

}  // namespace

Value JsonToValue(const OrderedJson& v, ColumnType type) {
    if (v.is_null()) return Value{};
    switch (type) {
        case ColumnType::kLong:
        case ColumnType::kInt:
            if (v.is_number_integer() && !(v.is_number_unsigned() &&
                                           v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
                return v.get<int64_t>();
            break;
        case ColumnType::kReal:
            if (v.is_number()) return v.get<double>();
            break;
        case ColumnType::kBool:
            if (v.is_boolean()) return v.get<bool>();
            break;
        case ColumnType::kDynamic:
            return Dump(v);
        default:
            break;
    }
    if (v.is_string()) return v.get<std::string>();
    return Dump(v);
}

JsonReader::JsonReader(ByteReader& bytes, size_t sample_rows)
    : in_(bytes), sample_rows_(sample_rows == 0 ? 1 : sample_rows) {}

Status JsonReader::SkipWhitespace(bool& at_end) {
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool any, in_.Ensure());
        if (!any) {
            at_end = true;
            return Ok();
        }
        char c = in_.peek();
        if (!IsSpace(c)) {
            at_end = false;
            return Ok();
        }
        if (c == '\n') ++line_;
        in_.take();
    }
}

Result<bool> JsonReader::NextObjectText(std::string& text) {
    text.clear();
    for (;;) {
        bool at_end = false;
        ADXFLOW_TRY(SkipWhitespace(at_end));
        if (at_end) {
            if (layout_ == Layout::kArrayOfObjects && !array_closed_)
                return JsonError(line_, "the array of objects is not closed with ']'", "JsonTruncated");
            return false;
        }
        char c = in_.peek();
        if (array_closed_)
            return JsonError(line_, std::string("unexpected '") + c + "' after the closing ']'");
        if (layout_ == Layout::kUnknown) {
            if (c == '[') {
                in_.take();
                layout_ = Layout::kArrayOfObjects;
                continue;
            }
            layout_ = Layout::kSetOfObjects;
        }
        if (layout_ == Layout::kArrayOfObjects) {
            if (c == ']') {
                in_.take();
                array_closed_ = true;
                continue;  // only whitespace may follow
            }
            if (c == ',') {
                in_.take();
                continue;
            }
        }
        if (c != '{') {
            return JsonError(line_, std::string("expected a JSON object, found '") + c + "'",
                             "JsonNotAnObject");
        }
        break;
    }
    // Cut one object: track nesting and strings (a brace inside a string does not count).
    const uint64_t start_line = line_;
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool any, in_.Ensure());
        if (!any) return JsonError(start_line, "the object starting here is truncated", "JsonTruncated");
        char c = in_.take();
        text += c;
        if (text.size() > kMaxObjectBytes)
            return JsonError(start_line, "an object is larger than 64 MB", "JsonObjectTooLarge");
        if (c == '\n') ++line_;
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return true;
        }
    }
}

Result<bool> JsonReader::NextObject(OrderedJson& object, size_t& text_bytes) {
    for (;;) {
        ADXFLOW_ASSIGN_OR_RETURN(bool any, NextObjectText(text_));
        if (!any) return false;
        // The object's first line: whitespace before it is consumed with it.
        const uint64_t line = line_ - static_cast<uint64_t>(std::count(text_.begin(), text_.end(), '\n'));
        object = OrderedJson::parse(text_, nullptr, /*allow_exceptions=*/false);
        if (object.is_discarded()) {
            const std::string why = "object " + std::to_string(objects_ + 1) + " is not valid JSON";
            if (!skip_) return JsonError(line, why);
            // Skipped (enableSkipIncompatibleRow): its text is logged and the next object read.
            ++objects_;
            IncompatibleRow row;
            row.item = text_;
            row.message = (where_.empty() ? std::string() : where_ + ": ") + "line " + std::to_string(line) +
                          ": " + why;
            ADXFLOW_TRY(skip_->Skip(row));
            continue;
        }
        ++objects_;
        text_bytes = text_.size();
        return true;
    }
}

Result<Schema> JsonReader::ReadSchema() {
    schema_read_ = true;
    ADXFLOW_TRY(SkipUtf8Bom(in_));
    std::vector<Seen> seen;
    while (sample_.size() < sample_rows_) {
        OrderedJson object;
        size_t bytes = 0;
        ADXFLOW_ASSIGN_OR_RETURN(bool any, NextObject(object, bytes));
        if (!any) break;
        for (auto it = object.begin(); it != object.end(); ++it) {
            auto [pos, inserted] = index_.try_emplace(it.key(), schema_.size());
            if (inserted) {
                schema_.push_back({it.key(), ColumnType::kString});
                seen.emplace_back();
            }
            seen[pos->second].Add(it.value());
        }
        sample_.push_back(std::move(object));
        sample_bytes_.push_back(bytes);
    }
    for (size_t i = 0; i < schema_.size(); ++i) schema_[i].type = seen[i].Type();
    return schema_;
}

void JsonReader::AppendRow(const OrderedJson& object, size_t text_bytes, RowBatch& batch) {
    Value* row = batch.AddRow();
    for (auto it = object.begin(); it != object.end(); ++it) {
        auto pos = index_.find(it.key());
        if (pos == index_.end()) {
            ++dropped_keys_;
            continue;
        }
        row[pos->second] = JsonToValue(it.value(), schema_[pos->second].type);
    }
    batch.AddBytes(text_bytes);
}

Result<bool> JsonReader::Next(RowBatch& batch, size_t max_rows) {
    if (!schema_read_) ADXFLOW_TRY(ReadSchema());
    batch.Reset(schema_.size());
    if (done_) return false;
    if (max_rows == 0) max_rows = 1;
    size_t added = 0;
    while (added < max_rows && sample_pos_ < sample_.size()) {
        AppendRow(sample_[sample_pos_], sample_bytes_[sample_pos_], batch);
        ++sample_pos_;
        ++added;
    }
    if (sample_pos_ == sample_.size() && !sample_.empty()) {
        // The sample is consumed: give its memory back.
        sample_.clear();
        sample_.shrink_to_fit();
        sample_bytes_.clear();
        sample_pos_ = 0;
    }
    while (added < max_rows) {
        OrderedJson object;
        size_t bytes = 0;
        ADXFLOW_ASSIGN_OR_RETURN(bool any, NextObject(object, bytes));
        if (!any) {
            done_ = true;
            return false;
        }
        AppendRow(object, bytes, batch);
        ++added;
    }
    return true;
}

}  // namespace adxflow::format
