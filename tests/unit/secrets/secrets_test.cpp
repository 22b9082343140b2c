// Secret fields in resource definitions: seal for storage, mask for the API, open for execution, with a
// real SecretBox doing the encryption.

#include "core/model/secrets.hpp"

#include <gtest/gtest.h>

#include "storage/secret_box.hpp"

namespace adxflow::model {
namespace {

Json MustParse(const char* text) {
    auto json = ParseJson(text);
    EXPECT_TRUE(json.ok()) << text;
    return json.ok() ? *json : Json();
}

class SecretsTest : public ::testing::Test {
  protected:
    SecretBox box_ = std::move(SecretBox::FromHex(std::string(64, '7'))).value();
    std::function<std::string(std::string_view)> encrypt_ = [this](std::string_view p) {
        return box_.Seal(p);
    };
    std::function<Result<std::string>(std::string_view)> decrypt_ = [this](std::string_view s) {
        return box_.Open(s);
    };
};

// A linked service with every secret form: SecureString object, plain-string secret fields (one of them
// nested in an array), a Key Vault reference and a SecureString parameter default.
const char* kLinkedService = R"({"name": "LS", "properties": {
    "type": "AzureBlobStorage",
    "parameters": {"pw": {"type": "SecureString", "defaultValue": "param-default-secret"}},
    "typeProperties": {
        "connectionString": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=conn-secret",
        "servicePrincipalId": "app-id",
        "servicePrincipalKey": {"type": "SecureString", "value": "sp-secret"},
        "accountKey": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "LS_KV", "type": "LinkedServiceReference"}, "secretName": "k"},
        "extra": [{"Password": "array-secret", "user": "bob"}],
        "sasUri": {"type": "Expression", "value": "@linkedService().uri"}
    }}})";

TEST_F(SecretsTest, SealStoresOnlyCiphertext) {
    Json body = MustParse(kLinkedService);
    auto stored = SealSecrets(body, encrypt_, nullptr);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    std::string text = stored->dump();
    for (const char* secret : {"conn-secret", "sp-secret", "array-secret", "param-default-secret"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret;

    const Json& tp = (*stored)["properties"]["typeProperties"];
    EXPECT_EQ(tp["servicePrincipalKey"]["type"], "SecureString");
    EXPECT_EQ(tp["servicePrincipalKey"]["value"], std::string(kSecretMask));
    EXPECT_EQ(tp["servicePrincipalKey"]["encryptedValue"].get<std::string>().rfind("v1:", 0), 0u);
    EXPECT_EQ(tp["connectionString"]["originalForm"], "String");
    EXPECT_EQ(tp["extra"][0]["Password"]["value"], std::string(kSecretMask));
    EXPECT_EQ(tp["extra"][0]["user"], "bob");
    EXPECT_EQ(tp["servicePrincipalId"], "app-id");
    EXPECT_EQ(tp["accountKey"], body["properties"]["typeProperties"]["accountKey"]);  // a reference, kept
    EXPECT_EQ(tp["sasUri"], body["properties"]["typeProperties"]["sasUri"]);          // an expression, kept
    const Json& pw = (*stored)["properties"]["parameters"]["pw"];
    EXPECT_EQ(pw["defaultValue"], std::string(kSecretMask));
    EXPECT_TRUE(pw["encryptedDefaultValue"].is_string());
}

TEST_F(SecretsTest, MaskShowsTheOriginalShapesWithoutSecrets) {
    auto stored = SealSecrets(MustParse(kLinkedService), encrypt_, nullptr);
    ASSERT_TRUE(stored.ok());
    Json api = MaskSecrets(*stored);
    Json expected = MustParse(kLinkedService);
    auto& tp = expected["properties"]["typeProperties"];
    tp["connectionString"] = kSecretMask;
    tp["servicePrincipalKey"]["value"] = kSecretMask;
    tp["extra"][0]["Password"] = kSecretMask;
    expected["properties"]["parameters"]["pw"]["defaultValue"] = kSecretMask;
    EXPECT_EQ(api, expected);
    EXPECT_EQ(api.dump().find("v1:"), std::string::npos);
}

TEST_F(SecretsTest, OpenRestoresThePlaintextDefinition) {
    Json body = MustParse(kLinkedService);
    auto stored = SealSecrets(body, encrypt_, nullptr);
    ASSERT_TRUE(stored.ok());
    auto open = OpenSecrets(*stored, decrypt_);
    ASSERT_TRUE(open.ok()) << open.error().message;
    EXPECT_EQ(*open, body);
}

TEST_F(SecretsTest, MaskSentBackKeepsThePreviousSecret) {
    auto first = SealSecrets(MustParse(kLinkedService), encrypt_, nullptr);
    ASSERT_TRUE(first.ok());
    // The client GETs, changes one non-secret field and one secret, and PUTs the result back.
    Json edited = MaskSecrets(*first);
    edited["properties"]["typeProperties"]["servicePrincipalId"] = "app-id-2";
    edited["properties"]["typeProperties"]["extra"][0]["Password"] = "new-array-secret";
    auto second = SealSecrets(edited, encrypt_, &*first);
    ASSERT_TRUE(second.ok()) << second.error().message;
    const Json& tp1 = (*first)["properties"]["typeProperties"];
    const Json& tp2 = (*second)["properties"]["typeProperties"];
    EXPECT_EQ(tp2["servicePrincipalKey"], tp1["servicePrincipalKey"]);
    EXPECT_EQ(tp2["connectionString"], tp1["connectionString"]);
    EXPECT_EQ((*second)["properties"]["parameters"], (*first)["properties"]["parameters"]);
    EXPECT_NE(tp2["extra"][0]["Password"]["encryptedValue"], tp1["extra"][0]["Password"]["encryptedValue"]);

    auto open = OpenSecrets(*second, decrypt_);
    ASSERT_TRUE(open.ok());
    Json expected = MustParse(kLinkedService);
    expected["properties"]["typeProperties"]["servicePrincipalId"] = "app-id-2";
    expected["properties"]["typeProperties"]["extra"][0]["Password"] = "new-array-secret";
    EXPECT_EQ(*open, expected);
}

TEST_F(SecretsTest, MaskWithNothingToKeepIsRefusedWithItsPath) {
    Json body = MustParse(R"({"properties": {"typeProperties": {"password": "**********"}}})");
    auto sealed = SealSecrets(body, encrypt_, nullptr);
    ASSERT_FALSE(sealed.ok());
    EXPECT_EQ(sealed.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(sealed.error().target, "properties.typeProperties.password");
    EXPECT_NE(sealed.error().message.find("properties.typeProperties.password"), std::string::npos);

    // A previous version without a secret at that path does not help either.
    Json previous = MustParse(R"({"properties": {"typeProperties": {"user": "x"}}})");
    Json secure = MustParse(
        R"({"properties": {"typeProperties": {"key": {"type": "SecureString", "value": "**********"}}}})");
    auto again = SealSecrets(secure, encrypt_, &previous);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().target, "properties.typeProperties.key.value");
}

TEST_F(SecretsTest, ClientSuppliedCiphertextIsIgnored) {
    auto other = SealSecrets(MustParse(R"({"p": {"password": "someone-elses-secret"}})"), encrypt_, nullptr);
    ASSERT_TRUE(other.ok());
    // Transplanting a sealed value into a new resource must not smuggle the secret across.
    Json forged = {{"password",
                    {{"type", "SecureString"},
                     {"value", "**********"},
                     {"encryptedValue", (*other)["p"]["password"]["encryptedValue"]}}}};
    EXPECT_FALSE(SealSecrets(forged, encrypt_, nullptr).ok());
    forged["password"]["value"] = "mine";
    auto sealed = SealSecrets(forged, encrypt_, nullptr);
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(*box_.Open((*sealed)["password"]["encryptedValue"].get<std::string>()), "mine");
}

TEST_F(SecretsTest, SecureStringWithNonStringValueIsRefused) {
    auto sealed =
        SealSecrets(MustParse(R"({"a": [{"type": "securestring", "value": 5}]})"), encrypt_, nullptr);
    ASSERT_FALSE(sealed.ok());
    EXPECT_EQ(sealed.error().target, "a[0].value");
}

TEST_F(SecretsTest, OpenReportsUndecryptableSecretsByPath) {
    Json stored = MustParse(R"({"properties": {"password": {"type": "SecureString", "value": "**********",
                                 "encryptedValue": "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "originalForm": "String"}}})");
    auto open = OpenSecrets(stored, decrypt_);
    ASSERT_FALSE(open.ok());
    EXPECT_EQ(open.error().target, "properties.password.value");
    EXPECT_EQ(open.error().code, "SecretDecryptionFailed");
}

TEST_F(SecretsTest, MaskHidesPlainSecretsThatSlippedIntoStorage) {
    Json stored = MustParse(
        R"({"properties": {"sasToken": "sv=2020&sig=abc", "sp": {"type": "SecureString", "value": "raw"}}})");
    Json api = MaskSecrets(stored);
    EXPECT_EQ(api["properties"]["sasToken"], std::string(kSecretMask));
    EXPECT_EQ(api["properties"]["sp"]["value"], std::string(kSecretMask));
}

TEST(SecretFieldNames, AreCaseInsensitive) {
    for (const char* name :
         {"password", "PASSWORD", "servicePrincipalKey", "accountKey", "sasToken", "sasUri",
          "connectionString", "clientSecret", "servicePrincipalCredential", "encryptedCredential"})
        EXPECT_TRUE(IsSecretFieldName(name)) << name;
    for (const char* name : {"user", "servicePrincipalId", "tenant", "passwordHint"})
        EXPECT_FALSE(IsSecretFieldName(name)) << name;
}

}  // namespace
}  // namespace adxflow::model
