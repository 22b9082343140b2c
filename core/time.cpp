#include "core/time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace adxflow {

void SystemClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                            TimePoint deadline) {
    cv.wait_until(lock, deadline);
}

SystemClock& SystemClock::Instance() {
    static SystemClock clock;
    return clock;
}

SimulatedClock::SimulatedClock(TimePoint start) : now_(start) {}

TimePoint SimulatedClock::Now() const {
    std::lock_guard g(mu_);
    return now_;
}

void SimulatedClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                               TimePoint deadline) {
    {
        std::lock_guard g(mu_);
        if (now_ >= deadline) return;
        waiters_.insert(&cv);
    }
    // A short real-time cap covers a notification sent between our check and the wait below.
    cv.wait_for(lock, std::chrono::milliseconds(20));
    std::lock_guard g(mu_);
    waiters_.erase(waiters_.find(&cv));
}

void SimulatedClock::Advance(std::chrono::nanoseconds by) {
    {
        std::lock_guard g(mu_);
        now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
    }
    WakeAll();
}

void SimulatedClock::Set(TimePoint to) {
    {
        std::lock_guard g(mu_);
        now_ = to;
    }
    WakeAll();
}

void SimulatedClock::WakeAll() {
    std::lock_guard g(mu_);
    for (auto* cv : waiters_) cv->notify_all();
}

namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian); Howard Hinnant's public-domain algorithm.
long long DaysFromCivil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool ReadDigits(std::string_view s, size_t& pos, size_t count, int& out) {
    if (pos + count > s.size()) return false;
    int v = 0;
    for (size_t i = 0; i < count; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    pos += count;
    out = v;
    return true;
}

}  // namespace

std::string FormatTimestamp(TimePoint t) {
    using namespace std::chrono;
    auto ticks = duration_cast<duration<long long, std::ratio<1, 10000000>>>(t.time_since_epoch()).count();
    long long secs = ticks / 10000000;
    long long frac = ticks % 10000000;
    if (frac < 0) {
        frac += 10000000;
        secs -= 1;
    }
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%07lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

std::optional<TimePoint> ParseTimestamp(std::string_view s) {
    size_t p = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!ReadDigits(s, p, 4, y) || p >= s.size() || s[p++] != '-' || !ReadDigits(s, p, 2, mo) ||
        p >= s.size() || s[p++] != '-' || !ReadDigits(s, p, 2, d))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    long long frac_ticks = 0;
    int offset_minutes = 0;
    if (p < s.size() && (s[p] == 'T' || s[p] == ' ')) {
        ++p;
        if (!ReadDigits(s, p, 2, h) || p >= s.size() || s[p++] != ':' || !ReadDigits(s, p, 2, mi))
            return std::nullopt;
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!ReadDigits(s, p, 2, sec)) return std::nullopt;
        }
        if (p < s.size() && s[p] == '.') {
            ++p;
            long long scale = 1000000;
            size_t digits = 0;
            while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                if (digits < 7) {
                    frac_ticks += (s[p] - '0') * scale;
                    scale /= 10;
                }
                ++digits;
                ++p;
            }
            if (digits == 0) return std::nullopt;
        }
        if (p < s.size()) {
            if (s[p] == 'Z' || s[p] == 'z') {
                ++p;
            } else if (s[p] == '+' || s[p] == '-') {
                int sign = s[p] == '-' ? -1 : 1;
                ++p;
                int oh, om = 0;
                if (!ReadDigits(s, p, 2, oh)) return std::nullopt;
                if (p < s.size() && s[p] == ':') ++p;
                if (p < s.size() && !ReadDigits(s, p, 2, om)) return std::nullopt;
                offset_minutes = sign * (oh * 60 + om);
            }
        }
    }
    if (p != s.size() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    long long days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    long long secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_minutes * 60LL;
    using Ticks = std::chrono::duration<long long, std::ratio<1, 10000000>>;
    // TimePoint counts nanoseconds in 64 bits (years 1678..2261). ADF writes 9999-12-31 for "no upper bound"
    // in run filters and expressions, so out-of-range times saturate instead of wrapping around.
    constexpr long long kMaxSecs =
        std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() - 1;
    if (secs >= kMaxSecs) return TimePoint::max();
    if (secs <= -kMaxSecs) return TimePoint::min();
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(Ticks(secs * 10000000 + frac_ticks)));
}

Result<Millis> ParseTimespan(std::string_view s) {
    auto bad = [&] {
        return MakeError(ErrorKind::kInvalidInput, "timespan.parse",
                         "'" + std::string(s) + "' is not a timespan of the form [d.]hh:mm:ss");
    };
    long long days = 0;
    size_t p = 0;
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return bad();
    size_t dot = s.substr(0, colon).find('.');
    if (dot != std::string_view::npos) {
        auto [q, ec] = std::from_chars(s.data(), s.data() + dot, days);
        if (ec != std::errc() || q != s.data() + dot || days < 0) return bad();
        p = dot + 1;
    }
    int h, m, sec;
    if (!ReadDigits(s, p, 2, h) || p >= s.size() || s[p++] != ':' || !ReadDigits(s, p, 2, m) ||
        p >= s.size() || s[p++] != ':' || !ReadDigits(s, p, 2, sec))
        return bad();
    long long ms = 0;
    if (p < s.size() && s[p] == '.') {
        ++p;
        long long scale = 100;
        size_t digits = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
            ms += (s[p] - '0') * scale;
            scale /= 10;
            ++p;
            ++digits;
        }
        if (digits == 0) return bad();
    }
    if (p != s.size() || h > 23 || m > 60 || sec > 60) return bad();
    return Millis(((days * 24 + h) * 60 + m) * 60000LL + sec * 1000LL + ms);
}

std::string FormatTimespan(Millis span) {
    long long ms = span.count();
    long long total_s = ms / 1000;
    long long days = total_s / 86400;
    char buf[48];
    if (days > 0)
        std::snprintf(buf, sizeof buf, "%lld.%02lld:%02lld:%02lld", days, (total_s / 3600) % 24,
                      (total_s / 60) % 60, total_s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", total_s / 3600, (total_s / 60) % 60,
                      total_s % 60);
    return buf;
}

}  // namespace adxflow
