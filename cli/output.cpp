#include "cli/output.hpp"

#include <cstdio>

namespace adxflow::cli {

namespace {

size_t DisplayWidth(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;  // count lead bytes only
    return n;
}

}  // namespace

std::string FormatDuration(long long ms) {
    char buf[64];
    if (ms < 1000) {
        std::snprintf(buf, sizeof buf, "%lld ms", ms);
    } else if (ms < 60'000) {
        std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000.0);
    } else if (ms < 3'600'000) {
        std::snprintf(buf, sizeof buf, "%lldm %02llds", ms / 60'000, (ms / 1000) % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%lldh %02lldm", ms / 3'600'000, (ms / 60'000) % 60);
    }
    return buf;
}

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width(header.size(), 0);
    for (size_t c = 0; c < header.size(); ++c) width[c] = DisplayWidth(header[c]);
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size() && c < width.size(); ++c)
            width[c] = std::max(width[c], DisplayWidth(row[c]));
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t c = 0; c < width.size(); ++c) {
            std::string cell = c < cells.size() ? cells[c] : "";
            out += cell;
            if (c + 1 < width.size()) out += std::string(width[c] - DisplayWidth(cell) + 2, ' ');
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::string out = line(header);
    std::vector<std::string> rule;
    for (size_t w : width) rule.push_back(std::string(w, '-'));
    out += line(rule);
    for (const auto& row : rows) out += line(row);
    return out;
}

std::string Str(const Json& object, const char* key) {
    if (!object.is_object()) return "";
    const Json* v = FindMember(object, key);
    return v && v->is_string() ? v->get<std::string>() : "";
}

std::optional<long long> Int(const Json& object, const char* key) {
    if (!object.is_object()) return std::nullopt;
    const Json* v = FindMember(object, key);
    return v ? AsInt(*v) : std::nullopt;
}

Json ValueFromText(const std::string& text) {
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return text;
    return parsed;
}

std::string ShortTime(const Json& timestamp) {
    if (!timestamp.is_string()) return "";
    std::string t = timestamp.get<std::string>();
    if (t.size() >= 19 && t[10] == 'T') return t.substr(0, 10) + " " + t.substr(11, 8);
    return t;
}

std::string ErrorMessage(const Json& error) {
    if (error.is_string()) return error.get<std::string>();
    if (!error.is_object()) return "";
    std::string message = Str(error, "message");
    return message;
}

}  // namespace adxflow::cli
