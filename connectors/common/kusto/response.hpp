#pragma once
// Kusto query and management responses (v2 frames from /v2/rest/query, v1 tables from /v1/rest/query and
// /v1/rest/mgmt) decoded into the project's row types. Shared by the ADX connector (its source reads
// through it) and the Kusto emulator's tests (its responses must round-trip through it).
//
// The v2 parser is event-driven (SAX): rows reach the handler in batches while the body is parsed, and the
// body itself is never turned into a document, so a large primary result costs one batch of rows in memory.
// Protocol facts: shared/reference/adx-protocol.md §2-§5; every file of shared/fixtures/kusto/ is a test.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/rows.hpp"

namespace adxflow::kusto {

// One OneApi error (or a v1 exception string) as the service reported it.
struct KustoError {
    std::string code;     // "LimitsExceeded", "General_BadRequest", ...
    std::string message;  // the human text ("@message" when present, else "message")
    std::string
        type;  // "@type", e.g. "Kusto.Data.Exceptions.KustoServicePartialQueryFailureLimitsExceededException"
    bool permanent = true;  // "@permanent"; absent means permanent, as the SDKs assume
};

struct TableInfo {
    int id = 0;
    std::string name;  // "PrimaryResult", "@ExtendedProperties", "QueryCompletionInformation", "Table_0", ...
    std::string kind;  // v2 TableKind; v1: the TOC's Kind ("QueryResult", ...) or "" without a TOC
    Schema schema;
    std::vector<std::string> type_names;  // as written on the wire ("long", "uuid", "missing", ...)
    bool is_primary() const { return kind == "PrimaryResult" || kind == "QueryResult"; }
};

// Receives a response while it is parsed. Returning an error from a callback stops the parse with it.
class ResponseHandler {
  public:
    virtual ~ResponseHandler() = default;
    virtual Status OnTableStart(const TableInfo& table) = 0;
    // `rows` is reused for the next call: copy what must outlive it.
    virtual Status OnRows(const TableInfo& table, const RowBatch& rows) = 0;
    // What the parser calls: a handler that keeps rows may take them (swap the batch out, leaving any
    // batch behind); the parser resets the batch afterwards. Defaults to OnRows.
    virtual Status OnRowsOwned(const TableInfo& table, RowBatch& rows) { return OnRows(table, rows); }
    // `errors`: in-band errors that ended the table early (truncation, partial failure).
    virtual Status OnTableEnd(const TableInfo& table, const std::vector<KustoError>& errors) = 0;
    // v2 only: the closing frame.
    virtual void OnCompletion(bool has_errors, bool cancelled, const std::vector<KustoError>& errors) {}
};

struct ParseOptions {
    size_t batch_rows = 4096;  // rows per OnRows call (the last batch of a table may be smaller)
};

// Parses a v2 body pushed in pieces as it arrives from the network, so that neither the body nor the
// result is ever held whole: memory is one batch of rows plus the bytes of one unfinished row.
// Rows are decoded straight from the wire bytes (no JSON document, no per-cell JSON values); the small
// frames around them (headers, completions) go through nlohmann. Errors name the byte offset.
class V2StreamParser {
  public:
    explicit V2StreamParser(ResponseHandler& handler, const ParseOptions& options = {});
    ~V2StreamParser();
    V2StreamParser(const V2StreamParser&) = delete;
    V2StreamParser& operator=(const V2StreamParser&) = delete;

    // Feeds the next bytes of the body. After an error every later call returns the same error.
    Status Feed(std::string_view bytes);
    // The body ended: fails unless the frame array was closed.
    Status Finish();
    // Bytes fed so far.
    uint64_t bytes_fed() const;

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// A v2 body: a JSON array of frames (DataSetHeader, DataTable | TableHeader/TableFragment/TableProgress/
// TableCompletion, DataSetCompletion), in any member order, with or without newlines between frames.
Status ParseV2(std::string_view body, ResponseHandler& handler, const ParseOptions& options = {});
// A v1 body: {"Tables": [...], "Exceptions"?}. With more than one table the last is the table of contents,
// which names and classifies the others.
Status ParseV1(std::string_view body, ResponseHandler& handler, const ParseOptions& options = {});

// An error response (non-2xx): a OneApi JSON body {"error": {...}} or the plain text some endpoints send.
KustoError ParseErrorBody(std::string_view body);

// A wire value decoded for a column of `type`: numbers for int/long/real (also "NaN", "Infinity" strings),
// bool from true/false/0/1, canonical text for datetime/timespan (tick counts become d.hh:mm:ss.fffffff)/
// guid/decimal/string, JSON text for dynamic (a dynamic string stays the string).
Result<Value> DecodeValue(ColumnType type, const Json& wire);

// Kusto's text for a timespan given in 100 ns ticks, e.g. 864000010010001 -> "1.00:00:01.0010001".
std::string TimespanFromTicks(int64_t ticks);

}  // namespace adxflow::kusto
