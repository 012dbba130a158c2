// The run history's pruning cutoff.
#include <catch2/catch.hpp>

#include "service/history_retention.hpp"

TEST_CASE("runs older than run_history_days are pruned; 0 keeps them all", "[history]") {
  emsync::ManualClock clock(1'767'225'600'000);
  CHECK(emsync::service::prune_cutoff(clock, 90) == 1'767'225'600'000 - 90LL * 86'400'000);
  CHECK(emsync::service::prune_cutoff(clock, 1) == 1'767'225'600'000 - 86'400'000);
  CHECK_FALSE(emsync::service::prune_cutoff(clock, 0));
  clock.advance(std::chrono::hours(24));
  CHECK(emsync::service::prune_cutoff(clock, 1) == 1'767'225'600'000);
}
