// RunRegistry: every run the daemon knows between its request and its end,
// each one a Run, and the rules that move them along. Pure (no I/O, no clock:
// the caller passes `now`), so the rules are unit-tested with plain values.
//
// A run's life:
//
//   queue() --> waiting --(a place is free)--> running ----> finish()
//                  \--(cancel, delete, shutdown)--> withdrawn --^
//
//  - waiting: requested, not started. An activation has at most one waiting
//    run: a request made while one waits joins it (join(), or queue()
//    answering `coalesced`); a bypassed safety valve (`--force`) carries over,
//    and the waiting run keeps its own trigger and scope. So a schedule that fires during a long
//    run, or ten impatient `emsyncctl run`s, give one run after it.
//  - running: an activation runs at most once at a time, and at most
//    max_concurrent runs (of different activations) run at once. Waiting
//    runs start in request order as soon as their activation is idle and a
//    place is free; a waiting run whose activation still runs does not hold
//    back the others behind it. The methods that may free or add a place
//    (queue, finish, set_max_concurrent) start what fits and return it: the
//    caller then executes those runs.
//  - withdrawn: taken out of the queue before it started. It no longer
//    blocks or joins requests, but stays findable by id (and waitable) until
//    the caller has recorded it and calls finish().
//  - finish(): the run's end is recorded; the run is removed and its waiters
//    are woken, each callback called once, after the registry is consistent.
//
// Invariants (after every method):
//  - each activation has at most one waiting and at most one running run;
//  - no waiting run could start: its activation runs, or running_count()
//    has reached max_concurrent;
//  - running_count() <= max_concurrent, unless set_max_concurrent lowered it
//    (running runs are never stopped for it);
//  - a run's id, activation, trigger and scope never change; its safety
//    valve only turns to bypass; started_at is set exactly while it runs.
//
// Threading: not thread-safe; the event loop owns it. A run's cancel flag and
// progress are atomics, shared with the threads that execute it.
//
// Example:
//
//   RunRegistry runs(2);
//   if (auto joined = runs.join("crm", valve)) return *joined;  // nothing new to record
//   const std::int64_t id = store.create_run(...);
//   auto queued = runs.queue({.id = id, .activation = "crm", .trigger = Trigger::manual}, now);
//   if (queued.admission == RunRegistry::Admission::start) execute(queued.run_id);
//   ...  // once the run has ended and its result is recorded:
//   for (std::int64_t next : runs.finish(id, now)) execute(next);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "service/trigger.hpp"
#include "sync/run_scope.hpp"

namespace emsync::emarsys {
class Client;
}
namespace emsync::sync {
struct RunProgress;
}

namespace emsync::service {

// What a request asks for.
struct RunOrder {
  std::int64_t id = 0;  // its record in the state DB
  std::string activation;
  Trigger trigger = Trigger::manual;
  sync::Scope scope = sync::Scope::changes;                   // full: re-send every row
  sync::SafetyValve safety_valve = sync::SafetyValve::enforce;  // bypass: --force
};

// One run, from its request to its end. Read-only to everyone but its
// RunRegistry; the cancel flag and progress point to shared atomics.
struct Run : RunOrder {
  enum class State { waiting, running, withdrawn };
  using WaiterId = std::uint64_t;

  State state = State::waiting;
  std::optional<UnixMillis> started_at;  // when it left the queue; set while running
  // Set: the run stops (its query at once, its sending at the next batch
  // boundary; status `cancelled`).
  std::shared_ptr<std::atomic<bool>> cancel;
  std::shared_ptr<sync::RunProgress> progress;        // how far it is (emsyncctl status)
  std::shared_ptr<emarsys::Client> client;            // the one it started with (set_client)
  std::map<WaiterId, std::function<void()>> waiters;  // called by finish()
};

class RunRegistry {
 public:
  enum class Admission { start, wait, coalesced };
  struct Queued {
    Admission admission = Admission::wait;
    std::int64_t run_id = 0;  // the run carrying the request (the joined one when coalesced)
  };
  struct Cancelled {
    std::optional<std::int64_t> withdrawn;  // its waiting run, now withdrawn
    std::optional<std::int64_t> running;    // its running run, now asked to stop
  };

  // A max_concurrent of 0 counts as 1.
  explicit RunRegistry(std::size_t max_concurrent);

  // -- lookups: nullptr when there is none; a pointer stays valid until that
  //    run's finish().
  const Run* find(std::int64_t run_id) const;
  const Run* waiting(const std::string& activation) const;
  const Run* running(const std::string& activation) const;
  std::vector<const Run*> running_runs() const;  // by activation
  std::size_t running_count() const;
  std::size_t waiting_count() const { return m_waiting.size(); }
  // "running", "queued" (waiting) or "idle".
  const char* activity(const std::string& activation) const;

  // -- queueing
  // The waiting run of `activation`, if any, joined by a request: a bypassed
  // safety valve (`valve`) carries over to it. nullopt: the request needs a run of its own (queue()).
  std::optional<std::int64_t> join(const std::string& activation, sync::SafetyValve valve);
  // A new run was requested. `start`: it runs now (the caller executes it);
  // `wait`: it waits; `coalesced`: a waiting run of the activation appeared
  // meanwhile and carries the request (join()); `order` is not kept.
  // REQUIRES: order.id is not held.
  Queued queue(RunOrder order, UnixMillis now);
  // Remembers the Emarsys client the run started with; ignored unless it runs.
  void set_client(std::int64_t run_id, std::shared_ptr<emarsys::Client> client);

  // -- cancelling
  // Withdraws the activation's waiting run and asks its running run to stop.
  Cancelled cancel(const std::string& activation);
  // Shutdown: cancel() for every activation. Returns the withdrawn runs, for
  // the caller to record; afterwards nothing starts (no run is left waiting).
  std::vector<std::int64_t> cancel_all();

  // -- finishing
  // The run's end is recorded: removes it, wakes its waiters, and returns the
  // waiting runs that start now (none for a withdrawn run: it held no
  // place). An id it does not hold is ignored.
  std::vector<std::int64_t> finish(std::int64_t run_id, UnixMillis now);
  // Changes the limit (config reload); returns the runs a higher limit starts.
  std::vector<std::int64_t> set_max_concurrent(std::size_t max_concurrent, UnixMillis now);

  // -- waiting for a run's end
  // Calls `wake` once, when the run finishes. nullopt: the run is not held
  // (it has ended, or never was): `wake` is dropped.
  std::optional<Run::WaiterId> add_waiter(std::int64_t run_id, std::function<void()> wake);
  // Forgets a waiter that no longer waits (no effect once its run ended).
  void remove_waiter(std::int64_t run_id, Run::WaiterId waiter);

 private:
  std::vector<std::int64_t> start_what_fits(UnixMillis now);

  std::size_t m_max_concurrent;
  std::map<std::int64_t, Run> m_runs;  // by id
  std::deque<std::int64_t> m_waiting;  // the waiting runs, in request order
  Run::WaiterId m_next_waiter = 1;
};

}  // namespace emsync::service
