#include "core/triggers/time_zone.hpp"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <mutex>

#include "core/json.hpp"

namespace adxflow::triggers {

struct Zone::Impl {
    // ICU time zones are not documented as safe for concurrent const use (they cache transitions).
    mutable std::mutex mu;
    std::unique_ptr<icu::BasicTimeZone> tz;
};

namespace {

double ToUDate(TimePoint t) {
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

}  // namespace

Zone::~Zone() = default;

Result<std::shared_ptr<const Zone>> Zone::FromWindowsId(std::string_view windows_id) {
    std::shared_ptr<Zone> zone(new Zone());
    zone->windows_id_ = windows_id.empty() ? "UTC" : std::string(windows_id);
    if (windows_id.empty() || IEquals(windows_id, "UTC") ||
        IEquals(windows_id, "Coordinated Universal Time")) {
        zone->iana_id_ = "Etc/UTC";
        return std::shared_ptr<const Zone>(zone);
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString iana;
    icu::TimeZone::getIDForWindowsID(icu::UnicodeString::fromUTF8(std::string(windows_id)), nullptr, iana,
                                     status);
    if (U_FAILURE(status) || iana.isEmpty())
        return MakeError(ErrorKind::kInvalidInput, "trigger.time_zone",
                         "unknown time zone '" + std::string(windows_id) +
                             "': use a Windows time zone id such as 'UTC', 'Pacific Standard Time' or "
                             "'W. Europe Standard Time'");
    iana.toUTF8String(zone->iana_id_);
    std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(iana));
    auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get());
    if (!basic)
        return MakeError(ErrorKind::kInternal, "trigger.time_zone",
                         "ICU has no transition rules for " + zone->iana_id_);
    tz.release();
    zone->impl_ = std::make_unique<Impl>();
    zone->impl_->tz.reset(basic);
    zone->utc_ = false;
    return std::shared_ptr<const Zone>(zone);
}

std::chrono::milliseconds Zone::OffsetAt(TimePoint utc) const {
    if (utc_) return std::chrono::milliseconds(0);
    std::lock_guard g(impl_->mu);
    int32_t raw = 0, dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    impl_->tz->getOffset(ToUDate(utc), false, raw, dst, status);
    if (U_FAILURE(status)) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(raw + dst);
}

TimePoint Zone::ToLocal(TimePoint utc) const {
    return utc + OffsetAt(utc);
}

TimePoint Zone::ToUtc(TimePoint local) const {
    if (utc_) return local;
    std::lock_guard g(impl_->mu);
    int32_t raw = 0, dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    // FORMER for both cases: the offset in effect before the transition (standard time in the spring gap,
    // daylight time in the autumn overlap), as documented in the header.
    impl_->tz->getOffsetFromLocal(ToUDate(local), UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw, dst,
                                  status);
    if (U_FAILURE(status)) return local;
    return local - std::chrono::milliseconds(raw + dst);
}

}  // namespace adxflow::triggers
