#include "daemon/http/api_types.hpp"

#include "core/utf8.hpp"

#include "core/json.hpp"

namespace adxflow::api {

const std::string* Request::Query(const std::string& name) const {
    for (const auto& [k, v] : query)
        if (IEquals(k, name)) return &v;
    return nullptr;
}

namespace {
int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1 + 0 && Hex(s[i + 1]) >= 0 &&
            Hex(s[i + 2]) >= 0) {
            out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
            i += 2;
        } else if (plus_is_space && s[i] == '+') {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

bool ParseTarget(std::string_view target, std::string& path, std::map<std::string, std::string>& query) {
    if (target.empty() || target[0] != '/') return false;
    auto q = target.find('?');
    path = PercentDecode(target.substr(0, q), false);
    // Names in the path end up in JSON answers and stored bodies, which must be UTF-8 (found by fuzz_router:
    // "linkedservices/L%DF" aborted in the JSON serializer).
    if (!IsValidUtf8(path)) return false;
    if (q == std::string_view::npos) return true;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq), true);
        std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
        if (!IsValidUtf8(key) || !IsValidUtf8(value)) return false;
        if (!key.empty()) query[key] = value;
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return true;
}

}  // namespace adxflow::api
