#include "core/connector_slots.hpp"

#include <algorithm>
#include <charconv>

#include "core/json.hpp"

namespace adxflow {

ConnectorSlots::ConnectorSlots(const std::map<std::string, size_t>& limits) {
    for (const auto& [type, limit] : limits) limits_[ToLower(type)] = limit;
}

ConnectorSlots::Lease::~Lease() {
    if (slots_) slots_->Release(types_);
}

Result<ConnectorSlots::Lease> ConnectorSlots::Acquire(std::vector<std::string> types,
                                                      const CancellationToken& cancel) {
    Lease lease;
    for (auto& t : types) t = ToLower(t);
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    std::unique_lock lock(mu_);
    for (const auto& t : types) {
        auto limit = limits_.find(t);
        if (limit == limits_.end()) continue;
        // Cancellation has no condition variable of ours to signal, so the wait polls it.
        while (used_[t] >= limit->second) {
            if (cancel.cancelled()) {
                lock.unlock();
                return cancel.reason();  // the lease releases what it took so far
            }
            cv_.wait_for(lock, std::chrono::milliseconds(50));
        }
        ++used_[t];
        lease.slots_ = this;
        lease.types_.push_back(t);
    }
    return lease;
}

void ConnectorSlots::Release(const std::vector<std::string>& types) {
    {
        std::lock_guard lock(mu_);
        for (const auto& t : types) --used_[t];
    }
    cv_.notify_all();
}

size_t ConnectorSlots::in_use(const std::string& type) const {
    std::lock_guard lock(mu_);
    auto it = used_.find(ToLower(type));
    return it == used_.end() ? 0 : it->second;
}

Result<std::map<std::string, size_t>> ParseConnectorLimits(const std::vector<std::string>& entries,
                                                           const std::string& where) {
    std::map<std::string, size_t> out;
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string& e = entries[i];
        const auto eq = e.find('=');
        size_t n = 0;
        const char* end = e.data() + e.size();
        auto [p, ec] = eq == std::string::npos ? std::from_chars_result{nullptr, std::errc::invalid_argument}
                                               : std::from_chars(e.data() + eq + 1, end, n);
        if (eq == std::string::npos || eq == 0 || ec != std::errc() || p != end || n == 0)
            return MakeError(ErrorKind::kInvalidInput, "config",
                             where + "[" + std::to_string(i) +
                                 "]: expected LINKED_SERVICE_TYPE=N with N >= 1, got '" + e + "'",
                             "", where);
        out[e.substr(0, eq)] = n;
    }
    return out;
}

}  // namespace adxflow
