// Calendar dates as Emarsys date fields take them ("YYYY-MM-DD"). Internal
// to the sync module. Pure.
#pragma once

#include <optional>
#include <string_view>

namespace emsync::sync {

// True for "YYYY-MM-DD" naming a real day of years 0001-9999 (proleptic
// Gregorian, leap years included).
bool is_valid_date(std::string_view ymd);

// The date that `text` starts with, when it is a valid date followed by
// nothing, ' ' or 'T' (a timestamp such as "2024-02-29 10:00:00" or
// "2024-02-29T10:00:00Z"); std::nullopt otherwise, also for BC dates.
std::optional<std::string_view> leading_date(std::string_view text);

}  // namespace emsync::sync
