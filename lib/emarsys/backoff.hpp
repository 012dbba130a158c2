// Exponential backoff with full jitter [pure].
#pragma once

#include <chrono>

namespace emsync::emarsys {

// The delay before retry number `attempt` (1 = the first retry): a uniform
// draw from [0, min(cap, base * 2^(attempt-1))). `draw` is a random number in
// [0, 1) supplied by the caller, so tests pass fixed values.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap, double draw);

}  // namespace emsync::emarsys
