// The crash-point facility: a spec arms one point, the nth pass "crashes" (a test action instead of
// SIGKILL), other points and earlier passes do nothing; and the table of points in docs/reliability.md
// names exactly the points the code has, so the kill -9 harness (which reads the code) and the docs agree.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/crash_point.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> g_crashed;

void Record(const char* name) {
    g_crashed.emplace_back(name);
}

class CrashPointTest : public ::testing::Test {
  protected:
    void SetUp() override {
        g_crashed.clear();
        crash::SetCrashActionForTesting(&Record);
    }
    void TearDown() override {
        crash::Disarm();
        crash::SetCrashActionForTesting(nullptr);
    }
};

TEST_F(CrashPointTest, UnarmedPointsDoNothing) {
    EXPECT_FALSE(crash::g_armed.load());
    for (int i = 0; i < 3; ++i) ADXFLOW_CRASH_POINT("test.point");
    EXPECT_TRUE(g_crashed.empty());
    EXPECT_EQ(crash::ArmedPoint(), "");
}

TEST_F(CrashPointTest, TheFirstPassOfTheArmedPointCrashes) {
    ASSERT_TRUE(crash::Arm("test.point"));
    EXPECT_EQ(crash::ArmedPoint(), "test.point");
    ADXFLOW_CRASH_POINT("test.other");
    EXPECT_TRUE(g_crashed.empty());
    ADXFLOW_CRASH_POINT("test.point");
    EXPECT_EQ(g_crashed, std::vector<std::string>{"test.point"});
    ADXFLOW_CRASH_POINT("test.point");  // only the nth pass, once
    EXPECT_EQ(g_crashed.size(), 1u);
    EXPECT_EQ(crash::HitCount(), 2u);
}

TEST_F(CrashPointTest, TheNthPassCrashes) {
    ASSERT_TRUE(crash::Arm("test.point:3"));
    ADXFLOW_CRASH_POINT("test.point");
    ADXFLOW_CRASH_POINT("test.point");
    EXPECT_TRUE(g_crashed.empty());
    ADXFLOW_CRASH_POINT("test.point");
    EXPECT_EQ(g_crashed.size(), 1u);
}

TEST_F(CrashPointTest, MalformedSpecsAreRefusedAndEmptyDisarms) {
    EXPECT_FALSE(crash::Arm("test.point:0"));
    EXPECT_FALSE(crash::Arm("test.point:x"));
    EXPECT_FALSE(crash::Arm("test.point:"));
    EXPECT_FALSE(crash::Arm(":2"));
    ASSERT_TRUE(crash::Arm("test.point"));
    EXPECT_TRUE(crash::Arm(""));
    EXPECT_FALSE(crash::g_armed.load());
    ADXFLOW_CRASH_POINT("test.point");
    EXPECT_TRUE(g_crashed.empty());
}

// Every ADXFLOW_CRASH_POINT("...") in the sources (core, storage, connectors, daemon), with no duplicates.
std::vector<std::string> PointsInCode() {
    const std::regex point(R"re(ADXFLOW_CRASH_POINT\("([a-z0-9_.]+)"\))re");
    std::vector<std::string> out;
    for (const char* top : {"core", "storage", "connectors", "daemon"}) {
        for (const auto& entry : fs::recursive_directory_iterator(SourceDir() / top)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            const std::string text = ReadFile(entry.path());
            for (std::sregex_iterator it(text.begin(), text.end(), point), end; it != end; ++it)
                out.push_back((*it)[1]);
        }
    }
    return out;
}

// The first column of the "Crash points" table in docs/reliability.md.
std::vector<std::string> PointsInDocs() {
    const std::string text = ReadFile(SourceDir() / "docs/reliability.md");
    const auto section = text.find("## Crash points");
    if (section == std::string::npos) return {};
    const std::regex row(R"re(\n\| `([a-z0-9_.]+)` \|)re");
    std::vector<std::string> out;
    const std::string rest = text.substr(section);
    for (std::sregex_iterator it(rest.begin(), rest.end(), row), end; it != end; ++it)
        out.push_back((*it)[1]);
    return out;
}

TEST(CrashPointList, DocumentedPointsMatchTheCode) {
    const auto code = PointsInCode();
    const auto docs = PointsInDocs();
    const std::set<std::string> code_set(code.begin(), code.end());
    const std::set<std::string> docs_set(docs.begin(), docs.end());
    EXPECT_EQ(code.size(), code_set.size()) << "a point name is used twice in the code";
    EXPECT_EQ(docs.size(), docs_set.size()) << "a point is listed twice in docs/reliability.md";
    for (const auto& p : code_set)
        EXPECT_TRUE(docs_set.count(p)) << p << " is in the code but not in docs/reliability.md";
    for (const auto& p : docs_set)
        EXPECT_TRUE(code_set.count(p)) << p << " is in docs/reliability.md but not in the code";
    EXPECT_GE(code_set.size(), 20u) << "issue 8 asks for at least 20 crash points";
}

}  // namespace
}  // namespace adxflow::testing
