// What a config reload must respect, on values.
#include <catch2/catch.hpp>

#include "service/reload_check.hpp"

namespace {

using emsync::config::Activation;
using emsync::config::Config;
using emsync::service::check_reload;
using emsync::service::concurrency_after_reload;

Config running_config() {
  Config config;
  config.state_db = "/var/lib/emsync/state.db";
  config.admin_socket = "/run/emsync/admin.sock";
  config.sources["warehouse"] = {};
  config.destinations["emarsys"] = {};
  return config;
}

Activation activation(std::string name, std::string source, std::string destination) {
  Activation a;
  a.name = std::move(name);
  a.source = std::move(source);
  a.destination = std::move(destination);
  return a;
}

}  // namespace

TEST_CASE("a reload may change anything but state_db, admin_socket and metrics_listen",
          "[reload_check]") {
  const Config running = running_config();
  const std::vector<Activation> stored{activation("people", "warehouse", "emarsys")};
  Config next = running;
  next.max_concurrent_runs = 8;
  next.run_history_days = 7;
  next.destinations["second"] = {};
  CHECK(check_reload(running, next, "/etc/emsync/emsyncd.json", stored));

  const std::string expected =
      "/etc/emsync/emsyncd.json: state_db, admin_socket and metrics_listen cannot change while "
      "the daemon runs; restart it to use the new ones";
  for (auto change : {+[](Config& c) { c.state_db += ".moved"; },
                      +[](Config& c) { c.admin_socket = "/tmp/other.sock"; },
                      +[](Config& c) { c.metrics_listen = "127.0.0.1:9999"; }}) {
    Config moved = running;
    change(moved);
    const auto refused = check_reload(running, moved, "/etc/emsync/emsyncd.json", stored);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == emsync::Errc::invalid_input);
    CHECK(refused.error().message == expected);
  }
}

TEST_CASE("a reload keeps the source and destination of every stored activation",
          "[reload_check]") {
  const Config running = running_config();
  const std::vector<Activation> stored{activation("people", "warehouse", "emarsys"),
                                       activation("orders", "warehouse", "emarsys")};
  Config next = running;
  next.sources = {{"lake", {}}};
  next.destinations = {{"elsewhere", {}}};
  const auto refused = check_reload(running, next, "emsyncd.json", stored);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == emsync::Errc::invalid_input);
  // Every missing name, one a line; the remedy once per activation.
  CHECK(refused.error().message ==
        "activation 'people': source 'warehouse' is not in the config (defined: lake)\n"
        "activation 'people': destination 'emarsys' is not in the config (defined: elsewhere)"
        " (delete the activation first, or keep it in the config)\n"
        "activation 'orders': source 'warehouse' is not in the config (defined: lake)\n"
        "activation 'orders': destination 'emarsys' is not in the config (defined: elsewhere)"
        " (delete the activation first, or keep it in the config)");

  CHECK(check_reload(running, next, "emsyncd.json", {}));  // nothing stored: nothing to keep
}

TEST_CASE("max_concurrent_runs rises only as far as the thread pool allows", "[reload_check]") {
  const auto lower = concurrency_after_reload(2, 4);
  CHECK(lower.max_concurrent_runs == 2);
  CHECK_FALSE(lower.warning);
  CHECK(concurrency_after_reload(4, 4).max_concurrent_runs == 4);
  const auto higher = concurrency_after_reload(8, 4);
  CHECK(higher.max_concurrent_runs == 4);
  CHECK(higher.warning ==
        "max_concurrent_runs 8 needs a restart (the thread pool was sized for 4)");
}
