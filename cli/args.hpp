#pragma once
// A small command-line parser: each command declares its flags, and the parser accepts them anywhere among
// the positional words, as "--name value" or "--name=value". Unknown flags are errors (a typo must not turn
// into a silently ignored option).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace adxflow::cli {

struct FlagSpec {
    FlagSpec(std::string flag, bool value = false, std::string second = {})
        : name(std::move(flag)), takes_value(value), alias(std::move(second)) {}
    std::string name;  // "--wait", "-p"
    bool takes_value = false;
    std::string alias;  // optional second spelling, e.g. "--param" for "-p"
};

class ParsedArgs {
  public:
    std::vector<std::string> positional;
    std::map<std::string, std::vector<std::string>> values;  // by FlagSpec::name; flags without value get ""

    bool Has(const std::string& flag) const { return values.count(flag) > 0; }
    // The last value given for `flag`.
    std::optional<std::string> Value(const std::string& flag) const;
    std::vector<std::string> All(const std::string& flag) const;
};

// kInvalidInput with a message fit for "adxflow: <message>".
Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs);

// Parses a positive integer option; kInvalidInput naming the flag otherwise.
Result<long long> ParsePositive(const std::string& flag, const std::string& text);

}  // namespace adxflow::cli
