#pragma once
// Kusto responses written as the service writes them: v2 frames and v1 tables, and OneApi error bodies.
// The Kusto emulator answers with these; the parser in response.hpp reads them back in the tests.

#include <string>
#include <vector>

#include "connectors/common/kusto/response.hpp"

namespace adxflow::kusto {

// A cell as it travels on the wire: numbers, booleans, strings; dynamic cells as the JSON they hold (text
// that is not JSON travels as a string); NaN and infinities as "NaN"/"Infinity"/"-Infinity".
Json ToWire(ColumnType type, const Value& value);

// Kusto's type names on the wire: v2 ColumnType ("long") and v1 DataType ("Int64").
const char* V1DataType(ColumnType type);

// The OneApi error object {"error": {...}} with the members SDKs read.
Json OneApiError(const KustoError& error);

// Appends a cell's wire JSON to `out` without building a JSON value (the emulator's hot path).
void AppendWire(std::string& out, ColumnType type, const Value& value);

// The pieces of a v2 body, for writers that stream it (the emulator) and for V2Writer below.
std::string V2Header();  // "[" DataSetHeader, @ExtendedProperties
std::string V2TableStart(int table_id, const std::string& kind, const std::string& name,
                         const Schema& schema);
void AppendV2Row(std::string& out, const Schema& schema, const Value* row, bool first);
// Closes the table's Rows (with an in-band error row when given) and the frame.
std::string V2TableEnd(const KustoError* in_band_error, bool had_rows);
// QueryCompletionInformation, DataSetCompletion (with `errors`) and the closing "]".
std::string V2Finish(int table_id, const std::string& client_request_id,
                     const std::vector<KustoError>& errors);

// Appends a v2 body to `out`, frame by frame (one frame per line, as the service does with
// results_v2_newlines_between_frames): header and @ExtendedProperties, then tables, then
// QueryCompletionInformation and DataSetCompletion from Finish().
class V2Writer {
  public:
    explicit V2Writer(std::string& out);
    // A whole table in one DataTable frame. `rows` is row-major with schema.size() cells per row. An
    // in-band error, when given, follows the rows as an error row (placement InData) and is repeated in
    // DataSetCompletion.
    void Table(const std::string& kind, const std::string& name, const Schema& schema,
               const std::vector<Value>& rows, const KustoError* in_band_error = nullptr);
    void Finish(const std::string& client_request_id);

  private:
    std::string& out_;
    int next_table_id_ = 1;
    std::vector<KustoError> errors_;
};

// A complete v1 body for one or more tables named Table_0, Table_1, ... (management commands write one).
std::string V1Body(const std::vector<std::pair<Schema, std::vector<Value>>>& tables);

}  // namespace adxflow::kusto
