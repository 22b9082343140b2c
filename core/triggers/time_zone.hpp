#pragma once
// Trigger time zones: ADF names them with Windows ids ("Pacific Standard Time"); they are mapped to IANA
// zones and their full rule history through ICU (Debian's libicu), so DST transitions are the real ones
// for every year, not a fixed US/EU rule.

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/time.hpp"

namespace adxflow::triggers {

class Zone {
  public:
    // "UTC" (or an empty id) is UTC; anything else must be a Windows id ICU maps to an IANA zone. Errors are
    // kInvalidInput naming the id.
    static Result<std::shared_ptr<const Zone>> FromWindowsId(std::string_view windows_id);
    ~Zone();

    const std::string& windows_id() const { return windows_id_; }
    const std::string& iana_id() const { return iana_id_; }
    bool is_utc() const { return utc_; }

    // Offset of local time from UTC at the instant `utc`.
    std::chrono::milliseconds OffsetAt(TimePoint utc) const;
    // Local wall-clock time of `utc`, as a TimePoint whose civil fields read as the local time.
    TimePoint ToLocal(TimePoint utc) const;
    // The instant of a local wall-clock time. A time in the spring-forward gap does not exist: it is read
    // with the offset before the change (02:30 in a 02:00->03:00 gap is 03:30 daylight time). A time in the
    // autumn overlap happens twice: the first one (daylight time) is taken, so it fires once.
    TimePoint ToUtc(TimePoint local) const;

  private:
    struct Impl;
    Zone() = default;
    std::string windows_id_;
    std::string iana_id_;
    bool utc_ = true;
    std::unique_ptr<Impl> impl_;
};

}  // namespace adxflow::triggers
