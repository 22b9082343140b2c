#include "connectors/common/identity/token_cache.hpp"

#include "core/metrics.hpp"

namespace adxflow::identity {

std::shared_ptr<TokenCache::Entry> TokenCache::EntryFor(const std::string& key) {
    std::lock_guard lock(mu_);
    auto& slot = entries_[key];
    if (!slot) slot = std::make_shared<Entry>();
    return slot;
}

Result<std::string> TokenCache::Get(TokenCredential& credential, const std::string& resource,
                                    const CancellationToken* cancel, const std::string& refused) {
    auto entry = EntryFor(credential.Key() + "|" + resource);
    // Waiting here is the single flight: whoever holds the lock is fetching the token we would fetch.
    std::lock_guard lock(entry->fetch_mu);
    const bool fresh = !entry->token.token.empty() && entry->token.expires_on - now_() > kRefreshMargin;
    if (fresh && entry->token.token != refused) return entry->token.token;
    ++fetches_;
    ADXFLOW_ASSIGN_OR_RETURN(AccessToken token, CountTokenRefresh(credential.FetchToken(resource, cancel)));
    entry->token = std::move(token);
    return entry->token.token;
}

}  // namespace adxflow::identity
