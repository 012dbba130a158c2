// End to end: activations run on their own schedules, never overlapping.
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

}  // namespace

TEST_CASE("an 'every 2s' activation runs again and again, one run at a time", "[schedule]") {
  PeopleSync s("e2e_schedule", 20);
  json scheduled = people_activation("people", "emarsys", all_people_fields());
  scheduled["schedule"] = "every 2s";
  json manual = people_activation("by-hand", "emarsys", all_people_fields());
  s.daemon.apply(scheduled);
  s.daemon.apply(manual);

  json runs;
  for (int i = 0; i < 200 && runs.size() < 3; ++i) {
    std::this_thread::sleep_for(100ms);
    runs = finished_runs(s.daemon, "people");
  }
  REQUIRE(runs.size() >= 3);
  // Newest first: each run started after the previous one finished (RFC 3339
  // seconds compare as text).
  for (std::size_t i = 0; i + 1 < runs.size(); ++i) {
    CHECK(runs[i].at("status") == "succeeded");
    CHECK(runs[i].at("started_at").get<std::string>() >=
          runs[i + 1].at("finished_at").get<std::string>());
  }
  const json& first = runs.back();
  CHECK(first.at("inserted") == 20);
  CHECK(runs.front().at("unchanged") == 20);
  CHECK(s.daemon.ctl_json({"runs", "by-hand"}).at("runs").empty());
}

}  // namespace emsync::test

namespace emsync::test {

TEST_CASE("a paused activation is not started by its schedule, even after a restart",
          "[schedule]") {
  TempDir dir("emsync-e2e");
  Simulator sim;
  const json sources = {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_pause", 10)}}}};
  const json destinations = {{"emarsys", wsse_destination(sim, dir, std::nullopt)}};
  json scheduled = people_activation("people", "emarsys", all_people_fields());
  scheduled["schedule"] = "every 1s";
  {
    Daemon daemon(dir, sources, destinations);
    daemon.apply(scheduled);
    const auto paused = daemon.ctl({"pause", "people"});
    INFO(paused.stderr_text);
    REQUIRE(paused.exit_code == 0);
    CHECK(paused.stdout_text == "paused people\n");
  }
  Daemon daemon(dir, sources, destinations);
  // At most one run started before the pause; it has ended by now.
  const std::size_t runs_when_paused = finished_runs(daemon, "people").size();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(finished_runs(daemon, "people").size() == runs_when_paused);
  const json list = daemon.ctl_json({"list"});
  CHECK(list.at("activations").at(0).at("state") == "paused");

  REQUIRE(daemon.ctl({"resume", "people"}).exit_code == 0);
  json runs;
  for (int i = 0; i < 100 && runs.size() < runs_when_paused + 2; ++i) {
    std::this_thread::sleep_for(100ms);
    runs = finished_runs(daemon, "people");
  }
  CHECK(runs.size() >= runs_when_paused + 2);
}

}  // namespace emsync::test
