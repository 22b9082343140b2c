#pragma once
// Helpers for format tests: rows <-> JSON arrays, case-file markup, a reader that trickles bytes.

#include <algorithm>
#include <string>

#include "connectors/common/format/row_io.hpp"
#include "core/json.hpp"

namespace adxflow::testing {

// {CR} {LF} {TAB} {BOM} -> the bytes they name.
inline std::string ExpandMarkup(std::string s) {
    auto replace = [&](const std::string& from, const std::string& to) {
        for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
            s.replace(pos, from.size(), to);
    };
    replace("{CR}", "\r");
    replace("{LF}", "\n");
    replace("{TAB}", "\t");
    replace("{BOM}", "\xEF\xBB\xBF");
    return s;
}

// A case value starting on the line after its key begins with the joining '\n': drop it.
inline std::string CaseText(const std::string& raw) {
    return ExpandMarkup(!raw.empty() && raw[0] == '\n' ? raw.substr(1) : raw);
}

inline Json CellToJson(const Value& v) {
    switch (v.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(v);
        case 2:
            return std::get<int64_t>(v);
        case 3:
            return std::get<double>(v);
        default:
            return std::get<std::string>(v);
    }
}

inline Json BatchToJson(const RowBatch& batch) {
    Json rows = Json::array();
    for (size_t r = 0; r < batch.rows(); ++r) {
        Json row = Json::array();
        for (size_t i = 0; i < batch.width(); ++i) row.push_back(CellToJson(batch.Row(r)[i]));
        rows.push_back(row);
    }
    return rows;
}

inline Value JsonToCell(const Json& j) {
    if (j.is_null()) return Value{};
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_number_float()) return j.get<double>();
    return j.get<std::string>();
}

inline RowBatch JsonToBatch(const Json& rows, size_t width) {
    RowBatch batch(width);
    for (const auto& row : rows) {
        Value* out = batch.AddRow();
        for (size_t i = 0; i < width && i < row.size(); ++i) out[i] = JsonToCell(row[i]);
    }
    return batch;
}

inline Json SchemaNames(const Schema& schema) {
    Json names = Json::array();
    for (const auto& c : schema) names.push_back(c.name);
    return names;
}

// Hands out at most `step` bytes per Read, to put buffer boundaries everywhere.
class TrickleReader : public format::ByteReader {
  public:
    TrickleReader(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
    Result<size_t> Read(char* buf, size_t n) override {
        size_t take = std::min({n, step_, data_.size() - pos_});
        std::copy_n(data_.data() + pos_, take, buf);
        pos_ += take;
        return take;
    }
    size_t consumed() const { return pos_; }

  private:
    std::string data_;
    size_t step_;
    size_t pos_ = 0;
};

// Reads everything with batches of `batch_rows`; the error when one happens.
struct ReadAll {
    Schema schema;
    Json rows = Json::array();
    std::optional<Error> error;
};

inline ReadAll ReadAllRows(format::RowReader& reader, size_t batch_rows) {
    ReadAll out;
    auto schema = reader.ReadSchema();
    if (!schema.ok()) {
        out.error = schema.error();
        return out;
    }
    out.schema = *schema;
    RowBatch batch;
    for (;;) {
        auto more = reader.Next(batch, batch_rows);
        if (!more.ok()) {
            out.error = more.error();
            return out;
        }
        for (auto& row : BatchToJson(batch)) out.rows.push_back(row);
        if (!*more) return out;
    }
}

}  // namespace adxflow::testing
