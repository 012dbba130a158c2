// UTF-8 decoding for the checks that count or classify characters (email,
// text length limits, choice labels). Internal to the sync module. Pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace emsync::sync {

// Decodes the code point starting at `pos` and advances `pos` past it.
// Returns std::nullopt (leaving `pos` unchanged) for an invalid sequence:
// truncated, overlong, a surrogate or above U+10FFFF.
// REQUIRES: pos < text.size().
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& pos);

// The number of code points in `text`, or std::nullopt if it is not UTF-8.
std::optional<std::size_t> utf8_length(std::string_view text);

// `text` with its capital letters made small, for comparisons that ignore
// case: A-Z, the Latin-1 letters À-Þ (but ×), Greek Α-Ω and Cyrillic А-Я
// and Ѐ-Џ. Other characters, and bytes that are not UTF-8, are kept as they
// are (so "ß", "İ" or Armenian letters compare exactly).
std::string fold_case(std::string_view text);

}  // namespace emsync::sync
