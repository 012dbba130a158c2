// Bounded parsing of untrusted JSON (admin requests, Emarsys and OAuth
// replies, config and activation files).
//
// nlohmann's parser is iterative, but dump(), copies and comparisons recurse
// once per nesting level, so a tree nested 100,000 deep crashes whatever
// touches it next. Every untrusted text goes through parse_json_bounded(),
// which first checks the text in one linear pass with no recursion and no
// allocation: nesting deeper than max_depth, or more than max_values values
// (a bound on the parsed tree's memory), is refused before a tree exists.
// Nothing may parse untrusted text with plain json::parse.
#pragma once

#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync {

inline constexpr std::size_t k_max_json_depth = 64;

struct JsonLimits {
  // Arrays and objects inside each other: "[[1]]" is 2 deep, "1" 0 deep.
  std::size_t max_depth = k_max_json_depth;
  // Values in the whole document (every array, object, string, number,
  // true, false and null); object keys are not counted. A parsed value costs
  // 16 bytes plus its heap part, so this bounds the tree's memory.
  std::size_t max_values = std::numeric_limits<std::size_t>::max();
};

// Checks `text` against `limits` without parsing it (a syntax error is left
// to the parser; a valid document passes exactly when its tree is within
// the limits, since the count of values is an upper bound). Errors are
// Errc::invalid_input: "nested deeper than 64 levels" or "has more than N
// values".
Result<void> check_json_limits(std::string_view text, const JsonLimits& limits);

// Parses `text` as BasicJson (nlohmann::json or nlohmann::ordered_json)
// once check_json_limits() passed. Errors: Errc::invalid_input naming the
// limit; Errc::protocol_error when `text` is not JSON, with nlohmann's
// message and position ("parse error at line 1, column 3: syntax error while
// parsing value - invalid literal; last read: 'x'", which quotes the text:
// callers decide whether to show it). Never throws.
template <class BasicJson = nlohmann::json>
Result<BasicJson> parse_json_bounded(std::string_view text, const JsonLimits& limits = {});

// nlohmann's exception message without its "[json.exception.<kind>] " tag.
std::string json_error_message(const nlohmann::json::exception& error);

template <class BasicJson>
Result<BasicJson> parse_json_bounded(std::string_view text, const JsonLimits& limits) {
  if (auto checked = check_json_limits(text, limits); !checked) {
    return checked.error();
  }
  try {
    return BasicJson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::protocol_error, json_error_message(e));
  }
}

}  // namespace emsync
