// StateDbHealth in virtual time: when the state DB is probed, degraded mode,
// the results kept meanwhile, and /healthz.
#include <catch2/catch.hpp>

#include "service/state_db_health.hpp"

namespace {

using emsync::ManualClock;
using emsync::service::RunSummary;
using emsync::service::StateDbHealth;
using namespace std::chrono_literals;

RunSummary run(std::int64_t id) {
  RunSummary summary;
  summary.run_id = id;
  summary.activation = "crm";
  return summary;
}

// Ticks once a second for `seconds` seconds; returns how many probes were due.
int probes_over(ManualClock& clock, StateDbHealth& health, int seconds) {
  int probes = 0;
  for (int i = 0; i < seconds; ++i) {
    clock.advance(1s);
    health.tick();
    probes += health.begin_probe() ? 1 : 0;
  }
  return probes;
}

// A daemon whose first tick's probe has begun.
struct Probed {
  ManualClock clock;
  StateDbHealth health{clock};
  Probed() { REQUIRE(health.begin_probe()); }
};

}  // namespace

TEST_CASE("a healthy daemon probes at its first tick, then every 10 s", "[state_db_health]") {
  ManualClock clock;
  StateDbHealth health(clock);
  CHECK(health.begin_probe());
  CHECK_FALSE(health.begin_probe());
  clock.advance(9s);
  CHECK_FALSE(health.begin_probe());
  clock.advance(1s);
  CHECK(health.begin_probe());
  CHECK(probes_over(clock, health, 60) == 6);
  CHECK_FALSE(health.degraded());
  CHECK_FALSE(health.refusal());
  CHECK(health.health(false).ok);
}

TEST_CASE_METHOD(
    Probed,
    "a failed run or result write has the state DB probed at the next tick; the result "
    "is handed back by that probe",
    "[state_db_health]") {
  clock.advance(1s);
  health.probe_soon();  // a run failed
  CHECK(health.begin_probe());
  CHECK_FALSE(health.begin_probe());
  health.keep_unrecorded(run(3));  // its result could not be written
  CHECK(health.begin_probe());
  const auto passed = health.probe_passed();
  CHECK_FALSE(passed.recovered_from);  // it was not degraded
  REQUIRE(passed.unrecorded.size() == 1);
  CHECK(passed.unrecorded[0].run_id == 3);
}

TEST_CASE_METHOD(Probed,
                 "a failed probe degrades the daemon until one passes; every tick probes meanwhile",
                 "[state_db_health]") {
  CHECK(health.probe_failed("the file system of /var/lib/emsync/state.db is full"));
  CHECK(health.degraded());
  CHECK(health.degraded_reason() == "the file system of /var/lib/emsync/state.db is full");
  const auto refusal = health.refusal();
  REQUIRE(refusal);
  CHECK(refusal->code == emsync::Errc::state_error);
  CHECK(refusal->message ==
        "no run starts while the daemon is degraded: the file system of "
        "/var/lib/emsync/state.db is full. Runs start again by themselves once the state DB "
        "can be written.");
  const auto healthz = health.health(false);
  CHECK_FALSE(healthz.ok);
  CHECK(healthz.reason == "degraded: the file system of /var/lib/emsync/state.db is full");

  CHECK(probes_over(clock, health, 5) == 5);
  CHECK_FALSE(health.probe_failed("read-only file system"));  // still degraded: logged once
  CHECK(health.degraded_reason() == "read-only file system");

  const auto passed = health.probe_passed();
  CHECK(passed.recovered_from == "read-only file system");
  CHECK(passed.unrecorded.empty());
  CHECK_FALSE(health.degraded());
  CHECK(health.health(false).ok);
  CHECK(probes_over(clock, health, 20) == 2);  // back to every 10 s
  CHECK_FALSE(health.probe_passed().recovered_from);
}

TEST_CASE_METHOD(Probed,
                 "results of runs that ended while degraded are handed back once a probe passes",
                 "[state_db_health]") {
  REQUIRE(health.probe_failed("disk full"));
  health.keep_unrecorded(run(1));
  health.keep_unrecorded(run(2));
  CHECK(health.probe_failed("disk full") == false);  // kept through failed probes

  const auto passed = health.probe_passed();
  REQUIRE(passed.unrecorded.size() == 2);
  CHECK(passed.unrecorded[0].run_id == 1);
  CHECK(passed.unrecorded[1].run_id == 2);
  CHECK(health.probe_passed().unrecorded.empty());  // handed back once
}

TEST_CASE("/healthz fails when the scheduler has not ticked for over 30 s, except while stopping",
          "[state_db_health]") {
  ManualClock clock;
  StateDbHealth health(clock);
  clock.advance(30s);
  CHECK(health.health(false).ok);
  clock.advance(1s);
  const auto stalled = health.health(false);
  CHECK_FALSE(stalled.ok);
  CHECK(stalled.reason == "the scheduler loop has not turned for 31 s");
  CHECK(health.health(true).ok);
  health.tick();
  CHECK(health.health(false).ok);
}
