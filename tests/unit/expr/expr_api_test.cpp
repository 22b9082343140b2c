// The public API beyond single-value evaluation: IsExpression, EvaluateTree, CheckTreeSyntax, the length
// limit, and the system clock fallback of utcNow().

#include <gtest/gtest.h>

#include "core/expr/expr.hpp"

namespace adxflow::expr {
namespace {

TEST(IsExpression, RecognisesEveryForm) {
    EXPECT_TRUE(IsExpression("@pipeline().RunId"));
    EXPECT_TRUE(IsExpression("@{item()}"));
    EXPECT_TRUE(IsExpression("file_@{item()}.csv"));
    EXPECT_TRUE(IsExpression("@@"));
    EXPECT_TRUE(IsExpression(Json{{"value", "x"}, {"type", "expression"}}));
    EXPECT_FALSE(IsExpression("plain text"));
    EXPECT_FALSE(IsExpression(" @notLeading()"));
    EXPECT_FALSE(IsExpression("user@example.com"));
    EXPECT_FALSE(IsExpression(42));
    EXPECT_FALSE(IsExpression(Json{{"value", "@x"}, {"type", "SecureString"}}));
}

TEST(EvaluateTree, EvaluatesNestedValuesAndLeavesLiteralsAlone) {
    EvalContext ctx;
    ctx.pipeline = {{"parameters", {{"table", "Sales"}, {"batch", 500}}}};
    Json tree = Json::parse(R"({
        "table": "@pipeline().parameters.table",
        "batch": {"value": "@pipeline().parameters.batch", "type": "Expression"},
        "list": ["a", "@{pipeline().parameters.batch}", 3, null, true],
        "nested": {"query": "Sales | take @{pipeline().parameters.batch}", "keep": "x@y"}
    })");
    auto r = EvaluateTree(tree, ctx);
    ASSERT_TRUE(r.ok()) << r.error().Describe();
    EXPECT_EQ(*r, Json::parse(R"({
        "table": "Sales", "batch": 500, "list": ["a", "500", 3, null, true],
        "nested": {"query": "Sales | take 500", "keep": "x@y"}})"));
    EXPECT_TRUE((*r)["batch"].is_number_integer());
}

TEST(EvaluateTree, ErrorCarriesTheJsonPath) {
    EvalContext ctx;
    Json tree = Json::parse(R"({"source": {"queries": ["ok", "@pipeline().parameters.missing"]}})");
    auto r = EvaluateTree(tree, ctx);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().target, "source.queries[1]");
    EXPECT_EQ(r.error().op, "expr.evaluate");
}

TEST(CheckTreeSyntax, FindsTheBrokenValue) {
    EXPECT_TRUE(CheckTreeSyntax(Json::parse(R"j({"a": "@concat('x', 'y')", "b": [1, "@{item()}"]})j")).ok());
    auto s = CheckTreeSyntax(Json::parse(R"j({"a": "fine", "b": [1, "@concat('x'"]})j"));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().target, "b[1]");
    EXPECT_EQ(s.error().op, "expr.parse");
}

TEST(Limits, ExpressionLongerThan8192CharactersIsRejected) {
    std::string literal(8192 - 3, 'x');  // "@'" + literal + "'" is 8,192 characters; the expression 8,191
    EXPECT_TRUE(CheckSyntax("@'" + literal + "'").ok());
    auto r = Evaluate("@'" + literal + "xx'", EvalContext{});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("8192"), std::string::npos) << r.error().message;
    // The message quotes a prefix of the expression, not all 8 KB of it.
    EXPECT_LT(r.error().message.size(), 600u);
    auto interpolated = Evaluate("x@{'" + literal + "xx'}", EvalContext{});
    EXPECT_FALSE(interpolated.ok());
}

TEST(Limits, DeepNestingIsAnErrorNotACrash) {
    std::string text = "@";
    for (int i = 0; i < 1000; ++i) text += "string(";
    text += "1";
    for (int i = 0; i < 1000; ++i) text += ")";
    auto r = Evaluate(text, EvalContext{});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("nests too deeply"), std::string::npos) << r.error().message;
}

TEST(UtcNow, FallsBackToTheSystemClock) {
    auto before = std::chrono::system_clock::now();
    auto r = Evaluate("@utcNow()", EvalContext{});
    auto after = std::chrono::system_clock::now();
    ASSERT_TRUE(r.ok());
    auto t = ParseTimestamp(r->get<std::string>());
    ASSERT_TRUE(t.has_value()) << r->dump();
    EXPECT_GE(*t + std::chrono::microseconds(1), before);
    EXPECT_LE(*t, after);
}

TEST(Activity, WithoutCallbackIsAClearError) {
    auto r = Evaluate("@activity('Copy1').output", EvalContext{});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("Copy1"), std::string::npos);
}

}  // namespace
}  // namespace adxflow::expr
