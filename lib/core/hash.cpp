#include "core/hash.hpp"

#include <xxhash.h>

namespace emsync {

std::uint64_t hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::uint64_t hash64_seeded(std::string_view bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value) {
  const std::uint64_t pair[2] = {seed, value};
  return XXH3_64bits(pair, sizeof pair);
}

}  // namespace emsync
