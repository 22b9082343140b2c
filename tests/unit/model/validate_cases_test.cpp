// Runs every block of tests/cases/model/*.test through ValidateResource.
//
// Keys: kind (git folder name: linkedService, dataset, pipeline, trigger, credential), name, body (JSON),
// then either `expect: ok` or `error: <substring of the message>` with `target: <JSON path>`; optional
// `warning: <substring of some warning>`, `no_warnings: true`, and `refs: <kind>:<name>@<path>, ...` (each
// listed reference must have been found).

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/model/validate.hpp"
#include "tests/support/test_support.hpp"
#include "tests/unit/model/fake_catalog.hpp"

namespace adxflow::testing {
// Failure output names the case by file and line instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.file << ":" << c.line;
}
}  // namespace adxflow::testing

namespace adxflow::model {
namespace {

using testing::Case;

std::vector<Case> AllCases() {
    return testing::ReadCaseDir(testing::SourceDir() / "tests/cases/model");
}

std::string Field(const Case& c, const std::string& key) {
    const std::string* v = c.Get(key);
    return v ? *v : std::string();
}

class ValidateCase : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateCase, Matches) {
    const Case& c = GetParam();
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line));
    auto kind = ParseGitFolder(Field(c, "kind"));
    ASSERT_TRUE(kind.has_value()) << "unknown kind " << Field(c, "kind");
    const std::string expected_error = Field(c, "error");

    auto body = ParseJson(Field(c, "body"), "case body");
    if (!body.ok()) {
        ASSERT_FALSE(expected_error.empty()) << "case body is not JSON: " << body.error().message;
        EXPECT_NE(body.error().message.find(expected_error), std::string::npos) << body.error().message;
        return;
    }
    auto result = ValidateResource(*kind, Field(c, "name"), *body, testing::FakeCatalog());

    if (!expected_error.empty()) {
        ASSERT_FALSE(result.ok()) << "expected an error containing: " << expected_error;
        const Error& e = result.error();
        EXPECT_EQ(e.kind, ErrorKind::kInvalidInput);
        EXPECT_NE(e.message.find(expected_error), std::string::npos) << "message: " << e.message;
        if (c.Get("target")) {
            EXPECT_EQ(e.target, Field(c, "target")) << "message: " << e.message;
            EXPECT_NE(e.message.find(e.target), std::string::npos)
                << "the message must name the path: " << e.message;
        }
        return;
    }
    ASSERT_EQ(Field(c, "expect"), "ok") << "a case needs `expect: ok` or `error:`";
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_TRUE(IEquals(result->body["name"].get<std::string>(), Field(c, "name")));
    EXPECT_EQ(result->body["properties"], *FindMember(*body, "properties"));

    if (c.Get("warning")) {
        bool found = false;
        for (const auto& w : result->warnings) found |= w.find(Field(c, "warning")) != std::string::npos;
        EXPECT_TRUE(found) << "no warning contains: " << Field(c, "warning");
    }
    if (Field(c, "no_warnings") == "true") {
        EXPECT_TRUE(result->warnings.empty()) << result->warnings.front();
    }
    if (c.Get("refs")) {
        std::istringstream list(Field(c, "refs"));
        std::string item;
        while (std::getline(list, item, ',')) {
            while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(0, 1);
            while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
            auto colon = item.find(':'), at = item.find('@');
            ASSERT_TRUE(colon != std::string::npos && at != std::string::npos) << "bad refs item " << item;
            auto ref_kind = ParseGitFolder(item.substr(0, colon));
            ASSERT_TRUE(ref_kind.has_value()) << item;
            std::string name = item.substr(colon + 1, at - colon - 1), path = item.substr(at + 1);
            bool found = false;
            for (const auto& r : result->references)
                found |= r.kind == *ref_kind && r.name == name && r.path == path;
            EXPECT_TRUE(found) << "reference not found: " << item;
        }
        // No reference beyond the listed ones.
        const std::string refs = Field(c, "refs");
        EXPECT_EQ(result->references.size(), static_cast<size_t>(std::count(refs.begin(), refs.end(), '@')));
    }
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
    std::string stem = info.param.file.substr(0, info.param.file.find('.'));
    return stem + "_line" + std::to_string(info.param.line);
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidateCase, ::testing::ValuesIn(AllCases()), CaseName);

}  // namespace
}  // namespace adxflow::model
