#include "core/quote.hpp"

namespace emsync {
namespace {

bool is_continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

}  // namespace

std::string quote_value(std::string_view value, std::size_t max) {
  if (value.size() <= max) {
    return std::string(value);
  }
  // A UTF-8 sequence is at most 4 bytes: the one at `cut` starts at most 3 before.
  std::size_t cut = max;
  for (int back = 0; back < 3 && cut > 0 && is_continuation(value[cut]); ++back) {
    --cut;
  }
  if (is_continuation(value[cut])) {
    cut = max;  // not UTF-8 here: cut where the limit is
  }
  return std::string(value.substr(0, cut)) + "\u2026(" + std::to_string(value.size()) + " bytes)";
}

}  // namespace emsync
