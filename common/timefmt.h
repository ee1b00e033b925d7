// Formatting and parsing of the time formats S3 speaks. All UTC. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace strata {

// "20130524T000000Z" (SigV4 x-amz-date).
std::string FormatAmzDate(SysTime t);
std::optional<SysTime> ParseAmzDate(std::string_view s);

// "2009-10-12T17:50:30.000Z" (XML timestamps).
std::string FormatIso8601(SysTime t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff...]Z" and "+00:00" style offsets.
std::optional<SysTime> ParseIso8601(std::string_view s);

// "Wed, 12 Oct 2009 17:50:00 GMT" (HTTP Date, Last-Modified).
std::string FormatHttpDate(SysTime t);
// RFC 1123, RFC 850 and asctime forms, as HTTP/1.1 requires recipients to.
std::optional<SysTime> ParseHttpDate(std::string_view s);

}  // namespace strata
