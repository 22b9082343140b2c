#include "tests/support/kusto_emulator/kql_expr.hpp"

#include <cmath>
#include <regex>

#include "core/json.hpp"
#include "tests/support/kusto_emulator/kql_types.hpp"

namespace adxflow::kusto_emulator {

ExprPtr MakeLiteral(ColumnType type, Value value) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::kLiteral;
    e->type = type;
    e->value = std::move(value);
    return e;
}

ExprPtr MakeExpr(Expr::Kind kind, std::string name, std::vector<ExprPtr> args) {
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    e->name = std::move(name);
    e->args = std::move(args);
    for (const auto& a : e->args) e->depth = std::max(e->depth, a->depth + 1);
    return e;
}

std::string DerivedName(const Expr& e) {
    if (e.kind == Expr::Kind::kName) return e.name;
    if (e.kind != Expr::Kind::kCall) return "";
    const std::string& f = e.name;
    if ((f == "bin" || f == "floor") && !e.args.empty() && e.args[0]->kind == Expr::Kind::kName)
        return e.args[0]->name;
    if (kql::IsAggregateFunction(f)) {
        if (f == "count" || f == "countif") return f + "_";
        const std::string fn = f == "any" ? "take_any" : f;
        return fn + "_" + (!e.args.empty() && e.args[0]->kind == Expr::Kind::kName ? e.args[0]->name : "");
    }
    return "";
}

namespace kql {

namespace {

enum class Family { kNumber, kText, kDateTime, kTimeSpan, kBool, kDynamic };

Family FamilyOf(ColumnType t) {
    if (IsNumeric(t)) return Family::kNumber;
    switch (t) {
        case ColumnType::kDateTime:
            return Family::kDateTime;
        case ColumnType::kTimeSpan:
            return Family::kTimeSpan;
        case ColumnType::kBool:
            return Family::kBool;
        case ColumnType::kDynamic:
            return Family::kDynamic;
        default:
            return Family::kText;  // string, guid
    }
}

std::string Quote(const std::string& name) {
    return "'" + name + "'";
}

std::string OperatorPrefix(const Scope& scope) {
    return scope.op.empty() ? "" : "'" + scope.op + "' operator: ";
}

class LiteralNode final : public Node {
  public:
    LiteralNode(ColumnType type, Value v) : Node(type), v_(std::move(v)) { set_constant(true); }
    Value Eval(const Value*) const override { return v_; }

  private:
    Value v_;
};

class ColumnNode final : public Node {
  public:
    ColumnNode(ColumnType type, int index) : Node(type), index_(index) {}
    Value Eval(const Value* row) const override { return FromCell(type(), row[index_]); }
    int column() const override { return index_; }

  private:
    int index_;
};

// An aggregation's result, read from the row of finished aggregations summarize evaluates items over.
class AggregateRefNode final : public Node {
  public:
    AggregateRefNode(ColumnType type, size_t slot) : Node(type), slot_(slot) {}
    Value Eval(const Value* row) const override { return row[slot_]; }

  private:
    size_t slot_;
};

class UnaryFnNode final : public Node {
  public:
    UnaryFnNode(ColumnType type, NodePtr arg, std::function<Value(Value)> fn)
        : Node(type), arg_(std::move(arg)), fn_(std::move(fn)) {
        set_constant(arg_->constant());
    }
    Value Eval(const Value* row) const override {
        Value v = arg_->Eval(row);
        if (IsNull(v)) return v;
        return fn_(std::move(v));
    }

  private:
    NodePtr arg_;
    std::function<Value(Value)> fn_;
};

class CallNode final : public Node {
  public:
    CallNode(ColumnType type, std::vector<NodePtr> args, std::function<Value(std::vector<Value>&)> fn,
             bool nulls)
        : Node(type), args_(std::move(args)), fn_(std::move(fn)), nulls_(nulls) {
        bool constant = true;
        for (const auto& a : args_) constant = constant && a->constant();
        set_constant(constant);
    }
    Value Eval(const Value* row) const override {
        // One argument vector per node, reused row after row (a query runs on one thread).
        scratch_.resize(args_.size());
        for (size_t i = 0; i < args_.size(); ++i) {
            scratch_[i] = args_[i]->Eval(row);
            if (!nulls_ && IsNull(scratch_[i]) && args_[i]->type() != ColumnType::kString) return Value{};
        }
        return fn_(scratch_);
    }

  private:
    std::vector<NodePtr> args_;
    std::function<Value(std::vector<Value>&)> fn_;
    bool nulls_;
    mutable std::vector<Value> scratch_;
};

// + - * / % over numbers, datetimes and timespans; the mode is chosen from the operand types when bound.
class ArithmeticNode final : public Node {
  public:
    enum class Mode { kInteger, kReal, kTicks, kTicksScale, kTicksDivide, kTicksRatio };
    ArithmeticNode(ColumnType type, Mode mode, char op, NodePtr l, NodePtr r)
        : Node(type), mode_(mode), op_(op), l_(std::move(l)), r_(std::move(r)) {
        set_constant(l_->constant() && r_->constant());
    }
    Value Eval(const Value* row) const override {
        Value a = l_->Eval(row);
        if (IsNull(a)) return Value{};
        Value b = r_->Eval(row);
        if (IsNull(b)) return Value{};
        switch (mode_) {
            case Mode::kInteger:
            case Mode::kTicks:
                return Integer(std::get<int64_t>(a), std::get<int64_t>(b));
            case Mode::kReal:
                return Real(AsDouble(a), AsDouble(b));
            case Mode::kTicksScale: {
                // timespan * number, number * timespan
                const bool left_ticks = l_->type() == ColumnType::kTimeSpan;
                const int64_t ticks = std::get<int64_t>(left_ticks ? a : b);
                const double factor = AsDouble(left_ticks ? b : a);
                return static_cast<int64_t>(std::llround(static_cast<double>(ticks) * factor));
            }
            case Mode::kTicksDivide: {
                const double divisor = AsDouble(b);
                if (divisor == 0) return Value{};
                return static_cast<int64_t>(
                    std::llround(static_cast<double>(std::get<int64_t>(a)) / divisor));
            }
            case Mode::kTicksRatio: {
                const int64_t divisor = std::get<int64_t>(b);
                if (divisor == 0) return Value{};
                return static_cast<double>(std::get<int64_t>(a)) / static_cast<double>(divisor);
            }
        }
        return Value{};
    }

  private:
    static double AsDouble(const Value& v) {
        if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
        return std::get<double>(v);
    }
    Value Integer(int64_t x, int64_t y) const {
        // Wrapping arithmetic through unsigned (no undefined behaviour on overflow); a zero divisor is null.
        const uint64_t ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
        switch (op_) {
            case '+':
                return static_cast<int64_t>(ux + uy);
            case '-':
                return static_cast<int64_t>(ux - uy);
            case '*':
                return static_cast<int64_t>(ux * uy);
            case '/':
                if (y == 0 || (y == -1 && x == std::numeric_limits<int64_t>::min())) return Value{};
                return x / y;
            default:
                if (y == 0 || y == -1) return y == 0 ? Value{} : Value{int64_t{0}};
                return x % y;
        }
    }
    Value Real(double x, double y) const {
        switch (op_) {
            case '+':
                return x + y;
            case '-':
                return x - y;
            case '*':
                return x * y;
            case '/':
                return x / y;
            default:
                return std::fmod(x, y);
        }
    }
    Mode mode_;
    char op_;
    NodePtr l_, r_;
};

class NegateNode final : public Node {
  public:
    explicit NegateNode(NodePtr arg) : Node(arg->type()), arg_(std::move(arg)) {
        set_constant(arg_->constant());
    }
    Value Eval(const Value* row) const override {
        Value v = arg_->Eval(row);
        if (auto* i = std::get_if<int64_t>(&v)) return static_cast<int64_t>(0 - static_cast<uint64_t>(*i));
        if (auto* d = std::get_if<double>(&v)) return -*d;
        return v;
    }

  private:
    NodePtr arg_;
};

bool IsNaN(const Value& v) {
    const double* d = std::get_if<double>(&v);
    return d && std::isnan(*d);
}

// A dynamic operand compared with a scalar is converted to the scalar's type first.
Value Align(Value v, ColumnType from, ColumnType to) {
    if (IsNull(v)) return v;
    if (from == ColumnType::kDynamic && to != ColumnType::kDynamic)
        return FromJsonText(to, std::get<std::string>(v));
    if (from == ColumnType::kGuid || to == ColumnType::kGuid)
        if (auto* s = std::get_if<std::string>(&v)) return Fold(*s);  // guids compare case-insensitively
    return v;
}

class CompareNode final : public Node {
  public:
    CompareNode(std::string op, NodePtr l, NodePtr r)
        : Node(ColumnType::kBool), op_(std::move(op)), l_(std::move(l)), r_(std::move(r)) {
        set_constant(l_->constant() && r_->constant());
    }
    Value Eval(const Value* row) const override {
        const Value a = Align(l_->Eval(row), l_->type(), r_->type());
        const Value b = Align(r_->Eval(row), r_->type(), l_->type());
        const bool na = IsNull(a), nb = IsNull(b);
        // Kusto: == and != of one null and one value are false and true; of two nulls, null; ordering
        // comparisons with a null are null.
        if (na && nb) return Value{};
        if (na || nb) return op_ == "==" ? Value{false} : op_ == "!=" ? Value{true} : Value{};
        if (IsNaN(a) || IsNaN(b)) return op_ == "!=";  // IEEE: NaN equals nothing, orders with nothing
        const int c = CompareNonNull(a, b);
        if (op_ == "==") return c == 0;
        if (op_ == "!=") return c != 0;
        if (op_ == "<") return c < 0;
        if (op_ == ">") return c > 0;
        if (op_ == "<=") return c <= 0;
        return c >= 0;
    }

  private:
    std::string op_;
    NodePtr l_, r_;
};

// `has`: the needle is a whole term of the haystack: no letter or digit touches it on either side.
bool HasTerm(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) {
        const size_t end = p + needle.size();
        const bool left = p == 0 || !alnum(hay[p - 1]) || !alnum(needle.front());
        const bool right = end >= hay.size() || !alnum(hay[end]) || !alnum(needle.back());
        if (left && right) return true;
    }
    return false;
}

class StringOpNode final : public Node {
  public:
    enum class Op { kEquals, kHas, kContains, kStartsWith, kEndsWith, kRegex };
    StringOpNode(Op op, bool case_sensitive, bool negated, NodePtr l, NodePtr r, std::optional<std::regex> re)
        : Node(ColumnType::kBool),
          op_(op),
          case_sensitive_(case_sensitive),
          negated_(negated),
          l_(std::move(l)),
          r_(std::move(r)),
          re_(std::move(re)) {
        set_constant(l_->constant() && r_->constant());
    }
    Value Eval(const Value* row) const override {
        std::string hay = Text(*l_, row), needle = Text(*r_, row);
        if (!case_sensitive_) {
            hay = Fold(hay);
            needle = Fold(needle);
        }
        bool match = false;
        switch (op_) {
            case Op::kEquals:
                match = hay == needle;
                break;
            case Op::kHas:
                match = HasTerm(hay, needle);
                break;
            case Op::kContains:
                match = hay.find(needle) != std::string::npos;
                break;
            case Op::kStartsWith:
                match = hay.compare(0, needle.size(), needle) == 0;
                break;
            case Op::kEndsWith:
                match = hay.size() >= needle.size() &&
                        hay.compare(hay.size() - needle.size(), needle.size(), needle) == 0;
                break;
            case Op::kRegex:
                match = std::regex_search(hay, *re_);
                break;
        }
        return match != negated_;
    }

  private:
    static std::string Text(const Node& n, const Value* row) {
        Value v = n.Eval(row);
        if (auto* s = std::get_if<std::string>(&v); s && n.type() != ColumnType::kDynamic)
            return std::move(*s);
        return ToText(n.type(), v);
    }
    Op op_;
    bool case_sensitive_, negated_;
    NodePtr l_, r_;
    std::optional<std::regex> re_;
};

// and / or with Kusto's three-valued logic; the right side is not evaluated when the left decides.
class LogicNode final : public Node {
  public:
    LogicNode(bool is_and, NodePtr l, NodePtr r)
        : Node(ColumnType::kBool), and_(is_and), l_(std::move(l)), r_(std::move(r)) {
        set_constant(l_->constant() && r_->constant());
    }
    Value Eval(const Value* row) const override {
        const Value a = l_->Eval(row);
        if (auto* x = std::get_if<bool>(&a); x && *x != and_) return *x;  // false and ..., true or ...
        const Value b = r_->Eval(row);
        if (IsNull(a)) {
            if (auto* y = std::get_if<bool>(&b); y && *y != and_) return *y;
            return Value{};
        }
        return b;
    }

  private:
    bool and_;
    NodePtr l_, r_;
};

class InNode final : public Node {
  public:
    InNode(bool negated, bool fold, bool has_any, NodePtr lhs, std::vector<NodePtr> list)
        : Node(ColumnType::kBool),
          negated_(negated),
          fold_(fold),
          has_any_(has_any),
          lhs_(std::move(lhs)),
          list_(std::move(list)) {
        bool constant = lhs_->constant();
        for (const auto& n : list_) constant = constant && n->constant();
        set_constant(constant);
        // Constant lists (the usual case) are evaluated once.
        bool all_constant = true;
        for (const auto& n : list_) all_constant = all_constant && n->constant();
        if (all_constant) {
            for (const auto& n : list_) constants_.push_back(Prepare(*n, n->Eval(nullptr)));
            constant_list_ = true;
        }
    }
    Value Eval(const Value* row) const override {
        Value v = lhs_->Eval(row);
        if (IsNull(v)) return has_any_ ? false : negated_;
        v = Prepare(*lhs_, std::move(v));
        auto matches = [&](const Value& item) {
            if (IsNull(item)) return false;
            if (has_any_) return HasTerm(std::get<std::string>(v), std::get<std::string>(item));
            return CompareNonNull(v, item) == 0;
        };
        bool found = false;
        if (constant_list_) {
            for (const auto& item : constants_)
                if ((found = matches(item))) break;
        } else {
            for (const auto& n : list_)
                if ((found = matches(Prepare(*n, n->Eval(row))))) break;
        }
        return found != negated_;
    }

  private:
    // Text comparisons (in~, has_any, guids) fold case; a dynamic side takes the other side's type.
    Value Prepare(const Node& n, Value v) const {
        if (IsNull(v)) return v;
        if (fold_ || has_any_) return Fold(ToText(n.type(), v));
        if (&n != lhs_.get()) return Align(std::move(v), n.type(), lhs_->type());
        // The left side meets the list's type (a dynamic converts, a guid folds).
        return list_.empty() ? v : Align(std::move(v), n.type(), list_[0]->type());
    }
    bool negated_, fold_, has_any_;
    NodePtr lhs_;
    std::vector<NodePtr> list_;
    std::vector<Value> constants_;
    bool constant_list_ = false;
};

class BetweenNode final : public Node {
  public:
    BetweenNode(bool negated, bool high_is_span, NodePtr v, NodePtr lo, NodePtr hi)
        : Node(ColumnType::kBool),
          negated_(negated),
          high_is_span_(high_is_span),
          v_(std::move(v)),
          lo_(std::move(lo)),
          hi_(std::move(hi)) {
        set_constant(v_->constant() && lo_->constant() && hi_->constant());
    }
    Value Eval(const Value* row) const override {
        const Value v = v_->Eval(row), lo = lo_->Eval(row);
        Value hi = hi_->Eval(row);
        if (IsNull(v) || IsNull(lo) || IsNull(hi)) return Value{};
        if (high_is_span_) hi = std::get<int64_t>(lo) + std::get<int64_t>(hi);  // datetime .. timespan
        const bool inside = CompareNonNull(v, lo) >= 0 && CompareNonNull(v, hi) <= 0;
        return inside != negated_;
    }

  private:
    bool negated_, high_is_span_;
    NodePtr v_, lo_, hi_;
};

// d.key, d['key'], d[0] on dynamic values (JSON text): the member or element as dynamic, null if absent.
class DynamicAccessNode final : public Node {
  public:
    DynamicAccessNode(NodePtr object, NodePtr key, std::string member)
        : Node(ColumnType::kDynamic),
          object_(std::move(object)),
          key_(std::move(key)),
          member_(std::move(member)) {
        set_constant(object_->constant() && (!key_ || key_->constant()));
    }
    Value Eval(const Value* row) const override {
        const Value v = object_->Eval(row);
        if (IsNull(v)) return v;
        Json j = Json::parse(std::get<std::string>(v), nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) return Value{};
        std::string member = member_;
        if (key_) {
            const Value k = key_->Eval(row);
            if (auto* i = std::get_if<int64_t>(&k)) {
                if (!j.is_array()) return Value{};
                const int64_t n = static_cast<int64_t>(j.size());
                const int64_t at = *i < 0 ? n + *i : *i;
                if (at < 0 || at >= n) return Value{};
                return j[static_cast<size_t>(at)].dump();
            }
            member = ToText(key_->type(), k);
        }
        if (!j.is_object()) return Value{};
        auto it = j.find(member);
        if (it == j.end() || it->is_null()) return Value{};
        return it->dump();
    }

  private:
    NodePtr object_, key_;
    std::string member_;
};

Result<NodePtr> BindArithmetic(const std::string& op, NodePtr l, NodePtr r) {
    const ColumnType a = l->type(), b = r->type();
    using Mode = ArithmeticNode::Mode;
    const char c = op[0];
    auto make = [&](ColumnType type, Mode mode) -> Result<NodePtr> {
        return NodePtr(std::make_unique<ArithmeticNode>(type, mode, c, std::move(l), std::move(r)));
    };
    const auto dt = ColumnType::kDateTime, ts = ColumnType::kTimeSpan;
    if (IsNumeric(a) && IsNumeric(b)) {
        if (IsIntegral(a) && IsIntegral(b))
            return make(a == ColumnType::kInt && b == ColumnType::kInt ? ColumnType::kInt : ColumnType::kLong,
                        Mode::kInteger);
        return make(*Unify(a, b), Mode::kReal);
    }
    if (c == '+' && ((a == dt && b == ts) || (a == ts && b == dt))) return make(dt, Mode::kTicks);
    if ((c == '+' || c == '-' || c == '%') && a == ts && b == ts) return make(ts, Mode::kTicks);
    if (c == '-' && a == dt && b == ts) return make(dt, Mode::kTicks);
    if (c == '-' && a == dt && b == dt) return make(ts, Mode::kTicks);
    if (c == '*' && ((a == ts && IsNumeric(b)) || (IsNumeric(a) && b == ts)))
        return make(ts, Mode::kTicksScale);
    if (c == '/' && a == ts && IsNumeric(b)) return make(ts, Mode::kTicksDivide);
    if (c == '/' && a == ts && b == ts) return make(ColumnType::kReal, Mode::kTicksRatio);
    return SemanticError("the operator '" + op + "' is not defined for types " + TypeName(a) + " and " +
                         TypeName(b));
}

Status CheckComparable(const std::string& op, ColumnType a, ColumnType b) {
    const Family fa = FamilyOf(a), fb = FamilyOf(b);
    if (fa == fb || fa == Family::kDynamic || fb == Family::kDynamic) return Ok();
    return SemanticError("Cannot compare values of types " + std::string(TypeName(a)) + " and " +
                         TypeName(b) + " with '" + op + "'. Try adding explicit casts");
}

struct StringOpSpec {
    StringOpNode::Op op;
    bool case_sensitive;
    bool negated;
};

std::optional<StringOpSpec> StringOp(const std::string& name) {
    using Op = StringOpNode::Op;
    const bool negated = !name.empty() && name[0] == '!';
    std::string base = negated ? name.substr(1) : name;
    const bool cs = base.size() > 3 && base.compare(base.size() - 3, 3, "_cs") == 0;
    if (cs) base.resize(base.size() - 3);
    if (name == "=~") return StringOpSpec{Op::kEquals, false, false};
    if (name == "!~") return StringOpSpec{Op::kEquals, false, true};
    if (name == "matches regex") return StringOpSpec{Op::kRegex, true, false};
    if (base == "has") return StringOpSpec{Op::kHas, cs, negated};
    if (base == "contains") return StringOpSpec{Op::kContains, cs, negated};
    if (base == "startswith") return StringOpSpec{Op::kStartsWith, cs, negated};
    if (base == "endswith") return StringOpSpec{Op::kEndsWith, cs, negated};
    return std::nullopt;
}

Result<NodePtr> BindAggregate(const Expr& e, const Scope& scope) {
    const std::string& f = e.name;
    if (!scope.aggregates)
        return SemanticError("the aggregation function '" + f +
                             "' can only be used in summarize (or is not supported here by this emulator)");
    Scope inner = scope;
    inner.aggregates = nullptr;  // no aggregation inside an aggregation
    inner.columns_allowed = true;
    const size_t arity = e.args.size();
    if (f == "count" && arity != 0) return SemanticError("count() takes no argument; use countif(predicate)");
    if (f != "count" && f != "dcount" && arity != 1)
        return SemanticError("the aggregation " + f + "() expects one argument");
    if (f == "dcount" && (arity < 1 || arity > 2))
        return SemanticError("dcount() expects an expression and an optional accuracy");
    AggregateCall call;
    call.function = f == "any" ? "take_any" : f;
    if (arity > 0) {
        ADXFLOW_ASSIGN_OR_RETURN(call.arg, Bind(*e.args[0], inner));
    }
    const ColumnType t = call.arg ? call.arg->type() : ColumnType::kLong;
    if (f == "count" || f == "dcount") {
        call.type = ColumnType::kLong;
    } else if (f == "countif") {
        if (t != ColumnType::kBool)
            return SemanticError("countif() expects a bool predicate, got " + std::string(TypeName(t)));
        call.type = ColumnType::kLong;
    } else if (f == "sum") {
        if (!IsNumeric(t) && t != ColumnType::kTimeSpan)
            return SemanticError("sum() expects a number or a timespan, got " + std::string(TypeName(t)));
        call.type = IsIntegral(t) ? ColumnType::kLong : t;
    } else if (f == "avg") {
        if (!IsNumeric(t) && t != ColumnType::kTimeSpan)
            return SemanticError("avg() expects a number or a timespan, got " + std::string(TypeName(t)));
        call.type = t == ColumnType::kTimeSpan ? t : ColumnType::kReal;
    } else {  // min, max, take_any
        if ((f == "min" || f == "max") && t == ColumnType::kDynamic)
            return SemanticError(f + "() cannot order dynamic values");
        call.type = t;
    }
    const ColumnType type = call.type;
    scope.aggregates->push_back(std::move(call));
    return NodePtr(std::make_unique<AggregateRefNode>(type, scope.aggregates->size() - 1));
}

Result<NodePtr> BindBinary(const Expr& e, const Scope& scope) {
    const std::string& op = e.name;
    ADXFLOW_ASSIGN_OR_RETURN(NodePtr l, Bind(*e.args[0], scope));
    ADXFLOW_ASSIGN_OR_RETURN(NodePtr r, Bind(*e.args[1], scope));
    if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%")
        return BindArithmetic(op, std::move(l), std::move(r));
    if (op == "==" || op == "!=" || op == "<" || op == ">" || op == "<=" || op == ">=") {
        ADXFLOW_TRY(CheckComparable(op, l->type(), r->type()));
        return NodePtr(std::make_unique<CompareNode>(op, std::move(l), std::move(r)));
    }
    if (op == "and" || op == "or") {
        if (l->type() != ColumnType::kBool || r->type() != ColumnType::kBool)
            return SemanticError("the operator '" + op + "' expects bool operands, got " +
                                 TypeName(l->type()) + " and " + TypeName(r->type()));
        return NodePtr(std::make_unique<LogicNode>(op == "and", std::move(l), std::move(r)));
    }
    if (auto spec = StringOp(op)) {
        std::optional<std::regex> re;
        if (spec->op == StringOpNode::Op::kRegex) {
            if (!r->constant() || !IsTextual(r->type()))
                return SemanticError("'matches regex' expects a constant string pattern");
            try {
                re.emplace(ToText(r->type(), r->Eval(nullptr)));
            } catch (const std::regex_error&) {
                return SemanticError("'matches regex': invalid regular expression");
            }
        }
        return NodePtr(std::make_unique<StringOpNode>(spec->op, spec->case_sensitive, spec->negated,
                                                      std::move(l), std::move(r), std::move(re)));
    }
    return SemanticError("the operator '" + op + "' is not supported by this emulator");
}

// A constant dynamic array in an `in` list stands for its elements.
Result<std::vector<NodePtr>> ExpandList(std::vector<NodePtr> list, ColumnType lhs) {
    std::vector<NodePtr> out;
    for (auto& n : list) {
        if (n->type() == ColumnType::kDynamic && n->constant()) {
            const Value v = n->Eval(nullptr);
            if (auto* s = std::get_if<std::string>(&v)) {
                Json j = Json::parse(*s, nullptr, /*allow_exceptions=*/false);
                if (j.is_array()) {
                    const ColumnType t = lhs == ColumnType::kDynamic ? ColumnType::kString : lhs;
                    for (const auto& item : j)
                        out.push_back(std::make_unique<LiteralNode>(t, FromJsonText(t, item.dump())));
                    continue;
                }
            }
        }
        out.push_back(std::move(n));
    }
    return out;
}

}  // namespace

std::optional<ColumnType> Unify(ColumnType a, ColumnType b) {
    if (a == b) return a;
    if (IsNumeric(a) && IsNumeric(b)) {
        if (a == ColumnType::kReal || b == ColumnType::kReal) return ColumnType::kReal;
        if (a == ColumnType::kDecimal || b == ColumnType::kDecimal) return ColumnType::kDecimal;
        return ColumnType::kLong;
    }
    if (FamilyOf(a) == Family::kText && FamilyOf(b) == Family::kText) return ColumnType::kString;
    return std::nullopt;
}

Value Coerce(Value v, ColumnType from, ColumnType to) {
    if ((to == ColumnType::kReal || to == ColumnType::kDecimal) && IsIntegral(from))
        if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    return v;
}

NodePtr MakeUnaryNode(ColumnType type, NodePtr arg, std::function<Value(Value)> fn) {
    return std::make_unique<UnaryFnNode>(type, std::move(arg), std::move(fn));
}

NodePtr MakeCallNode(ColumnType type, std::vector<NodePtr> args, std::function<Value(std::vector<Value>&)> fn,
                     bool nulls) {
    return std::make_unique<CallNode>(type, std::move(args), std::move(fn), nulls);
}

Result<NodePtr> Bind(const Expr& e, const Scope& scope) {
    switch (e.kind) {
        case Expr::Kind::kLiteral:
            return NodePtr(std::make_unique<LiteralNode>(e.type, e.value));
        case Expr::Kind::kName: {
            int index = -1;
            if (scope.schema)
                for (size_t i = 0; i < scope.schema->size(); ++i)
                    if ((*scope.schema)[i].name == e.name) index = static_cast<int>(i);
            if (index < 0)
                return SemanticError(OperatorPrefix(scope) + "Failed to resolve scalar expression named " +
                                     Quote(e.name));
            if (!scope.columns_allowed)
                return SemanticError(OperatorPrefix(scope) + "the column " + Quote(e.name) +
                                     " is used outside an aggregation (summarize items must aggregate)");
            return NodePtr(
                std::make_unique<ColumnNode>((*scope.schema)[static_cast<size_t>(index)].type, index));
        }
        case Expr::Kind::kCall: {
            if (IsAggregateFunction(e.name)) return BindAggregate(e, scope);
            std::vector<NodePtr> args;
            for (const auto& a : e.args) {
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr n, Bind(*a, scope));
                args.push_back(std::move(n));
            }
            return BindFunction(e.name, std::move(args), scope);
        }
        case Expr::Kind::kUnary: {
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr arg, Bind(*e.args[0], scope));
            if (!IsNumeric(arg->type()) && arg->type() != ColumnType::kTimeSpan)
                return SemanticError("the unary operator '" + e.name + "' is not defined for type " +
                                     TypeName(arg->type()));
            if (e.name == "+") return arg;
            return NodePtr(std::make_unique<NegateNode>(std::move(arg)));
        }
        case Expr::Kind::kBinary:
            return BindBinary(e, scope);
        case Expr::Kind::kIn: {
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr lhs, Bind(*e.args[0], scope));
            std::vector<NodePtr> list;
            for (size_t i = 1; i < e.args.size(); ++i) {
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr n, Bind(*e.args[i], scope));
                list.push_back(std::move(n));
            }
            ADXFLOW_ASSIGN_OR_RETURN(list, ExpandList(std::move(list), lhs->type()));
            const bool fold = e.name == "in~" || e.name == "!in~";
            const bool has_any = e.name == "has_any";
            if (!fold && !has_any)
                for (const auto& n : list) {
                    ADXFLOW_TRY(CheckComparable(e.name, lhs->type(), n->type()));
                }
            return NodePtr(
                std::make_unique<InNode>(e.name[0] == '!', fold, has_any, std::move(lhs), std::move(list)));
        }
        case Expr::Kind::kBetween: {
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr v, Bind(*e.args[0], scope));
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr lo, Bind(*e.args[1], scope));
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr hi, Bind(*e.args[2], scope));
            const ColumnType t = v->type();
            const bool span = t == ColumnType::kDateTime && hi->type() == ColumnType::kTimeSpan;
            const bool ok = (IsNumeric(t) && IsNumeric(lo->type()) && IsNumeric(hi->type())) ||
                            ((t == ColumnType::kDateTime || t == ColumnType::kTimeSpan) && lo->type() == t &&
                             (hi->type() == t || span));
            if (!ok)
                return SemanticError("'" + e.name + "' expects numbers, datetimes or timespans, got " +
                                     TypeName(t) + " between " + TypeName(lo->type()) + " .. " +
                                     TypeName(hi->type()));
            return NodePtr(std::make_unique<BetweenNode>(e.name[0] == '!', span, std::move(v), std::move(lo),
                                                         std::move(hi)));
        }
        case Expr::Kind::kMember:
        case Expr::Kind::kIndex: {
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr object, Bind(*e.args[0], scope));
            if (object->type() != ColumnType::kDynamic)
                return SemanticError("member access ('.' or '[]') needs a dynamic value, got " +
                                     std::string(TypeName(object->type())));
            NodePtr key;
            if (e.kind == Expr::Kind::kIndex) {
                ADXFLOW_ASSIGN_OR_RETURN(key, Bind(*e.args[1], scope));
                if (!IsIntegral(key->type()) && !IsTextual(key->type()))
                    return SemanticError("an index into a dynamic value is a long or a string");
            }
            return NodePtr(std::make_unique<DynamicAccessNode>(std::move(object), std::move(key), e.name));
        }
    }
    return SemanticError("unsupported expression");
}

Result<std::pair<ColumnType, Value>> EvalConstant(const Expr& e, const std::string& what) {
    Schema none;
    Scope scope;
    scope.schema = &none;
    scope.op = what;
    ADXFLOW_ASSIGN_OR_RETURN(NodePtr n, Bind(e, scope));
    if (!n->constant()) return SemanticError("'" + what + "' expects a constant value");
    return std::make_pair(n->type(), n->Eval(nullptr));
}

}  // namespace kql
}  // namespace adxflow::kusto_emulator
