#pragma once
// The vocabulary every part of the emulator's KQL engine shares: the two error kinds (in the shape the
// service uses), and how each Kusto scalar type is held while expressions are evaluated. Kept in one place
// so that the lexer (literals), the evaluator (kql_expr, kql_functions) and the operators (kql_exec) agree
// on one representation and one set of conversions.
//
// Two forms of a value exist:
//   - the cell form, as tables store and the wire writers expect (core/rows.hpp): datetime, timespan,
//     decimal, guid and dynamic travel as text;
//   - the evaluation form, used inside expressions: bool -> bool; int, long -> int64_t; real, decimal ->
//     double; datetime -> int64_t ticks (100 ns) since 1970-01-01; timespan -> int64_t ticks; string, guid,
//     dynamic (JSON text) -> std::string. Null is std::monostate in both forms.
// Conversion happens only where a column is read or written, so rows that merely pass through an operator
// keep their stored text untouched (and cost nothing to convert).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/rows.hpp"

namespace adxflow::kusto_emulator::kql {

// kInvalidInput with code "SyntaxError" / "SemanticError"; the emulator answers them as the service's
// SyntaxException / SemanticException (400).
Error SyntaxError(const std::string& message);
Error SemanticError(const std::string& message);

constexpr int64_t kTicksPerMicrosecond = 10;
constexpr int64_t kTicksPerMillisecond = 10'000;
constexpr int64_t kTicksPerSecond = 10'000'000;
constexpr int64_t kTicksPerMinute = 60 * kTicksPerSecond;
constexpr int64_t kTicksPerHour = 60 * kTicksPerMinute;
constexpr int64_t kTicksPerDay = 24 * kTicksPerHour;
// Kusto counts datetime ticks from 0001-01-01; bins of datetimes align on that origin, not on 1970.
constexpr int64_t kTicksFromYear1To1970 = 719162 * kTicksPerDay;

// "2024-01-31", "2024-01-31 10:00", "2024-01-31T10:00:00.1234567Z", "...+02:00". Ticks since 1970.
std::optional<int64_t> ParseDateTime(std::string_view text);
// ISO 8601 UTC as Kusto writes it: "2024-01-31T10:00:00Z", fraction digits only when not zero.
std::string FormatDateTime(int64_t ticks);
// "[-][d.]hh:mm[:ss[.fffffff]]" and the literal spellings "1d", "2.5h", "30m", "10s", "100ms", "5tick".
std::optional<int64_t> ParseTimeSpan(std::string_view text);
// .NET's constant format, as Kusto writes timespans: "[-][d.]hh:mm:ss[.fffffff]".
std::string FormatTimeSpan(int64_t ticks);
// Ticks of one unit of a timespan literal suffix ("d", "hours", "ms", "tick", ...); nullopt if not one.
std::optional<int64_t> TimeSpanUnit(std::string_view unit);

bool IsNumeric(ColumnType t);   // int, long, real, decimal
bool IsIntegral(ColumnType t);  // int, long
bool IsTextual(ColumnType t);   // string, guid, dynamic: held as text when evaluated
const char* TypeName(ColumnType t);

// A stored cell as the evaluation form of its column's type; text that does not parse becomes null, as
// Kusto treats values that do not fit their column. Strings are never null in Kusto: null reads as "".
Value FromCell(ColumnType type, const Value& cell);
// The evaluation form back to a cell.
Value ToCell(ColumnType type, Value v);
// tostring(): the text of an evaluation-form value ("" for null).
std::string ToText(ColumnType type, const Value& v);
// A JSON value (dynamic) as the scalar `type` wants it, through Kusto's conversions; null when it cannot.
Value FromJsonText(ColumnType type, const std::string& json);
// A scalar as dynamic (JSON text).
std::string ToJsonText(ColumnType type, const Value& v);

// Three-way order of two non-null evaluation-form values of one comparable family (numbers compare across
// int/long/real/decimal). Used by sort, min/max and the comparison operators.
int CompareNonNull(const Value& a, const Value& b);

// 8-4-4-4-12 hexadecimal digits.
bool IsGuidText(std::string_view s);

// ASCII case folding (Kusto folds Unicode; the emulator's data is ASCII in practice).
std::string Fold(std::string_view s);

}  // namespace adxflow::kusto_emulator::kql
