// SchedulePlans: which scheduled activation is due now, and when each runs
// next. Pure (no I/O, no Asio); the time comes from a Clock, so the scheduler's
// rules are unit-tested in virtual time.
//
// Rules:
//  - Only activations with a schedule other than `manual` that are neither
//    paused nor auto-paused have a plan; the others are never due and have
//    no next run.
//  - The next run follows schedule::next_run() from the activation's latest
//    start: intervals count from the latest start (scheduled or by hand,
//    note_start()), and a schedule missed while the daemon was down (or
//    while the state DB could not be written) is due once, now.
//  - An activation that is due while it runs or waits (not idle) is skipped;
//    once idle it is due once (the missed time collapses into one run).
//  - take_due() gives at most one activation per call, the first by name, and
//    counts it as started now, so it is not due again before its next time.
//
// REQUIRES: the caller parses the schedules (schedule::parse_schedule) and
// passes the latest start it remembers; replace() after every change of the
// stored activations (apply, delete, pause, resume, auto-pause, reload).
//
// Threading: one thread (the event loop's); the Clock must outlive it.
//
// Example:
//
//   SchedulePlans plans(clock);
//   plans.replace({{"crm", *schedule::parse_schedule("every 1h"), false, last_start}});
//   if (auto due = plans.take_due([&](const std::string& name) { return idle(name); })) {
//     request_run(due->activation);  // its next run is 1h from now
//   }
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "schedule/schedule.hpp"

namespace emsync::service {

class SchedulePlans {
 public:
  struct Activation {
    std::string name;
    schedule::Schedule schedule;
    bool paused = false;                   // by hand or auto-paused
    std::optional<UnixMillis> last_start;  // of its latest run, if any
  };
  struct Due {
    std::string activation;
    std::string schedule_text;  // for the log line
  };

  explicit SchedulePlans(const Clock& clock);

  // Whether an activation with this schedule and pause state has a plan (a
  // caller may skip reading the latest start of those that do not).
  static bool is_planned(const schedule::Schedule& schedule, bool paused);

  // Replaces every plan with those of `activations` that is_planned().
  // REQUIRES: names are unique.
  void replace(std::vector<Activation> activations);
  // How many activations have a plan.
  std::size_t size() const { return m_plans.size(); }
  // When `activation` runs next (may be now or earlier: due), or nullopt when
  // it has no plan.
  std::optional<UnixMillis> next_run(const std::string& activation) const;
  // The first activation, by name, that is due now and for which
  // `is_idle(name)` holds; it counts as started now.
  std::optional<Due> take_due(const std::function<bool(const std::string&)>& is_idle);
  // A run of `activation` started at `at`: its next interval counts from
  // there. Nothing happens for an activation without a plan.
  void note_start(const std::string& activation, UnixMillis at);

 private:
  struct Plan {
    schedule::Schedule schedule;
    std::optional<UnixMillis> last_start;
  };
  std::optional<UnixMillis> next_run(const Plan& plan, UnixMillis now) const;

  const Clock& m_clock;
  std::map<std::string, Plan> m_plans;  // by activation
};

}  // namespace emsync::service
