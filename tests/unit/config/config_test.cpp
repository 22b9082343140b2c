// The daemon's option table: command line, config file, their precedence, errors naming the option, and the
// generated configuration reference kept in step with docs/configuration.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::config {
namespace {

using adxflow::testing::TempDir;
using adxflow::testing::WriteFile;

Result<Settings> Parse(std::vector<std::string> args, std::string* action = nullptr) {
    args.insert(args.begin(), "adxflowd");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::string ignored;
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), action ? action : &ignored);
}

TEST(Config, StartsWithNoConfigAtAllOnTheDocumentedDefaults) {
    auto s = Parse({});
    ASSERT_TRUE(s.ok()) << s.error().Describe();
    EXPECT_EQ(s->listen, "127.0.0.1:8420");
    EXPECT_EQ(s->data_dir, "adxflow-data");
    EXPECT_EQ(s->database_path, std::filesystem::path("adxflow-data") / "adxflow.db");
    EXPECT_EQ(s->secrets_key_file, std::filesystem::path("adxflow-data") / "secrets.key");
    EXPECT_TRUE(s->file_roots.empty());
    // Every default in the table is the default of the struct (one source of truth for the docs).
    for (const auto& spec : OptionTable()) {
        if (std::string(spec.default_value).empty()) continue;
        Json config = Json::object();
        switch (spec.type) {
            case OptionType::kInt:
                config[spec.name] = std::stoll(spec.default_value);
                break;
            case OptionType::kBool:
                config[spec.name] = std::string(spec.default_value) == "true";
                break;
            default:
                config[spec.name] = spec.default_value;
                break;
        }
        Settings from_default;
        ASSERT_TRUE(ApplyJson(config, from_default, "test").ok()) << spec.name;
        Settings plain;
        std::string flag = "--" + std::string(spec.name);
        std::replace(flag.begin(), flag.end(), '_', '-');
        EXPECT_NE(HelpText().find(flag), std::string::npos) << flag << " missing from --help";
        if (std::string(spec.name) == "listen") {
            EXPECT_EQ(from_default.listen, plain.listen);
        }
        if (std::string(spec.name) == "workers") {
            EXPECT_EQ(from_default.workers, plain.workers);
        }
        if (std::string(spec.name) == "copy_chunk_rows") {
            EXPECT_EQ(from_default.copy_chunk_rows, plain.copy_chunk_rows);
        }
    }
}

TEST(Config, CommandLineOverridesTheConfigFile) {
    TempDir dir;
    WriteFile(dir / "adxflow.json", R"({"listen": "127.0.0.1:9000", "workers": 7, "data_dir": "/var/lib/x",
                                        "file_roots": ["/srv/a", "/srv/b"], "log_level": "debug"})");
    auto s = Parse({"--config", (dir / "adxflow.json").string(), "--listen", "[::1]:9100", "--file-root",
                    "/srv/c", "--file-root", "/srv/d"});
    ASSERT_TRUE(s.ok()) << s.error().Describe();
    EXPECT_EQ(s->listen, "[::1]:9100");
    EXPECT_EQ(s->ListenHost(), "::1");
    EXPECT_EQ(s->ListenPort(), 9100);
    EXPECT_EQ(s->workers, 7);  // from the file
    EXPECT_EQ(s->data_dir, "/var/lib/x");
    EXPECT_EQ(s->database_path,
              std::filesystem::path("/var/lib/x") / "adxflow.db");  // derived after the overrides
    EXPECT_EQ(s->log_level, "debug");
    // A repeated flag replaces the file's list as a whole, in the order given.
    ASSERT_EQ(s->file_roots.size(), 2u);
    EXPECT_EQ(s->file_roots[0], "/srv/c");
    EXPECT_EQ(s->file_roots[1], "/srv/d");
    // --name=value works as well as --name value; dashes and underscores both name the option.
    auto eq = Parse({"--data-dir=/tmp/d", "--copy-chunk-rows=250"});
    ASSERT_TRUE(eq.ok()) << eq.error().Describe();
    EXPECT_EQ(eq->data_dir, "/tmp/d");
    EXPECT_EQ(eq->copy_chunk_rows, 250);
}

TEST(Config, ErrorsNameTheOptionAndWhereItCameFrom) {
    auto unknown = Parse({"--wrokers", "3"});
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("--wrokers"), std::string::npos) << unknown.error().message;

    auto bad_int = Parse({"--workers", "many"});
    ASSERT_FALSE(bad_int.ok());
    EXPECT_NE(bad_int.error().message.find("workers"), std::string::npos) << bad_int.error().message;

    auto zero = Parse({"--copy-chunk-rows", "0"});
    ASSERT_FALSE(zero.ok());
    EXPECT_NE(zero.error().message.find("copy_chunk_rows"), std::string::npos) << zero.error().message;

    auto missing_value = Parse({"--listen"});
    ASSERT_FALSE(missing_value.ok());

    TempDir dir;
    WriteFile(dir / "bad.json", "{\"workers\": 2,\n \"nope\": true}\n");
    auto bad_key = Parse({"--config", (dir / "bad.json").string()});
    ASSERT_FALSE(bad_key.ok());
    EXPECT_NE(bad_key.error().message.find("nope"), std::string::npos) << bad_key.error().message;
    EXPECT_NE(bad_key.error().message.find("bad.json"), std::string::npos) << bad_key.error().message;

    WriteFile(dir / "syntax.json", "{\"workers\": 2,,}\n");
    auto syntax = Parse({"--config", (dir / "syntax.json").string()});
    ASSERT_FALSE(syntax.ok());
    EXPECT_NE(syntax.error().message.find("line 1"), std::string::npos) << syntax.error().message;

    auto absent = Parse({"--config", (dir / "absent.json").string()});
    ASSERT_FALSE(absent.ok());
    EXPECT_NE(absent.error().message.find("absent.json"), std::string::npos) << absent.error().message;
}

TEST(Config, HelpVersionAndConfigDocAreActions) {
    for (const char* flag : {"--help", "--version", "--config-doc"}) {
        std::string action;
        auto s = Parse({flag}, &action);
        ASSERT_TRUE(s.ok()) << flag;
        EXPECT_EQ("--" + action, flag);
    }
    const std::string help = HelpText();
    for (const char* flag : {"--listen", "--data-dir", "--file-root", "--config", "--workers"})
        EXPECT_NE(help.find(flag), std::string::npos) << flag;
}

// docs/configuration.md is generated from the table; this fails when someone edits one without the other.
TEST(Config, ConfigurationDocIsUpToDate) {
    const std::string checked_in =
        adxflow::testing::ReadFile(adxflow::testing::SourceDir() / "docs/configuration.md");
    EXPECT_EQ(checked_in, ConfigurationDoc()) << "docs/configuration.md is stale: regenerate it with "
                                                 "`adxflowd --config-doc > docs/configuration.md`";
}

}  // namespace
}  // namespace adxflow::config
