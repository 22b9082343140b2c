#pragma once
// Byte encodings and the MAC that Azure Storage authentication needs.

#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace adxflow::azure {

std::string Base64Encode(std::string_view bytes);
// nullopt on characters outside the standard alphabet or bad padding.
std::optional<std::string> Base64Decode(std::string_view text);

// Raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string HmacSha256(std::string_view key, std::string_view message);

// "Tue, 05 Mar 2024 08:09:10 GMT" (RFC 1123), the format of x-ms-date.
std::string FormatHttpDate(TimePoint t);

}  // namespace adxflow::azure
