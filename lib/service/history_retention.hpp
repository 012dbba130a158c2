// How long run history is kept: the cutoff of the hourly pruning (Service's
// history loop prunes the runs that finished before it, with their rejected
// rows). Pure; the time comes from a Clock.
//
// Rules: runs that finished more than run_history_days days (of 24 h) before
// now are pruned; run_history_days 0 keeps every run.
//
// Example:
//
//   if (auto before = prune_cutoff(clock, config.run_history_days)) prune(*before);
#pragma once

#include <optional>

#include "core/clock.hpp"

namespace emsync::service {

// The finish time before which runs are pruned now, or nullopt when
// `run_history_days` is 0. REQUIRES: run_history_days >= 0.
std::optional<UnixMillis> prune_cutoff(const Clock& clock, int run_history_days);

}  // namespace emsync::service
