// Bearer tokens: entries parse to a role and a SHA-256 (never kept in clear), errors do not echo the
// token, the wrapper answers 401 with a Bearer challenge and 403 for a reader that writes, and the probes
// stay open.
#include <gtest/gtest.h>

#include "config/settings.hpp"
#include "daemon/http/auth.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::api {
namespace {

constexpr const char* kAdmin = "admin-token-0123456789abcdef";
constexpr const char* kReader = "reader-token-0123456789abcdef";

Request Make(const std::string& method, const std::string& path, const std::string& token = {}) {
    Request r;
    r.method = method;
    r.path = path;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return r;
}

std::shared_ptr<Authenticator> TwoTokens(bool metrics_open = false) {
    AuthPolicy policy;
    policy.tokens.push_back(ParseTokenEntry(std::string("admin:") + kAdmin, "t").value());
    policy.tokens.push_back(ParseTokenEntry(std::string("reader:") + kReader, "t").value());
    policy.metrics_open = metrics_open;
    return std::make_shared<Authenticator>(std::move(policy));
}

TEST(TokenEntry, HashesThePlainFormAndAcceptsTheHashedForm) {
    auto plain = ParseTokenEntry(std::string("admin:") + kAdmin, "api_tokens[0]");
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(plain->role, Role::kAdmin);
    EXPECT_EQ(plain->hash, HashToken(kAdmin));
    // The well-known SHA-256 of "abc" pins the hash function.
    EXPECT_EQ(HexHash(HashToken("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    auto hashed = ParseTokenEntry("reader:sha256:" + HexHash(HashToken(kReader)), "x");
    ASSERT_TRUE(hashed.ok());
    EXPECT_EQ(hashed->role, Role::kReader);
    EXPECT_EQ(hashed->hash, HashToken(kReader));
}

TEST(TokenEntry, ErrorsNameThePlaceButNeverTheToken) {
    const std::string secret = "super-secret-value-42-xyz";
    const std::vector<std::string> bad_entries = {"owner:" + secret, secret, "admin:tiny-tok",
                                                  "reader:sha256:abcd", "admin:has space " + secret};
    for (const std::string& bad : bad_entries) {
        auto r = ParseTokenEntry(bad, "api_tokens[3]");
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("api_tokens[3]"), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find("tiny-tok"), std::string::npos) << r.error().message;
    }
}

TEST(TokenFile, SkipsCommentsAndBlankLinesAndNamesTheLine) {
    std::string file = std::string("# operators\n\nadmin:") + kAdmin + "\r\n  reader:" + kReader + "  \n";
    auto entries = ParseTokenFile(file, "tokens");
    ASSERT_TRUE(entries.ok()) << entries.error().message;
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[1].role, Role::kReader);
    auto bad = ParseTokenFile(std::string("admin:") + kAdmin + "\nnonsense\n", "tokens");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("tokens line 2"), std::string::npos) << bad.error().message;
}

TEST(Authenticator, RolesAndOpenPaths) {
    auto auth = TwoTokens();
    EXPECT_EQ(auth->Decide(Make("GET", "/healthz")), AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("GET", "/readyz")), AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("GET", "/metrics")), AuthDecision::kUnauthenticated);
    EXPECT_EQ(TwoTokens(true)->Decide(Make("GET", "/metrics")), AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("GET", "/v1/pipelines")), AuthDecision::kUnauthenticated);
    EXPECT_EQ(auth->Decide(Make("GET", "/v1/pipelines", "wrong-token-0123456789")),
              AuthDecision::kUnauthenticated);
    EXPECT_EQ(auth->Decide(Make("GET", "/v1/pipelines", kReader)), AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("POST", "/v1/queryPipelineRuns", kReader)), AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("POST", "/v1/pipelineruns/x/queryActivityruns", kReader)),
              AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("PUT", "/v1/pipelines/P", kReader)), AuthDecision::kForbidden);
    EXPECT_EQ(auth->Decide(Make("POST", "/v1/pipelines/P/createRun", kReader)), AuthDecision::kForbidden);
    EXPECT_EQ(auth->Decide(Make("DELETE", "/v1/pipelines/P", kReader)), AuthDecision::kForbidden);
    EXPECT_EQ(auth->Decide(Make("PUT", "/v1/pipelines/P", kAdmin)), AuthDecision::kAllowed);
    // The scheme is case-insensitive (RFC 7235); anything but Bearer is not a token.
    Request lower = Make("GET", "/v1/pipelines");
    lower.headers["authorization"] = std::string("bearer ") + kReader;
    EXPECT_EQ(auth->Decide(lower), AuthDecision::kAllowed);
    Request basic = Make("GET", "/v1/pipelines");
    basic.headers["authorization"] = std::string("Basic ") + kReader;
    EXPECT_EQ(auth->Decide(basic), AuthDecision::kUnauthenticated);
    // No tokens configured: open.
    EXPECT_EQ(Authenticator(AuthPolicy{}).Decide(Make("PUT", "/v1/pipelines/P")), AuthDecision::kAllowed);
}

TEST(Authenticator, WrapperAnswers401And403AsCloudErrorsWithoutCallingTheApi) {
    int calls = 0;
    std::vector<int> denied;
    Handler h = WithAuthentication(
        TwoTokens(),
        [&](const Request&) {
            ++calls;
            return Response{};
        },
        [&](const Request&, int status) { denied.push_back(status); });
    Response none = h(Make("GET", "/v1/pipelines"));
    EXPECT_EQ(none.status, 401);
    ASSERT_EQ(none.headers.size(), 1u);
    EXPECT_EQ(none.headers[0].first, "WWW-Authenticate");
    EXPECT_EQ(none.headers[0].second, "Bearer realm=\"adxflow\"");
    EXPECT_NE(none.body.find("AuthenticationFailed"), std::string::npos);
    Response wrong = h(Make("GET", "/v1/pipelines", "wrong-token-0123456789"));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(wrong.headers.at(0).second.find("invalid_token"), std::string::npos);
    EXPECT_EQ(wrong.body.find("wrong-token"), std::string::npos);
    Response write = h(Make("PUT", "/v1/pipelines/P", kReader));
    EXPECT_EQ(write.status, 403);
    EXPECT_NE(write.body.find("AuthorizationFailed"), std::string::npos);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(denied, (std::vector<int>{401, 401, 403}));
    EXPECT_EQ(h(Make("PUT", "/v1/pipelines/P", kAdmin)).status, 200);
    EXPECT_EQ(calls, 1);
}

TEST(SecuritySettings, OptionsParseAndTheCredentialsDirectoryFillsDefaults) {
    testing::TempDir dir;
    testing::WriteFile(dir.path() / "secrets-key", std::string(64, 'a'));
    testing::WriteFile(dir.path() / "api-tokens", std::string("admin:") + kAdmin + "\n");
    config::Settings s;
    config::ApplyCredentialsDirectory(s, dir.path());
    EXPECT_EQ(s.secrets_key_file, dir.path() / "secrets-key");
    EXPECT_EQ(s.api_tokens_file, dir.path() / "api-tokens");
    config::Settings explicit_key;
    explicit_key.secrets_key_file = "/etc/adxflow/key";
    config::ApplyCredentialsDirectory(explicit_key, dir.path() / "missing");
    EXPECT_EQ(explicit_key.secrets_key_file, "/etc/adxflow/key");
    EXPECT_TRUE(explicit_key.api_tokens_file.empty());

    config::Settings j;
    ASSERT_TRUE(config::ApplyJson(Json{{"api_tokens", {"reader:abc"}},
                                       {"allow_unauthenticated_remote", true},
                                       {"api_metrics_unauthenticated", "true"},
                                       {"api_tls_cert_file", "/c.pem"},
                                       {"api_tls_key_file", "/k.pem"}},
                                  j, "test")
                    .ok());
    EXPECT_EQ(j.api_tokens, std::vector<std::string>{"reader:abc"});
    EXPECT_TRUE(j.allow_unauthenticated_remote);
    EXPECT_TRUE(j.api_metrics_unauthenticated);
    auto bad = config::ApplyJson(Json{{"api_tokens", {"admin:secret-a", 7}}}, j, "test");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.find("secret-a"), std::string::npos);
    EXPECT_FALSE(config::ApplyJson(Json{{"allow_unauthenticated_remote", "yes"}}, j, "test").ok());
}

}  // namespace
}  // namespace adxflow::api

namespace adxflow::api {
namespace {

// SIGHUP's token reload: the new list replaces the old at once (an old token stops working, a new one
// works), and a reload that would leave no token at all, opening the API, is refused.
TEST(Authenticator, ReplacingTokensTakesEffectAndNeverOpensTheApi) {
    auto auth = TwoTokens();
    const std::string rotated = "admin-token-rotated-9876543210";
    EXPECT_EQ(auth->Decide(Make("PUT", "/x", kAdmin)), AuthDecision::kAllowed);
    ASSERT_TRUE(auth->ReplaceTokens({ParseTokenEntry("admin:" + rotated, "t").value()}).ok());
    EXPECT_EQ(auth->Decide(Make("PUT", "/x", kAdmin)), AuthDecision::kUnauthenticated);
    EXPECT_EQ(auth->Decide(Make("GET", "/x", kReader)), AuthDecision::kUnauthenticated);
    EXPECT_EQ(auth->Decide(Make("PUT", "/x", rotated)), AuthDecision::kAllowed);

    auto refused = auth->ReplaceTokens({});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("open the API"), std::string::npos);
    EXPECT_TRUE(auth->enabled());
    EXPECT_EQ(auth->Decide(Make("PUT", "/x", rotated)), AuthDecision::kAllowed);
    EXPECT_EQ(auth->Decide(Make("PUT", "/x")), AuthDecision::kUnauthenticated);
}

}  // namespace
}  // namespace adxflow::api
