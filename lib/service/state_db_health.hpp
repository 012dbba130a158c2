// StateDbHealth: whether the daemon is degraded (its state DB cannot be
// written), when to probe it, and what /healthz answers. Pure: the probe
// itself (store::WriteProbe, I/O) is run by the caller, which reports its
// outcome here; the time comes from a Clock, so the rules are unit-tested in
// virtual time.
//
// Rules:
//  - A probe is due every 10 s while healthy, at every scheduler tick while
//    degraded, and at the next tick after probe_soon() (a run failed: maybe
//    on a state DB write) or keep_unrecorded() (a result could not be written).
//  - A failed probe makes the daemon degraded for its reason (refusal() then
//    says why no run starts); a passed one makes it healthy again.
//  - The results of runs that could not be written are kept and handed back
//    by the next probe that passes, to be recorded then.
//  - /healthz (health()) fails while degraded, and when the scheduler has not
//    ticked for over 30 s, except while the daemon stops.
//
// Threading: one thread (the event loop's); the Clock must outlive it.
//
// Example (the scheduler's tick):
//
//   health.tick();
//   if (health.begin_probe()) {
//     auto probed = co_await on_pool(pool, [&] { return probe.check(clock.wall()); });
//     if (!probed) {
//       if (health.probe_failed(probed.error().message)) log("degraded: ...");
//     } else {
//       auto passed = health.probe_passed();
//       for (const auto& run : passed.unrecorded) co_await record_finish(run);
//     }
//   }
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "metrics/health.hpp"
#include "service/run_summary.hpp"

namespace emsync::service {

class StateDbHealth {
 public:
  // How often the state DB is probed while healthy.
  static constexpr std::chrono::seconds k_probe_interval{10};
  // A scheduler tick older than this fails /healthz (it ticks every second).
  static constexpr std::chrono::seconds k_stalled_loop{30};

  // Healthy, a probe due at once, the scheduler counted as ticking now.
  explicit StateDbHealth(const Clock& clock);

  // The scheduler loop turned now.
  void tick();
  // True when a probe is due now; it counts as started now (the caller runs
  // it and reports with probe_failed() or probe_passed()).
  bool begin_probe();
  // Probe at the next tick, whatever the interval.
  void probe_soon();

  // The probe failed for `reason`: degraded. True when this enters degraded
  // mode (it was healthy), for the caller to log it once.
  bool probe_failed(std::string reason);
  struct Passed {
    std::optional<std::string> recovered_from;  // the reason, when this ends degraded mode
    std::vector<RunSummary> unrecorded;         // to record now
  };
  // The probe passed: healthy.
  Passed probe_passed();
  // `run`'s result could not be written: kept until a probe passes, which
  // is due at the next tick.
  void keep_unrecorded(RunSummary run);

  bool degraded() const { return m_degraded.has_value(); }
  // Why the state DB cannot be written, while degraded.
  const std::optional<std::string>& degraded_reason() const { return m_degraded; }
  // While degraded, the error a request to start a run gets.
  std::optional<Error> refusal() const;
  // What /healthz answers; `stopping`: the daemon is shutting down.
  metrics::Health health(bool stopping) const;

 private:
  const Clock& m_clock;
  std::optional<std::string> m_degraded;
  std::optional<Clock::SteadyTime> m_last_probe;  // none: due at once
  Clock::SteadyTime m_last_tick;
  std::vector<RunSummary> m_unrecorded;
};

}  // namespace emsync::service
