// Timestamps and dates as Emarsys writes them: WSSE "Created" (ISO 8601),
// date field values (YYYY-MM-DD) and contact list "created" stamps.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace emsync::sim {

using Clock = std::chrono::system_clock;

// "2014-03-20T12:51:45Z", with optional fractional seconds and a zone of
// "Z", "+HH:MM" or "+HHMM". A timestamp without a zone is rejected: Emarsys
// would read it in its own zone (CET), so a client sending UTC that way is
// off by an hour or two anyway.
std::optional<Clock::time_point> parse_iso8601(std::string_view text);

// True for exactly "YYYY-MM-DD" naming a real calendar day.
bool is_valid_date(std::string_view text);

// "YYYY-MM-DD HH:MM:SS" in UTC.
std::string format_datetime(Clock::time_point t);

}  // namespace emsync::sim
