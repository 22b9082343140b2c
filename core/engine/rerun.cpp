#include "core/engine/rerun.hpp"

#include <map>
#include <set>

namespace adxflow::engine {

namespace {

// Every activity downstream of `roots` (roots included), following dependsOn edges of any condition.
std::set<std::string> Downstream(const model::PipelineSpec& spec, std::set<std::string> roots) {
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& a : spec.activities) {
            if (roots.count(ToLower(a.name))) continue;
            for (const auto& d : a.depends_on)
                if (roots.count(ToLower(d.activity))) {
                    roots.insert(ToLower(a.name));
                    grew = true;
                    break;
                }
        }
    }
    return roots;
}

}  // namespace

Result<Json> PlanRerun(const model::PipelineSpec& spec, const std::vector<ActivityRun>& records,
                       const Json& reference_state, const RerunRequest& request) {
    Json reused = Json::object();
    if (request.start_activity.empty() && !request.start_from_failure) return reused;

    // What the reference run ended with, per top-level activity: its last attempt, or what it took over.
    std::map<std::string, Json> previous;
    if (const Json* taken = FindMember(reference_state, "recovery"))
        if (const Json* r = FindMember(*taken, "reused"); r && r->is_object())
            for (auto it = r->begin(); it != r->end(); ++it) previous[ToLower(it.key())] = it.value();
    std::set<std::string> top;
    for (const auto& a : spec.activities) top.insert(ToLower(a.name));
    for (const auto& r : records) {
        if (!top.count(ToLower(r.activity_name))) continue;  // an inner activity of a container
        previous[ToLower(r.activity_name)] = {{"status", r.status}, {"output", r.output}, {"error", r.error}};
    }

    std::set<std::string> roots;
    if (!request.start_activity.empty()) {
        if (!top.count(ToLower(request.start_activity)))
            return MakeError(ErrorKind::kInvalidInput, "createRun",
                             "startActivityName '" + request.start_activity +
                                 "' is not a top-level activity of pipeline '" + spec.name + "'",
                             "BadRequest", "startActivityName");
        roots.insert(ToLower(request.start_activity));
    } else {
        for (const auto& a : spec.activities) {
            auto it = previous.find(ToLower(a.name));
            bool succeeded = it != previous.end() && it->second.value("status", "") == status::kSucceeded;
            // Skipped activities stay Skipped unless something upstream of them runs again.
            bool skipped = it == previous.end() || it->second.value("status", "") == status::kSkipped;
            if (!succeeded && !skipped) roots.insert(ToLower(a.name));
        }
    }
    std::set<std::string> rerun = Downstream(spec, std::move(roots));
    for (const auto& a : spec.activities) {
        // An inactive activity is never run: the new run reports its onInactiveMarkAs again.
        if (rerun.count(ToLower(a.name)) || !a.active) continue;
        auto it = previous.find(ToLower(a.name));
        // No record and nothing taken over: the activity was skipped (or inactive) in the reference run.
        reused[a.name] = it != previous.end()
                             ? it->second
                             : Json{{"status", status::kSkipped}, {"output", nullptr}, {"error", nullptr}};
    }
    return reused;
}

}  // namespace adxflow::engine
