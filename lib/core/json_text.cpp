// Hand-written JSON strings (see json_text.hpp).
#include "core/json_text.hpp"

#include <cstdint>
#include <cstring>

namespace emsync {
namespace {

// Whether any of the 8 bytes at `bytes` is a control character, '"' or
// '\\' (SWAR: a zero byte in word ^ pattern, or a byte below 0x20).
bool needs_escape(const char* bytes) {
  constexpr std::uint64_t k_ones = 0x0101010101010101u;
  constexpr std::uint64_t k_highs = 0x8080808080808080u;
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  const auto has_zero = [](std::uint64_t v) { return (v - k_ones) & ~v & k_highs; };
  const std::uint64_t below_space = (word - k_ones * 0x20) & ~word & k_highs;
  return (below_space | has_zero(word ^ (k_ones * '"')) | has_zero(word ^ (k_ones * '\\'))) != 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  std::size_t plain = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Eight bytes at a time while none needs escaping (the usual case).
    while (text.size() - i >= sizeof(std::uint64_t) && !needs_escape(text.data() + i)) {
      i += sizeof(std::uint64_t);
    }
    if (i == text.size()) {
      break;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') {
      continue;
    }
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += k_hex[byte >> 4];
        out += k_hex[byte & 0xF];
    }
  }
  out.append(text.substr(plain));
  out += '"';
}

}  // namespace emsync
