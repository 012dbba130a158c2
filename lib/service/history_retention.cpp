#include "service/history_retention.hpp"

namespace emsync::service {

namespace {

constexpr UnixMillis k_millis_per_day = 24 * 60 * 60 * 1000;

}  // namespace

std::optional<UnixMillis> prune_cutoff(const Clock& clock, int run_history_days) {
  if (run_history_days == 0) {
    return std::nullopt;
  }
  return clock.wall() - run_history_days * k_millis_per_day;
}

}  // namespace emsync::service
