#include "core/hash.hpp"

#include <xxhash.h>

#include <algorithm>
#include <bit>

namespace emsync {

std::uint64_t hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::uint64_t hash64_seeded(std::string_view bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value) {
  const std::uint64_t pair[2] = {seed, value};
  return XXH3_64bits(pair, sizeof pair);
}

void sort_hashes(std::vector<std::uint64_t>& hashes) {
  constexpr std::size_t k_small = 4096;  // below this, std::sort is as fast
  const std::size_t n = hashes.size();
  if (n < k_small) {
    std::sort(hashes.begin(), hashes.end());
    return;
  }
  const auto bits = static_cast<unsigned>(std::min<std::size_t>(std::bit_width(n / 8), 24));
  const unsigned shift = 64 - bits;
  std::vector<std::size_t> starts((std::size_t{1} << bits) + 1, 0);
  for (const std::uint64_t h : hashes) {
    ++starts[(h >> shift) + 1];
  }
  for (std::size_t b = 1; b < starts.size(); ++b) {
    starts[b] += starts[b - 1];
  }
  std::vector<std::uint64_t> placed(n);
  std::vector<std::size_t> next(starts.begin(), starts.end() - 1);
  for (const std::uint64_t h : hashes) {
    placed[next[h >> shift]++] = h;
  }
  for (std::size_t b = 0; b + 1 < starts.size(); ++b) {
    const auto first = placed.begin() + static_cast<std::ptrdiff_t>(starts[b]);
    const auto last = placed.begin() + static_cast<std::ptrdiff_t>(starts[b + 1]);
    if (last - first < 24) {  // insertion sort: a bucket holds about eight
      for (auto it = first; it != last; ++it) {
        const std::uint64_t value = *it;
        auto hole = it;
        for (; hole != first && *(hole - 1) > value; --hole) {
          *hole = *(hole - 1);
        }
        *hole = value;
      }
    } else {
      std::sort(first, last);
    }
  }
  hashes.swap(placed);
}

}  // namespace emsync
