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

// Where a v2 body reports the failures that happen after the 200 went out
// (results_error_reporting_placement): an error object among a table's rows, the TableCompletion frame,
// or only DataSetCompletion.
enum class ErrorPlacement { kInData, kEndOfTable, kEndOfDataset };

// How a v2 body is framed, from the request's options (adx-protocol.md §2.5, §2.7).
struct V2Framing {
    bool progressive = false;  // results_progressive_enabled: IsProgressive, TableProgress frames
    // results_v2_fragment_primary_tables (implied by progressive): primary tables as TableHeader,
    // TableFragment*, TableCompletion instead of one DataTable frame.
    bool fragmented = false;
    ErrorPlacement placement = ErrorPlacement::kInData;
    // deferpartialqueryfailures: failures only as Error rows of QueryCompletionInformation.
    bool defer_partial_failures = false;
};

// How the query ended, for the closing frames.
struct V2Outcome {
    // Reported in DataSetCompletion (HasErrors). The recorded responses with such errors carry no
    // QueryCompletionInformation table, so none is written then.
    std::vector<KustoError> errors;
    std::vector<KustoError> deferred;  // Error rows of QueryCompletionInformation; HasErrors stays false
    bool cancelled = false;            // DataSetCompletion.Cancelled
    int64_t row_count = 0;             // primary rows, for the Stats row
    double execution_secs = 0;
};

// The pieces of a v2 body, for writers that stream it (the emulator) and for V2Writer below. Frames are
// written with FrameType first and the members in the service's order (Go's reader sniffs FrameType).
// "[" DataSetHeader, @ExtendedProperties (one Visualization row per primary table id given).
std::string V2Header(const V2Framing& framing = {}, const std::vector<int>& primary_table_ids = {});
std::string V2TableStart(int table_id, const std::string& kind, const std::string& name,
                         const Schema& schema);
// The TableHeader frame that opens a fragmented table.
std::string V2TableHeader(int table_id, const std::string& kind, const std::string& name,
                          const Schema& schema);
// Opens a TableFragment frame's Rows (DataReplace: the rows replace all the table's rows so far, as
// progressive aggregations report); close it with V2TableEnd.
std::string V2FragmentStart(int table_id, bool replace);
void AppendV2Row(std::string& out, const Schema& schema, const Value* row, bool first);
// Closes the Rows of a DataTable or TableFragment (with an in-band error row when given) and the frame.
std::string V2TableEnd(const KustoError* in_band_error, bool had_rows);
// TableProgress (percent done, 0-100) and TableCompletion (with end_of_table errors).
std::string V2TableProgress(int table_id, double percent);
std::string V2TableCompletion(int table_id, int64_t row_count, const std::vector<KustoError>& errors);
// QueryCompletionInformation (unless the outcome has errors), DataSetCompletion and the closing "]".
std::string V2Finish(int table_id, const std::string& client_request_id, const V2Outcome& outcome);
std::string V2Finish(int table_id, const std::string& client_request_id,
                     const std::vector<KustoError>& errors);

// The OneApi error object as the service writes it (members in its order), for frames and error bodies.
std::string OneApiErrorText(const KustoError& error);

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
