// End to end: run queueing and the error paths of emsyncd and emsyncctl
// (exit codes, messages naming what is wrong, nothing half-applied).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <thread>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// emsyncd on the shipped SQLite demo model with a simulator destination.
struct DemoDaemon {
  TempDir dir{"emsync-cli"};
  Simulator sim;
  Daemon daemon{dir,
                {{"demo", {{"type", "sqlite"}, {"path", source_dir() + "/examples/demo.db"}}}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}}};
};

json activations(const Daemon& daemon) { return daemon.ctl_json({"list"}).at("activations"); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sends `line` on the admin socket as it is (emsyncctl would refuse to build
// such a request) and returns the reply line.
std::string raw_admin_exchange(const std::string& socket_path, const std::string& line) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(socket_path.size() < sizeof address.sun_path);
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  for (std::size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::write(fd, line.data() + sent, line.size() - sent);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buffer[4096];
  while (reply.find('\n') == std::string::npos) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace

TEST_CASE("a run requested while another runs is queued once, and both succeed", "[cli][queue]") {
  constexpr int k_rows = 30;
  PeopleSync s("e2e_queue", k_rows);
  json slow = people_activation("people", "emarsys", all_people_fields());
  // Every run reads the model for two seconds: long enough to queue behind it.
  slow["query"] =
      "SELECT email, first_name, last_name, city FROM people CROSS JOIN (SELECT pg_sleep(2)) AS slow";
  s.daemon.apply(slow);

  const json first = s.daemon.ctl_json({"run", "people"});
  CHECK(first.at("queued") == false);
  const json second = s.daemon.ctl_json({"run", "people"});
  CHECK(second.at("queued") == true);
  CHECK(second.at("run_id") != first.at("run_id"));
  const json third = s.daemon.ctl_json({"run", "people"});
  CHECK(third.at("queued") == true);
  CHECK(third.at("run_id") == second.at("run_id"));

  json runs;
  for (int i = 0; i < 300; ++i) {
    runs = s.daemon.ctl_json({"runs", "people"}).at("runs");
    const bool settled = std::none_of(runs.begin(), runs.end(), [](const json& run) {
      return run.at("status") == "queued" || run.at("status") == "running";
    });
    if (settled) {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  INFO(runs.dump(2));
  REQUIRE(runs.size() == 2);  // newest first
  CHECK(runs[0].at("run_id") == second.at("run_id"));
  CHECK(runs[1].at("run_id") == first.at("run_id"));
  CHECK(runs[0].at("status") == "succeeded");
  CHECK(runs[1].at("status") == "succeeded");
  CHECK(runs[1].at("inserted") == k_rows);
  CHECK(runs[0].at("unchanged") == k_rows);
  CHECK(s.sim.contacts().size() == static_cast<std::size_t>(k_rows));
  CHECK(activations(s.daemon).at(0).at("state") == "active");
  CHECK(activations(s.daemon).at(0).at("activity") == "idle");
}

TEST_CASE("emsyncd refuses a config with an unknown key, naming it", "[cli]") {
  TempDir dir("emsync-bad-config");
  json config = daemon_config(dir, {{"demo", {{"type", "sqlite"}, {"path", "demo.db"}}}},
                              json::object());
  config["sources"]["demo"]["colour"] = "blue";
  const auto result = run_emsyncd(dir, config);
  INFO("stderr: " << result.stderr_text);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.stderr_text, "sources.demo.colour"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "emsyncd.sock"));
}

TEST_CASE("emsyncctl exits 3 without a daemon, 2 on bad usage, 1 for an unknown activation",
          "[cli]") {
  const auto unreachable = run_command({EMSYNCCTL_PATH, "--socket", "/nonexistent", "ping"});
  CHECK(unreachable.exit_code == 3);
  CHECK(contains(unreachable.stderr_text, "/nonexistent"));

  DemoDaemon d;
  const auto bogus = d.daemon.ctl({"bogus"});
  CHECK(bogus.exit_code == 2);
  CHECK(contains(bogus.stderr_text, "unknown command 'bogus'"));
  CHECK(contains(bogus.stderr_text, "--help"));
  CHECK(bogus.stdout_text.empty());

  const auto no_such = d.daemon.ctl({"run", "nosuch", "--wait"});
  INFO("stderr: " << no_such.stderr_text);
  CHECK(no_such.exit_code == 1);
  CHECK(contains(no_such.stderr_text, "'nosuch'"));
  CHECK(d.daemon.ctl({"runs", "nosuch"}).exit_code == 1);
  CHECK(d.sim.state().at("requests").empty());
}

TEST_CASE("an invalid activation is refused whole, naming the key, and nothing is applied",
          "[cli]") {
  DemoDaemon d;
  json invalid = demo_activation("broken");
  invalid["colour"] = "blue";

  SECTION("one activation") {
    const auto result = d.daemon.ctl({"apply", "-"}, invalid.dump());
    INFO("stderr: " << result.stderr_text);
    CHECK(result.exit_code == 1);
    CHECK(contains(result.stderr_text, "colour"));
  }

  SECTION("an array whose second activation is invalid applies neither") {
    const auto result =
        d.daemon.ctl({"apply", "-"}, json::array({demo_activation("fine"), invalid}).dump());
    INFO("stderr: " << result.stderr_text);
    CHECK(result.exit_code == 1);
    CHECK(contains(result.stderr_text, "colour"));
    CHECK(d.daemon.ctl({"show", "fine"}).exit_code == 1);
  }

  CHECK(activations(d.daemon).empty());
  CHECK(d.daemon.state_rows("SELECT count(*) FROM activations") == std::vector<std::string>{"0"});
  // The daemon still takes a valid one afterwards.
  CHECK(d.daemon.apply(demo_activation("fine")) ==
        json::array({{{"name", "fine"}, {"action", "created"}}}));
}

TEST_CASE("an apply request nested 100,000 levels deep is refused; the daemon goes on",
          "[cli][hostile]") {
  DemoDaemon d;
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const std::string line =
      R"({"protocol":1,"method":"apply","params":{"activations":)" + deep + "}}\n";
  REQUIRE(line.size() < 1024 * 1024);  // under the frame limit
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::string reply = raw_admin_exchange(d.daemon.socket_path(), line);
    INFO("reply: " << reply.substr(0, 300));
    REQUIRE_FALSE(reply.empty());
    const json response = json::parse(reply);
    CHECK(response.at("ok") == false);
    CHECK(response.at("error").at("code") == "invalid_input");
    CHECK(contains(response.at("error").at("message").get<std::string>(), "nested deeper than 64"));
  }
  CHECK(::kill(d.daemon.pid(), 0) == 0);
  CHECK(d.daemon.ctl({"ping"}).exit_code == 0);
  CHECK(activations(d.daemon).empty());
  CHECK(d.daemon.apply(demo_activation("fine")) ==
        json::array({{{"name", "fine"}, {"action", "created"}}}));
}

TEST_CASE(
    "an apply refused for its cron schedule is an ordinary error, audited; a huge step "
    "selects the range's start",
    "[cli][schedule]") {
  DemoDaemon d;
  json overflowing = demo_activation("steps");
  overflowing["schedule"] = "cron 50-59/2147483648 * * * *";  // over INT_MAX: refused
  const auto refused = d.daemon.ctl({"apply", "-"}, overflowing.dump());
  INFO("stderr: " << refused.stderr_text);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.stderr_text, "step '2147483648' must be a whole number of at least 1"));
  CHECK(d.daemon.ctl({"ping"}).exit_code == 0);
  const json entries = d.daemon.ctl_json({"audit"}).at("entries");
  INFO(entries.dump(2));
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.at(0).at("method") == "apply");
  CHECK(entries.at(0).at("outcome") == "invalid_input");
  CHECK(contains(entries.at(0).at("detail").get<std::string>(), "2147483648"));

  overflowing["schedule"] = "cron 50-59/2147483600 * * * *";  // overflowed before the fix
  CHECK(d.daemon.apply(overflowing) == json::array({{{"name", "steps"}, {"action", "created"}}}));
  CHECK(d.daemon.ctl_json({"show", "steps"}).dump().find("2147483600") != std::string::npos);
}

TEST_CASE(
    "a stored definition that no longer parses (after a downgrade) is listed and shown with "
    "its error, not scheduled, and a run of it fails with that error",
    "[cli]") {
  TempDir dir("emsync-cli");
  Simulator sim;
  const json destinations = {{"emarsys", wsse_destination(sim, dir, std::nullopt)}};
  std::optional<Daemon> daemon(std::in_place, dir, demo_sources(), destinations);
  daemon->apply(json::array({demo_activation("fine"), demo_activation("newer")}));
  const std::string state_db = daemon->state_db();
  daemon.reset();
  // As a newer emsync would store it: with a key this version does not know.
  json newer = demo_activation("newer");
  newer["batch_hint"] = 7;
  const std::string update =
      "UPDATE activations SET definition = '" + newer.dump() + "' WHERE name = 'newer'";
  REQUIRE(run_command({"sqlite3", state_db, update}).exit_code == 0);
  daemon.emplace(dir, demo_sources(), destinations);

  const json list = activations(*daemon);
  INFO(list.dump(2));
  REQUIRE(list.size() == 2);
  CHECK(list.at(0).at("state") == "active");
  CHECK(list.at(0).at("definition_error").is_null());
  const json& invalid = list.at(1);
  CHECK(invalid.at("name") == "newer");
  CHECK(invalid.at("state") == "invalid");
  CHECK(contains(invalid.at("definition_error").get<std::string>(), "unknown key 'batch_hint'"));
  CHECK(invalid.at("source").is_null());
  CHECK(invalid.at("schedule").is_null());
  CHECK(invalid.at("destination") == "emarsys");
  CHECK(contains(daemon->ctl({"list"}).stdout_text, "invalid"));

  const json show = daemon->ctl_json({"show", "newer"});
  CHECK(show.at("definition").is_null());
  CHECK(show.at("stored_definition") == newer.dump());
  CHECK(show.at("definition_error") == invalid.at("definition_error"));
  CHECK(contains(daemon->ctl({"show", "newer"}).stdout_text, "definition (not valid: "));
  CHECK(contains(daemon->log(), "activation newer is not scheduled: "));
  const json counts = daemon->ctl_json({"status"}).at("activations");
  CHECK(counts.at("active") == 1);
  CHECK(counts.at("invalid") == 1);
  CHECK(contains(daemon->ctl({"status"}).stdout_text, "1 invalid"));

  const json report = daemon->run("newer", {}, 1);
  CHECK(report.at("status") == "failed");
  CHECK(report.at("error") == invalid.at("definition_error"));
}

}  // namespace emsync::test
