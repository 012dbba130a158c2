// End to end: emsyncd's own guards — one daemon per state DB, --check-config.
#include <catch2/catch.hpp>
#include <fstream>

#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;


}  // namespace

TEST_CASE("a second emsyncd on the same state DB refuses to start and the first keeps serving",
          "[daemon]") {
  TempDir dir("emsync-e2e");
  Simulator sim;
  Daemon first(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});

  // Same state_db, another admin socket.
  json config = daemon_config(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  config["admin_socket"] = (dir.path() / "second.sock").string();
  const CommandResult second = run_emsyncd(dir, config);
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.stderr_text + second.stdout_text,
             Catch::Contains("in use by another emsyncd") && Catch::Contains(first.state_db()));
  CHECK(first.ctl({"ping"}).exit_code == 0);
}

TEST_CASE("--check-config validates a config without starting", "[daemon]") {
  TempDir dir("emsync-e2e");
  const auto path = (dir.path() / "check.json").string();
  auto write = [&](const json& config) { std::ofstream(path) << config.dump(2); };
  json good = daemon_config(dir, demo_sources(), json::object());
  write(good);
  const CommandResult ok = run_command({EMSYNCD_PATH, "--check-config", path});
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.stdout_text, Catch::Contains("ok"));
  CHECK_FALSE(std::filesystem::exists(good.at("state_db").get<std::string>()));

  json bad = good;
  bad["sources"]["demo"]["colour"] = "blue";
  bad.erase("admin_socket");
  write(bad);
  const CommandResult refused = run_command({EMSYNCD_PATH, "--check-config", path});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text,
             Catch::Contains("sources.demo.colour") && Catch::Contains("admin_socket"));
}

}  // namespace emsync::test
