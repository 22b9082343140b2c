// Pipeline validation: the activity graph (names, dependsOn, cycles), activity policies and state, the
// shapes of the activity types the engine runs, and parameter/variable declarations.

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "core/model/checker.hpp"
#include "core/model/pipeline_spec.hpp"
#include "core/time.hpp"

namespace adxflow::model::detail {
namespace {

constexpr long long kMaxRetryIntervalSecs = 86400;
constexpr long long kAdfMinRetryIntervalSecs = 30;
constexpr size_t kAdfMaxActivities = 120;
constexpr size_t kAdfMaxParameters = 50;
constexpr Millis kAdfMaxActivityTimeout = std::chrono::hours(24 * 7);

// Where container activities keep their inner activity lists; each list is its own dependsOn scope.
std::vector<std::pair<const Json*, std::string>> InnerActivityLists(const Json& type_properties,
                                                                    const std::string& path) {
    std::vector<std::pair<const Json*, std::string>> lists;
    for (std::string_view member :
         {"activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities"})
        if (const Json* list = FindMember(type_properties, member))
            lists.emplace_back(list, JoinPath(path, member));
    if (const Json* cases = FindMember(type_properties, "cases"); cases && cases->is_array()) {
        for (size_t i = 0; i < cases->size(); ++i)
            if (const Json* list = FindMember((*cases)[i], "activities"))
                lists.emplace_back(list, JoinPath(JoinIndex(JoinPath(path, "cases"), i), "activities"));
    }
    return lists;
}

bool IsContainerType(std::string_view type) {
    return IEquals(type, "ForEach") || IEquals(type, "Until") || IEquals(type, "IfCondition") ||
           IEquals(type, "Switch");
}

class PipelineChecker {
  public:
    explicit PipelineChecker(Checker& checker) : c_(checker) {}

    Status CheckList(const Json& list, const std::string& path);
    void SetVariables(const Json* declared) { variables_ = declared; }
    size_t activity_count() const { return all_names_.size(); }

  private:
    Status CheckActivity(const Json& activity, const std::string& path, std::string& name_out);
    Status CheckDependsOn(const Json& activity, const std::string& path,
                          const std::map<std::string, size_t>& scope, const std::string& self,
                          std::vector<std::vector<size_t>>& edges, size_t index);
    Status CheckPolicy(const Json& policy, const std::string& path, const std::string& activity);
    Status CheckState(const Json& activity, const std::string& path);
    Status CheckCopy(const Json& activity, const std::string& path);
    Status CheckLookup(const Json& activity, const std::string& path);
    Status CheckWait(const Json& activity, const std::string& path);
    Status CheckExecutePipeline(const Json& activity, const std::string& path);
    Status CheckSetVariable(const Json& activity, const std::string& path);
    Status CheckForEach(const Json& activity, const std::string& path);
    Status CheckSourceOrSink(const Json& type_properties, std::string_view member, const std::string& path,
                             const TypeCatalog::Predicate& known, std::string_view what);
    Status CheckSingleDataset(const Json& activity, std::string_view member, const std::string& path);

    Checker& c_;
    std::set<std::string> all_names_;  // lower-cased; activity names are unique across the whole pipeline
    const Json* variables_ = nullptr;  // the pipeline's variable declarations
    bool in_container_ = false;        // checking the inner list of a ForEach/Until/IfCondition/Switch
};

// True when the pipeline declares `name` (variable names are case-insensitive).
bool Declares(const Json* declared, std::string_view name) {
    if (!declared || !declared->is_object()) return false;
    for (auto it = declared->begin(); it != declared->end(); ++it)
        if (IEquals(it.key(), name)) return true;
    return false;
}

// variables('x') with an undeclared x, anywhere in an expression of `tree`. Names are literals in practice
// (ADF's designer writes them so), which a pattern finds without evaluating anything.
Status CheckVariableReferences(const Json& tree, const std::string& path, const Json* declared) {
    if (tree.is_string()) {
        const auto& text = tree.get_ref<const std::string&>();
        if (text.find('@') == std::string::npos) return Ok();
        static const std::regex pattern(R"(variables\s*\(\s*'([^']*)'\s*\))", std::regex::icase);
        for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it)
            if (!Declares(declared, (*it)[1].str()))
                return InvalidAt(path, "variables('" + (*it)[1].str() +
                                           "') refers to a variable the pipeline does not declare in "
                                           "properties.variables");
        return Ok();
    }
    if (tree.is_object()) {
        for (auto it = tree.begin(); it != tree.end(); ++it)
            ADXFLOW_TRY(CheckVariableReferences(it.value(), JoinPath(path, it.key()), declared));
    } else if (tree.is_array()) {
        for (size_t i = 0; i < tree.size(); ++i)
            ADXFLOW_TRY(CheckVariableReferences(tree[i], JoinIndex(path, i), declared));
    }
    return Ok();
}

Status PipelineChecker::CheckList(const Json& list, const std::string& path) {
    if (!list.is_array())
        return InvalidAt(path, "must be an array of activities, got " + std::string(JsonTypeName(list)));
    std::map<std::string, size_t> scope;  // lower-cased name -> index in this list
    std::vector<std::string> names(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        std::string item_path = JoinIndex(path, i);
        ADXFLOW_TRY(CheckActivity(list[i], item_path, names[i]));
        std::string key = ToLower(names[i]);
        if (!all_names_.insert(key).second)
            return InvalidAt(JoinPath(item_path, "name"), "activity name " + Quoted(names[i]) +
                                                              " is used twice in this pipeline (names are "
                                                              "case-insensitive)");
        scope.emplace(key, i);
    }
    // Dependencies refer to siblings only: an inner activity cannot depend on one outside its container.
    std::vector<std::vector<size_t>> edges(list.size());
    for (size_t i = 0; i < list.size(); ++i)
        ADXFLOW_TRY(CheckDependsOn(list[i], JoinIndex(path, i), scope, names[i], edges, i));

    // Cycle detection: depth-first with colours; the first back edge found is reported with its path.
    enum Colour { kWhite, kGrey, kBlack };
    std::vector<Colour> colour(list.size(), kWhite);
    std::vector<size_t> stack;
    std::optional<std::vector<size_t>> cycle;
    std::function<void(size_t)> visit = [&](size_t n) {
        colour[n] = kGrey;
        stack.push_back(n);
        for (size_t m : edges[n]) {
            if (cycle) return;
            if (colour[m] == kGrey) {
                auto start = std::find(stack.begin(), stack.end(), m);
                cycle.emplace(start, stack.end());
                cycle->push_back(m);
                return;
            }
            if (colour[m] == kWhite) visit(m);
        }
        stack.pop_back();
        colour[n] = kBlack;
    };
    for (size_t i = 0; i < list.size() && !cycle; ++i)
        if (colour[i] == kWhite) visit(i);
    if (cycle) {
        std::string chain;
        for (size_t n : *cycle) chain += (chain.empty() ? "" : " -> ") + names[n];
        return InvalidAt(JoinPath(JoinIndex(path, cycle->front()), "dependsOn"),
                         "activity dependencies form a cycle: " + chain);
    }
    return Ok();
}

Status PipelineChecker::CheckActivity(const Json& activity, const std::string& path, std::string& name_out) {
    if (!activity.is_object()) return InvalidAt(path, "an activity must be an object");
    ADXFLOW_ASSIGN_OR_RETURN(name_out, c_.StringMember(activity, "name", path));
    ADXFLOW_TRY(ValidateActivityName(name_out, JoinPath(path, "name")));
    ADXFLOW_ASSIGN_OR_RETURN(std::string type, c_.StringMember(activity, "type", path));
    if (!c_.catalog().KnowsActivity(type)) {
        std::string known;
        for (const auto& t : c_.catalog().activity_types) known += (known.empty() ? "" : ", ") + t;
        return InvalidAt(
            JoinPath(path, "type"),
            "activity type " + Quoted(type) + " is not supported by this daemon (supported: " + known + ")");
    }
    if (const Json* ls = FindMember(activity, "linkedServiceName"))
        ADXFLOW_TRY(c_.CheckReference(ls, ResourceKind::kLinkedService, JoinPath(path, "linkedServiceName")));
    if (const Json* policy = FindMember(activity, "policy"); policy && !policy->is_null())
        ADXFLOW_TRY(CheckPolicy(*policy, JoinPath(path, "policy"), name_out));
    ADXFLOW_TRY(CheckState(activity, path));
    if (const Json* props = FindMember(activity, "userProperties"); props && !props->is_null()) {
        std::string props_path = JoinPath(path, "userProperties");
        if (!props->is_array()) return InvalidAt(props_path, "must be an array of {name, value}");
        for (size_t i = 0; i < props->size(); ++i)
            ADXFLOW_TRY(c_.StringMember((*props)[i], "name", JoinIndex(props_path, i)));
    }
    if (IEquals(type, "Copy")) ADXFLOW_TRY(CheckCopy(activity, path));
    if (IEquals(type, "Lookup")) ADXFLOW_TRY(CheckLookup(activity, path));
    if (IEquals(type, "Wait")) ADXFLOW_TRY(CheckWait(activity, path));
    if (IEquals(type, "ExecutePipeline")) ADXFLOW_TRY(CheckExecutePipeline(activity, path));
    if (IEquals(type, "SetVariable") || IEquals(type, "AppendVariable"))
        ADXFLOW_TRY(CheckSetVariable(activity, path));
    if (IEquals(type, "ForEach")) ADXFLOW_TRY(CheckForEach(activity, path));
    if (IsContainerType(type)) {
        // ADF nests one level deep: deeper logic goes through ExecutePipeline.
        if (in_container_)
            return InvalidAt(JoinPath(path, "type"),
                             Quoted(type) +
                                 " cannot be placed inside a ForEach, Until, IfCondition or Switch activity; "
                                 "use ExecutePipeline for deeper nesting");
        ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
        in_container_ = true;
        for (const auto& [list, list_path] : InnerActivityLists(*tp, JoinPath(path, "typeProperties"))) {
            Status inner = CheckList(*list, list_path);
            if (!inner.ok()) {
                in_container_ = false;
                return inner;
            }
        }
        in_container_ = false;
    }
    return Ok();
}

Status PipelineChecker::CheckDependsOn(const Json& activity, const std::string& path,
                                       const std::map<std::string, size_t>& scope, const std::string& self,
                                       std::vector<std::vector<size_t>>& edges, size_t index) {
    const Json* depends = FindMember(activity, "dependsOn");
    if (!depends || depends->is_null()) return Ok();
    std::string deps_path = JoinPath(path, "dependsOn");
    if (!depends->is_array())
        return InvalidAt(deps_path, "must be an array of {activity, dependencyConditions}");
    for (size_t i = 0; i < depends->size(); ++i) {
        const Json& dep = (*depends)[i];
        std::string dep_path = JoinIndex(deps_path, i);
        if (!dep.is_object())
            return InvalidAt(dep_path, "must be an object {activity, dependencyConditions}");
        ADXFLOW_ASSIGN_OR_RETURN(std::string target, c_.StringMember(dep, "activity", dep_path));
        std::string target_path = JoinPath(dep_path, "activity");
        if (IEquals(target, self))
            return InvalidAt(target_path, "activity " + Quoted(self) + " depends on itself");
        auto it = scope.find(ToLower(target));
        if (it == scope.end())
            return InvalidAt(target_path,
                             "activity " + Quoted(self) + " depends on " + Quoted(target) +
                                 ", which is not an activity of the same pipeline (or container)");
        edges[index].push_back(it->second);
        const Json* conditions = FindMember(dep, "dependencyConditions");
        std::string cond_path = JoinPath(dep_path, "dependencyConditions");
        if (!conditions) return InvalidAt(cond_path, "is required");
        if (!conditions->is_array() || conditions->empty())
            return InvalidAt(cond_path,
                             "must be a non-empty array of Succeeded, Failed, Skipped or Completed");
        bool completed = false, succeeded_or_failed = false;
        for (size_t k = 0; k < conditions->size(); ++k) {
            const Json& cond = (*conditions)[k];
            auto parsed = cond.is_string() ? ParseDependencyCondition(cond.get_ref<const std::string&>())
                                           : std::nullopt;
            if (!parsed)
                return InvalidAt(JoinIndex(cond_path, k),
                                 "unknown dependency condition " + Quoted(cond) +
                                     "; expected Succeeded, Failed, Skipped or Completed");
            completed |= *parsed == DependencyCondition::kCompleted;
            succeeded_or_failed |=
                *parsed == DependencyCondition::kSucceeded || *parsed == DependencyCondition::kFailed;
        }
        if (completed && succeeded_or_failed)
            c_.Warn(cond_path +
                    ": Completed together with Succeeded/Failed is redundant (ADF Studio refuses it)");
    }
    return Ok();
}

Status PipelineChecker::CheckPolicy(const Json& policy, const std::string& path,
                                    const std::string& activity) {
    if (!policy.is_object()) return InvalidAt(path, "must be an object");
    if (const Json* timeout = FindMember(policy, "timeout"); timeout && !timeout->is_null()) {
        std::string timeout_path = JoinPath(path, "timeout");
        if (!IsExpressionValue(*timeout)) {
            if (!timeout->is_string())
                return InvalidAt(timeout_path, "must be a timespan \"d.hh:mm:ss\" or an expression");
            auto span = ParseTimespan(timeout->get_ref<const std::string&>());
            if (!span.ok()) return InvalidAt(timeout_path, span.error().message);
            if (*span > kAdfMaxActivityTimeout)
                c_.Warn(timeout_path + ": timeout " + Quoted(*timeout) + " of activity " + Quoted(activity) +
                        " exceeds ADF's maximum of 7 days");
        }
    }
    if (const Json* retry = FindMember(policy, "retry"); retry && !retry->is_null())
        ADXFLOW_TRY(c_.IntOrExpression(*retry, JoinPath(path, "retry"), 0, std::numeric_limits<int>::max()));
    if (const Json* interval = FindMember(policy, "retryIntervalInSeconds");
        interval && !interval->is_null()) {
        std::string interval_path = JoinPath(path, "retryIntervalInSeconds");
        ADXFLOW_ASSIGN_OR_RETURN(auto secs,
                                 c_.IntOrExpression(*interval, interval_path, 0, kMaxRetryIntervalSecs));
        if (secs && *secs < kAdfMinRetryIntervalSecs)
            c_.Warn(interval_path + ": " + std::to_string(*secs) +
                    " seconds is below ADF's minimum of 30 (activity " + Quoted(activity) +
                    "); accepted here");
    }
    for (std::string_view flag : {"secureInput", "secureOutput"})
        if (const Json* value = FindMember(policy, flag); value && !value->is_null())
            ADXFLOW_TRY(c_.BoolOrExpression(*value, JoinPath(path, flag)));
    return Ok();
}

Status PipelineChecker::CheckState(const Json& activity, const std::string& path) {
    if (const Json* state = FindMember(activity, "state"); state && !state->is_null()) {
        if (!state->is_string() || !(IEquals(state->get_ref<const std::string&>(), "Active") ||
                                     IEquals(state->get_ref<const std::string&>(), "Inactive")))
            return InvalidAt(JoinPath(path, "state"), "must be Active or Inactive, got " + Quoted(*state));
    }
    if (const Json* mark = FindMember(activity, "onInactiveMarkAs"); mark && !mark->is_null()) {
        const bool ok = mark->is_string() && (IEquals(mark->get_ref<const std::string&>(), "Succeeded") ||
                                              IEquals(mark->get_ref<const std::string&>(), "Failed") ||
                                              IEquals(mark->get_ref<const std::string&>(), "Skipped"));
        if (!ok)
            return InvalidAt(JoinPath(path, "onInactiveMarkAs"),
                             "must be Succeeded, Failed or Skipped, got " + Quoted(*mark));
    }
    return Ok();
}

Status PipelineChecker::CheckSingleDataset(const Json& activity, std::string_view member,
                                           const std::string& path) {
    const Json* list = FindMember(activity, member);
    std::string list_path = JoinPath(path, member);
    if (!list) return InvalidAt(list_path, "is required: Copy takes exactly one dataset reference");
    if (!list->is_array() || list->size() != 1)
        return InvalidAt(list_path, "must hold exactly one DatasetReference, got " +
                                        (list->is_array() ? std::to_string(list->size()) + " entries"
                                                          : std::string(JsonTypeName(*list))));
    return c_.CheckReference(&(*list)[0], ResourceKind::kDataset, JoinIndex(list_path, 0));
}

Status PipelineChecker::CheckSourceOrSink(const Json& type_properties, std::string_view member,
                                          const std::string& path, const TypeCatalog::Predicate& known,
                                          std::string_view what) {
    ADXFLOW_ASSIGN_OR_RETURN(const Json* side, c_.ObjectMember(type_properties, member, path, true));
    std::string side_path = JoinPath(path, member);
    ADXFLOW_ASSIGN_OR_RETURN(std::string type, c_.StringMember(*side, "type", side_path));
    if (!TypeCatalog::Accepts(known, type))
        return InvalidAt(JoinPath(side_path, "type"),
                         std::string(what) + " type " + Quoted(type) + " is not supported by this daemon");
    return Ok();
}

Status PipelineChecker::CheckCopy(const Json& activity, const std::string& path) {
    ADXFLOW_TRY(CheckSingleDataset(activity, "inputs", path));
    ADXFLOW_TRY(CheckSingleDataset(activity, "outputs", path));
    ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
    std::string tp_path = JoinPath(path, "typeProperties");
    ADXFLOW_TRY(CheckSourceOrSink(*tp, "source", tp_path, c_.catalog().copy_source, "copy source"));
    ADXFLOW_TRY(CheckSourceOrSink(*tp, "sink", tp_path, c_.catalog().copy_sink, "copy sink"));
    return Ok();
}

Status PipelineChecker::CheckLookup(const Json& activity, const std::string& path) {
    ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
    std::string tp_path = JoinPath(path, "typeProperties");
    ADXFLOW_TRY(CheckSourceOrSink(*tp, "source", tp_path, c_.catalog().copy_source, "lookup source"));
    std::string ds_path = JoinPath(tp_path, "dataset");
    const Json* dataset = FindMember(*tp, "dataset");
    if (!dataset) return InvalidAt(ds_path, "is required: Lookup reads the dataset named here");
    ADXFLOW_TRY(c_.CheckReference(dataset, ResourceKind::kDataset, ds_path));
    if (const Json* first = FindMember(*tp, "firstRowOnly"); first && !first->is_null())
        ADXFLOW_TRY(c_.BoolOrExpression(*first, JoinPath(tp_path, "firstRowOnly")));
    return Ok();
}

Status PipelineChecker::CheckWait(const Json& activity, const std::string& path) {
    ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
    std::string tp_path = JoinPath(path, "typeProperties");
    const Json* wait = FindMember(*tp, "waitTimeInSeconds");
    std::string wait_path = JoinPath(tp_path, "waitTimeInSeconds");
    if (!wait) return InvalidAt(wait_path, "is required");
    ADXFLOW_TRY(c_.IntOrExpression(*wait, wait_path, 0, std::numeric_limits<int>::max()));
    return Ok();
}

// ExecutePipeline: the referenced pipeline is checked like any other reference (it must exist); the
// parameters are bound against its declarations when the activity runs.
Status PipelineChecker::CheckExecutePipeline(const Json& activity, const std::string& path) {
    ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
    std::string tp_path = JoinPath(path, "typeProperties");
    ADXFLOW_ASSIGN_OR_RETURN(const Json* ref, c_.ObjectMember(*tp, "pipeline", tp_path, true));
    ADXFLOW_TRY(c_.StringMember(*ref, "referenceName", JoinPath(tp_path, "pipeline")));
    if (const Json* params = FindMember(*tp, "parameters"); params && !params->is_null() && !params->is_object())
        return InvalidAt(JoinPath(tp_path, "parameters"), "must be an object of parameter values");
    if (const Json* wait = FindMember(*tp, "waitOnCompletion"); wait && !wait->is_null())
        ADXFLOW_TRY(c_.BoolOrExpression(*wait, JoinPath(tp_path, "waitOnCompletion")));
    return Ok();
}

Status PipelineChecker::CheckSetVariable(const Json& activity, const std::string& path) {
    ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
    std::string tp_path = JoinPath(path, "typeProperties");
    ADXFLOW_ASSIGN_OR_RETURN(std::string name, c_.StringMember(*tp, "variableName", tp_path));
    const Json* system = FindMember(*tp, "setSystemVariable");
    if (system && system->is_boolean() && system->get<bool>()) {
        if (!IEquals(name, "pipelineReturnValue"))
            return InvalidAt(JoinPath(tp_path, "variableName"),
                             "setSystemVariable only sets pipelineReturnValue, got " + Quoted(name));
        return Ok();
    }
    if (!Declares(variables_, name))
        return InvalidAt(JoinPath(tp_path, "variableName"),
                         "variable " + Quoted(name) + " is not declared in properties.variables");
    return Ok();
}

Status PipelineChecker::CheckForEach(const Json& activity, const std::string& path) {
    ADXFLOW_ASSIGN_OR_RETURN(const Json* tp, c_.ObjectMember(activity, "typeProperties", path, true));
    std::string tp_path = JoinPath(path, "typeProperties");
    const Json* items = FindMember(*tp, "items");
    if (!items || items->is_null())
        return InvalidAt(JoinPath(tp_path, "items"),
                         "is required: ForEach iterates the array it evaluates to");
    if (const Json* batch = FindMember(*tp, "batchCount"); batch && !batch->is_null())
        ADXFLOW_TRY(c_.IntOrExpression(*batch, JoinPath(tp_path, "batchCount"), 1, 50));
    if (const Json* seq = FindMember(*tp, "isSequential"); seq && !seq->is_null())
        ADXFLOW_TRY(c_.BoolOrExpression(*seq, JoinPath(tp_path, "isSequential")));
    return Ok();
}

}  // namespace

Status CheckPipeline(Checker& checker, const Json& properties) {
    const std::string path = "properties";
    ADXFLOW_TRY(CheckDeclarations(
        FindMember(properties, "parameters") ? *FindMember(properties, "parameters") : Json(),
        JoinPath(path, "parameters"), false));
    ADXFLOW_TRY(
        CheckDeclarations(FindMember(properties, "variables") ? *FindMember(properties, "variables") : Json(),
                          JoinPath(path, "variables"), true));
    if (const Json* params = FindMember(properties, "parameters");
        params && params->size() > kAdfMaxParameters)
        checker.Warn("properties.parameters: " + std::to_string(params->size()) +
                     " parameters exceed ADF's limit of 50 per pipeline");
    if (const Json* concurrency = FindMember(properties, "concurrency");
        concurrency && !concurrency->is_null()) {
        auto value = AsInt(*concurrency);
        if (!value || *value < 1)
            return InvalidAt(JoinPath(path, "concurrency"),
                             "must be an integer of at least 1, got " + Quoted(*concurrency));
    }
    PipelineChecker pipeline(checker);
    pipeline.SetVariables(FindMember(properties, "variables"));
    if (const Json* activities = FindMember(properties, "activities"); activities && !activities->is_null()) {
        ADXFLOW_TRY(pipeline.CheckList(*activities, JoinPath(path, "activities")));
        ADXFLOW_TRY(CheckVariableReferences(*activities, JoinPath(path, "activities"),
                                            FindMember(properties, "variables")));
    }
    if (pipeline.activity_count() > kAdfMaxActivities)
        checker.Warn("properties.activities: " + std::to_string(pipeline.activity_count()) +
                     " activities exceed ADF's limit of 120 per pipeline");
    return Ok();
}

}  // namespace adxflow::model::detail
