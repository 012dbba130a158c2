// Canonical decimal text for Emarsys numeric fields. Internal to the sync
// module. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync::sync {

// Emarsys numeric fields hold at most 24 digits.
inline constexpr std::size_t k_max_numeric_digits = 24;

// Rewrites a decimal number ("+12.50", "1e+20", "1.5E-3", ".5") as plain
// decimal text without exponent, sign '+', leading zeros or trailing
// fractional zeros ("12.5", "100000000000000000000", "0.0015", "0.5"); "-0"
// becomes "0". Works on the digits as text, so nothing is rounded.
// Fails (Errc::invalid_input) with a reason phrase to put after the value:
// "is not a number" (also NaN, Infinity) or "has more than 24 digits", where
// digits are the precision of the result: every digit on both sides of the
// point, except the "0" in front of the point of a value below 1.
Result<std::string> normalize_decimal(std::string_view text);

}  // namespace emsync::sync
