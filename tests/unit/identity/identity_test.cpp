// Token responses of every shape the token services send, and the cache's promises: reuse until five
// minutes before expiry, one fetch for many concurrent callers, a refused token never handed out again,
// and different secrets of one principal never sharing a token.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "connectors/common/identity/credential.hpp"
#include "connectors/common/identity/token_cache.hpp"

namespace adxflow::identity {
namespace {

using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;

TEST(TokenResponse, ExpiresOnNumberOrTextAndExpiresIn) {
    const auto now = SysClock::time_point(std::chrono::seconds(1'700'000'000));
    auto aad = ParseTokenResponse(R"({"token_type":"Bearer","expires_in":3599,"access_token":"a"})", now);
    ASSERT_TRUE(aad.ok());
    EXPECT_EQ(aad->token, "a");
    EXPECT_EQ(aad->expires_on, now + 3599s);
    // IMDS and App Service write numbers as strings, expires_on in epoch seconds.
    auto imds = ParseTokenResponse(R"({"access_token":"b","expires_in":"86399","expires_on":"1700086399"})", now);
    ASSERT_TRUE(imds.ok());
    EXPECT_EQ(imds->expires_on, SysClock::time_point(std::chrono::seconds(1'700'086'399)));
    EXPECT_FALSE(ParseTokenResponse(R"({"token_type":"Bearer"})", now).ok());
    EXPECT_FALSE(ParseTokenResponse("<html>", now).ok());
}

class CountingCredential final : public TokenCredential {
  public:
    explicit CountingCredential(std::string key, std::chrono::seconds lifetime = 3600s)
        : key_(std::move(key)), lifetime_(lifetime) {}
    Result<AccessToken> FetchToken(const std::string& resource, const CancellationToken*) override {
        const int n = ++fetches;
        std::this_thread::sleep_for(20ms);  // long enough for concurrent callers to pile up
        return AccessToken{key_ + "|" + resource + "|" + std::to_string(n), SysClock::now() + lifetime_};
    }
    std::string Key() const override { return key_; }
    std::atomic<int> fetches{0};

  private:
    std::string key_;
    std::chrono::seconds lifetime_;
};

TEST(TokenCache, ReusesUntilNearExpiryAndPerResource) {
    TokenCache cache;
    CountingCredential cred("sp:t/app#1");
    auto a = cache.Get(cred, "https://kusto.kusto.windows.net", nullptr);
    auto b = cache.Get(cred, "https://kusto.kusto.windows.net", nullptr);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(cred.fetches, 1);
    auto vault = cache.Get(cred, "https://vault.azure.net", nullptr);
    ASSERT_TRUE(vault.ok());
    EXPECT_NE(*vault, *a);
    EXPECT_EQ(cred.fetches, 2);

    // A token with less than the refresh margin left is replaced.
    CountingCredential short_lived("mi:system", 240s);
    auto first = cache.Get(short_lived, "r", nullptr);
    auto second = cache.Get(short_lived, "r", nullptr);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_NE(*first, *second);
    EXPECT_EQ(short_lived.fetches, 2);
}

TEST(TokenCache, ConcurrentCallersShareOneFetch) {
    TokenCache cache;
    CountingCredential cred("mi:system");
    std::vector<std::thread> threads;
    std::vector<std::string> tokens(16);
    for (size_t i = 0; i < tokens.size(); ++i)
        threads.emplace_back([&, i] { tokens[i] = cache.Get(cred, "r", nullptr).value(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(cred.fetches, 1);
    for (const auto& t : tokens) EXPECT_EQ(t, tokens[0]);
}

TEST(TokenCache, ARefusedTokenIsReplacedOnceNotPerCaller) {
    TokenCache cache;
    CountingCredential cred("mi:system");
    const std::string refused = cache.Get(cred, "r", nullptr).value();
    const std::string fresh = cache.Get(cred, "r", nullptr, refused).value();
    EXPECT_NE(fresh, refused);
    EXPECT_EQ(cred.fetches, 2);
    // A second caller that saw the same refusal gets the fresh token without a third fetch.
    EXPECT_EQ(cache.Get(cred, "r", nullptr, refused).value(), fresh);
    EXPECT_EQ(cred.fetches, 2);
}

TEST(TokenCache, DifferentSecretsOfOnePrincipalNeverShareATokenAndKeysHoldNoSecret) {
    http::HttpClient client;
    auto good = MakeClientSecretCredential(client, {"http://127.0.0.1:1", "", "", ""}, "t", "app", "right-secret");
    auto bad = MakeClientSecretCredential(client, {"http://127.0.0.1:1", "", "", ""}, "t", "app", "wrong-secret");
    EXPECT_NE(good->Key(), bad->Key());
    EXPECT_EQ(good->Key().find("right-secret"), std::string::npos);
    auto system = MakeManagedIdentityCredential(client, {"", "http://127.0.0.1:1", "", ""}, {});
    ManagedIdentitySelector user;
    user.resource_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u";
    auto assigned = MakeManagedIdentityCredential(client, {"", "http://127.0.0.1:1", "", ""}, user);
    EXPECT_EQ(system->Key(), "mi:system");
    EXPECT_NE(assigned->Key(), system->Key());
}

}  // namespace
}  // namespace adxflow::identity
