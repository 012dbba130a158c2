// End to end: emsyncd's own guards — one daemon per state DB, --check-config,
// --check-migrations.
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// "Max core file size  <soft>  <hard>  bytes" from /proc/<pid>/limits.
std::string core_limit_line(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(limits, line);) {
    if (line.starts_with("Max core file size")) {
      return line;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("started from a shell, emsyncd keeps its files private and dumps no core", "[daemon]") {
  TempDir dir("emsync-e2e");
  Simulator sim;
  const mode_t shell_umask = ::umask(022);  // the daemon inherits a shell's umask
  Daemon daemon(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  ::umask(shell_umask);
  json activation = demo_activation("demo");
  activation["insert_new_contacts"] = true;
  daemon.apply(activation);
  REQUIRE(daemon.ctl({"run", "demo", "--wait"}).exit_code == 0);

  const std::filesystem::path db = daemon.state_db();
  CHECK(mode_of(db) == 0600);
  CHECK(mode_of(db.string() + "-wal") == 0600);
  CHECK(mode_of(db.parent_path() / "spool") == 0700);
  CHECK(mode_of(daemon.socket_path()) == 0660);  // on purpose: the socket's group
  const std::string core = core_limit_line(daemon.pid());
  INFO(core);
  CHECK_THAT(core, Catch::Matches("Max core file size\\s+0\\s+0\\s+bytes\\s*"));
}

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

TEST_CASE("--check-migrations reports what the next start migrates and refuses a newer state DB",
          "[daemon]") {
  TempDir dir("emsync-e2e");
  const auto path = (dir.path() / "check.json").string();
  const json config = daemon_config(dir, demo_sources(), json::object());
  std::ofstream(path) << config.dump(2);
  const std::string state_db = config.at("state_db").get<std::string>();
  const auto check = [&] { return run_command({EMSYNCD_PATH, "--check-migrations", path}); };

  const CommandResult none = check();
  CHECK(none.exit_code == 0);
  CHECK_THAT(none.stdout_text, Catch::Contains("no state DB yet"));
  CHECK_FALSE(std::filesystem::exists(state_db));

  const auto set_version = [&](int version) {
    auto db = store::Db::open(state_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(db->exec("PRAGMA user_version = " + std::to_string(version)));
  };
  set_version(10);
  const CommandResult older = check();
  CHECK(older.exit_code == 0);
  CHECK_THAT(older.stdout_text,
             Catch::Contains("schema version 10") && Catch::Contains("011_run_rows.sql"));

  set_version(store::latest_schema_version());
  const CommandResult current = check();
  CHECK(current.exit_code == 0);
  CHECK_THAT(current.stdout_text, Catch::Contains("up to date"));

  set_version(999);
  const CommandResult newer = check();
  CHECK(newer.exit_code == 1);
  CHECK_THAT(newer.stderr_text,
             Catch::Contains("schema version 999") && Catch::Contains("newer than this emsync"));
}

}  // namespace emsync::test
