#pragma once
// Json writer: setOfObjects (JSON Lines, ADF's default) or arrayOfObjects. Cells keep their types: longs and
// reals as numbers, booleans, null as null, dynamic text parsed back into JSON; a string cell in a numeric or
// bool column becomes that number or bool when it parses as one.
//
// arrayOfObjects is written as "[" ... "\n]" with the "]" only in End(), so that every committed prefix
// of the file ends after a whole object and a resumed writer can continue with ",\n{...}".

#include <string>

#include "connectors/common/format/row_io.hpp"

namespace adxflow::format {

class JsonWriter : public RowWriter {
  public:
    JsonWriter(JsonOptions options, ByteWriter& bytes) : options_(options), bytes_(bytes) {}

    Status Begin(const Schema& schema, bool resume, uint64_t rows_already_written) override;
    Status Write(const RowBatch& batch) override;
    Status End() override;

  private:
    JsonOptions options_;
    ByteWriter& bytes_;
    Schema schema_;
    uint64_t rows_ = 0;
    std::string text_;
};

}  // namespace adxflow::format
