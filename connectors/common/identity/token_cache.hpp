#pragma once
// Access tokens shared by every activity of the daemon, per (identity, resource): a token is reused until
// five minutes before it expires; one caller refreshes while the others wait for its result (single
// flight); a 401 forces one refresh, unless another caller already replaced the refused token.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "connectors/common/identity/credential.hpp"

namespace adxflow::identity {

class TokenCache {
  public:
    using Now = std::chrono::system_clock::time_point (*)();
    explicit TokenCache(Now now = &std::chrono::system_clock::now) : now_(now) {}

    // A token for `resource` from `credential`, fetched only when the cached one is missing or near
    // expiry. `refused` is a token the service just answered 401 to: it is never handed out again.
    Result<std::string> Get(TokenCredential& credential, const std::string& resource,
                            const CancellationToken* cancel, const std::string& refused = {});

    uint64_t fetches() const { return fetches_; }  // token requests sent, for metrics and tests

    static constexpr std::chrono::minutes kRefreshMargin{5};

  private:
    struct Entry {
        std::mutex fetch_mu;  // held while one caller fetches; the others queue behind it
        AccessToken token;
    };
    std::shared_ptr<Entry> EntryFor(const std::string& key);

    Now now_;
    std::mutex mu_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;
    std::atomic<uint64_t> fetches_{0};
};

}  // namespace adxflow::identity
