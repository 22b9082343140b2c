// Runs every case in tests/cases/kql/*.test against the emulator's KQL engine (ParseQuery + Execute), the way
// query.cpp runs a query. A case is
//
//   name:    what it shows
//   table:   T(a:long, b:string)        optional; the table the query reads (see below)
//   rows:    one JSON array per line      the table's rows, cells as stored (datetimes as text)
//   query:   the KQL text (continuation lines indented by two spaces)
//   columns: a:long, b:string            the result schema
//   result:  one JSON array per line      the result rows, cells as the v2 writer sends them (dynamic as
//   JSON) count:   N                            instead of result: only the number of rows error: SyntaxError
//   | SemanticError  instead of columns/result message: text                         optional with error: a
//   substring of the message
//
// A block with `table:` and `rows:` but no `query:` defines a table for the cases after it in the same file.
// Every case that reads a table runs twice: over the rows as a vector (Execute, stored tables) and over
// the same rows produced on demand (ExecuteGenerated, synthetic tables); both must answer the same.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "core/json.hpp"
#include "tests/support/kusto_emulator/kql.hpp"
#include "tests/support/test_support.hpp"

namespace adxflow::kusto_emulator {
namespace {

using adxflow::testing::Case;

struct TableDef {
    Schema schema;
    std::vector<Value> rows;
};

std::string Where(const Case& c) {
    const std::string* name = c.Get("name");
    return c.file + ":" + std::to_string(c.line) + (name ? " (" + *name + ")" : "");
}

std::string TrimCopy(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

// "a:long, b:string"
Schema ParseSchema(const std::string& text, const std::string& where) {
    Schema schema;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        item = TrimCopy(item);
        if (item.empty()) continue;
        const auto colon = item.rfind(':');
        auto type =
            colon == std::string::npos ? std::nullopt : ParseColumnType(TrimCopy(item.substr(colon + 1)));
        if (!type) throw std::runtime_error(where + ": bad column '" + item + "'");
        schema.push_back({TrimCopy(item.substr(0, colon)), *type});
    }
    return schema;
}

std::vector<Json> JsonLines(const std::string& text, const std::string& where) {
    std::vector<Json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        line = TrimCopy(line);
        if (line.empty()) continue;
        auto parsed = ParseJson(line, "row");
        if (!parsed.ok() || !parsed->is_array())
            throw std::runtime_error(where + ": a row is a JSON array, got: " + line);
        out.push_back(*parsed);
    }
    return out;
}

Value CellFromJson(const Json& j) {
    if (j.is_null()) return Value{};
    if (j.is_boolean()) return Value{j.get<bool>()};
    if (j.is_number_integer()) return Value{j.get<int64_t>()};
    if (j.is_number()) return Value{j.get<double>()};
    if (j.is_string()) return Value{j.get<std::string>()};
    return Value{j.dump()};  // objects and arrays: dynamic text
}

// A result cell as the v2 writer puts it on the wire (dynamic text travels as JSON).
Json CellToJson(ColumnType type, const Value& v) {
    switch (v.index()) {
        case 0:
            return nullptr;
        case 1:
            return std::get<bool>(v);
        case 2:
            return std::get<int64_t>(v);
        case 3: {
            // As the v2 writer: non-finite reals travel as strings.
            const double d = std::get<double>(v);
            if (std::isnan(d)) return "NaN";
            if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
            return d;
        }
        default: {
            const std::string& s = std::get<std::string>(v);
            if (type == ColumnType::kDynamic) {
                auto j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
                if (!j.is_discarded()) return j;
            }
            return s;
        }
    }
}

// Exact comparison: nlohmann treats 1 == 1.0, but long and real columns must not be confused.
bool SameJson(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) return a.is_number_float() == b.is_number_float() && a == b;
    if (a.type() != b.type()) return false;
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!SameJson(a[i], b[i])) return false;
        return true;
    }
    return a == b;
}

// "T(a:long, b:string)"
std::pair<std::string, TableDef> ParseTable(const Case& c) {
    const std::string& spec = *c.Get("table");
    const auto open = spec.find('('), close = spec.rfind(')');
    if (open == std::string::npos || close == std::string::npos)
        throw std::runtime_error(Where(c) + ": table: T(a:long)");
    TableDef def;
    def.schema = ParseSchema(spec.substr(open + 1, close - open - 1), Where(c));
    if (const std::string* rows = c.Get("rows"))
        for (const Json& row : JsonLines(*rows, Where(c))) {
            if (row.size() != def.schema.size())
                throw std::runtime_error(Where(c) + ": row width " + row.dump());
            for (const Json& cell : row) def.rows.push_back(CellFromJson(cell));
        }
    return {TrimCopy(spec.substr(0, open)), std::move(def)};
}

using Outcome = Result<std::pair<Schema, std::vector<Value>>>;

// As query.cpp resolves the source: a table of the case, or the query's own print/range/datatable.
Outcome RunCase(const Query& q, const std::map<std::string, TableDef>& tables, bool generated) {
    if (q.table.empty()) return Execute(q, {}, {});
    auto t = tables.find(q.table);
    if (t == tables.end())
        return MakeError(ErrorKind::kInvalidInput, "test",
                         "'table' operator: Failed to resolve table expression named '" + q.table + "'",
                         "SemanticError");
    const TableDef& def = t->second;
    if (!generated) return Execute(q, def.schema, def.rows);
    const size_t width = def.schema.size();
    const int64_t count = width ? static_cast<int64_t>(def.rows.size() / width) : 0;
    return ExecuteGenerated(q, def.schema, count, [&def, width](int64_t i, Value* row) {
        std::copy_n(def.rows.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * width), width,
                    row);
    });
}

void Check(const Case& c, const Outcome& out, const char* path) {
    const std::string where = Where(c) + " [" + path + "]";
    if (const std::string* error = c.Get("error")) {
        if (out.ok()) {
            ADD_FAILURE() << where << ": expected " << *error << ", got a result of " << out->first.size()
                          << " columns";
            return;
        }
        EXPECT_EQ(out.error().code, TrimCopy(*error)) << where << ": " << out.error().message;
        EXPECT_EQ(out.error().kind, ErrorKind::kInvalidInput) << where;
        if (const std::string* message = c.Get("message")) {
            EXPECT_NE(out.error().message.find(TrimCopy(*message)), std::string::npos)
                << where << ": message '" << out.error().message << "' lacks '" << TrimCopy(*message) << "'";
        }
        return;
    }
    if (!out.ok()) {
        ADD_FAILURE() << where << ": unexpected error: " << out.error().message;
        return;
    }
    const Schema& schema = out->first;
    const std::vector<Value>& cells = out->second;
    if (const std::string* columns = c.Get("columns")) {
        const Schema expected = ParseSchema(*columns, where);
        std::string got;
        for (const auto& col : schema) got += (got.empty() ? "" : ", ") + col.name + ":" + ToString(col.type);
        EXPECT_EQ(schema, expected) << where << ": columns are " << got;
    }
    const size_t width = schema.size();
    const size_t rows = width ? cells.size() / width : 0;
    if (const std::string* count = c.Get("count")) {
        EXPECT_EQ(rows, std::stoul(TrimCopy(*count))) << where;
        return;
    }
    const std::string* result = c.Get("result");
    if (!result) {
        ADD_FAILURE() << where << ": a case needs result, count or error";
        return;
    }
    const std::vector<Json> expected = JsonLines(*result, where);
    Json got = Json::array();
    for (size_t r = 0; r < rows; ++r) {
        Json row = Json::array();
        for (size_t k = 0; k < width; ++k) row.push_back(CellToJson(schema[k].type, cells[r * width + k]));
        got.push_back(std::move(row));
    }
    bool same = got.size() == expected.size();
    for (size_t r = 0; same && r < expected.size(); ++r) same = SameJson(got[r], expected[r]);
    if (!same) {
        std::string text;
        for (const auto& row : got) text += "\n  " + row.dump();
        ADD_FAILURE() << where << ": result differs; got:" << text;
    }
}

TEST(KqlCases, AllCaseFilesPass) {
    const auto dir = adxflow::testing::SourceDir() / "tests/cases/kql";
    size_t ran = 0;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".test") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty());
    for (const auto& file : files) {
        std::map<std::string, TableDef> tables;  // defined for the rest of the file
        for (const Case& c : adxflow::testing::ReadCases(file)) {
            const std::string* query = c.Get("query");
            if (!query) {
                if (!c.Get("table")) {
                    ADD_FAILURE() << Where(c) << ": a block needs query (a case) or table (a definition)";
                    continue;
                }
                auto [name, def] = ParseTable(c);
                tables[name] = std::move(def);
                continue;
            }
            std::map<std::string, TableDef> scope = tables;
            if (c.Get("table")) {
                auto [name, def] = ParseTable(c);
                scope[name] = std::move(def);
            }
            ++ran;
            auto parsed = ParseQuery(*query);
            if (!parsed.ok()) {
                Check(c, Outcome(parsed.error()), "parse");
                continue;
            }
            Check(c, RunCase(*parsed, scope, false), "stored");
            if (!parsed->table.empty()) Check(c, RunCase(*parsed, scope, true), "generated");
        }
    }
    EXPECT_GT(ran, 150u);
    std::printf("ran %zu KQL cases from %zu files\n", ran, files.size());
}

// A satisfied take stops a generated source: rows after it are never produced.
TEST(KqlGenerated, TakeStopsTheSourceAndTheRowCapBoundsTheResult) {
    auto q = ParseQuery("T | where x % 2 == 0 | take 3");
    ASSERT_TRUE(q.ok()) << q.error().message;
    int64_t produced = 0;
    auto gen = [&produced](int64_t i, Value* row) {
        ++produced;
        row[0] = Value{i};
    };
    const Schema schema = {{"x", ColumnType::kLong}};
    auto out = ExecuteGenerated(*q, schema, 10'000'000, gen);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->second, (std::vector<Value>{Value{int64_t{0}}, Value{int64_t{2}}, Value{int64_t{4}}}));
    EXPECT_EQ(produced, 5);

    // The caller's truncation limit (+1) bounds what is kept, whatever the filter lets through.
    auto all = ParseQuery("T | where x >= 0");
    ASSERT_TRUE(all.ok());
    produced = 0;
    out = ExecuteGenerated(*all, schema, 10'000'000, gen, 1001);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->second.size(), 1001u);
    EXPECT_EQ(produced, 1001);

    // Blocking operators read everything but keep only what they need: top keeps N rows.
    auto top = ParseQuery("T | top 2 by x desc");
    ASSERT_TRUE(top.ok());
    out = ExecuteGenerated(*top, schema, 1'000'000, gen);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->second, (std::vector<Value>{Value{int64_t{999999}}, Value{int64_t{999998}}}));
}

// now() is one instant per query, and ago() is relative to it.
TEST(KqlCases, NowIsFixedPerQuery) {
    auto q = ParseQuery("print a = now(), b = now(), c = now() - ago(1h), d = now() > datetime(2024-01-01)");
    ASSERT_TRUE(q.ok()) << q.error().message;
    auto out = Execute(*q, {}, {});
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->second.size(), 4u);
    EXPECT_EQ(out->second[0], out->second[1]);
    EXPECT_EQ(out->second[2], Value{std::string("01:00:00")});
    EXPECT_EQ(out->second[3], Value{true});
}

// Anything a client sends is an answer or an error, never a crash: queries made of random pieces of the
// grammar (deterministic seed) are parsed and run over a small table.
TEST(KqlRobustness, RandomQueriesAreAnswersOrErrors) {
    static const char* kPieces[] = {"T",
                                    "|",
                                    "where",
                                    "project",
                                    "extend",
                                    "summarize",
                                    "by",
                                    "sort",
                                    "top",
                                    "take",
                                    "count",
                                    "distinct",
                                    "project-away",
                                    "project-rename",
                                    "a",
                                    "b",
                                    "d",
                                    "t",
                                    "x",
                                    "=",
                                    "==",
                                    "!=",
                                    "<",
                                    ">=",
                                    "=~",
                                    "!has",
                                    "has",
                                    "contains",
                                    "startswith",
                                    "in",
                                    "!in",
                                    "in~",
                                    "between",
                                    "..",
                                    "(",
                                    ")",
                                    "[",
                                    "]",
                                    ",",
                                    ".",
                                    "+",
                                    "-",
                                    "*",
                                    "/",
                                    "%",
                                    "and",
                                    "or",
                                    "not",
                                    "1",
                                    "2.5",
                                    "'s'",
                                    "\"q\"",
                                    "1d",
                                    "30m",
                                    "datetime(2024-01-01)",
                                    "dynamic([1,2])",
                                    "long(null)",
                                    "iff",
                                    "bin",
                                    "count()",
                                    "sum",
                                    "avg",
                                    "dcount",
                                    "tostring",
                                    "strlen",
                                    "ago",
                                    "now()",
                                    "isnull",
                                    "asc",
                                    "desc",
                                    "nulls",
                                    "first",
                                    "let",
                                    ";",
                                    "print",
                                    "range",
                                    "from",
                                    "to",
                                    "step",
                                    "datatable",
                                    ":",
                                    "long",
                                    "string",
                                    "*",
                                    "regex",
                                    "matches",
                                    "case",
                                    "coalesce",
                                    "-1"};
    const size_t n = sizeof kPieces / sizeof kPieces[0];
    const Schema schema = {{"a", ColumnType::kLong},
                           {"b", ColumnType::kString},
                           {"d", ColumnType::kDynamic},
                           {"t", ColumnType::kDateTime}};
    const std::vector<Value> rows = {Value{int64_t{1}},
                                     Value{std::string("x")},
                                     Value{std::string("{\"k\":1}")},
                                     Value{std::string("2024-01-01T00:00:00Z")},
                                     Value{},
                                     Value{},
                                     Value{std::string("[1]")},
                                     Value{}};
    uint64_t state = 12345;
    auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<size_t>(state >> 33);
    };
    size_t answered = 0, refused = 0;
    for (int q = 0; q < 20000; ++q) {
        std::string text = q % 3 == 0 ? "T | where " : q % 3 == 1 ? "T | extend x = " : "T | summarize ";
        const size_t length = 1 + next() % 6;
        for (size_t k = 0; k < length; ++k) text += std::string(kPieces[next() % n]) + " ";
        auto parsed = ParseQuery(text);
        if (!parsed.ok()) {
            ++refused;
            EXPECT_TRUE(parsed.error().code == "SyntaxError" || parsed.error().code == "SemanticError")
                << text;
            continue;
        }
        auto out = Execute(*parsed, schema, rows);
        if (out.ok()) {
            ++answered;
        } else {
            ++refused;
            EXPECT_TRUE(out.error().code == "SyntaxError" || out.error().code == "SemanticError") << text;
        }
    }
    EXPECT_GT(answered, 50u);
    std::printf("random queries: %zu answered, %zu refused\n", answered, refused);
}

}  // namespace
}  // namespace adxflow::kusto_emulator
