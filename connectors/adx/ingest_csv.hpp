#pragma once
// The CSV the ADX sink stages for queued and streaming ingestion: RFC 4180, as ADX reads it, written row by
// row into reserved space, then gzip-compressed with libdeflate.

#include <cstddef>
#include <string>

#include "core/error.hpp"
#include "core/rows.hpp"

namespace adxflow::adx {

// The most bytes AppendCsvValue can write for `v`, so that a row is written into reserved space with plain
// stores (no per-character capacity checks).
size_t MaxCsvBytes(const Value& v);

// Writes `v` at `out` as a CSV field (null: empty; text quoted when it holds a comma, a quote or a line
// break); returns the end.
char* AppendCsvValue(char* out, const Value& v);

// gzip at level 1: ingestion is upload-bound, not size-bound.
Result<std::string> GzipCsv(const std::string& raw);

}  // namespace adxflow::adx
