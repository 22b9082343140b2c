#include "tests/support/kusto_emulator/faults.hpp"

namespace adxflow::kusto_emulator {

namespace {

struct ActionName {
    Fault::Action action;
    const char* name;
};
constexpr ActionName kActions[] = {
    {Fault::Action::kStatus, "status"},   {Fault::Action::kInBandError, "error"},
    {Fault::Action::kDelay, "delay"},     {Fault::Action::kCloseMidBody, "closeMidBody"},
    {Fault::Action::kTrickle, "trickle"}, {Fault::Action::kFailIngestion, "failIngestion"}};

Error Bad(const std::string& field, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "emulator.faults", "fault." + field + ": " + message,
                     "InvalidFault", "fault." + field);
}

}  // namespace

Result<Fault> ParseFault(const Json& spec) {
    if (!spec.is_object()) return Bad("", "expected an object");
    Fault f;
    if (const Json* action = FindMember(spec, "action")) {
        if (!action->is_string()) return Bad("action", "expected a string");
        bool known = false;
        for (const auto& a : kActions)
            if (IEquals(a.name, action->get<std::string>())) {
                f.action = a.action;
                known = true;
            }
        if (!known)
            return Bad("action", "expected status, error, delay, closeMidBody, trickle or failIngestion");
    }
    auto integer = [&](const char* name, int& out, int min, int max) -> Status {
        const Json* v = FindMember(spec, name);
        if (!v) return Ok();
        if (!v->is_number_integer() || v->get<int>() < min || v->get<int>() > max)
            return Bad(name,
                       "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
        out = v->get<int>();
        return Ok();
    };
    ADXFLOW_TRY(integer("count", f.count, 1, 1000000));
    ADXFLOW_TRY(integer("status", f.status, 400, 599));
    ADXFLOW_TRY(integer("retryAfterSecs", f.retry_after_secs, 0, 3600));
    ADXFLOW_TRY(integer("delayMs", f.delay_ms, 0, 600000));
    f.path = spec.value("path", "");
    f.table = spec.value("table", "");
    if (f.action == Fault::Action::kFailIngestion && !FindMember(spec, "code"))
        f.code = "General_InternalServerError";
    f.command = ToLower(spec.value("command", ""));
    f.code = spec.value("code", f.status == 429 ? "TooManyRequests" : f.code);
    f.message = spec.value("message", f.message);
    if (const Json* p = FindMember(spec, "permanent"); p && p->is_boolean()) f.permanent = p->get<bool>();
    return f;
}

Json FaultJson(const Fault& f) {
    const char* action = "status";
    for (const auto& a : kActions)
        if (a.action == f.action) action = a.name;
    return {{"id", f.id},
            {"action", action},
            {"count", f.count},
            {"path", f.path},
            {"command", f.command},
            {"status", f.status},
            {"retryAfterSecs", f.retry_after_secs},
            {"code", f.code},
            {"message", f.message},
            {"permanent", f.permanent},
            {"delayMs", f.delay_ms},
            {"table", f.table}};
}

int FaultPlan::Add(Fault fault) {
    std::lock_guard g(mu_);
    fault.id = next_id_++;
    faults_.push_back(fault);
    return fault.id;
}

void FaultPlan::Clear() {
    std::lock_guard g(mu_);
    faults_.clear();
}

Json FaultPlan::List() const {
    std::lock_guard g(mu_);
    Json out = Json::array();
    for (const auto& f : faults_) out.push_back(FaultJson(f));
    return out;
}

std::optional<Fault> FaultPlan::Take(const std::string& path, const std::string& csl) {
    std::lock_guard g(mu_);
    const std::string lower_csl = ToLower(csl);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->action == Fault::Action::kFailIngestion) continue;
        if (!it->path.empty() && path.rfind(it->path, 0) != 0) continue;
        if (!it->command.empty() && lower_csl.find(it->command) == std::string::npos) continue;
        Fault taken = *it;
        if (--it->count <= 0) faults_.erase(it);
        return taken;
    }
    return std::nullopt;
}

std::optional<Fault> FaultPlan::TakeIngestion(const std::string& table) {
    std::lock_guard g(mu_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->action != Fault::Action::kFailIngestion || (!it->table.empty() && it->table != table))
            continue;
        Fault taken = *it;
        if (--it->count <= 0) faults_.erase(it);
        return taken;
    }
    return std::nullopt;
}

}  // namespace adxflow::kusto_emulator
