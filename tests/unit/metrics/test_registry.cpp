#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "metrics/registry.hpp"

using emsync::metrics::Registry;

TEST_CASE("renders counters, gauges and histograms in the text format", "[metrics]") {
  Registry registry;
  auto& runs =
      registry.counter("emsync_sync_runs_total", "Runs by status.", {"activation", "status"});
  auto& size = registry.gauge("emsync_state_db_size_bytes", "State DB size.");
  auto& duration = registry.histogram("emsync_sync_run_duration_seconds", "Run duration.", {1, 10},
                                      {"activation"});
  runs.with({"crm", "succeeded"}).add();
  runs.with({"crm", "succeeded"}).add(2);
  runs.with({"ads", "failed"});
  size.with({}).set(4096);
  duration.with({"crm"}).observe(0.5);
  duration.with({"crm"}).observe(10);
  duration.with({"crm"}).observe(42.25);

  CHECK(registry.render() ==
        "# HELP emsync_sync_runs_total Runs by status.\n"
        "# TYPE emsync_sync_runs_total counter\n"
        "emsync_sync_runs_total{activation=\"ads\",status=\"failed\"} 0\n"
        "emsync_sync_runs_total{activation=\"crm\",status=\"succeeded\"} 3\n"
        "# HELP emsync_state_db_size_bytes State DB size.\n"
        "# TYPE emsync_state_db_size_bytes gauge\n"
        "emsync_state_db_size_bytes 4096\n"
        "# HELP emsync_sync_run_duration_seconds Run duration.\n"
        "# TYPE emsync_sync_run_duration_seconds histogram\n"
        "emsync_sync_run_duration_seconds_bucket{activation=\"crm\",le=\"1\"} 1\n"
        "emsync_sync_run_duration_seconds_bucket{activation=\"crm\",le=\"10\"} 2\n"
        "emsync_sync_run_duration_seconds_bucket{activation=\"crm\",le=\"+Inf\"} 3\n"
        "emsync_sync_run_duration_seconds_sum{activation=\"crm\"} 52.75\n"
        "emsync_sync_run_duration_seconds_count{activation=\"crm\"} 3\n");
}

TEST_CASE("a family without labels exists at zero from the start", "[metrics]") {
  Registry registry;
  registry.counter("emsync_x_total", "X.");
  registry.histogram("emsync_y_seconds", "Y.", {0.5});
  CHECK(registry.render() ==
        "# HELP emsync_x_total X.\n# TYPE emsync_x_total counter\nemsync_x_total 0\n"
        "# HELP emsync_y_seconds Y.\n# TYPE emsync_y_seconds histogram\n"
        "emsync_y_seconds_bucket{le=\"0.5\"} 0\nemsync_y_seconds_bucket{le=\"+Inf\"} 0\n"
        "emsync_y_seconds_sum 0\nemsync_y_seconds_count 0\n");
}

TEST_CASE("escapes label values and help texts", "[metrics]") {
  Registry registry;
  auto& family = registry.gauge("emsync_g", "Back\\slash\nnewline \"kept\".", {"activation"});
  family.with({"a\"b\\c\nd"}).set(-1.5);
  CHECK(registry.render() ==
        "# HELP emsync_g Back\\\\slash\\nnewline \"kept\".\n# TYPE emsync_g gauge\n"
        "emsync_g{activation=\"a\\\"b\\\\c\\nd\"} -1.5\n");
}

TEST_CASE("counters only go up; gauges move both ways; large values stay exact", "[metrics]") {
  Registry registry;
  auto& counter = registry.counter("emsync_c_total", "C.").with({});
  counter.add(5);
  counter.add(-3);  // ignored
  CHECK(counter.value() == 5);
  auto& gauge = registry.gauge("emsync_t_seconds", "T.").with({});
  gauge.set(1764356400.125);
  gauge.add(-0.125);
  CHECK(gauge.value() == 1764356400.0);
  CHECK(registry.render().find("emsync_t_seconds 1764356400\n") != std::string::npos);
}

TEST_CASE("remove drops the series of one label value", "[metrics]") {
  Registry registry;
  auto& family = registry.counter("emsync_r_total", "R.", {"activation", "outcome"});
  family.with({"gone", "updated"}).add();
  family.with({"gone", "inserted"}).add();
  family.with({"kept", "updated"}).add();
  family.remove("activation", "gone");
  const std::string text = registry.render();
  CHECK(text.find("gone") == std::string::npos);
  CHECK(text.find("emsync_r_total{activation=\"kept\",outcome=\"updated\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("refuses invalid names, twice-registered names and wrong label counts", "[metrics]") {
  Registry registry;
  CHECK_THROWS_AS(registry.counter("emsync-bad", "B."), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("emsync_g", "G.", {"le"}), std::logic_error);
  CHECK_THROWS_AS(registry.histogram("emsync_h", "H.", {2, 1}), std::logic_error);
  auto& family = registry.counter("emsync_ok_total", "OK.", {"activation"});
  CHECK_THROWS_AS(registry.counter("emsync_ok_total", "Again."), std::logic_error);
  CHECK_THROWS_AS(family.with({"a", "b"}), std::logic_error);
}
