#include "core/triggers/schedule.hpp"

#include <algorithm>

#include "core/expr/datetime_format.hpp"

namespace adxflow::triggers {
namespace {

using expr::AddMonths;
using expr::FromCivil;
using expr::ToCivil;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Periods scanned from the estimated one before giving up (e.g. monthDays [31] every 1000 months).
constexpr long long kMaxPeriods = 4000;

TimePoint DateOf(TimePoint local) {
    auto c = ToCivil(local);
    return FromCivil(c.year, c.month, c.day, 0, 0, 0, 0);
}

int DaysInMonth(int year, int month) {
    TimePoint first = FromCivil(year, month, 1, 0, 0, 0, 0);
    return static_cast<int>((AddMonths(first, 1) - first) / days(1));
}

// Local candidate days of period k for Day/Week/Month frequencies (midnights, local).
std::vector<TimePoint> DaysOfPeriod(const ScheduleSpec& s, long long k) {
    std::vector<TimePoint> out;
    TimePoint start_day = DateOf(s.start_local);
    switch (s.frequency) {
        case Frequency::kDay:
            out.push_back(start_day + days(k * s.interval));
            break;
        case Frequency::kWeek: {
            TimePoint week = start_day - days(ToCivil(start_day).day_of_week) + days(7 * k * s.interval);
            if (s.week_days.empty())
                out.push_back(start_day + days(7 * k * s.interval));
            else
                for (int wd : s.week_days) out.push_back(week + days(wd));
            break;
        }
        case Frequency::kMonth: {
            auto sc = ToCivil(start_day);
            TimePoint month = AddMonths(FromCivil(sc.year, sc.month, 1, 0, 0, 0, 0), k * s.interval);
            auto mc = ToCivil(month);
            int len = DaysInMonth(mc.year, mc.month);
            if (s.month_days.empty() && s.monthly_occurrences.empty()) {
                out.push_back(month + days(std::min(sc.day, len) - 1));
                break;
            }
            for (int d : s.month_days) {
                int day = d > 0 ? d : len + 1 + d;
                if (day >= 1 && day <= len) out.push_back(month + days(day - 1));  // [31] skips short months
            }
            int first_wd = mc.day_of_week;
            for (const auto& occ : s.monthly_occurrences) {
                int first = 1 + (occ.weekday - first_wd + 7) % 7;
                std::vector<int> all;
                for (int d = first; d <= len; d += 7) all.push_back(d);
                if (occ.occurrence == 0) {
                    for (int d : all) out.push_back(month + days(d - 1));
                } else {
                    long long idx = occ.occurrence > 0 ? occ.occurrence - 1
                                                       : static_cast<long long>(all.size()) + occ.occurrence;
                    if (idx >= 0 && idx < static_cast<long long>(all.size()))
                        out.push_back(month + days(all[static_cast<size_t>(idx)] - 1));
                }
            }
            break;
        }
        default:
            break;
    }
    return out;
}

// UTC occurrences of period k, ascending, none before startTime.
std::vector<TimePoint> OccurrencesOfPeriod(const ScheduleSpec& s, long long k) {
    std::vector<TimePoint> out;
    const TimePoint start_utc = s.zone->ToUtc(s.start_local);
    if (s.frequency == Frequency::kMinute || s.frequency == Frequency::kHour) {
        // Fixed intervals in absolute time, whatever the zone does.
        auto step = s.frequency == Frequency::kMinute ? minutes(s.interval) : hours(s.interval);
        TimePoint base = start_utc + k * step;
        if (s.frequency == Frequency::kHour && s.has_schedule && !s.minutes.empty()) {
            // The hour's minutes, counted from the top of the local hour.
            auto lc = ToCivil(s.zone->ToLocal(base));
            TimePoint top = base - minutes(lc.minute) - seconds(lc.second) -
                            std::chrono::duration_cast<TimePoint::duration>(
                                std::chrono::nanoseconds(lc.ticks_of_second * 100));
            for (int m : s.minutes) {
                TimePoint t = top + minutes(m);
                if (!s.hours.empty() && std::find(s.hours.begin(), s.hours.end(),
                                                  ToCivil(s.zone->ToLocal(t)).hour) == s.hours.end())
                    continue;
                out.push_back(t);
            }
        } else {
            out.push_back(base);
        }
    } else {
        auto sc = ToCivil(s.start_local);
        std::vector<int> hrs = s.hours.empty() ? std::vector<int>{sc.hour} : s.hours;
        std::vector<int> mins = s.minutes.empty() ? std::vector<int>{sc.minute} : s.minutes;
        for (TimePoint day : DaysOfPeriod(s, k)) {
            if (!s.has_schedule) {
                // Wall-clock time of startTime, to the fraction.
                out.push_back(s.zone->ToUtc(day + (s.start_local - DateOf(s.start_local))));
                continue;
            }
            for (int h : hrs)
                for (int m : mins)
                    out.push_back(s.zone->ToUtc(day + hours(h) + minutes(m) + seconds(sc.second)));
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    out.erase(std::remove_if(out.begin(), out.end(), [&](TimePoint t) { return t < start_utc; }), out.end());
    return out;
}

// A period index at or before the one holding `t`.
long long EstimatePeriod(const ScheduleSpec& s, TimePoint t) {
    const TimePoint start_utc = s.zone->ToUtc(s.start_local);
    if (t <= start_utc) return 0;
    long long k = 0;
    switch (s.frequency) {
        case Frequency::kMinute:
            k = (t - start_utc) / minutes(s.interval);
            break;
        case Frequency::kHour:
            k = (t - start_utc) / hours(s.interval);
            break;
        case Frequency::kDay:
            k = (t - start_utc) / days(s.interval);
            break;
        case Frequency::kWeek:
            k = (t - start_utc) / days(7LL * s.interval);
            break;
        case Frequency::kMonth: {
            auto a = ToCivil(s.start_local), b = ToCivil(s.zone->ToLocal(t));
            k = ((b.year - a.year) * 12LL + (b.month - a.month)) / s.interval;
            break;
        }
    }
    return std::max<long long>(0, k - 2);
}

}  // namespace

std::optional<TimePoint> FirstOccurrenceAtOrAfter(const ScheduleSpec& spec, TimePoint t) {
    std::optional<TimePoint> end_utc;
    if (spec.end_local) end_utc = spec.zone->ToUtc(*spec.end_local);
    const long long k0 = EstimatePeriod(spec, t);
    for (long long k = k0; k < k0 + kMaxPeriods; ++k) {
        for (TimePoint occ : OccurrencesOfPeriod(spec, k)) {
            if (end_utc && occ >= *end_utc) return std::nullopt;
            if (occ >= t) return occ;
        }
    }
    return std::nullopt;
}

}  // namespace adxflow::triggers
