// End to end: a schedule starts runs in the daemon, and a pause stored in the
// state DB keeps it from doing so across a restart. When an activation is due
// (intervals, missed slots, one due while running, paused ones) is decided by
// SchedulePlans, unit-tested in virtual time (tests/unit/service).
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json finished_runs(const Daemon& daemon, const std::string& name) {
  json runs = json::array();
  const json all = daemon.ctl_json({"runs", name, "--limit", "100"});
  for (const auto& run : all.at("runs")) {
    if (!run.at("finished_at").is_null()) {
      runs.push_back(run);
    }
  }
  return runs;
}

json wait_for_finished_runs(const Daemon& daemon, const std::string& name, std::size_t count) {
  json runs;
  for (int i = 0; i < 100 && runs.size() < count; ++i) {
    std::this_thread::sleep_for(100ms);
    runs = finished_runs(daemon, name);
  }
  return runs;
}

}  // namespace

TEST_CASE(
    "an 'every 1s' activation runs again and again, one run at a time; paused, it has no "
    "next run, even after a restart, until resumed",
    "[schedule]") {
  TempDir dir("emsync-e2e");
  Simulator sim;
  const json sources = {
      {"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_schedule", 20)}}}};
  const json destinations = {{"emarsys", wsse_destination(sim, dir, std::nullopt)}};
  json scheduled = people_activation("people", "emarsys", all_people_fields());
  scheduled["schedule"] = "every 1s";
  {
    Daemon daemon(dir, sources, destinations);
    daemon.apply(scheduled);
    daemon.apply(people_activation("by-hand", "emarsys", all_people_fields()));

    const json runs = wait_for_finished_runs(daemon, "people", 2);
    REQUIRE(runs.size() >= 2);
    // Newest first: each run started after the previous one finished (RFC 3339
    // seconds compare as text).
    for (std::size_t i = 0; i + 1 < runs.size(); ++i) {
      CHECK(runs[i].at("status") == "succeeded");
      CHECK(runs[i].at("started_at").get<std::string>() >=
            runs[i + 1].at("finished_at").get<std::string>());
    }
    CHECK(runs.back().at("inserted") == 20);
    CHECK(runs.front().at("unchanged") == 20);
    CHECK(daemon.ctl_json({"runs", "by-hand"}).at("runs").empty());

    const auto paused = daemon.ctl({"pause", "people"});
    INFO(paused.stderr_text);
    REQUIRE(paused.exit_code == 0);
    CHECK(paused.stdout_text == "paused people\n");
  }
  Daemon daemon(dir, sources, destinations);
  // The restarted scheduler read the pause from the state DB: no plan.
  const json shown = daemon.ctl_json({"show", "people"});
  CHECK(shown.at("state") == "paused");
  CHECK(shown.at("next_run").is_null());
  const std::size_t runs_when_paused = finished_runs(daemon, "people").size();

  REQUIRE(daemon.ctl({"resume", "people"}).exit_code == 0);
  CHECK_FALSE(daemon.ctl_json({"show", "people"}).at("next_run").is_null());
  const json runs = wait_for_finished_runs(daemon, "people", runs_when_paused + 1);
  REQUIRE(runs.size() >= runs_when_paused + 1);
  CHECK(runs.front().at("status") == "succeeded");
}

}  // namespace emsync::test
