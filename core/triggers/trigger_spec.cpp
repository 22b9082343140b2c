#include "core/triggers/trigger_spec.hpp"

#include <algorithm>

#include "core/expr/datetime_format.hpp"

namespace adxflow::triggers {
namespace {

constexpr const char* kTp = "properties.typeProperties";

Error Invalid(const std::string& path, const std::string& message) {
    return MakeError(ErrorKind::kInvalidInput, "trigger.validate", path + ": " + message, "BadRequest", path);
}

std::string Path(std::string_view base, std::string_view member) {
    return JoinPath(base, member);
}

Result<Frequency> ParseFrequency(const Json* v, const std::string& path, bool tumbling) {
    if (!v || !v->is_string()) return Invalid(path, "is required (Minute, Hour, Day, Week or Month)");
    const auto& s = v->get_ref<const std::string&>();
    std::optional<Frequency> f;
    if (IEquals(s, "Minute")) f = Frequency::kMinute;
    if (IEquals(s, "Hour")) f = Frequency::kHour;
    if (IEquals(s, "Day")) f = Frequency::kDay;
    if (IEquals(s, "Week")) f = Frequency::kWeek;
    if (IEquals(s, "Month")) f = Frequency::kMonth;
    if (!f) return Invalid(path, "unknown frequency '" + s + "' (Minute, Hour, Day, Week or Month)");
    if (tumbling && (*f == Frequency::kDay || *f == Frequency::kWeek))
        return Invalid(path,
                       "a tumbling window trigger's frequency is Minute, Hour or Month, not '" + s + "'");
    return *f;
}

Result<int> ParseInt(const Json* v, const std::string& path, int dflt, int lo, int hi) {
    if (!v || v->is_null()) return dflt;
    auto n = AsInt(*v);
    if (!n || *n < lo || *n > hi)
        return Invalid(path, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    return static_cast<int>(*n);
}

bool HasOffset(std::string_view s) {
    if (s.empty()) return false;
    if (s.back() == 'Z' || s.back() == 'z') return true;
    size_t t = s.find('T');
    return t != std::string_view::npos && s.find_first_of("+-", t) != std::string_view::npos;
}

// UTC instants ("2024-03-01T00:00:00Z"); a value without an offset is read as UTC.
Result<TimePoint> ParseUtc(const Json* v, const std::string& path) {
    if (!v || !v->is_string())
        return Invalid(path, "is required: an ISO 8601 UTC time such as 2024-03-01T00:00:00Z");
    auto t = ParseTimestamp(v->get_ref<const std::string&>());
    if (!t) return Invalid(path, "'" + v->get<std::string>() + "' is not an ISO 8601 time");
    return *t;
}

// Local wall-clock time in a non-UTC zone: ADF requires it without an offset.
Result<TimePoint> ParseLocal(const Json* v, const std::string& path, const Zone& zone) {
    if (zone.is_utc()) return ParseUtc(v, path);
    if (!v || !v->is_string()) return Invalid(path, "is required: a local time such as 2024-03-01T02:30:00");
    const auto& s = v->get_ref<const std::string&>();
    if (HasOffset(s))
        return Invalid(path, "'" + s + "' has a UTC offset; with timeZone '" + zone.windows_id() +
                                 "' give the local wall-clock time without 'Z' or an offset");
    auto t = ParseTimestamp(s);
    if (!t) return Invalid(path, "'" + s + "' is not an ISO 8601 time");
    return *t;
}

Result<std::vector<int>> IntList(const Json* v, const std::string& path, int lo, int hi,
                                 bool no_zero = false) {
    std::vector<int> out;
    if (!v || v->is_null()) return out;
    if (!v->is_array()) return Invalid(path, "must be an array of integers");
    for (size_t i = 0; i < v->size(); ++i) {
        auto n = AsInt((*v)[i]);
        if (!n || *n < lo || *n > hi || (no_zero && *n == 0))
            return Invalid(JoinIndex(path, i), "must be an integer from " + std::to_string(lo) + " to " +
                                                   std::to_string(hi) + (no_zero ? ", not 0" : ""));
        out.push_back(static_cast<int>(*n));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<int> Weekday(const Json& v, const std::string& path) {
    static const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                  "Thursday", "Friday", "Saturday"};
    if (v.is_string())
        for (int d = 0; d < 7; ++d)
            if (IEquals(v.get_ref<const std::string&>(), kDays[d])) return d;
    return Invalid(path, "must be a day of the week (Sunday ... Saturday)");
}

Status ParseSchedule(const Json& schedule, const std::string& path, ScheduleSpec& s) {
    if (!schedule.is_object()) return Invalid(path, "must be an object");
    s.has_schedule = true;
    ADXFLOW_ASSIGN_OR_RETURN(s.minutes,
                             IntList(FindMember(schedule, "minutes"), Path(path, "minutes"), 0, 59));
    ADXFLOW_ASSIGN_OR_RETURN(s.hours, IntList(FindMember(schedule, "hours"), Path(path, "hours"), 0, 23));
    if (const Json* wd = FindMember(schedule, "weekDays"); wd && !wd->is_null()) {
        if (!wd->is_array()) return Invalid(Path(path, "weekDays"), "must be an array of day names");
        if (s.frequency != Frequency::kWeek)
            return Invalid(Path(path, "weekDays"), "is only allowed with frequency Week");
        for (size_t i = 0; i < wd->size(); ++i) {
            ADXFLOW_ASSIGN_OR_RETURN(int d, Weekday((*wd)[i], JoinIndex(Path(path, "weekDays"), i)));
            s.week_days.push_back(d);
        }
        std::sort(s.week_days.begin(), s.week_days.end());
        s.week_days.erase(std::unique(s.week_days.begin(), s.week_days.end()), s.week_days.end());
    }
    if (const Json* md = FindMember(schedule, "monthDays"); md && !md->is_null()) {
        if (s.frequency != Frequency::kMonth)
            return Invalid(Path(path, "monthDays"), "is only allowed with frequency Month");
        ADXFLOW_ASSIGN_OR_RETURN(s.month_days, IntList(md, Path(path, "monthDays"), -31, 31, true));
    }
    if (const Json* mo = FindMember(schedule, "monthlyOccurrences"); mo && !mo->is_null()) {
        const std::string mpath = Path(path, "monthlyOccurrences");
        if (s.frequency != Frequency::kMonth) return Invalid(mpath, "is only allowed with frequency Month");
        if (!mo->is_array()) return Invalid(mpath, "must be an array of {day, occurrence}");
        for (size_t i = 0; i < mo->size(); ++i) {
            const std::string ipath = JoinIndex(mpath, i);
            const Json& e = (*mo)[i];
            if (!e.is_object()) return Invalid(ipath, "must be an object {day, occurrence}");
            const Json* day = FindMember(e, "day");
            if (!day) return Invalid(Path(ipath, "day"), "is required");
            MonthlyOccurrence occ;
            ADXFLOW_ASSIGN_OR_RETURN(occ.weekday, Weekday(*day, Path(ipath, "day")));
            ADXFLOW_ASSIGN_OR_RETURN(
                occ.occurrence, ParseInt(FindMember(e, "occurrence"), Path(ipath, "occurrence"), 0, -5, 5));
            s.monthly_occurrences.push_back(occ);
        }
    }
    return Ok();
}

Result<ScheduleSpec> ParseScheduleTrigger(const Json& tp) {
    ScheduleSpec s;
    const std::string rpath = Path(kTp, "recurrence");
    const Json* rec = FindMember(tp, "recurrence");
    if (!rec || !rec->is_object())
        return Invalid(rpath, "is required: {frequency, interval, startTime, ...}");
    ADXFLOW_ASSIGN_OR_RETURN(s.frequency,
                             ParseFrequency(FindMember(*rec, "frequency"), Path(rpath, "frequency"), false));
    ADXFLOW_ASSIGN_OR_RETURN(s.interval,
                             ParseInt(FindMember(*rec, "interval"), Path(rpath, "interval"), 1, 1, 1000));
    std::string zone_id = "UTC";
    if (const Json* tz = FindMember(*rec, "timeZone"); tz && !tz->is_null()) {
        if (!tz->is_string()) return Invalid(Path(rpath, "timeZone"), "must be a Windows time zone id");
        zone_id = tz->get<std::string>();
    }
    auto zone = Zone::FromWindowsId(zone_id);
    if (!zone.ok()) return Invalid(Path(rpath, "timeZone"), zone.error().message);
    s.zone = *zone;
    ADXFLOW_ASSIGN_OR_RETURN(s.start_local,
                             ParseLocal(FindMember(*rec, "startTime"), Path(rpath, "startTime"), *s.zone));
    if (const Json* end = FindMember(*rec, "endTime"); end && !end->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(TimePoint e, ParseLocal(end, Path(rpath, "endTime"), *s.zone));
        if (e <= s.start_local) return Invalid(Path(rpath, "endTime"), "must be after startTime");
        s.end_local = e;
    }
    if (const Json* sched = FindMember(*rec, "schedule"); sched && !sched->is_null())
        ADXFLOW_TRY(ParseSchedule(*sched, Path(rpath, "schedule"), s));
    return s;
}

Result<Millis> ParseSpan(const Json* v, const std::string& path, Millis dflt) {
    if (!v || v->is_null()) return dflt;
    if (!v->is_string()) return Invalid(path, "must be a timespan such as 00:15:00 or -1.00:00:00");
    std::string text = v->get<std::string>();
    bool negative = !text.empty() && text[0] == '-';
    auto span = ParseTimespan(negative ? std::string_view(text).substr(1) : std::string_view(text));
    if (!span.ok()) return Invalid(path, span.error().message);
    return negative ? -*span : *span;
}

Result<TumblingSpec> ParseTumblingTrigger(const Json& tp) {
    TumblingSpec t;
    ADXFLOW_ASSIGN_OR_RETURN(t.frequency,
                             ParseFrequency(FindMember(tp, "frequency"), Path(kTp, "frequency"), true));
    const Json* interval = FindMember(tp, "interval");
    if (!interval) return Invalid(Path(kTp, "interval"), "is required");
    ADXFLOW_ASSIGN_OR_RETURN(t.interval, ParseInt(interval, Path(kTp, "interval"), 1, 1, 1000000));
    ADXFLOW_ASSIGN_OR_RETURN(t.start, ParseUtc(FindMember(tp, "startTime"), Path(kTp, "startTime")));
    if (const Json* end = FindMember(tp, "endTime"); end && !end->is_null()) {
        ADXFLOW_ASSIGN_OR_RETURN(TimePoint e, ParseUtc(end, Path(kTp, "endTime")));
        if (e <= t.start) return Invalid(Path(kTp, "endTime"), "must be after startTime");
        t.end = e;
    }
    ADXFLOW_ASSIGN_OR_RETURN(t.delay, ParseSpan(FindMember(tp, "delay"), Path(kTp, "delay"), Millis(0)));
    if (t.delay < Millis(0)) return Invalid(Path(kTp, "delay"), "must not be negative");
    const Json* mc = FindMember(tp, "maxConcurrency");
    if (!mc) return Invalid(Path(kTp, "maxConcurrency"), "is required (1 to 50)");
    ADXFLOW_ASSIGN_OR_RETURN(t.max_concurrency, ParseInt(mc, Path(kTp, "maxConcurrency"), 1, 1, 50));
    if (const Json* rp = FindMember(tp, "retryPolicy"); rp && !rp->is_null()) {
        const std::string rpath = Path(kTp, "retryPolicy");
        if (!rp->is_object()) return Invalid(rpath, "must be an object {count, intervalInSeconds}");
        ADXFLOW_ASSIGN_OR_RETURN(t.retry_count,
                                 ParseInt(FindMember(*rp, "count"), Path(rpath, "count"), 0, 0, 1000));
        ADXFLOW_ASSIGN_OR_RETURN(
            t.retry_interval_secs,
            ParseInt(FindMember(*rp, "intervalInSeconds"), Path(rpath, "intervalInSeconds"), 30, 30, 86400));
    }
    if (const Json* deps = FindMember(tp, "dependsOn"); deps && !deps->is_null()) {
        const std::string dpath = Path(kTp, "dependsOn");
        if (!deps->is_array()) return Invalid(dpath, "must be an array");
        for (size_t i = 0; i < deps->size(); ++i) {
            const std::string ipath = JoinIndex(dpath, i);
            const Json& d = (*deps)[i];
            if (!d.is_object()) return Invalid(ipath, "must be an object");
            auto type = AsString(FindMember(d, "type") ? *FindMember(d, "type") : Json());
            WindowDependency dep;
            if (type && IEquals(*type, "SelfDependencyTumblingWindowTriggerReference")) {
                dep.self = true;
                const Json* off = FindMember(d, "offset");
                if (!off) return Invalid(Path(ipath, "offset"), "is required for a self-dependency");
                ADXFLOW_ASSIGN_OR_RETURN(dep.offset, ParseSpan(off, Path(ipath, "offset"), Millis(0)));
                if (dep.offset >= Millis(0))
                    return Invalid(Path(ipath, "offset"),
                                   "must be negative: a window depends on earlier windows");
            } else if (type && IEquals(*type, "TumblingWindowTriggerDependencyReference")) {
                const Json* ref = FindMember(d, "referenceTrigger");
                const Json* rn = ref ? FindMember(*ref, "referenceName") : nullptr;
                if (!rn || !rn->is_string() || rn->get_ref<const std::string&>().empty())
                    return Invalid(Path(Path(ipath, "referenceTrigger"), "referenceName"), "is required");
                dep.trigger = rn->get<std::string>();
                ADXFLOW_ASSIGN_OR_RETURN(
                    dep.offset, ParseSpan(FindMember(d, "offset"), Path(ipath, "offset"), Millis(0)));
            } else {
                return Invalid(Path(ipath, "type"),
                               "must be TumblingWindowTriggerDependencyReference or "
                               "SelfDependencyTumblingWindowTriggerReference");
            }
            if (const Json* size = FindMember(d, "size"); size && !size->is_null()) {
                ADXFLOW_ASSIGN_OR_RETURN(Millis sz, ParseSpan(size, Path(ipath, "size"), Millis(0)));
                if (sz <= Millis(0)) return Invalid(Path(ipath, "size"), "must be positive");
                dep.size = sz;
            }
            t.depends_on.push_back(dep);
        }
    }
    return t;
}

Result<PipelineTarget> ParseTarget(const Json& entry, const std::string& path) {
    PipelineTarget target;
    const Json* ref = FindMember(entry, "pipelineReference");
    const Json* rn = ref ? FindMember(*ref, "referenceName") : nullptr;
    if (!rn || !rn->is_string())
        return Invalid(Path(Path(path, "pipelineReference"), "referenceName"), "is required");
    target.pipeline = rn->get<std::string>();
    if (const Json* p = FindMember(entry, "parameters"); p && p->is_object()) target.parameters = *p;
    return target;
}

}  // namespace

const char* ToString(Frequency f) {
    switch (f) {
        case Frequency::kMinute:
            return "Minute";
        case Frequency::kHour:
            return "Hour";
        case Frequency::kDay:
            return "Day";
        case Frequency::kWeek:
            return "Week";
        case Frequency::kMonth:
            return "Month";
    }
    return "?";
}

TimePoint TumblingSpec::WindowStart(long long k) const {
    switch (frequency) {
        case Frequency::kMinute:
            return start + std::chrono::minutes(k * interval);
        case Frequency::kHour:
            return start + std::chrono::hours(k * interval);
        default:
            return expr::AddMonths(start, k * interval);
    }
}

long long TumblingSpec::WindowIndexAt(TimePoint t) const {
    using std::chrono::duration_cast;
    long long k;
    if (frequency == Frequency::kMonth) {
        auto a = expr::ToCivil(start), b = expr::ToCivil(t);
        k = ((b.year - a.year) * 12 + (b.month - a.month)) / interval;
    } else {
        auto step =
            frequency == Frequency::kMinute ? std::chrono::minutes(interval) : std::chrono::hours(interval);
        auto d = t - start;
        k = d / step;
        if (d < decltype(d)::zero() && d % step != decltype(d)::zero()) --k;
    }
    // Month lengths vary: settle on the exact window.
    while (WindowStart(k) > t) --k;
    while (WindowStart(k + 1) <= t) ++k;
    return k;
}

Result<TriggerSpec> ParseTrigger(const Json& properties) {
    TriggerSpec spec;
    const Json* type = FindMember(properties, "type");
    if (!type || !type->is_string()) return Invalid("properties.type", "is required");
    spec.type = type->get<std::string>();
    const Json* tp = FindMember(properties, "typeProperties");
    if (!tp || !tp->is_object()) return Invalid(kTp, "is required and must be an object");
    if (IEquals(spec.type, kScheduleTrigger)) {
        spec.type = kScheduleTrigger;
        ADXFLOW_ASSIGN_OR_RETURN(spec.schedule, ParseScheduleTrigger(*tp));
        const Json* pipelines = FindMember(properties, "pipelines");
        if (pipelines && pipelines->is_array())
            for (size_t i = 0; i < pipelines->size(); ++i) {
                ADXFLOW_ASSIGN_OR_RETURN(auto target,
                                         ParseTarget((*pipelines)[i], JoinIndex("properties.pipelines", i)));
                spec.pipelines.push_back(std::move(target));
            }
    } else if (IEquals(spec.type, kTumblingWindowTrigger)) {
        spec.type = kTumblingWindowTrigger;
        ADXFLOW_ASSIGN_OR_RETURN(spec.tumbling, ParseTumblingTrigger(*tp));
        const Json* pipeline = FindMember(properties, "pipeline");
        if (!pipeline || !pipeline->is_object())
            return Invalid(
                "properties.pipeline",
                "is required: a tumbling window trigger starts exactly one pipeline {pipelineReference, "
                "parameters}");
        ADXFLOW_ASSIGN_OR_RETURN(auto target, ParseTarget(*pipeline, "properties.pipeline"));
        spec.pipelines.push_back(std::move(target));
    } else {
        return Invalid("properties.type", "trigger type '" + spec.type +
                                              "' is not supported (ScheduleTrigger, TumblingWindowTrigger)");
    }
    return spec;
}

}  // namespace adxflow::triggers
