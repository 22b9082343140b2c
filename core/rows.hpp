#pragma once
// Tabular data as it flows from a source to a sink: a schema and batches of typed cells.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace adxflow {

// Column types, named after Kusto's because ADX is the product's centre; other stores map onto them
// (docs/type-map.md). A source that does not know a type (CSV) reports kString.
enum class ColumnType { kString, kBool, kInt, kLong, kReal, kDecimal, kDateTime, kTimeSpan, kGuid, kDynamic };

const char* ToString(ColumnType type);  // Kusto spelling: "string", "bool", "int", "long", ...
// Accepts Kusto names ("long", "datetime"), their System.* aliases and ADF interim types ("Int64", "Double").
std::optional<ColumnType> ParseColumnType(std::string_view name);

struct Column {
    std::string name;
    ColumnType type = ColumnType::kString;
    bool operator==(const Column&) const = default;
};
using Schema = std::vector<Column>;

// One cell. kDecimal, kDateTime, kTimeSpan, kGuid and kDynamic travel as their canonical text; kInt and
// kLong as int64_t; kReal as double; null as monostate.
using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;

inline bool IsNull(const Value& v) {
    return std::holds_alternative<std::monostate>(v);
}
// Text form used by text sinks (CSV): null -> "", true -> "True"/"False" as ADF writes booleans.
std::string ValueToText(const Value& v);

// Rows stored flat (row-major) so that a batch is one allocation, reused batch after batch.
class RowBatch {
  public:
    explicit RowBatch(size_t width = 0) : width_(width) {}

    void Reset(size_t width) {
        width_ = width;
        cells_.clear();
        bytes_ = 0;
        source_file_.clear();
    }
    void Clear() {
        cells_.clear();
        bytes_ = 0;
        source_file_.clear();
    }
    size_t width() const { return width_; }
    size_t rows() const { return width_ == 0 ? 0 : cells_.size() / width_; }
    bool empty() const { return cells_.empty(); }

    // Appends a row of null cells and returns a pointer to its first cell.
    Value* AddRow() {
        cells_.resize(cells_.size() + width_);
        return cells_.data() + cells_.size() - width_;
    }
    Value* Row(size_t i) { return cells_.data() + i * width_; }
    const Value* Row(size_t i) const { return cells_.data() + i * width_; }

    // Approximate payload size, maintained by the producer; used for byte caps and dataRead.
    size_t bytes() const { return bytes_; }
    void AddBytes(size_t n) { bytes_ += n; }

    // The file these rows were read from, relative to the source's selection root; empty when the source has
    // no files (ADX, PostgreSQL). A source that sets it puts rows of one file only in a batch, so that a file
    // sink can write one output file per source file (copyBehavior PreserveHierarchy / FlattenHierarchy).
    const std::string& source_file() const { return source_file_; }
    void set_source_file(std::string_view path) { source_file_.assign(path); }

  private:
    size_t width_ = 0;
    size_t bytes_ = 0;
    std::string source_file_;
    std::vector<Value> cells_;
};

}  // namespace adxflow
