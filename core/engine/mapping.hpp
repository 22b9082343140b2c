#pragma once
// Column mapping between a source's schema and what the sink receives (ADF's `translator`).
// - No translator: by name. When the sink dataset declares no schema (files), every source column passes
//   through under its own name. When it does, each sink column takes the source column of the same name
//   (exact match first, then case-insensitive); sink columns without a source column are written as null.
// - TabularTranslator with `mappings`: only the mapped columns, in mapping order; a source column is
//   named (`name`) or, for headerless text, numbered (`ordinal`, 1-based, may be a string).
// - `typeConversion: true`: every value is converted to its output column's type (type_conversion.hpp);
//   a value that cannot be is a row error: skipped when the Copy has enableSkipIncompatibleRow, else the
//   activity's error.

#include <optional>
#include <vector>

#include "core/engine/type_conversion.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/row_errors.hpp"
#include "core/rows.hpp"

namespace adxflow::engine {

struct ColumnMapping {
    Schema output;
    std::vector<int> source_index;                     // per output column; -1 writes null
    bool identity = false;                             // output == source: batches pass through untouched
    std::optional<TypeConversionSettings> conversion;  // translator.typeConversion
    std::vector<ColumnType> from_types;                // per output column: the source column's type
};

Result<ColumnMapping> BuildMapping(const Schema& source, const Schema& sink_schema, const Json& translator);
// Fills `out` (reset to the output width) from `in`, converting values when the mapping says so. A row with
// a value that cannot be converted goes to `skip` (and is left out), or is the error when `skip` is null.
Status ApplyMapping(const ColumnMapping& mapping, const RowBatch& in, RowBatch& out,
                    IncompatibleRowHandler* skip = nullptr);

}  // namespace adxflow::engine
