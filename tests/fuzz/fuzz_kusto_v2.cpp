// libFuzzer target: the Kusto response parsers on arbitrary bytes. The v2 stream parser is fed in pieces
// whose size comes from the first input byte, so frame, string and escape boundaries fall anywhere, as they
// do on the network; the whole body also goes through ParseV2, ParseV1 and ParseErrorBody. Any result is
// fine; a crash, a sanitizer report, a hang or a leak is not. The two v2 paths must agree on success.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "connectors/common/kusto/response.hpp"

namespace {

using namespace adxflow;

// Touches everything it is given, so that a dangling or half-built batch trips AddressSanitizer.
class Sink final : public kusto::ResponseHandler {
  public:
    size_t cells = 0;
    Status OnTableStart(const kusto::TableInfo& table) override {
        cells += table.schema.size() + table.name.size();
        return Ok();
    }
    Status OnRows(const kusto::TableInfo& table, const RowBatch& rows) override {
        for (size_t r = 0; r < rows.rows(); ++r)
            for (size_t c = 0; c < rows.width(); ++c) cells += ValueToText(rows.Row(r)[c]).size();
        return Ok();
    }
    Status OnTableEnd(const kusto::TableInfo& table, const std::vector<kusto::KustoError>& errors) override {
        for (const auto& e : errors) cells += e.message.size() + e.code.size();
        return Ok();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t piece = 1 + data[0] % 64;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

    kusto::ParseOptions options;
    options.batch_rows = 1 + data[0] % 7;  // small batches: more batch boundaries per input
    Sink streamed;
    kusto::V2StreamParser parser(streamed, options);
    Status fed = Ok();
    for (size_t at = 0; at < body.size() && fed.ok(); at += piece) fed = parser.Feed(body.substr(at, piece));
    if (fed.ok()) fed = parser.Finish();

    Sink whole;
    const Status parsed = kusto::ParseV2(body, whole, options);
    if (fed.ok() != parsed.ok()) std::abort();  // chunking must not change the verdict

    Sink v1;
    (void)kusto::ParseV1(body, v1, options);
    (void)kusto::ParseErrorBody(body);
    return 0;
}
