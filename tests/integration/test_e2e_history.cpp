// End to end: run reports — run history retention (run_history_days),
// hashed row keys of rejected rows (rejected_row_keys), `show` and `runs`
// reporting the same counts, and how runs read their model (full or
// incremental, the watermark) as `show` and `runs` tell it.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "store/sqlite.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* const k_demo = "demo-contacts";


void apply_demo(const Daemon& daemon) {
  daemon.ctl_json({"apply", source_dir() + "/examples/demo-activation.json"});
}

// Runs `sql` on the state DB read-write, beside the running daemon.
void write_state_db(const Daemon& daemon, const std::string& sql) {
  auto db = store::Db::open(daemon.state_db(), SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  db->set_busy_timeout(5000);
  REQUIRE(db->exec(sql));
}

std::vector<std::int64_t> run_ids(const Daemon& daemon) {
  const json runs = daemon.ctl_json({"runs", k_demo});
  std::vector<std::int64_t> ids;
  for (const auto& run : runs.at("runs")) {
    ids.push_back(run.at("run_id").get<std::int64_t>());
  }
  return ids;
}

// The operator's recipe of the README: printf %s EMAIL | sha256sum | cut -c1-16
std::string operator_hash(const std::string& email) {
  const CommandResult hashed =
      run_command({"sh", "-c", "printf %s \"$0\" | sha256sum | cut -c1-16", email});
  REQUIRE(hashed.exit_code == 0);
  return hashed.stdout_text.substr(0, hashed.stdout_text.find('\n'));
}

}  // namespace

TEST_CASE(
    "runs finished more than run_history_days ago are pruned with their rejected rows at "
    "start-up; the latest run, the contact state and the audit log stay",
    "[history]") {
  TempDir dir("emsync-history");
  Simulator sim;
  const json destinations = {{"emarsys", wsse_destination(sim, dir, sim.create_list("demo"))}};
  std::optional<Daemon> daemon(std::in_place, dir, demo_sources(), destinations);
  apply_demo(*daemon);
  for (int run = 0; run < 4; ++run) {
    CHECK(daemon->run(k_demo).at("rejected") == 4);
  }
  const std::vector<std::int64_t> ids = run_ids(*daemon);  // newest first
  REQUIRE(ids.size() == 4);

  // Every run finished 100 days ago (the default keeps 90).
  write_state_db(*daemon, "UPDATE runs SET finished_at = finished_at - 100 * 86400000");
  daemon.reset();
  daemon.emplace(dir, demo_sources(), destinations);
  for (int i = 0; i < 100 && run_ids(*daemon).size() > 1; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  CHECK(run_ids(*daemon) == std::vector{ids.front()});
  CHECK(daemon->state_rows("SELECT count(*) FROM rejections") == std::vector<std::string>{"4"});
  CHECK(daemon->state_rows("SELECT DISTINCT run_id FROM rejections") ==
        std::vector{std::to_string(ids.front())});
  CHECK_THAT(daemon->log(), Catch::Contains("run history: pruned 3 run(s) and 12 rejected row(s)"));
  CHECK(daemon->ctl_json({"show", k_demo}).at("contacts") == 11);
  CHECK(daemon->ctl_json({"audit"}).at("entries").size() >= 5);  // apply and 4 runs

  // A run after the restart is unchanged: nothing was forgotten but history.
  CHECK(daemon->run(k_demo).at("unchanged") == 11);
}

TEST_CASE(
    "with rejected_row_keys hashed, rejected and parked rows keep the email's hash, never "
    "the email; show and runs report the same counts",
    "[history]") {
  TempDir dir("emsync-hashed");
  Simulator sim;
  const std::string invalid_data = "ada.lovelace@example.com";
  const std::string poison = "alan.turing@example.com";  // Emarsys quotes it in its reply
  sim.set_faults(
      {{"contact_errors", {{invalid_data, {{"code", "2007"}, {"message", "Invalid date format"}}}}},
       {"poison", {poison}}});
  Daemon daemon(
      dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, sim.create_list("demo"))}},
      {.extra_config = {{"rejected_row_keys", "hashed"}, {"park_after_rejections", 1}}, .env = {}});
  apply_demo(daemon);

  const json report = daemon.run(k_demo);
  CHECK(report.at("inserted") == 9);
  CHECK(report.at("rejected") == 6);
  const json first_errors = daemon.ctl_json({"errors", k_demo});
  std::multiset<std::string> keys;
  for (const auto& e : first_errors.at("errors")) {
    keys.insert(as_text(e.at("code")) + " " + as_text(e.at("row_key")));
  }
  const std::string twin = operator_hash("twin@example.com");
  CHECK(keys == std::multiset<std::string>{"2007 " + operator_hash(invalid_data),
                                           "2005 " + operator_hash(poison),
                                           "duplicate_email " + twin, "duplicate_email " + twin,
                                           "invalid_email row 12", "missing_email row 13"});

  // show gives the latest run with the counts runs gives for it.
  const json shown = daemon.ctl_json({"show", k_demo}).at("last_run");
  const json listed = daemon.ctl_json({"runs", k_demo}).at("runs").at(0);
  for (const char* key : {"run_id", "status", "read", "watermark", "read_from", "rows_read",
                          "unchanged", "updated", "inserted", "not_found", "rejected", "failed",
                          "cursor_null"}) {
    INFO(key);
    CHECK(shown.at(key) == listed.at(key));
    CHECK(shown.at(key) == report.at(key));
  }

  // Second run: both contacts Emarsys rejected are parked, listed by hash.
  CHECK(daemon.run(k_demo).at("rejected") == 6);
  const json second_errors = daemon.ctl_json({"errors", k_demo});
  std::set<std::string> parked;
  for (const auto& e : second_errors.at("errors")) {
    if (e.at("code") == "parked") {
      parked.insert(as_text(e.at("row_key")));
    }
  }
  CHECK(parked == std::set<std::string>{operator_hash(invalid_data), operator_hash(poison)});

  // No email in the run history: no key holds an '@', no message an address
  // (the invalid_email message quotes a literal '@': "has no '@'").
  CHECK(daemon.state_rows("SELECT count(*) FROM rejections") == std::vector<std::string>{"12"});
  CHECK(daemon
            .state_rows("SELECT row_key || ' ' || message FROM rejections WHERE row_key LIKE "
                        "'%@%' OR message GLOB '*[A-Za-z0-9.]@*'")
            .empty());
}

TEST_CASE(
    "show tells an incremental activation's cursor, lookback, watermark and last full read, "
    "and what such a read cannot see; runs tells how each run read",
    "[history]") {
  TempDir dir("emsync-incremental-report");
  Simulator sim;
  Daemon daemon(dir, demo_sources(),
                {{"emarsys", wsse_destination(sim, dir, sim.create_list("demo"))}});
  json activation = demo_activation(k_demo);
  activation["query"] = "SELECT email, first_name, birth_date FROM customers";
  activation["incremental"] = {{"cursor_column", "birth_date"}};
  daemon.apply(activation);

  const json fresh = daemon.ctl_json({"show", k_demo}).at("incremental");
  CHECK(fresh.at("cursor_column") == "birth_date");
  CHECK(fresh.at("lookback") == "15m");
  CHECK(fresh.at("full_every") == "1d");
  CHECK(fresh.at("watermark").is_null());
  CHECK(fresh.at("last_full_read_at").is_null());
  CHECK_THAT(fresh.at("cannot_see").get<std::string>(),
             Catch::Contains("deleted") && Catch::Contains("NULL"));

  // Where the reads stand, as a run leaves it (the store's own table).
  write_state_db(daemon,
                 "INSERT INTO read_state (activation_id, cursor_type, watermark, "
                 "last_full_read_at, fingerprint) SELECT id, 'date', '1943-02-04', "
                 "1764669600000, 0 FROM activations WHERE name = 'demo-contacts'");
  const json stored = daemon.ctl_json({"show", k_demo}).at("incremental");
  CHECK(stored.at("watermark") == "1943-02-04");
  CHECK(stored.at("last_full_read_at") == "2025-12-02T10:00:00Z");
  const std::string shown = daemon.ctl({"show", k_demo}).stdout_text;
  CHECK_THAT(shown, Catch::Contains("cursor_column:") && Catch::Contains("birth_date") &&
                        Catch::Contains("1943-02-04") && Catch::Contains("2025-12-02T10:00:00Z") &&
                        Catch::Contains("cannot_see:"));

  const json report = daemon.run(k_demo);
  CHECK(report.at("cursor_null").is_number_integer());
  const std::string first = std::to_string(report.at("run_id").get<std::int64_t>());
  CHECK_THAT(daemon.ctl({"runs", k_demo}).stdout_text,
             Catch::Contains("READ  ROWS_READ") && Catch::Contains(" full ") &&
                 !Catch::Contains("WATERMARK"));
  // An incremental run, as the run records it (StateStore::set_run_read).
  write_state_db(daemon,
                 "UPDATE runs SET read = 'incremental', watermark = '1943-02-04', "
                 "read_from = '1943-02-03' WHERE id = " +
                     first);
  const json listed = daemon.ctl_json({"runs", k_demo}).at("runs").at(0);
  CHECK(listed.at("read") == "incremental");
  CHECK(listed.at("watermark") == "1943-02-04");
  CHECK(listed.at("read_from") == "1943-02-03");
  CHECK(daemon.ctl_json({"show", k_demo}).at("last_run") == listed);
  CHECK_THAT(daemon.ctl({"runs", k_demo}).stdout_text,
             Catch::Contains("WATERMARK") && Catch::Contains("incremental") &&
                 Catch::Contains("1943-02-04"));
}

}  // namespace emsync::test

namespace emsync::test {

// Regression: `audit`'s default (50) was written into the shared --limit
// while the commands were declared, so `runs` showed 50 runs, not 20.
TEST_CASE("runs shows 20 runs by default and audit 50 entries; --limit changes each",
          "[history][cli]") {
  TempDir dir("emsync-history");
  Simulator sim;
  const json destinations = {{"emarsys", wsse_destination(sim, dir, sim.create_list("demo"))}};
  const Daemon daemon(dir, demo_sources(), destinations);
  apply_demo(daemon);
  CHECK(daemon.run(k_demo).at("rejected") == 4);
  // 59 more finished runs, copies of the first (a run takes ~0.1 s; this is instant).
  write_state_db(daemon,
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 59) "
                 "INSERT INTO runs (activation_id, status, full, rows_read, started_at, "
                 "finished_at) SELECT activation_id, status, full, rows_read, started_at, "
                 "finished_at FROM runs, n");
  const json runs = daemon.ctl_json({"runs", k_demo});
  CHECK(runs.at("runs").size() == 20);
  CHECK(daemon.ctl_json({"runs", k_demo, "--limit", "7"}).at("runs").size() == 7);
  // 60 audit entries: the apply, the run, and 58 more runs requested.
  for (int i = 0; i < 58; ++i) {
    daemon.ctl_json({"run", k_demo});
  }
  CHECK(daemon.ctl_json({"audit"}).at("entries").size() == 50);
  CHECK(daemon.ctl_json({"audit", "--limit", "55"}).at("entries").size() == 55);
}

}  // namespace emsync::test
