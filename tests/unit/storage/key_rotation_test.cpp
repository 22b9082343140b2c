// Secrets-key rotation on a real SQLite file: every sealed value (a linked service's SecureString, a run's
// SecureString parameter) moves to the new key and opens only with it; repeating an interrupted rotation is
// harmless; a value neither key opens stops the rotation with nothing changed; the command form installs
// the new key file and keeps the old one as .previous; no plaintext is in the file at any point.
#include "storage/key_rotation.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "storage/store.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "pw-plain-7f3a9c";
constexpr const char* kParameter = "param-plain-2b8e41";

SecretBox Key(char fill) {
    return *SecretBox::FromHex(std::string(64, fill));
}

struct Seeded {
    testing::TempDir dir;
    fs::path db;
    std::string run_id;
};

// A database whose linked service and run parameter are sealed under `key`.
void Seed(Seeded& s, const SecretBox& key) {
    s.db = s.dir.path() / "adxflow.db";
    auto store = Store::Open(s.db);
    ASSERT_TRUE(store.ok());
    (*store)->ProtectRunSecrets(key);
    Json body = {{"name", "LS"},
                 {"properties",
                  {{"type", "FileServer"},
                   {"typeProperties",
                    {{"host", "/data"},
                     {"password",
                      {{"type", "SecureString"},
                       {"value", "**********"},
                       {"encryptedValue", key.Seal(kPassword)}}}}}}}};
    ASSERT_TRUE((*store)->PutResource("linkedservices", "LS", body, std::nullopt).ok());
    engine::PipelineRun run;
    run.run_id = NewUuid();
    run.run_group_id = run.run_id;
    run.pipeline_name = "P";
    run.pipeline = {{"parameters", {{"p", {{"type", "SecureString"}}}}}, {"activities", Json::array()}};
    run.parameters = {{"p", kParameter}};
    run.status = "Succeeded";
    run.last_updated = std::chrono::system_clock::now();
    ASSERT_TRUE((*store)->InsertPipelineRun(run).ok());
    s.run_id = run.run_id;
}

std::string SealedPassword(const fs::path& db) {
    auto store = Store::Open(db);
    auto ls = (*store)->GetResource("linkedservices", "LS");
    return (**ls).body["properties"]["typeProperties"]["password"]["encryptedValue"];
}

Result<Json> RunParameters(const fs::path& db, const SecretBox& key, const std::string& run_id) {
    ADXFLOW_ASSIGN_OR_RETURN(auto store, Store::Open(db));
    store->ProtectRunSecrets(key);
    ADXFLOW_ASSIGN_OR_RETURN(auto run, store->GetPipelineRun(run_id));
    return run->parameters;
}

TEST(KeyRotation, EverySealedValueMovesToTheNewKey) {
    const SecretBox a = Key('a'), b = Key('b');
    Seeded s;
    Seed(s, a);
    auto report = ReencryptSecrets(s.db, a, b);
    ASSERT_TRUE(report.ok()) << report.error().Describe();
    EXPECT_EQ(report->resealed, 2u);
    EXPECT_EQ(report->already_new, 0u);
    EXPECT_EQ(report->rows_updated, 2u);

    const std::string sealed = SealedPassword(s.db);
    EXPECT_EQ(*b.Open(sealed), kPassword);
    EXPECT_FALSE(a.Open(sealed).ok());
    auto params = RunParameters(s.db, b, s.run_id);
    ASSERT_TRUE(params.ok()) << params.error().Describe();
    EXPECT_EQ((*params)["p"], kParameter);
    EXPECT_FALSE(RunParameters(s.db, a, s.run_id).ok());

    // Run again (an interrupted rotation repeated): nothing left to move, nothing written.
    auto again = ReencryptSecrets(s.db, a, b);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->resealed, 0u);
    EXPECT_EQ(again->already_new, 2u);
    EXPECT_EQ(again->rows_updated, 0u);

    std::string file = testing::ReadFile(s.db);
    if (fs::exists(s.dir.path() / "adxflow.db-wal"))
        file += testing::ReadFile(s.dir.path() / "adxflow.db-wal");
    EXPECT_EQ(file.find(kPassword), std::string::npos);
    EXPECT_EQ(file.find(kParameter), std::string::npos);
}

TEST(KeyRotation, AValueNeitherKeyOpensStopsItWithNothingChanged) {
    const SecretBox a = Key('a'), b = Key('b'), stranger = Key('c');
    Seeded s;
    Seed(s, a);
    {
        auto store = Store::Open(s.db);
        Json other = {
            {"name", "Other"},
            {"properties",
             {{"type", "FileServer"},
              {"typeProperties",
               {{"host", "/x"},
                {"password", {{"type", "SecureString"}, {"encryptedValue", stranger.Seal("x")}}}}}}}};
        ASSERT_TRUE((*store)->PutResource("linkedservices", "Other", other, std::nullopt).ok());
    }
    auto report = ReencryptSecrets(s.db, a, b);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.error().code, "SecretDecryptionFailed");
    EXPECT_NE(report.error().message.find("resources.body"), std::string::npos) << report.error().message;
    EXPECT_EQ(*a.Open(SealedPassword(s.db)), kPassword) << "the failed rotation changed a value";
}

TEST(KeyRotation, TheCommandInstallsTheNewKeyAndKeepsThePreviousOne) {
    Seeded s;
    const fs::path key_file = s.dir.path() / "secrets.key";
    auto old_key = SecretBox::LoadOrCreate(key_file, true);
    ASSERT_TRUE(old_key.ok());
    Seed(s, *old_key);
    KeyRotation rotation;
    rotation.database = s.db;
    rotation.key_file = key_file;
    rotation.new_key_file = s.dir.path() / "new.key";  // missing: generated
    auto done = RotateSecretsKey(rotation);
    ASSERT_TRUE(done.ok()) << done.error().Describe();
    EXPECT_TRUE(done->key_installed);
    EXPECT_EQ(done->report.resealed, 2u);
    EXPECT_FALSE(fs::exists(rotation.new_key_file)) << "moved into place";
    EXPECT_EQ(fs::status(key_file).permissions() & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none);

    auto installed = SecretBox::LoadOrCreate(key_file, false);
    auto previous = SecretBox::LoadOrCreate(done->previous_key_file, false);
    ASSERT_TRUE(installed.ok() && previous.ok());
    EXPECT_EQ(*installed->Open(SealedPassword(s.db)), kPassword);
    EXPECT_EQ(*previous->Open(old_key->Seal("z")), "z");  // the old key, kept
    EXPECT_FALSE(previous->Open(SealedPassword(s.db)).ok());

    // The same file as old and new key is refused.
    rotation.new_key_file = key_file;
    EXPECT_FALSE(RotateSecretsKey(rotation).ok());
}

}  // namespace
}  // namespace adxflow::storage
