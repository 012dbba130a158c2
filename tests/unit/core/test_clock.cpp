#include <catch2/catch.hpp>

#include "core/clock.hpp"

using namespace emsync;
using namespace std::chrono_literals;

TEST_CASE("ManualClock moves both readings only when told") {
  ManualClock clock(1'700'000'000'000);
  const Clock::SteadyTime start = clock.steady();
  REQUIRE(clock.wall() == 1'700'000'000'000);
  REQUIRE(clock.steady() == start);
  clock.advance(10s);
  REQUIRE(clock.wall() == 1'700'000'010'000);
  REQUIRE(clock.steady() - start == 10s);
  clock.set_wall(1'600'000'000'000);  // a step back of the wall clock
  REQUIRE(clock.wall() == 1'600'000'000'000);
  REQUIRE(clock.steady() - start == 10s);
  REQUIRE(clock.steady() > Clock::SteadyTime{});  // "never" defaults are in the past
}

TEST_CASE("system_clock reads the real clocks") {
  const Clock& clock = system_clock();
  const UnixMillis before = now_millis();
  const UnixMillis read = clock.wall();
  REQUIRE(read >= before);
  REQUIRE(read - before < 60'000);
  const auto steady = clock.steady();
  REQUIRE(clock.steady() >= steady);
}
