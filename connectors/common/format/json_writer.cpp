#include "connectors/common/format/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/json.hpp"

namespace adxflow::format {

namespace {

using OrderedJson = nlohmann::ordered_json;

OrderedJson TextToJson(const std::string& s, ColumnType type) {
    switch (type) {
        case ColumnType::kDynamic: {
            OrderedJson parsed = OrderedJson::parse(s, nullptr, /*allow_exceptions=*/false);
            if (!parsed.is_discarded()) return parsed;
            break;
        }
        case ColumnType::kLong:
        case ColumnType::kInt: {
            int64_t n = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return n;
            break;
        }
        case ColumnType::kReal: {
            char* end = nullptr;
            double d = std::strtod(s.c_str(), &end);
            if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return d;
            break;
        }
        case ColumnType::kBool:
            if (IEquals(s, "true")) return true;
            if (IEquals(s, "false")) return false;
            break;
        default:
            break;
    }
    return s;
}

OrderedJson CellToJson(const Value& v, ColumnType type) {
    switch (v.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(v);
        case 2:
            return std::get<int64_t>(v);
        case 3: {
            double d = std::get<double>(v);
            // JSON has no NaN or infinities; their text is the usual way to carry them.
            if (!std::isfinite(d)) return ValueToText(v);
            return d;
        }
        default:
            return TextToJson(std::get<std::string>(v), type);
    }
}

}  // namespace

Status JsonWriter::Begin(const Schema& schema, bool resume, uint64_t rows_already_written) {
    schema_ = schema;
    rows_ = resume ? rows_already_written : 0;
    if (!resume && options_.file_pattern == JsonFilePattern::kArrayOfObjects) return bytes_.Write("[");
    return Ok();
}

Status JsonWriter::Write(const RowBatch& batch) {
    const bool array = options_.file_pattern == JsonFilePattern::kArrayOfObjects;
    text_.clear();
    for (size_t r = 0; r < batch.rows(); ++r) {
        const Value* row = batch.Row(r);
        OrderedJson object = OrderedJson::object();
        for (size_t i = 0; i < batch.width() && i < schema_.size(); ++i)
            object[schema_[i].name] = CellToJson(row[i], schema_[i].type);
        if (array) text_ += rows_ == 0 ? "\n" : ",\n";
        text_ += object.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
        if (!array) text_ += '\n';
        ++rows_;
        if (text_.size() >= 64 * 1024) {
            ADXFLOW_TRY(bytes_.Write(text_));
            text_.clear();
        }
    }
    if (!text_.empty()) ADXFLOW_TRY(bytes_.Write(text_));
    text_.clear();
    return Ok();
}

Status JsonWriter::End() {
    if (options_.file_pattern == JsonFilePattern::kArrayOfObjects) return bytes_.Write("\n]\n");
    return Ok();
}

}  // namespace adxflow::format
