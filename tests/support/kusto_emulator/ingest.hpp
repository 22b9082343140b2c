#pragma once
// Turning ingested data into rows the way Kusto does: the CSV family (RFC 4180, records may span lines)
// and JSON (lines, or MultiJSON), through an ingestion mapping or the identity mapping (CSV by position,
// JSON by column name). A value that does not parse as its column's type becomes null, silently, as the
// service documents; a CSV record with an unclosed quote fails the whole ingestion.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/rows.hpp"

namespace adxflow::kusto_emulator {

// Kind of mapping a format uses: "csv" or "json" ("" for formats this emulator does not read).
std::string MappingKindOf(const std::string& format);

// Checks a mapping JSON array for `kind` against the table; the error names the entry.
Status ValidateMapping(const Json& mapping, const std::string& kind, const Schema& schema);

// Rows (row-major, schema.size() cells each) from `data` in `format` ("csv", "tsv", "psv", "scsv", "sohsv",
// "json", "multijson"; case-insensitive). `mapping` may be null (identity). `ignore_first_record` drops the
// first CSV-family record (a header line), as the ingestion property of that name does.
Result<std::vector<Value>> ParseIngestData(std::string_view data, const std::string& format,
                                           const Schema& schema, const Json* mapping,
                                           bool ignore_first_record = false);

// One value from text for a column type; null when it does not parse (empty text: null, or "" for strings).
Value CellFromText(ColumnType type, const std::string& text);

}  // namespace adxflow::kusto_emulator
