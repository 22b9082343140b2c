// SecretBox: AES-256-GCM sealing and the key file's creation and permission rules.

#include "storage/secret_box.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>
#include <thread>

#include "tests/support/test_support.hpp"

namespace adxflow {
namespace {

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

SecretBox TestBox(const std::string& hex = kHexKey) {
    auto box = SecretBox::FromHex(hex);
    EXPECT_TRUE(box.ok());
    return std::move(box).value();
}

unsigned ModeOf(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
}

TEST(SecretBox, SealsAndOpens) {
    SecretBox box = TestBox();
    for (const std::string& plain :
         {std::string(), std::string("p@ss:word"), std::string(5000, 'x'), std::string("bin\0ary", 7)}) {
        std::string sealed = box.Seal(plain);
        EXPECT_EQ(sealed.rfind("v1:", 0), 0u);
        EXPECT_EQ(sealed.find(plain.empty() ? "\x01" : plain), std::string::npos);
        auto opened = box.Open(sealed);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        EXPECT_EQ(*opened, plain);
    }
}

TEST(SecretBox, FreshNonceEveryTime) {
    SecretBox box = TestBox();
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) seen.insert(box.Seal("same"));
    EXPECT_EQ(seen.size(), 50u);
}

TEST(SecretBox, DetectsTamperingAndWrongKeys) {
    SecretBox box = TestBox();
    std::string sealed = box.Seal("account-key-value");
    // Flip one base64 character in the nonce, the ciphertext and the tag in turn.
    for (size_t pos : {size_t{4}, sealed.size() / 2, sealed.size() - 3}) {
        std::string bad = sealed;
        bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
        auto opened = box.Open(bad);
        ASSERT_FALSE(opened.ok()) << "position " << pos;
        EXPECT_EQ(opened.error().code, "SecretDecryptionFailed");
    }
    SecretBox other = TestBox("ff" + kHexKey.substr(2));
    EXPECT_FALSE(other.Open(sealed).ok());
    EXPECT_FALSE(box.Open("v2:" + sealed.substr(3)).ok());
    EXPECT_FALSE(box.Open("v1:").ok());
    EXPECT_FALSE(box.Open("v1:!!!!").ok());
    EXPECT_FALSE(box.Open("v1:" + sealed.substr(3, 20)).ok());  // shorter than nonce + tag
    EXPECT_FALSE(box.Open("plain text").ok());
}

TEST(SecretBox, FromHexRefusesBadKeysWithoutEchoingThem) {
    for (const std::string& bad : {std::string("abcd"), kHexKey + "00", "zz" + kHexKey.substr(2)}) {
        auto box = SecretBox::FromHex(bad);
        ASSERT_FALSE(box.ok());
        EXPECT_EQ(box.error().message.find(bad), std::string::npos);
    }
    EXPECT_TRUE(SecretBox::FromHex("  " + kHexKey + "\n").ok());
    EXPECT_TRUE(SecretBox::FromHex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F").ok());
}

TEST(SecretBoxKeyFile, CreatesPrivateKeyOnceAndReloadsIt) {
    testing::TempDir dir;
    auto key_file = dir / "secret.key";
    auto created = SecretBox::LoadOrCreate(key_file, true);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(ModeOf(key_file), 0600u);
    std::string content = testing::ReadFile(key_file);
    ASSERT_EQ(content.size(), 65u);
    EXPECT_EQ(content.back(), '\n');
    EXPECT_EQ(content.find_first_not_of("0123456789abcdef"), 64u);
    // No temporary file is left behind.
    EXPECT_EQ(
        std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()),
        1);

    std::string sealed = created->Seal("value");
    auto reloaded = SecretBox::LoadOrCreate(key_file, true);
    ASSERT_TRUE(reloaded.ok());
    EXPECT_EQ(testing::ReadFile(key_file), content);  // not regenerated
    auto opened = reloaded->Open(sealed);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, "value");
}

TEST(SecretBoxKeyFile, ConcurrentCreatorsAgreeOnOneKey) {
    testing::TempDir dir;
    auto key_file = dir / "secret.key";
    std::vector<std::string> sealed(4);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < sealed.size(); ++i)
        threads.emplace_back([&, i] {
            auto box = SecretBox::LoadOrCreate(key_file, true);
            if (box.ok()) sealed[i] = box->Seal("shared");
        });
    for (auto& t : threads) t.join();
    auto box = SecretBox::LoadOrCreate(key_file, false);
    ASSERT_TRUE(box.ok());
    for (const auto& s : sealed) {
        ASSERT_FALSE(s.empty());
        auto opened = box->Open(s);
        ASSERT_TRUE(opened.ok()) << "a creator used a key that did not win";
        EXPECT_EQ(*opened, "shared");
    }
}

TEST(SecretBoxKeyFile, MissingFileWithoutCreateIsNotFound) {
    testing::TempDir dir;
    auto box = SecretBox::LoadOrCreate(dir / "absent.key", false);
    ASSERT_FALSE(box.ok());
    EXPECT_EQ(box.error().kind, ErrorKind::kNotFound);
    EXPECT_FALSE(std::filesystem::exists(dir / "absent.key"));
}

TEST(SecretBoxKeyFile, RefusesKeyReadableByOthers) {
    testing::TempDir dir;
    auto key_file = dir / "secret.key";
    testing::WriteFile(key_file, kHexKey + "\n");
    ASSERT_EQ(::chmod(key_file.c_str(), 0644), 0);
    auto box = SecretBox::LoadOrCreate(key_file, true);
    ASSERT_FALSE(box.ok());
    EXPECT_NE(box.error().message.find("0644"), std::string::npos) << box.error().message;
    EXPECT_NE(box.error().message.find("chmod 600"), std::string::npos) << box.error().message;
    EXPECT_EQ(box.error().message.find(kHexKey), std::string::npos);
    EXPECT_EQ(testing::ReadFile(key_file), kHexKey + "\n");  // left alone

    ASSERT_EQ(::chmod(key_file.c_str(), 0640), 0);
    EXPECT_FALSE(SecretBox::LoadOrCreate(key_file, true).ok());
    ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
    auto ok = SecretBox::LoadOrCreate(key_file, true);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(*ok->Open(TestBox().Seal("same key")), "same key");
}

TEST(SecretBoxKeyFile, RefusesMalformedKeyFile) {
    testing::TempDir dir;
    auto key_file = dir / "secret.key";
    testing::WriteFile(key_file, "0123\n");
    ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
    auto box = SecretBox::LoadOrCreate(key_file, true);
    ASSERT_FALSE(box.ok());
    EXPECT_NE(box.error().message.find("malformed"), std::string::npos);
}

}  // namespace
}  // namespace adxflow
