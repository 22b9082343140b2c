#include "connectors/common/http/message.hpp"

#include <algorithm>

#include "core/json.hpp"

namespace adxflow::http {

void HttpHeaders::Set(std::string name, std::string value) {
    Remove(name);
    entries_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Remove(std::string_view name) {
    std::erase_if(entries_, [&](const auto& e) { return IEquals(e.first, name); });
}

const std::string* HttpHeaders::Get(std::string_view name) const {
    for (const auto& [k, v] : entries_)
        if (IEquals(k, name)) return &v;
    return nullptr;
}

}  // namespace adxflow::http
