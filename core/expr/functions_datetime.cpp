// Date/time functions. Timestamps are strings in and strings out (default format "o",
// 2024-03-15T12:00:00.0000000Z); arithmetic is done on UTC instants with 100-ns precision.

#include <algorithm>
#include <cmath>

#include "core/expr/datetime_format.hpp"
#include "core/expr/functions.hpp"
#include "core/expr/timezones.hpp"

namespace adxflow::expr {
namespace {

using Ticks = std::chrono::duration<long long, std::ratio<1, 10000000>>;

Result<Json> Formatted(TimePoint t, std::span<const Json> args, size_t format_index, const CallEnv& env,
                       bool utc = true) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string format, FormatArg(args, format_index, env));
    auto text = FormatDotNet(t, format, utc);
    if (!text.ok()) return FunctionError(env, text.error().message);
    return Json(std::move(text).value());
}

TimePoint Now(const CallEnv& env) {
    return env.ctx.clock ? env.ctx.clock->Now() : SystemClock::Instance().Now();
}

TimePoint Shift(TimePoint t, double amount, long long ticks_per_unit) {
    const double ticks = amount * static_cast<double>(ticks_per_unit);
    // Beyond ±2^62 ticks (14,600 years) the result is out of range whatever t is; llround would overflow.
    if (!(std::fabs(ticks) < 4.6e18)) return ticks > 0 ? TimePoint::max() : TimePoint::min();
    return AddTicks(t, std::llround(ticks));
}

constexpr long long kSecond = 10000000;
constexpr long long kMinute = 60 * kSecond;
constexpr long long kHour = 60 * kMinute;
constexpr long long kDay = 24 * kHour;

Result<Json> UtcNow(std::span<const Json> args, const CallEnv& env) {
    return Formatted(Now(env), args, 0, env);
}

Result<Json> FormatDateTime(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    return Formatted(t, args, 1, env);
}

template <long long kUnitTicks>
Result<Json> AddUnits(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(double amount, NumberArg(args, 1, env));
    return Formatted(Shift(t, amount, kUnitTicks), args, 2, env);
}

// Adds `amount` of `unit` (Second, Minute, Hour, Day, Week, Month, Year; case-insensitive, plural ok).
Result<TimePoint> AddInterval(TimePoint t, std::span<const Json> args, size_t amount_index, int sign,
                              const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(long long amount, IntArg(args, amount_index, env));
    ADXFLOW_ASSIGN_OR_RETURN(std::string unit, StringArg(args, amount_index + 1, env));
    std::string u = ToLower(unit);
    if (u.size() > 1 && u.back() == 's') u.pop_back();
    // Any amount past a trillion units is out of TimePoint's range anyway; the clamp keeps the sign flip and
    // the year-to-month product below from overflowing.
    amount = std::clamp(amount, -1000000000000LL, 1000000000000LL) * sign;
    if (u == "second") return Shift(t, static_cast<double>(amount), kSecond);
    if (u == "minute") return Shift(t, static_cast<double>(amount), kMinute);
    if (u == "hour") return Shift(t, static_cast<double>(amount), kHour);
    if (u == "day") return Shift(t, static_cast<double>(amount), kDay);
    if (u == "week") return Shift(t, static_cast<double>(amount), 7 * kDay);
    if (u == "month") return AddMonths(t, amount);
    if (u == "year") return AddMonths(t, amount * 12);
    return FunctionError(env, "does not know the time unit " + Show(args[amount_index + 1]) +
                                  " (use Second, Minute, Hour, Day, Week, Month or Year)");
}

Result<Json> AddToTime(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint shifted, AddInterval(t, args, 1, +1, env));
    return Formatted(shifted, args, 3, env);
}

Result<Json> SubtractFromTime(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint shifted, AddInterval(t, args, 1, -1, env));
    return Formatted(shifted, args, 3, env);
}

Result<Json> GetFutureTime(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint shifted, AddInterval(Now(env), args, 0, +1, env));
    return Formatted(shifted, args, 2, env);
}

Result<Json> GetPastTime(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint shifted, AddInterval(Now(env), args, 0, -1, env));
    return Formatted(shifted, args, 2, env);
}

Result<Json> StartOfDay(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    CivilTime c = ToCivil(t);
    return Formatted(FromCivil(c.year, c.month, c.day, 0, 0, 0, 0), args, 1, env);
}

Result<Json> StartOfHour(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    CivilTime c = ToCivil(t);
    return Formatted(FromCivil(c.year, c.month, c.day, c.hour, 0, 0, 0), args, 1, env);
}

Result<Json> StartOfMonth(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    CivilTime c = ToCivil(t);
    return Formatted(FromCivil(c.year, c.month, 1, 0, 0, 0, 0), args, 1, env);
}

Result<Json> DayOfMonth(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    return Json(ToCivil(t).day);
}

Result<Json> DayOfWeek(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    return Json(ToCivil(t).day_of_week);
}

Result<Json> DayOfYear(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    return Json(ToCivil(t).day_of_year);
}

Result<Json> TicksFn(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    return Json(DotNetTicks(t));
}

Result<const TimeZone*> ZoneArg(std::span<const Json> args, size_t i, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(std::string id, StringArg(args, i, env));
    if (const TimeZone* zone = FindTimeZone(id)) return zone;
    return FunctionError(env, "does not know the time zone " + Show(args[i]) +
                                  " (use a Windows id such as 'Pacific Standard Time' or 'UTC')");
}

// convertFromUtc prints local wall-clock time, so the default "o" format has no 'Z'.
Result<Json> ConvertFromUtc(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(const TimeZone* zone, ZoneArg(args, 1, env));
    return Formatted(UtcToLocal(*zone, t), args, 2, env, /*utc=*/false);
}

Result<Json> ConvertToUtc(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(const TimeZone* zone, ZoneArg(args, 1, env));
    return Formatted(LocalToUtc(*zone, t), args, 2, env);
}

Result<Json> ConvertTimeZone(std::span<const Json> args, const CallEnv& env) {
    ADXFLOW_ASSIGN_OR_RETURN(TimePoint t, TimestampArg(args, 0, env));
    ADXFLOW_ASSIGN_OR_RETURN(const TimeZone* source, ZoneArg(args, 1, env));
    ADXFLOW_ASSIGN_OR_RETURN(const TimeZone* destination, ZoneArg(args, 2, env));
    return Formatted(UtcToLocal(*destination, LocalToUtc(*source, t)), args, 3, env, /*utc=*/false);
}

constexpr FunctionSpec kFunctions[] = {
    {"convertFromUtc", 2, 3, ConvertFromUtc},
    {"convertToUtc", 2, 3, ConvertToUtc},
    {"convertTimeZone", 3, 4, ConvertTimeZone},
    {"utcNow", 0, 1, UtcNow},
    {"formatDateTime", 1, 2, FormatDateTime},
    {"addDays", 2, 3, AddUnits<kDay>},
    {"addHours", 2, 3, AddUnits<kHour>},
    {"addMinutes", 2, 3, AddUnits<kMinute>},
    {"addSeconds", 2, 3, AddUnits<kSecond>},
    {"addToTime", 3, 4, AddToTime},
    {"subtractFromTime", 3, 4, SubtractFromTime},
    {"getFutureTime", 2, 3, GetFutureTime},
    {"getPastTime", 2, 3, GetPastTime},
    {"startOfDay", 1, 2, StartOfDay},
    {"startOfHour", 1, 2, StartOfHour},
    {"startOfMonth", 1, 2, StartOfMonth},
    {"dayOfMonth", 1, 1, DayOfMonth},
    {"dayOfWeek", 1, 1, DayOfWeek},
    {"dayOfYear", 1, 1, DayOfYear},
    {"ticks", 1, 1, TicksFn},
};

}  // namespace

std::span<const FunctionSpec> DateTimeFunctions() {
    return kFunctions;
}

}  // namespace adxflow::expr
