// Auto-pause and auto-resume policy (issue #4): when an activation whose runs
// keep failing for a reason that will not fix itself stops being scheduled,
// when the daemon checks it again, and which activations it checks. Pure:
// the store, the check (sync::preflight) and the waiting are the caller's;
// the time comes from a Clock, so the rules are unit-tested in virtual time.
//
// Rules:
//  - A run that needs attention extends the activation's failure streak (the
//    store counts it); once the streak reaches auto_pause_after_failures the
//    activation is auto-paused with a reason naming the streak and the last
//    error. A run that does not need attention never pauses it.
//  - Auto-resume checks come every auto_resume_check, counted from the end of
//    the previous round (the first one from the daemon's start); the
//    interval is read at each question, so a reload applies at once.
//  - A round checks the auto-paused activations that are not running.
//
// Threading: one thread (the event loop's); the Clock must outlive it.
//
// Example:
//
//   if (auto reason = auto_pause_reason(streak, config.auto_pause_after_failures, error)) {
//     store.set_auto_paused(name, *reason);
//   }
//   AutoResumeRounds rounds(clock);
//   for (;;) {
//     if (const auto wait = rounds.until_due(config.auto_resume_check); wait > 0ms) {
//       sleep(wait);  // then ask again: a reload may have changed the interval
//       continue;
//     }
//     for (const auto& record : store.list_activations()) {
//       if (AutoResumeRounds::needs_check(record, running(record.name))) check(record);
//     }
//     rounds.round_done();
//   }
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "store/state_store.hpp"

namespace emsync::service {

// Why the activation is auto-paused after a run, or nullopt when it is not:
// `failure_streak` is its streak including this run, `needs_attention` the
// run's error when it failed for a lasting reason.
// "3 runs in a row failed; last error: <error>". REQUIRES: limit >= 1.
std::optional<std::string> auto_pause_reason(int failure_streak, int limit,
                                             const std::optional<std::string>& needs_attention);

class AutoResumeRounds {
 public:
  // The first round is due one interval from now.
  explicit AutoResumeRounds(const Clock& clock);

  // How long until the next round is due with checks every `interval` (zero
  // when due now).
  std::chrono::milliseconds until_due(std::chrono::seconds interval) const;
  // A round ended now: the next one is due one interval from now.
  void round_done();

  // Whether a round checks `record`: auto-paused and not `running` (asked
  // for each record as the round reaches it: runs start meanwhile).
  static bool needs_check(const store::ActivationRecord& record, bool running);

 private:
  const Clock& m_clock;
  Clock::SteadyTime m_last_round;
};

}  // namespace emsync::service
