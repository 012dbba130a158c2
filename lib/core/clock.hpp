// Clock: where emsync reads the time, so that what depends on time (the
// scheduler, auto-pause, the state DB probe, history pruning, the rate
// limiter) takes a Clock and runs in virtual time in its unit tests.
//
// Two readings: wall() for what a person or the state DB sees (schedules,
// run records, retention), steady() for intervals and deadlines (it never
// jumps back). Asio timers still wait in real time: a loop asks its decision
// object "what now?" with the clock's time, and tests call the decision
// object directly with a ManualClock instead of sleeping.
//
// Threading: system_clock() is thread-safe; a ManualClock is read and moved
// by one thread (the test's).
//
// Example:
//
//   ManualClock clock(1'700'000'000'000);   // wall time in Unix ms
//   const Clock::SteadyTime start = clock.steady();
//   clock.advance(std::chrono::seconds(10)); // both readings move
//   REQUIRE(clock.steady() - start == std::chrono::seconds(10));
//   REQUIRE(clock.wall() == 1'700'000'010'000);
#pragma once

#include <chrono>

#include "core/time.hpp"

namespace emsync {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual UnixMillis wall() const = 0;
  virtual SteadyTime steady() const = 0;
};

// The real clocks (std::chrono's system_clock and steady_clock).
const Clock& system_clock();

// A clock that moves only when told. Starts at `wall` and at a steady time
// far from zero (so "never happened" defaults stay in the past).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis wall = 1'767'225'600'000);  // 2026-01-01T00:00:00Z

  UnixMillis wall() const override { return m_wall; }
  SteadyTime steady() const override { return m_steady; }

  // Moves both readings forward. REQUIRES: by >= 0.
  void advance(std::chrono::milliseconds by);
  // Sets the wall reading alone (an NTP step, a DST-free jump); steady stays.
  void set_wall(UnixMillis wall) { m_wall = wall; }

 private:
  UnixMillis m_wall;
  SteadyTime m_steady{std::chrono::hours(24 * 365)};
};

}  // namespace emsync
