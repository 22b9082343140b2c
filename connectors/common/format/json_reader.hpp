#pragma once
// Json reader with ADF's auto-detection: setOfObjects (one object per line, concatenated objects, or a
// single object) and arrayOfObjects ([ {...}, {...} ]). Streams object by object: the scanner cuts the
// next top-level object out of the byte stream and only that object is parsed, so memory is one object
// plus the batch (and the schema sample, below).
//
// Schema: the union of top-level keys, in order of first appearance, over the first `sample_rows`
// objects, which are read ahead and kept for the first batches. Types come from the same sample: only
// integers -> long, numbers -> real, only booleans -> bool, any object/array -> dynamic, otherwise string.
// Keys first seen after the sample are dropped (counted in dropped_keys()), as ADF drops columns absent
// from the imported schema. A value that does not fit its column's type is passed as its JSON text.

#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/common/format/buffered_input.hpp"
#include "connectors/common/format/row_io.hpp"

namespace adxflow::format {

class JsonReader : public RowReader {
  public:
    static constexpr size_t kDefaultSampleRows = 1000;
    static constexpr size_t kMaxObjectBytes = 64 * 1024 * 1024;

    explicit JsonReader(ByteReader& bytes, size_t sample_rows = kDefaultSampleRows);

    Result<Schema> ReadSchema() override;
    Result<bool> Next(RowBatch& batch, size_t max_rows) override;
    // Objects that are not valid JSON go to `handler` (their text and line) instead of failing the read.
    void SetIncompatibleRowHandler(IncompatibleRowHandler* handler, std::string where) override {
        skip_ = handler;
        where_ = std::move(where);
    }

    uint64_t dropped_keys() const { return dropped_keys_; }

  private:
    enum class Layout { kUnknown, kSetOfObjects, kArrayOfObjects };
    // Cuts the next top-level object's text out of the stream; false when no object is left.
    Result<bool> NextObjectText(std::string& text);
    Result<bool> NextObject(nlohmann::ordered_json& object, size_t& text_bytes);
    Status SkipWhitespace(bool& at_end);
    void AppendRow(const nlohmann::ordered_json& object, size_t text_bytes, RowBatch& batch);

    BufferedInput in_;
    size_t sample_rows_;
    Layout layout_ = Layout::kUnknown;
    bool array_closed_ = false;
    uint64_t line_ = 1;
    uint64_t objects_ = 0;
    std::vector<nlohmann::ordered_json> sample_;
    std::vector<size_t> sample_bytes_;
    size_t sample_pos_ = 0;
    Schema schema_;
    std::unordered_map<std::string, size_t> index_;
    bool schema_read_ = false;
    bool done_ = false;
    uint64_t dropped_keys_ = 0;
    std::string text_;
    IncompatibleRowHandler* skip_ = nullptr;
    std::string where_;
};

// A JSON value as a cell of a column of `type` (see the header comment for the fallbacks).
Value JsonToValue(const nlohmann::ordered_json& v, ColumnType type);

}  // namespace adxflow::format
