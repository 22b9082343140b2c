// Execute: the operators of a query as a chain of stages that rows are pushed through one at a time. Row by
// row because the emulator serves generated tables of millions of rows: where, project, extend, take and
// distinct never hold more than the row at hand, and a satisfied take stops the source, so only what the
// result keeps is ever materialised. sort, top, summarize and count are the blocking stages: they gather
// (top keeps only its N best rows) and emit when the input ends.
//
// Every stage is bound to its input schema before the first row is read, so unknown columns, unknown
// functions and type errors are reported as semantic errors without running anything.
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "tests/support/kusto_emulator/kql.hpp"
#include "tests/support/kusto_emulator/kql_expr.hpp"
#include "tests/support/kusto_emulator/kql_types.hpp"

namespace adxflow::kusto_emulator {

namespace {

using namespace kql;

class Stage {
  public:
    virtual ~Stage() = default;
    // One row of the stage's input (cells in the stored form); the stage may move from it. False once no
    // more input is wanted (a satisfied take): the source then stops producing.
    virtual bool Push(Value* row) = 0;
    // End of input: blocking stages emit their rows, then pass the end on.
    virtual void Finish() { next_->Finish(); }
    void set_next(Stage* next) { next_ = next; }

  protected:
    Stage* next_ = nullptr;
};

class Collector final : public Stage {
  public:
    Collector(size_t width, int64_t max_rows) : width_(width), max_rows_(max_rows) {}
    bool Push(Value* row) override {
        cells_.insert(cells_.end(), std::make_move_iterator(row), std::make_move_iterator(row + width_));
        return ++rows_ < max_rows_;
    }
    void Finish() override {}
    std::vector<Value>& cells() { return cells_; }

  private:
    size_t width_;
    int64_t max_rows_;
    int64_t rows_ = 0;
    std::vector<Value> cells_;
};

class TakeStage final : public Stage {
  public:
    explicit TakeStage(int64_t count) : count_(count) {}
    bool Push(Value* row) override {
        if (seen_ >= count_) return false;
        ++seen_;
        return next_->Push(row) && seen_ < count_;
    }

  private:
    int64_t count_;
    int64_t seen_ = 0;
};

class WhereStage final : public Stage {
  public:
    explicit WhereStage(NodePtr predicate) : predicate_(std::move(predicate)) {}
    bool Push(Value* row) override {
        const Value v = predicate_->Eval(row);
        if (auto* b = std::get_if<bool>(&v); b && *b) return next_->Push(row);
        return true;  // false and null drop the row, as Kusto's where does
    }

  private:
    NodePtr predicate_;
};

// One output column of project (and of extend, project-away, -keep, -rename): a column copied as stored, or a
// computed expression.
struct Output {
    int source = -1;  // a column of the input row, copied (or moved, at its last use) as stored
    NodePtr node;     // otherwise computed
    ColumnType type = ColumnType::kString;
    bool move = false;
};

class ProjectStage final : public Stage {
  public:
    explicit ProjectStage(std::vector<Output> outputs)
        : outputs_(std::move(outputs)), out_(outputs_.size()) {}
    bool Push(Value* row) override {
        // Computed columns first: they read the input before any cell is moved out of it.
        for (size_t k = 0; k < outputs_.size(); ++k)
            if (outputs_[k].node) out_[k] = ToCell(outputs_[k].type, outputs_[k].node->Eval(row));
        for (size_t k = 0; k < outputs_.size(); ++k) {
            const Output& o = outputs_[k];
            if (o.node) continue;
            if (o.move)
                out_[k] = std::move(row[o.source]);
            else
                out_[k] = row[o.source];
        }
        return next_->Push(out_.data());
    }

  private:
    std::vector<Output> outputs_;
    std::vector<Value> out_;
};

// extend: the input cells, then each new column computed in order over the row built so far (a later item
// may use an earlier one); a name that exists is replaced in place.
class ExtendStage final : public Stage {
  public:
    ExtendStage(size_t input_width, size_t width, std::vector<std::pair<size_t, Output>> items)
        : input_width_(input_width), items_(std::move(items)), out_(width) {}
    bool Push(Value* row) override {
        for (size_t c = 0; c < input_width_; ++c) out_[c] = std::move(row[c]);
        for (auto& [slot, o] : items_)
            out_[slot] =
                o.node ? ToCell(o.type, o.node->Eval(out_.data())) : out_[static_cast<size_t>(o.source)];
        return next_->Push(out_.data());
    }

  private:
    size_t input_width_;
    std::vector<std::pair<size_t, Output>> items_;
    std::vector<Value> out_;
};

class CountStage final : public Stage {
  public:
    bool Push(Value*) override {
        ++count_;
        return true;
    }
    void Finish() override {
        Value row{count_};
        next_->Push(&row);
        next_->Finish();
    }

  private:
    int64_t count_ = 0;
};

struct SortSpec {
    NodePtr node;
    bool descending = true;
    bool nulls_first = false;
};

int CompareKey(const Value& a, const Value& b, const SortSpec& s) {
    const bool na = IsNull(a), nb = IsNull(b);
    if (na || nb) {
        if (na && nb) return 0;
        return na == s.nulls_first ? -1 : 1;
    }
    const int c = CompareNonNull(a, b);
    return s.descending ? -c : c;
}

int CompareKeys(const Value* a, const Value* b, const std::vector<SortSpec>& specs) {
    for (size_t k = 0; k < specs.size(); ++k)
        if (int c = CompareKey(a[k], b[k], specs[k])) return c;
    return 0;
}

class SortStage final : public Stage {
  public:
    SortStage(size_t width, std::vector<SortSpec> specs) : width_(width), specs_(std::move(specs)) {}
    bool Push(Value* row) override {
        for (const auto& s : specs_) keys_.push_back(s.node->Eval(row));
        cells_.insert(cells_.end(), std::make_move_iterator(row), std::make_move_iterator(row + width_));
        return true;
    }
    void Finish() override {
        const size_t n = specs_.size();
        const size_t rows = n ? keys_.size() / n : (width_ ? cells_.size() / width_ : 0);
        std::vector<size_t> order(rows);
        for (size_t r = 0; r < rows; ++r) order[r] = r;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return CompareKeys(keys_.data() + a * n, keys_.data() + b * n, specs_) < 0;
        });
        for (size_t r : order)
            if (!next_->Push(cells_.data() + r * width_)) break;
        next_->Finish();
    }

  private:
    size_t width_;
    std::vector<SortSpec> specs_;
    std::vector<Value> keys_, cells_;
};

// top N: a heap of the N best rows seen so far (its root the worst of them), so that `top 10` over ten
// million rows keeps ten.
class TopStage final : public Stage {
  public:
    TopStage(size_t width, int64_t count, std::vector<SortSpec> specs)
        : width_(width), count_(static_cast<size_t>(count)), specs_(std::move(specs)) {}
    bool Push(Value* row) override {
        if (count_ == 0) return true;
        Entry e;
        for (const auto& s : specs_) e.keys.push_back(s.node->Eval(row));
        e.seq = seq_++;
        if (heap_.size() == count_ && !Better(e, heap_.front())) return true;
        e.row.assign(std::make_move_iterator(row), std::make_move_iterator(row + width_));
        auto better = [this](const Entry& a, const Entry& b) { return Better(a, b); };
        if (heap_.size() == count_) {
            std::pop_heap(heap_.begin(), heap_.end(), better);
            heap_.pop_back();
        }
        heap_.push_back(std::move(e));
        std::push_heap(heap_.begin(), heap_.end(), better);
        return true;
    }
    void Finish() override {
        std::sort(heap_.begin(), heap_.end(),
                  [this](const Entry& a, const Entry& b) { return Better(a, b); });
        for (auto& e : heap_)
            if (!next_->Push(e.row.data())) break;
        next_->Finish();
    }

  private:
    struct Entry {
        std::vector<Value> keys, row;
        int64_t seq = 0;
    };
    // Ties keep the order of arrival, as a stable sort would.
    bool Better(const Entry& a, const Entry& b) const {
        const int c = CompareKeys(a.keys.data(), b.keys.data(), specs_);
        return c != 0 ? c < 0 : a.seq < b.seq;
    }
    size_t width_, count_;
    std::vector<SortSpec> specs_;
    std::vector<Entry> heap_;
    int64_t seq_ = 0;
};

struct ValueHash {
    size_t operator()(const Value& v) const {
        size_t h = v.index();
        if (auto* d = std::get_if<double>(&v)) {
            const double x = *d == 0 ? 0.0 : *d;  // -0.0 == 0.0
            return h ^ std::hash<double>()(x);
        }
        return h ^ (std::hash<Value>()(v) * 31);
    }
};

struct KeyHash {
    size_t operator()(const std::vector<Value>& key) const {
        size_t h = key.size();
        for (const auto& v : key) h = h * 1000003 ^ ValueHash()(v);
        return h;
    }
};

// distinct streams: a row goes on the first time its key is seen.
class DistinctStage final : public Stage {
  public:
    DistinctStage(std::vector<int> columns, std::vector<ColumnType> types)
        : columns_(std::move(columns)), types_(std::move(types)), out_(columns_.size()) {}
    bool Push(Value* row) override {
        std::vector<Value> key;
        key.reserve(columns_.size());
        for (size_t k = 0; k < columns_.size(); ++k) key.push_back(FromCell(types_[k], row[columns_[k]]));
        if (!seen_.insert(std::move(key)).second) return true;
        for (size_t k = 0; k < columns_.size(); ++k) out_[k] = row[columns_[k]];
        return next_->Push(out_.data());
    }

  private:
    std::vector<int> columns_;
    std::vector<ColumnType> types_;
    std::unordered_set<std::vector<Value>, KeyHash> seen_;
    std::vector<Value> out_;
};

class SummarizeStage final : public Stage {
  public:
    SummarizeStage(std::vector<NodePtr> keys, std::vector<AggregateCall> calls, std::vector<NodePtr> items)
        : keys_(std::move(keys)), calls_(std::move(calls)), items_(std::move(items)) {}

    bool Push(Value* row) override {
        key_.clear();
        for (const auto& k : keys_) key_.push_back(k->Eval(row));
        auto it = index_.find(key_);
        if (it == index_.end()) {
            it = index_.emplace(key_, groups_.size()).first;
            groups_.push_back({key_, std::vector<Acc>(calls_.size())});
        }
        Group& g = groups_[it->second];
        for (size_t a = 0; a < calls_.size(); ++a) Update(calls_[a], g.accs[a], row);
        return true;
    }

    void Finish() override {
        // Without `by`, no input still makes one row (count 0), as Kusto answers.
        if (groups_.empty() && keys_.empty()) groups_.push_back({{}, std::vector<Acc>(calls_.size())});
        std::vector<Value> results(calls_.size()), out(keys_.size() + items_.size());
        for (auto& g : groups_) {
            for (size_t a = 0; a < calls_.size(); ++a) results[a] = Final(calls_[a], g.accs[a]);
            for (size_t k = 0; k < keys_.size(); ++k) out[k] = ToCell(keys_[k]->type(), std::move(g.key[k]));
            for (size_t i = 0; i < items_.size(); ++i)
                out[keys_.size() + i] = ToCell(items_[i]->type(), items_[i]->Eval(results.data()));
            if (!next_->Push(out.data())) break;
        }
        next_->Finish();
    }

  private:
    struct Acc {
        int64_t count = 0;
        Value value;
        double sum = 0;
        std::unique_ptr<std::unordered_set<Value, ValueHash>> distinct;
    };
    struct Group {
        std::vector<Value> key;
        std::vector<Acc> accs;
    };

    static void Update(const AggregateCall& call, Acc& acc, const Value* row) {
        const std::string& f = call.function;
        if (f == "count") {
            ++acc.count;
            return;
        }
        Value v = call.arg->Eval(row);
        if (IsNull(v)) return;  // aggregations skip nulls
        if (f == "countif") {
            if (std::get<bool>(v)) ++acc.count;
        } else if (f == "dcount") {
            if (!acc.distinct) acc.distinct = std::make_unique<std::unordered_set<Value, ValueHash>>();
            acc.distinct->insert(std::move(v));
        } else if (f == "sum" || f == "avg") {
            ++acc.count;
            if (auto* i = std::get_if<int64_t>(&v)) {
                acc.sum += static_cast<double>(*i);
                // Integer sums stay exact (and wrap as Kusto's long arithmetic does).
                const int64_t before = IsNull(acc.value) ? 0 : std::get<int64_t>(acc.value);
                acc.value = static_cast<int64_t>(static_cast<uint64_t>(before) + static_cast<uint64_t>(*i));
            } else {
                acc.sum += std::get<double>(v);
            }
        } else if (f == "min" || f == "max") {
            if (IsNull(acc.value) ||
                (f == "min" ? CompareNonNull(v, acc.value) < 0 : CompareNonNull(v, acc.value) > 0))
                acc.value = std::move(v);
        } else if (IsNull(acc.value)) {  // take_any: the first value met
            acc.value = std::move(v);
        }
    }

    static Value Final(const AggregateCall& call, Acc& acc) {
        const std::string& f = call.function;
        if (f == "count" || f == "countif") return acc.count;
        if (f == "dcount") return static_cast<int64_t>(acc.distinct ? acc.distinct->size() : 0);
        if (f == "sum") {
            if (acc.count == 0) return Value{};
            if (IsIntegral(call.type) || call.type == ColumnType::kTimeSpan) return acc.value;
            return acc.sum;
        }
        if (f == "avg") {
            if (acc.count == 0) return Value{};
            const double mean = acc.sum / static_cast<double>(acc.count);
            if (call.type == ColumnType::kTimeSpan) return static_cast<int64_t>(std::llround(mean));
            return mean;
        }
        return acc.value;
    }

    std::vector<NodePtr> keys_;
    std::vector<AggregateCall> calls_;
    std::vector<NodePtr> items_;
    std::vector<Value> key_;
    std::unordered_map<std::vector<Value>, size_t, KeyHash> index_;
    std::vector<Group> groups_;  // first-seen order
};

// ---- binding ---------------------------------------------------------------------------------------------

// Kusto makes output names unique by suffixing a number: a, a1, a2.
std::string UniqueName(const Schema& schema, const std::string& name) {
    auto taken = [&](const std::string& n) {
        return std::any_of(schema.begin(), schema.end(), [&](const Column& c) { return c.name == n; });
    };
    if (!taken(name)) return name;
    for (int k = 1;; ++k)
        if (!taken(name + std::to_string(k))) return name + std::to_string(k);
}

std::string ItemName(const NamedExpr& item, int& unnamed) {
    if (!item.name.empty()) return item.name;
    std::string derived = DerivedName(*item.expr);
    return derived.empty() ? "Column" + std::to_string(++unnamed) : derived;
}

int FindColumn(const Schema& schema, const std::string& name) {
    for (size_t i = 0; i < schema.size(); ++i)
        if (schema[i].name == name) return static_cast<int>(i);
    return -1;
}

// Column name patterns with '*' wildcards (project-away, project-keep).
bool Matches(std::string_view pattern, std::string_view name) {
    const size_t star = pattern.find('*');
    if (star == std::string_view::npos) return pattern == name;
    const std::string_view head = pattern.substr(0, star);
    if (name.substr(0, head.size()) != head) return false;
    const std::string_view rest = pattern.substr(star + 1);
    for (size_t p = head.size(); p <= name.size(); ++p)
        if (Matches(rest, name.substr(p))) return true;
    return false;
}

Status CheckPatterns(const std::string& op, const std::vector<std::string>& patterns, const Schema& schema) {
    for (const auto& p : patterns) {
        if (p.find('*') != std::string::npos) continue;
        if (FindColumn(schema, p) < 0)
            return SemanticError("'" + op + "' operator: Failed to resolve column named '" + p + "'");
    }
    return Ok();
}

// Marks each passthrough output that is the last to read its column, so it may move the cell.
void MarkMoves(std::vector<Output>& outputs) {
    for (size_t k = 0; k < outputs.size(); ++k) {
        if (outputs[k].node) continue;
        bool later = false;
        for (size_t j = k + 1; j < outputs.size(); ++j)
            later = later || (!outputs[j].node && outputs[j].source == outputs[k].source);
        outputs[k].move = !later;
    }
}

Output Passthrough(const Schema& schema, int column) {
    Output o;
    o.source = column;
    o.type = schema[static_cast<size_t>(column)].type;
    return o;
}

Result<std::vector<SortSpec>> BindSortKeys(const std::vector<SortKey>& keys, const Scope& scope) {
    std::vector<SortSpec> specs;
    for (const auto& k : keys) {
        SortSpec s;
        ADXFLOW_ASSIGN_OR_RETURN(s.node, Bind(*k.expr, scope));
        if (s.node->type() == ColumnType::kDynamic)
            return SemanticError("'" + scope.op +
                                 "' operator: dynamic values cannot be sorted; convert them first");
        s.descending = k.descending;
        s.nulls_first = k.nulls_first.value_or(!k.descending);
        specs.push_back(std::move(s));
    }
    return specs;
}

// Binds one operator to its input schema: the stage, and the schema it produces.
Result<std::unique_ptr<Stage>> BindOperator(const Operator& op, Schema& schema) {
    Scope scope;
    scope.schema = &schema;
    switch (op.kind) {
        case Operator::Kind::kTake:
            return std::unique_ptr<Stage>(std::make_unique<TakeStage>(op.count));
        case Operator::Kind::kCount:
            schema = {{"Count", ColumnType::kLong}};
            return std::unique_ptr<Stage>(std::make_unique<CountStage>());
        case Operator::Kind::kWhere: {
            scope.op = "where";
            ADXFLOW_ASSIGN_OR_RETURN(NodePtr predicate, Bind(*op.predicate, scope));
            if (predicate->type() != ColumnType::kBool)
                return SemanticError("'where' operator: the predicate must be a bool expression, got " +
                                     std::string(TypeName(predicate->type())));
            return std::unique_ptr<Stage>(std::make_unique<WhereStage>(std::move(predicate)));
        }
        case Operator::Kind::kProject: {
            scope.op = "project";
            std::vector<Output> outputs;
            Schema out;
            int unnamed = 0;
            for (const auto& item : op.items) {
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, Bind(*item.expr, scope));
                Output o;
                o.type = node->type();
                if (node->column() >= 0)
                    o.source = node->column();
                else
                    o.node = std::move(node);
                out.push_back({UniqueName(out, ItemName(item, unnamed)), o.type});
                outputs.push_back(std::move(o));
            }
            MarkMoves(outputs);
            schema = std::move(out);
            return std::unique_ptr<Stage>(std::make_unique<ProjectStage>(std::move(outputs)));
        }
        case Operator::Kind::kProjectAway:
        case Operator::Kind::kProjectKeep:
        case Operator::Kind::kProjectRename: {
            const bool away = op.kind == Operator::Kind::kProjectAway;
            const std::string name = away                                      ? "project-away"
                                     : op.kind == Operator::Kind::kProjectKeep ? "project-keep"
                                                                               : "project-rename";
            Schema out;
            std::vector<Output> outputs;
            if (op.kind == Operator::Kind::kProjectRename) {
                out = schema;
                for (const auto& [to, from] : op.renames) {
                    const int i = FindColumn(schema, from);
                    if (i < 0)
                        return SemanticError("'project-rename' operator: Failed to resolve column named '" +
                                             from + "'");
                    out[static_cast<size_t>(i)].name = to;
                }
                for (size_t c = 0; c < schema.size(); ++c)
                    outputs.push_back(Passthrough(schema, static_cast<int>(c)));
            } else {
                ADXFLOW_TRY(CheckPatterns(name, op.columns, schema));
                for (size_t c = 0; c < schema.size(); ++c) {
                    const bool matched =
                        std::any_of(op.columns.begin(), op.columns.end(),
                                    [&](const std::string& p) { return Matches(p, schema[c].name); });
                    if (matched == away) continue;
                    out.push_back(schema[c]);
                    outputs.push_back(Passthrough(schema, static_cast<int>(c)));
                }
            }
            MarkMoves(outputs);
            schema = std::move(out);
            return std::unique_ptr<Stage>(std::make_unique<ProjectStage>(std::move(outputs)));
        }
        case Operator::Kind::kExtend: {
            scope.op = "extend";
            const size_t input_width = schema.size();
            std::vector<std::pair<size_t, Output>> items;
            int unnamed = 0;
            for (const auto& item : op.items) {
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, Bind(*item.expr, scope));
                Output o;
                o.type = node->type();
                if (node->column() >= 0)
                    o.source = node->column();
                else
                    o.node = std::move(node);
                const std::string column = ItemName(item, unnamed);
                int slot = item.name.empty() && o.node ? -1 : FindColumn(schema, column);
                if (slot < 0) {
                    schema.push_back({UniqueName(schema, column), o.type});
                    slot = static_cast<int>(schema.size() - 1);
                } else {
                    schema[static_cast<size_t>(slot)].type = o.type;
                }
                items.emplace_back(static_cast<size_t>(slot), std::move(o));
            }
            return std::unique_ptr<Stage>(
                std::make_unique<ExtendStage>(input_width, schema.size(), std::move(items)));
        }
        case Operator::Kind::kSort:
        case Operator::Kind::kTop: {
            const bool top = op.kind == Operator::Kind::kTop;
            scope.op = top ? "top" : "sort";
            ADXFLOW_ASSIGN_OR_RETURN(auto specs, BindSortKeys(op.sort, scope));
            if (top)
                return std::unique_ptr<Stage>(
                    std::make_unique<TopStage>(schema.size(), op.count, std::move(specs)));
            return std::unique_ptr<Stage>(std::make_unique<SortStage>(schema.size(), std::move(specs)));
        }
        case Operator::Kind::kDistinct: {
            std::vector<int> columns;
            std::vector<ColumnType> types;
            Schema out;
            const bool all = op.columns.size() == 1 && op.columns[0] == "*";
            for (size_t c = 0; all && c < schema.size(); ++c) {
                columns.push_back(static_cast<int>(c));
                types.push_back(schema[c].type);
                out.push_back(schema[c]);
            }
            for (size_t k = 0; !all && k < op.columns.size(); ++k) {
                const int i = FindColumn(schema, op.columns[k]);
                if (i < 0)
                    return SemanticError("'distinct' operator: Failed to resolve column named '" +
                                         op.columns[k] + "'");
                columns.push_back(i);
                types.push_back(schema[static_cast<size_t>(i)].type);
                out.push_back(schema[static_cast<size_t>(i)]);
            }
            schema = std::move(out);
            return std::unique_ptr<Stage>(
                std::make_unique<DistinctStage>(std::move(columns), std::move(types)));
        }
        case Operator::Kind::kSummarize: {
            scope.op = "summarize";
            Schema out;
            std::vector<NodePtr> keys;
            int unnamed = 0;
            for (const auto& item : op.by) {
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, Bind(*item.expr, scope));
                if (node->type() == ColumnType::kDynamic)
                    return SemanticError(
                        "'summarize' operator: grouping by a dynamic value is not supported; convert it "
                        "first");
                out.push_back({UniqueName(out, ItemName(item, unnamed)), node->type()});
                keys.push_back(std::move(node));
            }
            std::vector<AggregateCall> calls;
            std::vector<NodePtr> items;
            Scope aggregate_scope = scope;
            aggregate_scope.aggregates = &calls;
            aggregate_scope.columns_allowed = false;
            for (const auto& item : op.items) {
                const size_t before = calls.size();
                ADXFLOW_ASSIGN_OR_RETURN(NodePtr node, Bind(*item.expr, aggregate_scope));
                if (calls.size() == before)
                    return SemanticError("'summarize' operator: '" + ItemName(item, unnamed) +
                                         "' is not an aggregation (count(), sum(), ...)");
                out.push_back({UniqueName(out, ItemName(item, unnamed)), node->type()});
                items.push_back(std::move(node));
            }
            schema = std::move(out);
            return std::unique_ptr<Stage>(
                std::make_unique<SummarizeStage>(std::move(keys), std::move(calls), std::move(items)));
        }
    }
    return SemanticError("unsupported operator");
}

// The bound chain: stages in order, the collector at the end.
struct Pipeline {
    std::vector<std::unique_ptr<Stage>> stages;
    Collector* sink = nullptr;
    Stage* head = nullptr;
    Schema schema;
};

Result<Pipeline> Build(const Query& query, const Schema& input, int64_t max_rows) {
    Pipeline p;
    p.schema = input;
    for (const auto& op : query.operators) {
        ADXFLOW_ASSIGN_OR_RETURN(auto stage, BindOperator(op, p.schema));
        p.stages.push_back(std::move(stage));
    }
    auto sink = std::make_unique<Collector>(p.schema.size(), max_rows);
    p.sink = sink.get();
    p.stages.push_back(std::move(sink));
    for (size_t i = 0; i + 1 < p.stages.size(); ++i) p.stages[i]->set_next(p.stages[i + 1].get());
    p.head = p.stages.front().get();
    return p;
}

Result<std::pair<Schema, std::vector<Value>>> Run(const Query& query, const Schema& schema, int64_t rows,
                                                  const RowGenerator& row, int64_t max_rows) {
    ADXFLOW_ASSIGN_OR_RETURN(Pipeline p, Build(query, schema, max_rows));
    std::vector<Value> buffer(schema.size());
    for (int64_t i = 0; i < rows; ++i) {
        row(i, buffer.data());
        if (!p.head->Push(buffer.data())) break;
    }
    p.head->Finish();
    return std::make_pair(std::move(p.schema), std::move(p.sink->cells()));
}

}  // namespace

Result<std::pair<Schema, std::vector<Value>>> Execute(const Query& query, const Schema& input_schema,
                                                      std::vector<Value> rows) {
    Schema schema = input_schema;
    if (query.table.empty()) {
        if (query.range) {
            // Generated: range rows go through the operators one at a time, like a synthetic table's.
            const Query::Range& r = *query.range;
            const Schema range_schema = {{r.column, r.type}};
            return Run(
                query, range_schema, r.rows,
                [&r](int64_t i, Value* out) {
                    if (r.type == ColumnType::kReal) {
                        *out = std::get<double>(r.from) + static_cast<double>(i) * std::get<double>(r.step);
                    } else {
                        *out =
                            ToCell(r.type, Value{std::get<int64_t>(r.from) + i * std::get<int64_t>(r.step)});
                    }
                },
                std::numeric_limits<int64_t>::max());
        }
        schema = query.literal_schema.value_or(Schema{});
        rows = query.literal_rows;
    }
    if (query.operators.empty()) return std::make_pair(std::move(schema), std::move(rows));
    const size_t width = schema.size();
    const int64_t count = width ? static_cast<int64_t>(rows.size() / width) : 0;
    return Run(
        query, schema, count,
        [&rows, width](int64_t i, Value* out) {
            // The rows are ours: cells move into the pipeline instead of being copied.
            Value* row = rows.data() + static_cast<size_t>(i) * width;
            for (size_t c = 0; c < width; ++c) out[c] = std::move(row[c]);
        },
        std::numeric_limits<int64_t>::max());
}

Result<std::pair<Schema, std::vector<Value>>> ExecuteGenerated(const Query& query, const Schema& schema,
                                                               int64_t rows, const RowGenerator& row,
                                                               int64_t max_result_rows) {
    return Run(query, schema, rows, row, max_result_rows);
}

}  // namespace adxflow::kusto_emulator
