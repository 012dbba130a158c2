// RunQueue: which requested runs start now, and which wait. Pure (no I/O, no
// clock), so the coalescing rules are unit-tested on their own.
//
// Rules:
//  - An activation runs at most once at a time.
//  - At most `max_concurrent` runs (of different activations) run at once.
//  - An activation has at most one waiting run: a request made while one
//    waits joins it ("coalesced"), so a schedule that fires during a long
//    run, or ten impatient `emsyncctl run`s, give one run after it.
//  - Waiting runs start in request order, as soon as their activation is
//    idle and a place is free. A waiting run whose activation still runs
//    does not hold back the others behind it.
//
// Example:
//
//   RunQueue queue(2);
//   if (auto joined = queue.waiting_run("crm")) return *joined;  // nothing new to record
//   const std::int64_t id = store.create_run(...);
//   if (queue.submit("crm", id) == RunQueue::Admission::start) start(...);
//   ...
//   for (const auto& next : queue.finish("crm")) start(next.activation, next.run_id);
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace emsync::service {

class RunQueue {
 public:
  enum class Admission { start, wait, coalesced };
  struct Start {
    std::string activation;
    std::int64_t run_id = 0;
    bool operator==(const Start&) const = default;
  };

  explicit RunQueue(std::size_t max_concurrent);

  // The waiting run a new request for `activation` would join, if any.
  std::optional<std::int64_t> waiting_run(const std::string& activation) const;
  // The run of `activation` in progress, if any.
  std::optional<std::int64_t> running_run(const std::string& activation) const;
  std::size_t running_count() const { return m_running.size(); }
  std::size_t waiting_count() const { return m_waiting.size(); }

  // A new run `run_id` was requested for `activation`. `start`: it runs now
  // (the caller starts it); `wait`: it waits; `coalesced`: the activation
  // already had a waiting run, which carries the request (see waiting_run()),
  // and `run_id` is not kept.
  Admission submit(const std::string& activation, std::int64_t run_id);
  // The run of `activation` ended; returns the waiting runs that start now.
  std::vector<Start> finish(const std::string& activation);
  // Removes the waiting run of `activation` (cancel, delete, shutdown) and
  // returns its id.
  std::optional<std::int64_t> withdraw(const std::string& activation);
  // Removes every waiting run (shutdown) and returns them.
  std::vector<Start> withdraw_all();
  // Changes the limit (config reload); returns the runs a higher limit starts.
  std::vector<Start> set_max_concurrent(std::size_t max_concurrent);

 private:
  std::vector<Start> start_what_fits();

  std::size_t m_max_concurrent;
  std::map<std::string, std::int64_t> m_running;  // activation -> run id
  std::deque<Start> m_waiting;                    // in request order
};

}  // namespace emsync::service
