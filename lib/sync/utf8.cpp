#include "sync/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace emsync::sync {

namespace {

// Lead byte → (sequence length, payload bits of the lead byte); length 0 if
// the byte cannot start a sequence.
struct Lead {
  std::size_t length;
  char32_t bits;
};

Lead classify_lead(unsigned char byte) {
  if (byte < 0x80) {
    return {1, byte};
  }
  if ((byte & 0xE0) == 0xC0) {
    return {2, byte & 0x1Fu};
  }
  if ((byte & 0xF0) == 0xE0) {
    return {3, byte & 0x0Fu};
  }
  if ((byte & 0xF8) == 0xF0) {
    return {4, byte & 0x07u};
  }
  return {0, 0};
}

// The smallest code point that needs a sequence of each length (index =
// length), to reject overlong encodings.
constexpr char32_t k_min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};

}  // namespace

std::optional<char32_t> next_code_point(std::string_view text, std::size_t& pos) {
  const Lead lead = classify_lead(static_cast<unsigned char>(text[pos]));
  if (lead.length == 0 || text.size() - pos < lead.length) {
    return std::nullopt;
  }
  char32_t cp = lead.bits;
  for (std::size_t i = 1; i < lead.length; ++i) {
    const auto byte = static_cast<unsigned char>(text[pos + i]);
    if ((byte & 0xC0) != 0x80) {
      return std::nullopt;
    }
    cp = (cp << 6) | (byte & 0x3Fu);
  }
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (cp < k_min_for_length[lead.length] || surrogate || cp > 0x10FFFF) {
    return std::nullopt;
  }
  pos += lead.length;
  return cp;
}

std::optional<std::size_t> utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    // ASCII (most text) eight bytes at a time: one code point per byte.
    std::uint64_t word;
    if (text.size() - pos >= sizeof word) {
      std::memcpy(&word, text.data() + pos, sizeof word);
      if ((word & 0x8080808080808080u) == 0) {
        pos += sizeof word;
        count += sizeof word;
        continue;
      }
    }
    if (!next_code_point(text, pos)) {
      return std::nullopt;
    }
    ++count;
  }
  return count;
}

}  // namespace emsync::sync
