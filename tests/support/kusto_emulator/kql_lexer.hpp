#pragma once
// KQL text to tokens. A separate pass because KQL has a few lexical forms that a recursive-descent parser
// cannot see through single characters: timespan literals glued to their number ("1d", "30m", "100ms"),
// typed literals whose inside is not KQL ("datetime(2024-01-01 10:00)", "dynamic({...})"), operator
// names with a dash ("project-away"), and verbatim strings (@'c:\x').

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace adxflow::kusto_emulator::kql {

struct Token {
    enum class Type { kIdent, kNumber, kTimeSpan, kString, kTyped, kPunct, kEnd };
    Type type = Type::kEnd;
    std::string
        text;         // identifier, punctuation, number text, the string's value, or the typed literal's type
    std::string raw;  // kTyped: the text between the parentheses, trimmed
    int64_t ticks = 0;  // kTimeSpan
    size_t pos = 0;     // offset in the query, for messages
};

// Ends with a kEnd token. Errors are SyntaxErrors (unterminated string, malformed number).
Result<std::vector<Token>> Lex(std::string_view text);

}  // namespace adxflow::kusto_emulator::kql
