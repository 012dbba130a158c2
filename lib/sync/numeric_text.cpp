#include "sync/numeric_text.hpp"

#include <algorithm>
#include <cstdint>

namespace emsync::sync {

namespace {

// Exponents beyond this can only give more than 24 digits (for a non-zero
// mantissa), so parsing stops there instead of building huge strings.
constexpr std::int64_t k_max_exponent = 1000;

// A decimal number split into its parts: value = sign digits × 10^(point -
// digits.size()), i.e. the decimal point sits after `point` digits.
struct Parsed {
  bool negative = false;
  std::string digits;
  std::int64_t point = 0;
};

std::size_t take_digits(std::string_view text, std::size_t pos, std::string& out) {
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    out += text[pos++];
  }
  return pos;
}

// Reads the digits of an exponent, saturating just above k_max_exponent.
std::size_t take_exponent(std::string_view text, std::size_t pos, std::int64_t& exponent) {
  const bool negative = pos < text.size() && text[pos] == '-';
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    ++pos;
  }
  std::string digits;
  pos = take_digits(text, pos, digits);
  if (digits.empty()) {
    return std::string_view::npos;
  }
  exponent = 0;
  for (char c : digits) {
    exponent = std::min(exponent * 10 + (c - '0'), k_max_exponent + 1);
  }
  exponent = negative ? -exponent : exponent;
  return pos;
}

// Parses "[+-]digits[.digits][(e|E)[+-]digits]"; false when it is not one.
// `huge` is set for an exponent beyond ±k_max_exponent.
bool parse(std::string_view text, Parsed& out, bool& huge) {
  std::size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    out.negative = text[pos++] == '-';
  }
  pos = take_digits(text, pos, out.digits);
  out.point = static_cast<std::int64_t>(out.digits.size());
  if (pos < text.size() && text[pos] == '.') {
    pos = take_digits(text, pos + 1, out.digits);
  }
  if (out.digits.empty()) {
    return false;
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    std::int64_t exponent = 0;
    pos = take_exponent(text, pos + 1, exponent);
    huge = exponent > k_max_exponent || exponent < -k_max_exponent;
    out.point += exponent;
  }
  return pos == text.size();
}

// Places the decimal point, padding with zeros, then trims redundant zeros.
std::string to_plain(const Parsed& p, std::size_t& precision) {
  const auto size = static_cast<std::int64_t>(p.digits.size());
  std::string integer;
  std::string fraction;
  if (p.point <= 0) {
    fraction = std::string(static_cast<std::size_t>(-p.point), '0') + p.digits;
  } else if (p.point >= size) {
    integer = p.digits + std::string(static_cast<std::size_t>(p.point - size), '0');
  } else {
    integer = p.digits.substr(0, static_cast<std::size_t>(p.point));
    fraction = p.digits.substr(static_cast<std::size_t>(p.point));
  }
  integer.erase(0, integer.find_first_not_of('0'));
  fraction.erase(fraction.find_last_not_of('0') + 1);
  precision = integer.size() + fraction.size();
  std::string result = p.negative ? "-" : "";
  result += integer.empty() ? "0" : integer;
  if (!fraction.empty()) {
    result += '.';
    result += fraction;
  }
  return result;
}

}  // namespace

Result<std::string> normalize_decimal(std::string_view text) {
  Parsed parsed;
  bool huge = false;
  if (!parse(text, parsed, huge)) {
    return make_error(Errc::invalid_input, "is not a number");
  }
  if (parsed.digits.find_first_not_of('0') == std::string::npos) {
    return std::string("0");
  }
  std::size_t precision = 0;
  std::string plain = huge ? std::string() : to_plain(parsed, precision);
  if (huge || precision > k_max_numeric_digits) {
    return make_error(Errc::invalid_input, "has more than 24 digits");
  }
  return plain;
}

}  // namespace emsync::sync
