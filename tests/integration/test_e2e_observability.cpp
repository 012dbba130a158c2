// End to end: what operators scrape. GET /metrics after runs (counters
// equal to the run report, `promtool check metrics` clean), the run_finished
// log line, and GET /healthz turning 503 while the state DB cannot be
// written (a full file system), with runs refused, then back by itself.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include "support/http.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

HttpResponse get(const Daemon& daemon, const std::string& target) {
  REQUIRE(daemon.metrics_port() != 0);
  return http_request("GET", "127.0.0.1", daemon.metrics_port(), target);
}

// The value of one series ("name{labels}" exactly as exposed), if present.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// The run_finished line of `run_id` in a text log, as key=value pairs.
std::map<std::string, std::string> run_finished_fields(const std::string& log,
                                                       std::int64_t run_id) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" run_finished ") == std::string::npos ||
        line.find(" run_id=" + std::to_string(run_id) + " ") == std::string::npos) {
      continue;
    }
    std::map<std::string, std::string> fields;
    std::istringstream words(line.substr(line.find(" run_finished ") + 14));
    for (std::string word; words >> word;) {
      if (const auto eq = word.find('='); eq != std::string::npos) {
        fields[word.substr(0, eq)] = word.substr(eq + 1);
      }
    }
    return fields;
  }
  return {};
}

// A small tmpfs mounted for the test (needs root, as the suite's runuser
// tests do), lazily unmounted at the end.
class SmallFileSystem {
 public:
  SmallFileSystem(std::filesystem::path path, const std::string& size) : m_path(std::move(path)) {
    std::filesystem::create_directories(m_path);
    const auto mounted =
        run_command({"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", m_path.string()});
    INFO(mounted.stderr_text);
    REQUIRE(mounted.exit_code == 0);
  }
  ~SmallFileSystem() { (void)run_command({"umount", "-l", m_path.string()}); }
  const std::filesystem::path& path() const { return m_path; }
  // Writes a file until the file system is full.
  void fill() const { (void)run_command({"dd", "if=/dev/zero", "of=" + filler(), "bs=1M"}); }
  void free_space() const { std::filesystem::remove(filler()); }

 private:
  std::string filler() const { return (m_path / "filler").string(); }
  std::filesystem::path m_path;
};

}  // namespace

TEST_CASE("a scrape after a run shows the run report's counts, and promtool accepts it",
          "[observability]") {
  TempDir dir("emsync-metrics");
  Simulator sim;
  Daemon daemon(dir, demo_sources(),
                {{"emarsys", wsse_destination(sim, dir, sim.create_list("emsync demo"))}});
  daemon.ctl_json({"apply", source_dir() + "/examples/demo-activation.json"});

  // Before any run, every series of the activation exists at zero.
  const std::string before = get(daemon, "/metrics").body;
  const std::string demo = "activation=\"demo-contacts\"";
  CHECK(sample(before, "emsync_sync_runs_total{" + demo +
                           ",trigger=\"manual\",status=\"succeeded\"}") == 0);
  CHECK(sample(before, "emsync_contacts_total{" + demo + ",outcome=\"inserted\"}") == 0);
  for (const char* read : {"full", "incremental"}) {
    CHECK(sample(before, "emsync_source_rows_read_total{" + demo + ",read=\"" + read + "\"}") == 0);
  }
  CHECK(sample(before, "emsync_sync_last_success_timestamp_seconds{" + demo + "}") == 0);
  CHECK(sample(before, "emsync_state_db_up") == 1);
  CHECK(sample(before, "emsync_build_info{version=\"" EMSYNC_VERSION "\"}") == 1);

  const json first = daemon.run("demo-contacts");
  const json second = daemon.run("demo-contacts");
  const auto scrape = get(daemon, "/metrics");
  REQUIRE(scrape.status == 200);
  const std::string& text = scrape.body;
  for (const char* outcome :
       {"unchanged", "updated", "inserted", "not_found", "rejected", "failed"}) {
    CAPTURE(outcome);
    CHECK(sample(text, "emsync_contacts_total{" + demo + ",outcome=\"" + outcome + "\"}") ==
          first.at(outcome).get<double>() + second.at(outcome).get<double>());
  }
  // Not incremental: every row was read by full reads.
  CHECK(sample(text, "emsync_source_rows_read_total{" + demo + ",read=\"full\"}") ==
        first.at("rows_read").get<double>() + second.at("rows_read").get<double>());
  CHECK(sample(text, "emsync_source_rows_read_total{" + demo + ",read=\"incremental\"}") == 0);
  CHECK(sample(text, "emsync_sync_runs_total{" + demo + ",trigger=\"manual\",status=\"" +
                         first.at("status").get<std::string>() + "\"}") == 2);
  CHECK(sample(text, "emsync_sync_run_duration_seconds_count{" + demo + "}") == 2);
  CHECK(sample(text, "emsync_sync_last_success_timestamp_seconds{" + demo + "}") > 1.7e9);
  CHECK(sample(text,
               "emsync_http_client_requests_total{destination=\"emarsys\",method=\"POST\","
               "endpoint=\"/contact\",code=\"200\"}") >= 1);  // the first run creates
  CHECK(sample(text, "emsync_ratelimit_limit{destination=\"emarsys\"}") == 1000);
  CHECK(sample(text, "process_resident_memory_bytes") > 0);
  CHECK(sample(text, "emsync_state_db_size_bytes") > 0);

  const auto promtool = run_command({"promtool", "check", "metrics"}, text);
  INFO(promtool.stdout_text << promtool.stderr_text);
  CHECK(promtool.exit_code == 0);

  // The canonical line of the first run carries the same counts.
  const auto fields = run_finished_fields(daemon.log(), first.at("run_id").get<std::int64_t>());
  REQUIRE_FALSE(fields.empty());
  CHECK(fields.at("activation") == "demo-contacts");
  CHECK(fields.at("trigger") == "manual");
  CHECK(fields.at("status") == first.at("status"));
  CHECK(fields.at("read") == "full");
  CHECK(first.at("read") == "full");
  for (const char* count :
       {"rows_read", "unchanged", "updated", "inserted", "rejected", "failed", "cursor_null"}) {
    CAPTURE(count);
    CHECK(fields.at(count) == std::to_string(first.at(count).get<std::int64_t>()));
  }
  CHECK(std::stoi(fields.at("http_requests")) >= 1);
  CHECK(std::stoi(fields.at("batches")) >= 1);

  CHECK(get(daemon, "/healthz").status == 200);
  CHECK(get(daemon, "/healthz").body == "ok\n");
  CHECK(get(daemon, "/nothing").status == 404);
}

TEST_CASE(
    "a full state DB file system: runs stop, /healthz 503 and status say why, and the "
    "daemon resumes by itself",
    "[observability][resilience]") {
  constexpr int k_people = 10000;
  TempDir dir("emsync-full");
  const SmallFileSystem fs(dir.path() / "statefs", "24m");
  Simulator sim;
  sim.set_faults({{"rate_slow", 1.0}, {"slow_ms", 150}});
  json destination = wsse_destination(sim, dir, std::nullopt);
  destination["connections"] = 1;
  DaemonOptions options;
  options.extra_config = {{"state_db", (fs.path() / "state.db").string()}};
  Daemon daemon(
      dir,
      {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_full", k_people)}}}},
      {{"emarsys", destination}}, options);
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  CHECK(daemon.ctl_json({"status"}).at("health") == "ok");

  // The disk fills while a run sends its batches.
  REQUIRE(daemon.ctl({"run", "people"}).exit_code == 0);
  REQUIRE(wait_until([&] { return !sim.contacts().empty(); }));
  fs.fill();
  REQUIRE(wait_until([&] { return get(daemon, "/healthz").status == 503; }));
  CHECK_THAT(get(daemon, "/healthz").body,
             Catch::StartsWith("degraded: ") && Catch::Contains("is full"));
  const json status = daemon.ctl_json({"status"}, 1);
  CHECK(status.at("health") == "degraded");
  CHECK_THAT(status.at("degraded_reason").get<std::string>(),
             Catch::Contains((fs.path() / "state.db").string()));
  const auto refused = daemon.ctl({"run", "people", "--wait"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text, Catch::Contains("degraded"));
  CHECK(sample(get(daemon, "/metrics").body, "emsync_state_db_up") == 0);
  REQUIRE(wait_until([&] { return daemon.ctl_json({"status"}, 1).at("runs").empty(); }, 60s));

  // Space comes back: the daemon notices by itself, records the run that
  // failed meanwhile, and the next run delivers exactly the model.
  fs.free_space();
  REQUIRE(wait_until([&] { return get(daemon, "/healthz").status == 200; }, 10s));
  CHECK(daemon.ctl_json({"status"}).at("health") == "ok");
  const json history = daemon.ctl_json({"runs", "people"}).at("runs");
  REQUIRE(history.size() >= 1);
  CHECK(history.at(0).at("status") == "failed");
  sim.set_faults(json::object());
  const json after = daemon.run("people");
  CHECK(after.at("status") == "succeeded");
  CHECK(sim.contacts().size() == k_people);
  CHECK(daemon.run("people").at("unchanged") == k_people);
}

}  // namespace emsync::test
