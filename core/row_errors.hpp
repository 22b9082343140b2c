#pragma once
// Fault tolerance of Copy (ADF's enableSkipIncompatibleRow): a row that cannot be copied (more columns than
// the header, a value the sink's type cannot hold, ...) is either the activity's error, or handed to this
// handler, which logs it with the reason and counts it in rowsSkipped. Whoever finds such a row (a reader,
// the mapping, a sink) asks OpContext::incompatible_rows: null means fail, as ADF does by default.

#include <string>

#include "core/error.hpp"

namespace adxflow {

struct IncompatibleRow {
    std::string item;     // the row as text (its fields, comma-separated and quoted as CSV)
    std::string message;  // why it was skipped, naming the file and line or the column
};

class IncompatibleRowHandler {
  public:
    virtual ~IncompatibleRowHandler() = default;
    // Ok: the caller drops the row and goes on. An error (the log cannot be written) fails the activity.
    virtual Status Skip(const IncompatibleRow& row) = 0;
};

}  // namespace adxflow
