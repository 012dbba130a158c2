// End to end: what a model's SQL and its values can do to a run of the real
// emsyncd — not escape its one read-only statement, not hold hundreds of MB
// in flight — and the --check-config warning about a weak sslmode.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

// The peak resident memory of a process (VmHWM), in KiB.
long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) {
      return std::stol(line.substr(6));
    }
  }
  FAIL("no VmHWM for " << pid);
  return 0;
}

}  // namespace

TEST_CASE("a model that escapes its statement is refused by apply and changes nothing",
          "[pg_guard]") {
  constexpr int k_rows = 20;
  PeopleSync s("guard_escape", k_rows);
  const PgCluster& pg = PgCluster::shared();
  json activation = people_activation("people", "emarsys", all_people_fields());
  activation["query"] =
      "SELECT email, first_name, last_name, city FROM people) TO STDOUT; COMMIT; "
      "SET statement_timeout = 0; DELETE FROM people; CREATE TABLE planted (x int); COPY (SELECT 1";
  // apply checks the model against the source (no row read), which refuses
  // it; a run of such a text is refused the same way (test_pg_source.cpp).
  const auto refused = s.daemon.ctl({"apply", "-"}, activation.dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text, Catch::Contains("the model must be one read-only SELECT statement"));
  CHECK(s.daemon.ctl_json({"list"}).at("activations").empty());
  CHECK(pg.query("SELECT count(*) FROM people", "guard_escape") == std::to_string(k_rows));
  CHECK(pg.query("SELECT to_regclass('planted') IS NULL", "guard_escape") == "t");

  // The same activation with a plain model syncs every row.
  activation["query"] = "SELECT email, first_name, last_name, city FROM people WHERE active";
  s.daemon.apply(activation);
  const json report = s.daemon.run("people");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("inserted") == k_rows);
}

TEST_CASE("1 MB values stream in a few MB, and a value over 1 MiB rejects only its row",
          "[pg_guard]") {
  constexpr int k_rows = 400;
  PeopleSync s("guard_sizes", k_rows);
  const PgCluster& pg = PgCluster::shared();
  pg.exec("UPDATE people SET city = repeat('x', 1048577) WHERE email = 'person7@example.com';",
          "guard_sizes");
  json activation = people_activation("people", "emarsys", all_people_fields());
  // An unmapped 1,000,000-byte column on every row: 400 MB through the run.
  activation["query"] =
      "SELECT email, first_name, last_name, city, repeat('b', 1000000) AS blob FROM people";
  s.daemon.apply(activation);

  const json report = s.daemon.run("people");
  CHECK(report.at("rows_read") == k_rows);
  CHECK(report.at("rejected") == 1);
  CHECK(report.at("inserted") == k_rows - 1);
  const json errors = s.daemon.ctl_json({"errors", "people"});
  REQUIRE(errors.at("errors").size() == 1);
  const json& rejected = errors.at("errors").at(0);
  CHECK(rejected.at("code") == "value_too_large");
  CHECK_THAT(as_text(rejected.at("message")),
             Catch::Contains("column 'city'") && Catch::Contains("1048576"));
  CHECK_THAT(as_text(rejected.at("row_key")), Catch::StartsWith("row "));
  // Chunks of 256 rows held about a thousand such rows (over 500 MB) in flight.
  CHECK(peak_rss_kib(s.daemon.pid()) < 150 * 1024);
}

TEST_CASE("--check-config warns about a weak sslmode on a remote PostgreSQL host", "[pg_guard]") {
  TempDir dir("emsync-sslmode");
  const auto path = (dir.path() / "check.json").string();
  auto check = [&](const std::string& conninfo) {
    const json sources = {{"warehouse", {{"type", "postgres"}, {"conninfo", conninfo}}}};
    std::ofstream(path) << daemon_config(dir, sources, json::object()).dump(2);
    return run_command({EMSYNCD_PATH, "--check-config", path});
  };
  const CommandResult weak = check("host=db.example.com dbname=dw sslmode=require");
  CHECK(weak.exit_code == 0);
  CHECK_THAT(weak.stdout_text, Catch::Contains("ok"));
  CHECK_THAT(weak.stderr_text, Catch::Contains("warning: sources.warehouse") &&
                                   Catch::Contains("sslmode=require") &&
                                   Catch::Contains("verify-full"));
  for (const char* fine :
       {"host=db.example.com dbname=dw", "host=db.example.com sslmode=verify-full",
        "host=/run/postgresql sslmode=disable", "host=127.0.0.1 sslmode=prefer"}) {
    INFO(fine);
    const CommandResult quiet = check(fine);
    CHECK(quiet.exit_code == 0);
    // Other warnings (the operators group's) may be there, not the source's.
    CHECK_THAT(quiet.stderr_text, !Catch::Contains("sources.warehouse"));
  }
}

}  // namespace emsync::test
