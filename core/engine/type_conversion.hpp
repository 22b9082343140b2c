#pragma once
// ADF's `translator.typeConversion`: each mapped value is converted to its sink column's type, under
// `typeConversionSettings` (allowDataTruncation, treatBooleanAsNumber, dateTimeFormat, dateTimeOffsetFormat,
// timeSpanFormat, culture). ADF's allowed conversions (docs/type-map.md): string -> any type; bool, decimal,
// real and integers -> each other (bool only with treatBooleanAsNumber) and -> string; datetime -> datetime/
// string; guid -> guid/string; timespan -> timespan/string; dynamic -> dynamic/string. Anything else, and a
// value that does not parse or does not fit, is a row error naming the value and the types.
//
// Formats are .NET custom format strings, the subset ADF users write: yyyy yy MM M dd d HH H hh h mm m ss s
// f..fffffff F..FFFFFFF tt zzz zz K, 'quoted' and "quoted" literals, \c escapes, other characters literal;
// timespans: d..dddddddd hh h mm m ss s f.. F.. and literals. Only the invariant culture is supported.

#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/rows.hpp"

namespace adxflow::engine {

struct TypeConversionSettings {
    bool allow_data_truncation = true;  // ADF's default
    bool treat_boolean_as_number = false;
    std::string datetime_format;         // empty: ISO 8601
    std::string datetime_offset_format;  // tried after datetime_format
    std::string timespan_format;         // empty: [-][d.]hh:mm:ss[.fffffff]
};

// `typeConversionSettings` of a TabularTranslator; errors name `path` + the field.
Result<TypeConversionSettings> ParseTypeConversionSettings(const Json& settings, const std::string& path);

// Converts `cell` (of type `from`) in place to `to`. Null stays null.
Status ConvertCell(Value& cell, ColumnType from, ColumnType to, const TypeConversionSettings& settings);

}  // namespace adxflow::engine
