#include "cli/args.hpp"

#include <charconv>

namespace adxflow::cli {

std::optional<std::string> ParsedArgs::Value(const std::string& flag) const {
    auto it = values.find(flag);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::vector<std::string> ParsedArgs::All(const std::string& flag) const {
    auto it = values.find(flag);
    return it == values.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs) {
    ParsedArgs out;
    bool only_positional = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (only_positional || word.size() < 2 || word[0] != '-') {
            out.positional.push_back(word);
            continue;
        }
        if (word == "--") {
            only_positional = true;
            continue;
        }
        std::string name = word;
        std::optional<std::string> inline_value;
        if (auto eq = word.find('='); eq != std::string::npos && word.rfind("--", 0) == 0) {
            name = word.substr(0, eq);
            inline_value = word.substr(eq + 1);
        }
        const FlagSpec* spec = nullptr;
        for (const auto& s : specs)
            if (s.name == name || (!s.alias.empty() && s.alias == name)) spec = &s;
        if (!spec) return MakeError(ErrorKind::kInvalidInput, "cli.args", "unknown option " + name);
        if (!spec->takes_value) {
            if (inline_value)
                return MakeError(ErrorKind::kInvalidInput, "cli.args", name + " takes no value");
            out.values[spec->name].push_back("");
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size())
                return MakeError(ErrorKind::kInvalidInput, "cli.args", name + " needs a value");
            inline_value = args[++i];
        }
        out.values[spec->name].push_back(*inline_value);
    }
    return out;
}

Result<long long> ParsePositive(const std::string& flag, const std::string& text) {
    long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v <= 0)
        return MakeError(ErrorKind::kInvalidInput, "cli.args",
                         flag + " expects a positive whole number, got \"" + text + "\"");
    return v;
}

}  // namespace adxflow::cli
