// Stable 64-bit hashes (XXH3) for change detection and key sets.
//
// Stored in the state DB, so the function must never change between releases:
// changing it would make every contact look changed once.
#pragma once

#include <cstdint>
#include <string_view>

namespace emsync {

std::uint64_t hash64(std::string_view bytes);

// hash64 with a seed: hashing values one after the other, each seeded with
// the hash so far, hashes their sequence (("ab", "c") and ("a", "bc") differ).
std::uint64_t hash64_seeded(std::string_view bytes, std::uint64_t seed);

// Combines an ordered sequence of hashes into one (order matters).
std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value);

}  // namespace emsync
