// Quoting untrusted values (a model's cells, an Emarsys reply's text) into
// messages that are stored or shown: rejected rows, errors, replies. A value
// may be megabytes long; what a message quotes of it is bounded, so a hostile
// or broken value cannot bloat the state DB or an admin reply. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace emsync {

// The most bytes of one value a message quotes.
inline constexpr std::size_t k_max_quoted_bytes = 256;

// `value` itself when it has at most `max` bytes; else its first bytes, at
// most `max`, cut before a UTF-8 sequence that would not fit whole, followed
// by a visible marker with the full size: "aaaa…(1048576 bytes)". Adds no
// quotation marks and does not escape. Bytes that are not UTF-8 are cut
// like any other (at most 3 bytes are given back to find a boundary).
std::string quote_value(std::string_view value, std::size_t max = k_max_quoted_bytes);

}  // namespace emsync
