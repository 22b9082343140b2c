// The scalar function library of the emulator's KQL: for each function, its argument checks and result
// type (bound once, before any row is read) and its evaluation. Apart from kql_expr.cpp because this is the
// list that grows: adding a function touches only this file. Aggregations are only named here; summarize
// evaluates them (kql_exec.cpp).
#include <cmath>

#include "core/json.hpp"
#include "tests/support/kusto_emulator/kql_expr.hpp"
#include "tests/support/kusto_emulator/kql_types.hpp"

namespace adxflow::kusto_emulator::kql {

namespace {

Status Arity(const std::string& name, const std::vector<NodePtr>& args, size_t low, size_t high) {
    if (args.size() >= low && args.size() <= high) return Ok();
    std::string expected = std::to_string(low);
    if (high != low) expected += high == SIZE_MAX ? " or more" : " to " + std::to_string(high);
    return SemanticError("the function " + name + "() expects " + expected + " argument" +
                         (high == 1 ? "" : "s") + ", got " + std::to_string(args.size()));
}

Error ArgumentType(const std::string& name, const std::string& expected, ColumnType got) {
    return SemanticError("the function " + name + "() expects " + expected + ", got " + TypeName(got));
}

int64_t FloorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

// Code points of UTF-8 text (continuation bytes are not counted).
int64_t CodePoints(const std::string& s) {
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// tolong/toint/todouble/... of any type: Kusto's conversions, null when there is no value.
Value ToNumber(ColumnType from, const Value& v, bool integral) {
    if (IsNull(v)) return v;
    if (from == ColumnType::kDynamic)
        return FromJsonText(integral ? ColumnType::kLong : ColumnType::kReal, std::get<std::string>(v));
    if (auto* b = std::get_if<bool>(&v)) return integral ? Value{int64_t{*b}} : Value{*b ? 1.0 : 0.0};
    if (auto* i = std::get_if<int64_t>(&v)) {
        // A datetime's number is its .NET ticks, counted from 0001-01-01 as Kusto counts them.
        const int64_t n = from == ColumnType::kDateTime ? *i + kTicksFromYear1To1970 : *i;
        return integral ? Value{n} : Value{static_cast<double>(n)};
    }
    if (auto* d = std::get_if<double>(&v)) {
        if (!integral) return *d;
        if (!std::isfinite(*d) || std::fabs(*d) >= 9.2e18) return Value{};
        return static_cast<int64_t>(*d);
    }
    const std::string& s = std::get<std::string>(v);
    if (!IsTextual(from)) return Value{};
    if (integral) {
        Value parsed = FromCell(ColumnType::kLong, Value{s});
        if (!IsNull(parsed)) return parsed;
        // "1.5" -> 1: a real in text converts by truncation.
        Value real = FromCell(ColumnType::kReal, Value{s});
        return IsNull(real) ? real : ToNumber(ColumnType::kReal, real, true);
    }
    return FromCell(ColumnType::kReal, Value{s});
}

Result<NodePtr> Conversion(const std::string& name, std::vector<NodePtr> args) {
    ADXFLOW_TRY(Arity(name, args, 1, 1));
    const ColumnType from = args[0]->type();
    if (name == "tolong" || name == "toint" || name == "todouble" || name == "toreal" ||
        name == "todecimal") {
        const bool integral = name == "tolong" || name == "toint";
        const ColumnType to = name == "tolong"      ? ColumnType::kLong
                              : name == "toint"     ? ColumnType::kInt
                              : name == "todecimal" ? ColumnType::kDecimal
                                                    : ColumnType::kReal;
        return MakeUnaryNode(to, std::move(args[0]), [from, integral, to](Value v) {
            Value out = ToNumber(from, v, integral);
            if (to == ColumnType::kInt)
                if (auto* i = std::get_if<int64_t>(&out); i && (*i > INT32_MAX || *i < INT32_MIN))
                    return Value{};
            return out;
        });
    }
    if (name == "tostring") {
        return MakeCallNode(
            ColumnType::kString, std::move(args),
            [from](std::vector<Value>& v) { return Value{ToText(from, v[0])}; }, true);
    }
    if (name == "todatetime" || name == "totimespan" || name == "totime") {
        const ColumnType to = name == "todatetime" ? ColumnType::kDateTime : ColumnType::kTimeSpan;
        return MakeUnaryNode(to, std::move(args[0]), [from, to](Value v) -> Value {
            if (from == to) return v;
            if (IsTextual(from)) return FromCell(to, Value{ToText(from, v)});
            return Value{};
        });
    }
    if (name == "tobool" || name == "toboolean") {
        return MakeUnaryNode(ColumnType::kBool, std::move(args[0]), [from](Value v) -> Value {
            if (IsNumeric(from)) {
                if (auto* i = std::get_if<int64_t>(&v)) return *i != 0;
                return std::get<double>(v) != 0;
            }
            if (from == ColumnType::kBool) return v;
            if (IsTextual(from)) return FromCell(ColumnType::kBool, Value{ToText(from, v)});
            return Value{};
        });
    }
    if (name == "toguid") {
        return MakeUnaryNode(ColumnType::kGuid, std::move(args[0]), [from](Value v) -> Value {
            const std::string s = Fold(ToText(from, v));
            return IsGuidText(s) ? Value{s} : Value{};
        });
    }
    // todynamic / parse_json: JSON text stays JSON; any other text becomes a JSON string.
    return MakeUnaryNode(ColumnType::kDynamic, std::move(args[0]), [from](Value v) -> Value {
        if (from == ColumnType::kDynamic) return v;
        if (from == ColumnType::kString) {
            const std::string& s = std::get<std::string>(v);
            if (Json::accept(s)) return s;
        }
        return ToJsonText(from, v);
    });
}

Result<NodePtr> Bin(const std::string& name, std::vector<NodePtr> args) {
    ADXFLOW_TRY(Arity(name, args, 2, 2));
    const ColumnType t = args[0]->type(), size = args[1]->type();
    if (IsNumeric(t) && IsNumeric(size)) {
        const bool integral = IsIntegral(t) && IsIntegral(size);
        return MakeCallNode(
            integral ? ColumnType::kLong : (t == ColumnType::kDecimal ? t : ColumnType::kReal),
            std::move(args), [integral](std::vector<Value>& v) -> Value {
                if (integral) {
                    const int64_t x = std::get<int64_t>(v[0]), s = std::get<int64_t>(v[1]);
                    if (s <= 0) return Value{};
                    return FloorDiv(x, s) * s;
                }
                auto d = [](const Value& x) {
                    if (auto* i = std::get_if<int64_t>(&x)) return static_cast<double>(*i);
                    return std::get<double>(x);
                };
                const double x = d(v[0]), s = d(v[1]);
                if (!(s > 0)) return Value{};
                return std::floor(x / s) * s;
            });
    }
    if ((t == ColumnType::kDateTime || t == ColumnType::kTimeSpan) && size == ColumnType::kTimeSpan) {
        // Datetime bins start on Kusto's origin (0001-01-01), so 7d bins fall where the service puts them.
        const int64_t origin = t == ColumnType::kDateTime ? kTicksFromYear1To1970 : 0;
        return MakeCallNode(t, std::move(args), [origin](std::vector<Value>& v) -> Value {
            const int64_t x = std::get<int64_t>(v[0]), s = std::get<int64_t>(v[1]);
            if (s <= 0) return Value{};
            return FloorDiv(x + origin, s) * s - origin;
        });
    }
    return SemanticError("the function " + name +
                         "() bins numbers by a number, or datetimes and timespans by a " + "timespan; got " +
                         TypeName(t) + " and " + TypeName(size));
}

// iff, case and coalesce: branches meet in one type (numbers widen to real).
Result<ColumnType> BranchType(const std::string& name, const std::vector<const Node*>& branches) {
    ColumnType t = branches[0]->type();
    for (const Node* b : branches) {
        auto u = Unify(t, b->type());
        if (!u)
            return SemanticError("the branches of " + name + "() have different types: " + TypeName(t) +
                                 " and " + TypeName(b->type()));
        t = *u;
    }
    return t;
}

Result<NodePtr> Conditional(const std::string& name, std::vector<NodePtr> args) {
    if (name == "coalesce") {
        ADXFLOW_TRY(Arity(name, args, 2, 64));
        std::vector<const Node*> branches;
        std::vector<ColumnType> types;
        for (const auto& a : args) {
            branches.push_back(a.get());
            types.push_back(a->type());
        }
        ADXFLOW_ASSIGN_OR_RETURN(ColumnType t, BranchType(name, branches));
        return MakeCallNode(
            t, std::move(args),
            [t, types](std::vector<Value>& v) -> Value {
                // The first value that is not null (for strings: not empty).
                for (size_t i = 0; i < v.size(); ++i) {
                    if (IsNull(v[i])) continue;
                    if (auto* s = std::get_if<std::string>(&v[i]); s && s->empty()) continue;
                    return Coerce(std::move(v[i]), types[i], t);
                }
                return t == ColumnType::kString ? Value{std::string()} : Value{};
            },
            true);
    }
    // iff(c, a, b) is case(c, a, b).
    if (name == "iff" || name == "iif") {
        ADXFLOW_TRY(Arity(name, args, 3, 3));
    } else if (args.size() < 3 || args.size() % 2 == 0) {
        return SemanticError("case() expects predicate/value pairs and a final else value");
    }
    std::vector<const Node*> branches;
    std::vector<ColumnType> types(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
        types[i] = args[i]->type();
        const bool predicate = i % 2 == 0 && i + 1 < args.size();
        if (predicate && args[i]->type() != ColumnType::kBool)
            return ArgumentType(name, "a bool predicate", args[i]->type());
        if (!predicate) branches.push_back(args[i].get());
    }
    ADXFLOW_ASSIGN_OR_RETURN(ColumnType t, BranchType(name, branches));
    return MakeCallNode(
        t, std::move(args),
        [t, types](std::vector<Value>& v) -> Value {
            size_t i = 0;
            for (; i + 1 < v.size(); i += 2)
                if (auto* b = std::get_if<bool>(&v[i]); b && *b)
                    return Coerce(std::move(v[i + 1]), types[i + 1], t);
            return Coerce(std::move(v.back()), types.back(), t);
        },
        true);
}

}  // namespace

bool IsAggregateFunction(const std::string& name) {
    return name == "count" || name == "countif" || name == "dcount" || name == "sum" || name == "min" ||
           name == "max" || name == "avg" || name == "take_any" || name == "any";
}

bool IsUnsupportedAggregateFunction(const std::string& name) {
    static const char* kNames[] = {
        "arg_max",        "arg_min", "make_list", "make_set",    "make_bag",      "percentile",
        "percentiles",    "stdev",   "stdevp",    "variance",    "variancep",     "dcountif",
        "sumif",          "avgif",   "minif",     "maxif",       "make_list_if",  "make_set_if",
        "count_distinct", "hll",     "tdigest",   "buildschema", "binary_all_or", "binary_all_and"};
    for (const char* n : kNames)
        if (name == n) return true;
    return false;
}

Result<NodePtr> BindFunction(const std::string& name, std::vector<NodePtr> args, const Scope&) {
    if (IsUnsupportedAggregateFunction(name))
        return SemanticError("the aggregation function '" + name + "' is not supported by this emulator");
    const ColumnType first = args.empty() ? ColumnType::kString : args[0]->type();
    if (name == "isnull" || name == "isnotnull" || name == "isempty" || name == "isnotempty" ||
        name == "notnull" || name == "notempty") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        const bool empty = name.find("empty") != std::string::npos;
        const bool positive = name == "isnull" || name == "isempty";
        return MakeCallNode(
            ColumnType::kBool, std::move(args),
            [empty, positive](std::vector<Value>& v) -> Value {
                bool is = IsNull(v[0]);
                if (empty)
                    if (auto* s = std::get_if<std::string>(&v[0])) is = s->empty();
                return is == positive;
            },
            true);
    }
    if (name == "not") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        if (first != ColumnType::kBool) return ArgumentType(name, "a bool", first);
        return MakeUnaryNode(ColumnType::kBool, std::move(args[0]),
                             [](Value v) { return Value{!std::get<bool>(v)}; });
    }
    if (name == "ago" || name == "now") {
        // The parser passes the query's fixed now() as the last argument: ago(x) and now(x) are constant
        // over a query, as in Kusto.
        if (args.size() != 2)
            return SemanticError("the function " + name + "() expects at most one timespan");
        if (first != ColumnType::kTimeSpan) return ArgumentType(name, "a timespan", first);
        const bool minus = name == "ago";
        return MakeCallNode(ColumnType::kDateTime, std::move(args), [minus](std::vector<Value>& v) -> Value {
            const int64_t span = std::get<int64_t>(v[0]), now = std::get<int64_t>(v[1]);
            return minus ? now - span : now + span;
        });
    }
    if (name == "tolong" || name == "toint" || name == "todouble" || name == "toreal" ||
        name == "todecimal" || name == "tostring" || name == "todatetime" || name == "totimespan" ||
        name == "totime" || name == "tobool" || name == "toboolean" || name == "toguid" ||
        name == "todynamic" || name == "toobject" || name == "parse_json")
        return Conversion(name, std::move(args));
    if (name == "strlen") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        if (!IsTextual(first)) return ArgumentType(name, "a string", first);
        return MakeUnaryNode(ColumnType::kLong, std::move(args[0]),
                             [first](Value v) -> Value { return CodePoints(ToText(first, v)); });
    }
    if (name == "tolower" || name == "toupper") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        if (!IsTextual(first)) return ArgumentType(name, "a string", first);
        const bool lower = name == "tolower";
        return MakeUnaryNode(ColumnType::kString, std::move(args[0]), [first, lower](Value v) -> Value {
            std::string s = ToText(first, v);
            for (char& c : s)
                c = static_cast<char>(lower ? std::tolower(static_cast<unsigned char>(c))
                                            : std::toupper(static_cast<unsigned char>(c)));
            return s;
        });
    }
    if (name == "strcat") {
        ADXFLOW_TRY(Arity(name, args, 1, 64));
        std::vector<ColumnType> types;
        for (const auto& a : args) types.push_back(a->type());
        return MakeCallNode(
            ColumnType::kString, std::move(args),
            [types](std::vector<Value>& v) -> Value {
                std::string out;
                for (size_t i = 0; i < v.size(); ++i) out += ToText(types[i], v[i]);
                return out;
            },
            true);
    }
    if (name == "substring") {
        ADXFLOW_TRY(Arity(name, args, 2, 3));
        for (size_t i = 1; i < args.size(); ++i)
            if (!IsIntegral(args[i]->type()))
                return ArgumentType(name, "long start and length", args[i]->type());
        return MakeCallNode(ColumnType::kString, std::move(args), [first](std::vector<Value>& v) -> Value {
            const std::string s = ToText(first, v[0]);
            const int64_t size = static_cast<int64_t>(s.size());
            const int64_t start = std::clamp<int64_t>(std::get<int64_t>(v[1]), 0, size);
            const int64_t length = v.size() > 2 ? std::get<int64_t>(v[2]) : size - start;
            if (length <= 0) return std::string();
            return s.substr(static_cast<size_t>(start), static_cast<size_t>(length));
        });
    }
    if (name == "bin" || name == "floor") return Bin(name, std::move(args));
    if (name == "iff" || name == "iif" || name == "case" || name == "coalesce")
        return Conditional(name, std::move(args));
    if (name == "abs") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        if (!IsNumeric(first) && first != ColumnType::kTimeSpan) return ArgumentType(name, "a number", first);
        return MakeUnaryNode(first, std::move(args[0]), [](Value v) -> Value {
            if (auto* i = std::get_if<int64_t>(&v))  // through unsigned: abs(min long) wraps, as in .NET
                return *i < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(*i)) : *i;
            return std::fabs(std::get<double>(v));
        });
    }
    if (name == "round") {
        ADXFLOW_TRY(Arity(name, args, 1, 2));
        if (!IsNumeric(first)) return ArgumentType(name, "a number", first);
        if (args.size() == 2 && !IsIntegral(args[1]->type()))
            return ArgumentType(name, "a long precision", args[1]->type());
        return MakeCallNode(first, std::move(args), [](std::vector<Value>& v) -> Value {
            if (std::holds_alternative<int64_t>(v[0])) return v[0];
            const double scale =
                std::pow(10.0, v.size() > 1 ? static_cast<double>(std::get<int64_t>(v[1])) : 0.0);
            return std::round(std::get<double>(v[0]) * scale) / scale;
        });
    }
    if (name == "startofday") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        if (first != ColumnType::kDateTime) return ArgumentType(name, "a datetime", first);
        return MakeUnaryNode(ColumnType::kDateTime, std::move(args[0]), [](Value v) -> Value {
            return FloorDiv(std::get<int64_t>(v), kTicksPerDay) * kTicksPerDay;
        });
    }
    if (name == "array_length") {
        ADXFLOW_TRY(Arity(name, args, 1, 1));
        if (first != ColumnType::kDynamic) return ArgumentType(name, "a dynamic array", first);
        return MakeUnaryNode(ColumnType::kLong, std::move(args[0]), [](Value v) -> Value {
            Json j = Json::parse(std::get<std::string>(v), nullptr, /*allow_exceptions=*/false);
            return j.is_array() ? Value{static_cast<int64_t>(j.size())} : Value{};
        });
    }
    return SemanticError("Unknown function: '" + name + "' (not in this emulator's KQL subset)");
}

}  // namespace adxflow::kusto_emulator::kql
