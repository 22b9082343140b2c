// AzureBlobStorage linked services resolved into an account and an identity, and the bearer token of an
// Azure AD identity on the wire (a loopback listener records what the storage client sends).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "connectors/blob/blob_linked_service.hpp"
#include "connectors/blob/blob_store.hpp"
#include "connectors/common/azure/blob_client.hpp"

namespace adxflow::blob {
namespace {

const std::string kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// Key Vault references in the secret fields are opened with the fetcher the daemon gives (the real one is
// exercised against the emulator's vault in BlobCopyTest.ConnectionStringFromKeyVault).
TEST(BlobLinkedService, SecretsFromKeyVault) {
    const Json vault = {{"type", "AzureKeyVaultSecret"},
                        {"store", {{"referenceName", "Vault"}, {"type", "LinkedServiceReference"}}},
                        {"secretName", "blob-key"}};
    std::vector<std::string> asked;
    SecretFetcher fetch = [&](const Json& reference, const std::string& path, const CancellationToken*) {
        asked.push_back(path + "=" + reference.value("secretName", ""));
        return Result<std::string>(kKey);
    };
    auto ls = ParseBlobLinkedService(
        {{"connectionString",
          "DefaultEndpointsProtocol=https;AccountName=acct;EndpointSuffix=core.windows.net"},
         {"accountKey", vault}},
        fetch);
    ASSERT_TRUE(ls.ok()) << ls.error().Describe();
    EXPECT_TRUE(ls->account.uses_shared_key());
    EXPECT_EQ(asked, std::vector<std::string>{"linkedService.typeProperties.accountKey=blob-key"});

    // A vault that fails names the field; without a fetcher the reference is refused, naming it too.
    SecretFetcher failing = [](const Json&, const std::string& path, const CancellationToken*) {
        return Result<std::string>(MakeError(ErrorKind::kForbidden, "keyvault", path + ": access denied"));
    };
    auto denied = ParseBlobLinkedService({{"connectionString", vault}}, failing);
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find("linkedService.typeProperties.connectionString"),
              std::string::npos);
    auto none = ParseBlobLinkedService({{"sasUri", vault}});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().target, "linkedService.typeProperties.sasUri");
}

TEST(BlobLinkedService, ConnectionStringWithKeyOrSas) {
    const std::string text = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + kKey +
                             ";EndpointSuffix=core.windows.net";
    auto key = ParseBlobLinkedService({{"connectionString", {{"type", "SecureString"}, {"value", text}}}});
    ASSERT_TRUE(key.ok()) << key.error().Describe();
    EXPECT_EQ(key->account.blob_endpoint, "https://acct.blob.core.windows.net");
    EXPECT_TRUE(key->account.uses_shared_key());
    EXPECT_FALSE(key->uses_identity);

    auto sas =
        ParseBlobLinkedService({{"connectionString", "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"},
                                {"sasToken", {{"type", "SecureString"}, {"value", "?sv=2021&sig=abc"}}}});
    ASSERT_TRUE(sas.ok()) << sas.error().Describe();
    EXPECT_EQ(sas->account.sas_token, "sv=2021&sig=abc");
    EXPECT_EQ(sas->account.account_name, "devstoreaccount1");
}

TEST(BlobLinkedService, SasUriNamesTheDefaultContainer) {
    auto ls =
        ParseBlobLinkedService({{"sasUri", "https://acct.blob.core.windows.net/landing?sv=2021&sig=x"}});
    ASSERT_TRUE(ls.ok()) << ls.error().Describe();
    EXPECT_EQ(ls->sas_container, "landing");
    auto loc =
        ParseBlobLocation({{"location", {{"type", "AzureBlobStorageLocation"}, {"folderPath", "a"}}}}, *ls);
    ASSERT_TRUE(loc.ok());
    EXPECT_EQ(loc->container, "landing");

    auto bare = ParseBlobLinkedService({{"sasUri", "https://acct.blob.core.windows.net/landing"}});
    ASSERT_FALSE(bare.ok());
    EXPECT_EQ(bare.error().target, "linkedService.typeProperties.sasUri");
}

TEST(BlobLinkedService, ServiceEndpointIdentities) {
    const std::string endpoint = "https://acct.blob.core.windows.net/";
    auto sp =
        ParseBlobLinkedService({{"serviceEndpoint", endpoint},
                                {"servicePrincipalId", "app"},
                                {"tenant", "contoso"},
                                {"servicePrincipalKey", {{"type", "SecureString"}, {"value", "s3cret"}}}});
    ASSERT_TRUE(sp.ok()) << sp.error().Describe();
    EXPECT_TRUE(sp->uses_identity);
    EXPECT_EQ(sp->auth.kind, adx::AdxAuth::Kind::kServicePrincipal);
    EXPECT_EQ(sp->account.blob_endpoint, "https://acct.blob.core.windows.net");
    EXPECT_EQ(sp->account.account_name, "acct");

    auto mi = ParseBlobLinkedService({{"serviceEndpoint", endpoint}, {"accountKind", "StorageV2"}});
    ASSERT_TRUE(mi.ok());
    EXPECT_EQ(mi->auth.kind, adx::AdxAuth::Kind::kSystemManagedIdentity);

    auto user = ParseBlobLinkedService(
        {{"serviceEndpoint", endpoint},
         {"credential",
          {{"referenceName", "uami"},
           {"resolvedCredential",
            {{"type", "ManagedIdentity"}, {"typeProperties", {{"resourceId", "/subs/x/uami"}}}}}}}});
    ASSERT_TRUE(user.ok()) << user.error().Describe();
    EXPECT_EQ(user->auth.kind, adx::AdxAuth::Kind::kUserManagedIdentity);

    auto anonymous =
        ParseBlobLinkedService({{"serviceEndpoint", endpoint}, {"authenticationType", "Anonymous"}});
    ASSERT_TRUE(anonymous.ok());
    EXPECT_FALSE(anonymous->uses_identity);
    EXPECT_FALSE(anonymous->account.uses_shared_key());

    auto no_tenant = ParseBlobLinkedService(
        {{"serviceEndpoint", endpoint}, {"servicePrincipalId", "app"}, {"servicePrincipalKey", "s3cret"}});
    ASSERT_FALSE(no_tenant.ok());
    EXPECT_EQ(no_tenant.error().target, "linkedService.typeProperties.tenant");
}

TEST(BlobLinkedService, ErrorsNeverQuoteSecrets) {
    auto kv = ParseBlobLinkedService(
        {{"connectionString", {{"type", "AzureKeyVaultSecret"}, {"secretName", "cs"}}}});
    ASSERT_FALSE(kv.ok());
    EXPECT_EQ(kv.error().kind, ErrorKind::kUnsupported);
    auto bad = ParseBlobLinkedService({{"connectionString", "AccountName=acct;AccountKey=not*base64*Zm9v"}});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.find("not*base64"), std::string::npos) << bad.error().message;
}

TEST(BlobStore, BlockIdsHaveOneLengthAndDependOnRunAndActivity) {
    const std::string a = BlobStore::BlockId("run-1", "Copy", 0);
    EXPECT_EQ(a.size(), BlobStore::BlockId("run-1", "Copy", 49999).size());
    EXPECT_EQ(a, BlobStore::BlockId("run-1", "Copy", 0));
    EXPECT_NE(a, BlobStore::BlockId("run-2", "Copy", 0));
    EXPECT_NE(a, BlobStore::BlockId("run-1", "Other", 0));
}

// Accepts one connection, records the request head and answers 200 with no body.
class OneShotServer {
  public:
    OneShotServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        ::listen(fd_, 1);
        thread_ = std::thread([this] {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            char buf[4096];
            while (head_.find("\r\n\r\n") == std::string::npos) {
                ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                head_.append(buf, static_cast<size_t>(n));
            }
            const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nx-ms-blob-type: BlockBlob\r\n\r\n";
            ::send(c, reply, sizeof reply - 1, 0);
            ::close(c);
        });
    }
    ~OneShotServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        if (thread_.joinable()) thread_.join();
    }
    int port() const { return port_; }
    std::string head() {
        if (thread_.joinable()) thread_.join();
        return head_;
    }

  private:
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::string head_;
};

TEST(BlobStore, AnIdentitySendsABearerTokenAndNoKeyOrSas) {
    OneShotServer server;
    azure::StorageAccount account;
    account.account_name = "devstoreaccount1";
    account.blob_endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/devstoreaccount1";
    account.sas_token = "sv=2021&sig=should-not-be-sent";
    int fetched = 0;
    account.bearer_token = [&](const CancellationToken*) -> Result<std::string> {
        ++fetched;
        return std::string("token-for-storage");
    };
    http::HttpClient http;
    azure::BlobClient client(account, http);
    auto props = client.GetProperties("landing", "a.csv");
    ASSERT_TRUE(props.ok()) << props.error().Describe();
    const std::string head = server.head();
    EXPECT_EQ(fetched, 1);
    EXPECT_NE(head.find("Authorization: Bearer token-for-storage\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.find("sig="), std::string::npos) << head;
    EXPECT_NE(head.find("HEAD /devstoreaccount1/landing/a.csv HTTP/1.1"), std::string::npos) << head;
    EXPECT_NE(head.find("x-ms-version: 2021-08-06"), std::string::npos) << head;
}

}  // namespace
}  // namespace adxflow::blob
