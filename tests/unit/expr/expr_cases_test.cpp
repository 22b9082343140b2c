// Runs every case in tests/cases/expr/*.test. A case gives the value to evaluate (`expr:` a raw string,
// or `json:` any JSON value), an optional `context:` (JSON, see MakeContext) and the expectation:
// `value:` (JSON, compared exactly, integer vs float included), `matches:` (regex on a string result) or
// `error:` (substring of the error message). `op:` optionally names the expected error op.
// Every case is also run through CheckSyntax, which must fail exactly when evaluation fails to parse.

#include <gtest/gtest.h>

#include <regex>

#include "core/expr/expr.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::expr {
namespace {

using adxflow::testing::Case;

// {"pipeline": {...}, "variables": {...}, "activities": {"Name": {...}}, "item": ..., "dataset": ...,
//  "linkedService": ..., "trigger": ..., "now": "2024-03-15T12:00:00Z"}
struct CaseContext {
    EvalContext ctx;
    std::unique_ptr<SimulatedClock> clock;
    Json activities = Json::object();
};

std::unique_ptr<CaseContext> MakeContext(const Json& spec) {
    auto out = std::make_unique<CaseContext>();
    if (auto* p = FindMember(spec, "pipeline")) out->ctx.pipeline = *p;
    if (auto* v = FindMember(spec, "variables")) out->ctx.variables = *v;
    if (auto* a = FindMember(spec, "activities")) out->activities = *a;
    if (auto* i = FindMember(spec, "item")) out->ctx.item = *i;
    if (auto* d = FindMember(spec, "dataset")) out->ctx.dataset = *d;
    if (auto* l = FindMember(spec, "linkedService")) out->ctx.linked_service = *l;
    if (auto* t = FindMember(spec, "trigger")) out->ctx.trigger = *t;
    if (auto* now = FindMember(spec, "now")) {
        auto t = ParseTimestamp(now->get<std::string>());
        EXPECT_TRUE(t.has_value()) << "bad 'now' in context";
        if (t) out->clock = std::make_unique<SimulatedClock>(*t);
        out->ctx.clock = out->clock.get();
    }
    const Json* activities = &out->activities;
    out->ctx.activity = [activities](std::string_view name) -> std::optional<Json> {
        if (const Json* a = FindMember(*activities, name)) return *a;
        return std::nullopt;
    };
    return out;
}

std::string Where(const Case& c) {
    return c.file + ":" + std::to_string(c.line);
}

Json ParseField(const Case& c, const std::string& key) {
    auto parsed = ParseJson(*c.Get(key), key);
    EXPECT_TRUE(parsed.ok()) << Where(c) << ": '" << key << "' is not JSON: " << parsed.error().message;
    return parsed.ok() ? *parsed : Json();
}

// Exact comparison: nlohmann treats 1 == 1.0, but for ADF the integer/float distinction is observable.
bool SameJson(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) return a.is_number_float() == b.is_number_float() && a == b;
    if (a.type() != b.type()) return false;
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!SameJson(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = a.begin(); it != a.end(); ++it)
            if (!b.contains(it.key()) || !SameJson(it.value(), b[it.key()])) return false;
        return true;
    }
    return a == b;
}

void RunCase(const Case& c) {
    Json input;
    if (const std::string* expr = c.Get("expr")) {
        input = *expr;
    } else if (c.Get("json")) {
        input = ParseField(c, "json");
    } else {
        ADD_FAILURE() << Where(c) << ": a case needs 'expr' or 'json'";
        return;
    }
    auto context = MakeContext(c.Get("context") ? ParseField(c, "context") : Json::object());
    auto result = Evaluate(input, context->ctx);
    Status syntax = CheckSyntax(input);

    if (const std::string* error = c.Get("error")) {
        if (result.ok()) {
            ADD_FAILURE() << Where(c) << ": expected an error containing '" << *error << "', got "
                          << result->dump();
            return;
        }
        const Error& e = result.error();
        EXPECT_NE(e.message.find(*error), std::string::npos)
            << Where(c) << ": error message '" << e.message << "' does not contain '" << *error << "'";
        EXPECT_EQ(e.kind, ErrorKind::kInvalidInput) << Where(c);
        if (const std::string* op = c.Get("op")) {
            EXPECT_EQ(e.op, *op) << Where(c) << ": " << e.message;
        }
        EXPECT_TRUE(e.op == "expr.parse" || e.op == "expr.evaluate") << Where(c) << ": op " << e.op;
        if (e.op == "expr.parse") {
            EXPECT_FALSE(syntax.ok()) << Where(c) << ": CheckSyntax accepted what evaluation could not parse";
            if (!syntax.ok()) {
                EXPECT_EQ(syntax.error().message, e.message) << Where(c);
            }
        } else {
            EXPECT_TRUE(syntax.ok()) << Where(c) << ": CheckSyntax rejected a parseable expression: "
                                     << syntax.error().message;
        }
        return;
    }
    if (!result.ok()) {
        ADD_FAILURE() << Where(c) << ": unexpected error: " << result.error().Describe();
        return;
    }
    EXPECT_TRUE(syntax.ok()) << Where(c) << ": CheckSyntax failed: " << syntax.error().message;
    if (c.Get("value")) {
        Json expected = ParseField(c, "value");
        EXPECT_TRUE(SameJson(*result, expected))
            << Where(c) << ": expected " << expected.dump() << ", got " << result->dump();
    } else if (const std::string* pattern = c.Get("matches")) {
        ASSERT_TRUE(result->is_string()) << Where(c) << ": expected a string, got " << result->dump();
        EXPECT_TRUE(std::regex_match(result->get<std::string>(), std::regex(*pattern)))
            << Where(c) << ": '" << result->get<std::string>() << "' does not match /" << *pattern << "/";
    } else {
        ADD_FAILURE() << Where(c) << ": a case needs 'value', 'matches' or 'error'";
    }
}

TEST(ExprCases, AllCaseFilesPass) {
    auto cases = adxflow::testing::ReadCaseDir(adxflow::testing::SourceDir() / "tests/cases/expr");
    ASSERT_GT(cases.size(), 150u);
    for (const Case& c : cases) RunCase(c);
    std::printf("ran %zu expression cases\n", cases.size());
}

}  // namespace
}  // namespace adxflow::expr
