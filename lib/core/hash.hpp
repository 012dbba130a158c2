// Stable 64-bit hashes (XXH3) for change detection and key sets.
//
// Stored in the state DB, so the function must never change between releases:
// changing it would make every contact look changed once.
#pragma once

#include <cstdint>
#include <string_view>

namespace emsync {

std::uint64_t hash64(std::string_view bytes);

// Combines an ordered sequence of hashes into one (order matters).
std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value);

}  // namespace emsync
