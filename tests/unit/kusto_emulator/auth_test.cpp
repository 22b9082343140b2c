// The emulator's identity endpoints (Azure AD client credentials v1/v2, IMDS, App Service) and the engine's
// token check (401 without a valid token, 403 without a role), in-process and through the binary.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <thread>

#include "connectors/common/http/http_client.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/kusto_emulator/emulator.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::kusto_emulator {
namespace {

const Json kConfig = Json::parse(R"({
  "identityHeader": "secret-header",
  "identities": [
    {"type": "servicePrincipal", "tenant": "contoso", "clientId": "app-1", "clientSecret": "s3cret",
     "roles": {"Sales": "admin"}},
    {"type": "servicePrincipal", "tenant": "contoso", "clientId": "reader", "clientSecret": "r",
     "roles": {"*": "viewer"}},
    {"type": "systemManagedIdentity", "objectId": "system-oid", "roles": {"Sales": "ingestor"}},
    {"type": "userManagedIdentity", "clientId": "uami-client", "objectId": "uami-oid",
     "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1",
     "roles": {"Sales": "viewer"}}
  ]})");

class AuthTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto auth = ParseAuthOptions(kConfig);
        ASSERT_TRUE(auth.ok()) << auth.error().message;
        EmulatorOptions options;
        options.databases = {"NetDefaultDB", "Sales"};
        options.auth = *auth;
        emulator_ = std::make_unique<Emulator>(options);
    }
    api::Response Call(const std::string& method, const std::string& path, const std::string& body = {},
                       std::map<std::string, std::string> headers = {},
                       std::map<std::string, std::string> query = {}) {
        api::Request r;
        r.method = method;
        r.path = path;
        r.body = body;
        r.headers = std::move(headers);
        r.headers["host"] = "127.0.0.1:8082";
        r.query = std::move(query);
        return emulator_->Handle(r);
    }
    std::string ServicePrincipalToken(const std::string& client, const std::string& secret) {
        auto r = Call("POST", "/contoso/oauth2/v2.0/token",
                      "grant_type=client_credentials&client_id=" + client + "&client_secret=" + secret +
                          "&scope=https%3A%2F%2Fkusto.kusto.windows.net%2F.default");
        EXPECT_EQ(r.status, 200) << r.body;
        return Json::parse(r.body).value("access_token", "");
    }
    api::Response Kusto(const std::string& path, const std::string& csl, const std::string& token) {
        std::map<std::string, std::string> headers;
        if (!token.empty()) headers["authorization"] = "Bearer " + token;
        return Call("POST", path, Json{{"db", "Sales"}, {"csl", csl}}.dump(), headers);
    }
    std::unique_ptr<Emulator> emulator_;
};

TEST_F(AuthTest, ClientCredentialsV2AndV1IssueTokensForTheRequestedResource) {
    std::string token = ServicePrincipalToken("app-1", "s3cret");
    auto claims = DecodeTokenClaims(token);
    ASSERT_TRUE(claims);
    EXPECT_EQ((*claims)["aud"], "https://kusto.kusto.windows.net");
    EXPECT_EQ((*claims)["appid"], "app-1");
    EXPECT_EQ((*claims)["tid"], "contoso");
    EXPECT_GT((*claims)["exp"].get<int64_t>(), (*claims)["iat"].get<int64_t>());

    auto v1 = Call("POST", "/contoso/oauth2/token",
                   "grant_type=client_credentials&client_id=app-1&client_secret=s3cret&resource=https%3A%2F%"
                   "2Fmy.cluster");
    ASSERT_EQ(v1.status, 200) << v1.body;
    EXPECT_EQ(Json::parse(v1.body)["resource"], "https://my.cluster");
    EXPECT_TRUE(Json::parse(v1.body)["expires_on"].is_string());

    auto bad_secret =
        Call("POST", "/contoso/oauth2/v2.0/token",
             "grant_type=client_credentials&client_id=app-1&client_secret=nope&scope=x/.default");
    EXPECT_EQ(bad_secret.status, 401);
    EXPECT_EQ(Json::parse(bad_secret.body)["error"], "invalid_client");
    EXPECT_EQ(Call("POST", "/fabrikam/oauth2/v2.0/token",
                   "grant_type=client_credentials&client_id=app-1&client_secret=s3cret&scope=x/.default")
                  .status,
              400);
    EXPECT_EQ(Call("POST", "/contoso/oauth2/v2.0/token",
                   "grant_type=client_credentials&client_id=ghost&client_secret=s3cret&scope=x/.default")
                  .status,
              400);
    auto discovery = Call("GET", "/contoso/v2.0/.well-known/openid-configuration");
    ASSERT_EQ(discovery.status, 200);
    EXPECT_EQ(Json::parse(discovery.body)["token_endpoint"],
              "http://127.0.0.1:8082/contoso/oauth2/v2.0/token");
}

// What MSAL (@azure/identity) needs beyond the token calls: OIDC discovery whose issuer is this host,
// instance discovery, endpoints in the lower-case, trailing-slash form MSAL canonicalizes them to, and
// Azure AD's error bodies (AADSTS code in error_codes and leading the description).
TEST_F(AuthTest, DiscoveryAndErrorShapesAsMsalReadsThem) {
    for (const char* path :
         {"/contoso/v2.0/.well-known/openid-configuration", "/contoso/.well-known/openid-configuration"}) {
        auto r = Call("GET", path);
        ASSERT_EQ(r.status, 200) << path;
        const Json doc = Json::parse(r.body);
        for (const char* member : {"authorization_endpoint", "token_endpoint", "issuer", "jwks_uri"})
            EXPECT_TRUE(doc.contains(member)) << path << " " << member;
        EXPECT_EQ(doc["issuer"].get<std::string>().rfind("http://127.0.0.1:8082/contoso", 0), 0u);
    }
    EXPECT_EQ(Json::parse(Call("GET", "/contoso/discovery/v2.0/keys").body)["keys"], Json::array());
    auto instance = Call("GET", "/common/discovery/instance", "", {},
                         {{"api-version", "1.1"}, {"authorization_endpoint", "x"}});
    ASSERT_EQ(instance.status, 200);
    EXPECT_EQ(Json::parse(instance.body)["metadata"][0]["preferred_network"], "127.0.0.1:8082");

    // MSAL lower-cases the authority (tenants are case-insensitive) and ends endpoints with '/'.
    EXPECT_EQ(Call("POST", "/CONTOSO/oauth2/v2.0/token/",
                   "grant_type=client_credentials&client_id=app-1&client_secret=s3cret&scope=x/.default")
                  .status,
              200);
    auto imds = Call("GET", "/metadata/identity/oauth2/token/", "", {{"metadata", "true"}},
                     {{"resource", "https://kusto.kusto.windows.net"}});
    EXPECT_EQ(imds.status, 200) << imds.body;

    auto error_of = [&](const std::string& tenant, const std::string& client, const std::string& secret) {
        auto r = Call("POST", "/" + tenant + "/oauth2/v2.0/token",
                      "grant_type=client_credentials&client_id=" + client + "&client_secret=" + secret +
                          "&scope=x/.default");
        return std::make_pair(r.status, Json::parse(r.body));
    };
    const auto [secret_status, secret] = error_of("contoso", "app-1", "nope");
    EXPECT_EQ(secret_status, 401);
    EXPECT_EQ(secret["error_codes"], Json::array({7000215}));
    EXPECT_EQ(secret["error_description"].get<std::string>().rfind("AADSTS7000215: ", 0), 0u);
    for (const char* member : {"timestamp", "trace_id", "correlation_id", "error_uri"})
        EXPECT_TRUE(secret.contains(member)) << member;
    // The tenant is checked before the application, as Azure AD does.
    EXPECT_EQ(error_of("fabrikam", "ghost", "x").second["error_codes"], Json::array({90002}));
    EXPECT_EQ(error_of("contoso", "ghost", "x").second["error_codes"], Json::array({700016}));
}

TEST_F(AuthTest, ManagedIdentityEndpointsPickSystemOrUserAssigned) {
    const std::map<std::string, std::string> metadata = {{"metadata", "true"}};
    auto system = Call("GET", "/metadata/identity/oauth2/token", "", metadata,
                       {{"api-version", "2018-02-01"}, {"resource", "https://kusto.kusto.windows.net"}});
    ASSERT_EQ(system.status, 200) << system.body;
    EXPECT_EQ((*DecodeTokenClaims(Json::parse(system.body)["access_token"]))["oid"], "system-oid");

    auto by_client = Call("GET", "/metadata/identity/oauth2/token", "", metadata,
                          {{"resource", "https://kusto.kusto.windows.net"}, {"client_id", "uami-client"}});
    ASSERT_EQ(by_client.status, 200);
    EXPECT_EQ((*DecodeTokenClaims(Json::parse(by_client.body)["access_token"]))["oid"], "uami-oid");
    auto by_resource = Call("GET", "/metadata/identity/oauth2/token", "", metadata,
                            {{"resource", "https://kusto.kusto.windows.net"},
                             {"msi_res_id",
                              "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/"
                              "userAssignedIdentities/u1"}});
    ASSERT_EQ(by_resource.status, 200);
    EXPECT_EQ((*DecodeTokenClaims(Json::parse(by_resource.body)["access_token"]))["oid"], "uami-oid");

    EXPECT_EQ(Call("GET", "/metadata/identity/oauth2/token", "", {}, {{"resource", "x"}}).status,
              400);  // no Metadata
    EXPECT_EQ(Call("GET", "/metadata/identity/oauth2/token", "", metadata,
                   {{"resource", "x"}, {"client_id", "nobody"}})
                  .status,
              400);

    auto app_service = Call("GET", "/msi/token", "", {{"x-identity-header", "secret-header"}},
                            {{"api-version", "2019-08-01"}, {"resource", "https://kusto.kusto.windows.net"}});
    ASSERT_EQ(app_service.status, 200) << app_service.body;
    EXPECT_EQ((*DecodeTokenClaims(Json::parse(app_service.body)["access_token"]))["oid"], "system-oid");
    EXPECT_EQ(Call("GET", "/msi/token", "", {{"x-identity-header", "wrong"}}, {{"resource", "x"}}).status,
              401);
}

TEST_F(AuthTest, EngineDemandsATokenAndARoleOnTheDatabase) {
    EXPECT_EQ(Kusto("/v2/rest/query", "print 1", "").status, 401);
    EXPECT_EQ(Kusto("/v2/rest/query", "print 1", "not-a-jwt").status, 401);

    const std::string admin = ServicePrincipalToken("app-1", "s3cret");
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".create table T (a:long)", admin).status, 200);
    EXPECT_EQ(Kusto("/v2/rest/query", "T | count", admin).status, 200);

    const std::string reader = ServicePrincipalToken("reader", "r");
    EXPECT_EQ(Kusto("/v2/rest/query", "T | count", reader).status, 200);
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".show tables", reader).status, 200);
    auto denied = Kusto("/v1/rest/mgmt", ".drop table T", reader);
    EXPECT_EQ(denied.status, 403);
    EXPECT_NE(denied.body.find("reader"), std::string::npos) << denied.body;
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".ingest inline into table T <| 1", reader).status, 403);

    // The system identity may ingest into Sales but not change its tables.
    auto mi = Call("GET", "/metadata/identity/oauth2/token", "", {{"metadata", "true"}},
                   {{"resource", "https://kusto.kusto.windows.net"}});
    const std::string ingestor = Json::parse(mi.body)["access_token"];
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".ingest inline into table T <| 1", ingestor).status, 200);
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".drop table T", ingestor).status, 403);

    // An expired token is a 401 even for a known principal.
    AuthOptions expired_options = *ParseAuthOptions(kConfig);
    expired_options.token_lifetime_secs = -10;
    Auth expired(expired_options);
    EXPECT_EQ(
        Kusto("/v2/rest/query", "print 1",
              expired.IssueToken(expired_options.principals[0], "https://kusto.kusto.windows.net", "test"))
            .status,
        401);
}

TEST_F(AuthTest, AdminsGrantRolesWithAddDatabase) {
    const std::string admin = ServicePrincipalToken("app-1", "s3cret");
    const std::string reader = ServicePrincipalToken("reader", "r");
    ASSERT_EQ(Kusto("/v1/rest/mgmt", ".create table T (a:long)", admin).status, 200);
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".drop table T", reader).status, 403);
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".add database Sales admins ('aadapp=reader;contoso')", reader).status,
              403);
    auto granted = Kusto("/v1/rest/mgmt", ".add database Sales admins ('aadapp=reader;contoso')", admin);
    ASSERT_EQ(granted.status, 200) << granted.body;
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".drop table T", reader).status, 200);
    EXPECT_EQ(Kusto("/v1/rest/mgmt", ".add database Sales viewers ('aadapp=stranger')", admin).status, 400);
    auto principals = Kusto("/v1/rest/mgmt", ".show database Sales principals", reader);
    ASSERT_EQ(principals.status, 200);
    EXPECT_NE(principals.body.find("aadapp=reader;contoso"), std::string::npos) << principals.body;
    EXPECT_NE(principals.body.find("Database Admin"), std::string::npos) << principals.body;
}

TEST_F(AuthTest, KeyVaultSecretsNeedAVaultToken) {
    EmulatorOptions options;
    options.auth = *ParseAuthOptions(kConfig);
    options.key_vault_secrets = {{"adx-sp-key", "s3cret-from-vault"}};
    Emulator vault(options);
    auto get = [&](const std::string& path, const std::string& token) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.query["api-version"] = "7.4";
        r.headers["host"] = "127.0.0.1:8082";
        if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
        return vault.Handle(r);
    };
    auto challenge = get("/secrets/adx-sp-key", "");
    EXPECT_EQ(challenge.status, 401);
    bool has_challenge = false;
    for (const auto& [k, v] : challenge.headers)
        has_challenge |= k == "WWW-Authenticate" && v.find("vault.azure.net") != std::string::npos;
    EXPECT_TRUE(has_challenge);
    // A Kusto token is not a vault token.
    EXPECT_EQ(get("/secrets/adx-sp-key", ServicePrincipalToken("app-1", "s3cret")).status, 401);

    auto mi = Call("GET", "/metadata/identity/oauth2/token", "", {{"metadata", "true"}},
                   {{"resource", "https://vault.azure.net"}});
    ASSERT_EQ(mi.status, 200);
    const std::string token = Json::parse(mi.body)["access_token"];
    auto secret = get("/secrets/adx-sp-key", token);
    ASSERT_EQ(secret.status, 200) << secret.body;
    EXPECT_EQ(Json::parse(secret.body)["value"], "s3cret-from-vault");
    EXPECT_EQ(Json::parse(get("/secrets/adx-sp-key/v7", token).body)["id"],
              "http://127.0.0.1:8082/secrets/adx-sp-key/v7");
    auto missing = get("/secrets/nope", token);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(Json::parse(missing.body)["error"]["code"], "SecretNotFound");
}

// The binary with --config: a token from its own endpoint opens its engine endpoint, over real HTTP.
TEST(EmulatorAuthBinary, TokenFromTheEmulatorOpensItsEngine) {
    testing::TempDir dir;
    testing::WriteFile(dir / "emulator.json", kConfig.dump());
    auto started = testing::EmulatorProcess::Start(
        dir.path(), {"--database", "Sales", "--config", (dir / "emulator.json").string()});
    ASSERT_TRUE(started.ok()) << started.error().message;
    auto& emulator = **started;
    auto token = emulator.Post("/contoso/oauth2/v2.0/token",
                               "grant_type=client_credentials&client_id=app-1&client_secret=s3cret&scope=" +
                                   emulator.url() + "/.default",
                               "application/x-www-form-urlencoded");
    ASSERT_TRUE(token.ok());
    ASSERT_EQ(token->status, 200) << token->body;

    http::HttpRequest query;
    query.method = "POST";
    query.url = emulator.url() + "/v2/rest/query";
    query.headers.Set("Content-Type", "application/json");
    query.body = Json{{"db", "Sales"}, {"csl", "print ok=true"}}.dump();
    auto anonymous = emulator.client().Send(query);
    ASSERT_TRUE(anonymous.ok());
    EXPECT_EQ(anonymous->status, 401);
    query.headers.Set("Authorization",
                      "Bearer " + Json::parse(token->body)["access_token"].get<std::string>());
    auto authorized = emulator.client().Send(query);
    ASSERT_TRUE(authorized.ok());
    EXPECT_EQ(authorized->status, 200) << authorized->body;
    EXPECT_NE(authorized->body.find("\"ok\""), std::string::npos);
    const int status = emulator.Stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace adxflow::kusto_emulator
