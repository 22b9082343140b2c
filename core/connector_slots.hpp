#pragma once
// Per-connector concurrency (config `connector_max_concurrency`, e.g. "AzureDataExplorer=4"): at most N
// activities use a connector (a linked-service type) at once, whatever the worker pool size, so that one
// busy store is not hit by every worker together. An activity takes the slots of all connectors it uses
// (a Copy: source and sink) before it opens them, in name order so that two activities never wait on each
// other; it waits on its worker, and a cancelled activity stops waiting.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/error.hpp"

namespace adxflow {

class ConnectorSlots {
  public:
    // Limits by linked-service type, compared case-insensitively; types not listed are unlimited.
    explicit ConnectorSlots(const std::map<std::string, size_t>& limits);

    class Lease {
      public:
        Lease() = default;
        Lease(Lease&& other) noexcept : slots_(other.slots_), types_(std::move(other.types_)) {
            other.slots_ = nullptr;
        }
        Lease& operator=(Lease&&) = delete;
        ~Lease();

      private:
        friend class ConnectorSlots;
        ConnectorSlots* slots_ = nullptr;
        std::vector<std::string> types_;  // lower-cased, limited ones only
    };

    Result<Lease> Acquire(std::vector<std::string> types, const CancellationToken& cancel);
    size_t in_use(const std::string& type) const;

  private:
    void Release(const std::vector<std::string>& types);
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::string, size_t> limits_;  // lower-cased type -> limit
    std::map<std::string, size_t> used_;
};

// Slots of `types` from `slots`, or an empty lease when no limits are configured (null).
inline Result<ConnectorSlots::Lease> AcquireSlots(const std::shared_ptr<ConnectorSlots>& slots,
                                                  std::vector<std::string> types,
                                                  const CancellationToken& cancel) {
    if (!slots) return ConnectorSlots::Lease();
    return slots->Acquire(std::move(types), cancel);
}

// Parses "TYPE=N" entries (connector_max_concurrency); errors name `where` and the entry's index.
Result<std::map<std::string, size_t>> ParseConnectorLimits(const std::vector<std::string>& entries,
                                                           const std::string& where);

}  // namespace adxflow
