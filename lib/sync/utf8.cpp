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

// The small letter of a capital one fold_case() folds; else `cp`.
char32_t small_letter(char32_t cp) {
  const bool ascii = cp >= U'A' && cp <= U'Z';
  const bool latin1 = cp >= 0xC0 && cp <= 0xDE && cp != 0xD7;
  const bool greek = cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2;
  const bool cyrillic = cp >= 0x410 && cp <= 0x42F;
  if (ascii || latin1 || greek || cyrillic) {
    return cp + 0x20;
  }
  if (cp >= 0x400 && cp <= 0x40F) {  // Ѐ-Џ → ѐ-џ
    return cp + 0x50;
  }
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t start = pos;
    if (const auto cp = next_code_point(text, pos)) {
      append_utf8(out, small_letter(*cp));
    } else {
      out += text[start];  // not UTF-8: kept as it is
      pos = start + 1;
    }
  }
  return out;
}

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
