// End to end: the warehouse sources (issue #16) as a user meets them through
// the real emsyncd and emsyncctl: the odbc source against real drivers
// (psqlODBC on the fixture's PostgreSQL, the SQLite ODBC driver on a file)
// and the postgres source's cursor mode: its failures (a query error, a wrong
// password, a missing driver, a mapped column that does not exist, a
// timeout), cancel and SIGTERM during a long query, and flat memory on a
// large model. The sync scenarios
// themselves run through every reader in test_sync_postgres.cpp.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The people model in `db`, read through psqlODBC as the source "warehouse"
// with `password`, and emsyncd.
struct OdbcPeople {
  TempDir dir{"emsync-odbc"};
  Simulator sim;
  Daemon daemon;

  OdbcPeople(const std::string& db, int rows, const std::string& password = k_odbc_password)
      : daemon(dir,
               {{"warehouse", (create_people_db(db, rows),
                               odbc_source(dir, pg_odbc_connection_string(db), password))}},
               {{"emarsys", wsse_destination(sim, dir, std::nullopt)}}) {}
};

json people_query(const std::string& name, const std::string& query) {
  json activation = people_activation(name, "emarsys", all_people_fields());
  activation["query"] = query;
  return activation;
}

json last_run(const Daemon& daemon, const std::string& name) {
  return daemon.ctl_json({"show", name}).at("last_run");
}

// Every byte of the state DB and its WAL, as text.
std::string state_db_bytes(const Daemon& daemon) {
  return read_text_file(daemon.state_db()) + read_text_file(daemon.state_db() + "-wal");
}

// Sessions of the cluster inside pg_sleep() (whatever statement called it:
// the model, a cursor's FETCH).
int sleeping_queries() {
  return std::stoi(PgCluster::shared().query(
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"));
}

}  // namespace

TEST_CASE("an ODBC query error is refused by apply, and fails a run, with the SQLSTATE and the "
          "database's message",
          "[warehouses]") {
  OdbcPeople s("odbc_query_error", 10);
  const auto refused =
      s.daemon.ctl({"apply", "-"}, people_query("people", "SELECT email, first_name FROM no_such_table").dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text, Catch::Contains("SQLSTATE 42P01") &&
                                      Catch::Contains("no_such_table") &&
                                      Catch::Contains("does not exist"));

  // A table that goes away after apply: the run fails the same way.
  PgCluster::shared().exec("CREATE TABLE doomed AS SELECT * FROM people", "odbc_query_error");
  s.daemon.apply(people_query("people", "SELECT email, first_name, last_name, city FROM doomed"));
  PgCluster::shared().exec("DROP TABLE doomed", "odbc_query_error");
  const json report = s.daemon.run("people", {}, 1);
  CHECK(report.at("status") == "failed");
  const std::string error = report.at("error");
  CHECK_THAT(error, Catch::Contains("42P01") && Catch::Contains("doomed") &&
                        Catch::Contains("does not exist"));
  CHECK(last_run(s.daemon, "people").at("error") == error);
  CHECK_THAT(s.daemon.ctl({"runs", "people"}).stdout_text,
             Catch::Contains("SQLSTATE 42P01") && Catch::Contains("doomed"));
  CHECK(s.sim.sent_contacts("POST").empty());
}

TEST_CASE("a wrong ODBC password fails the run, and no password shows anywhere", "[warehouses]") {
  OdbcPeople s("odbc_wrong_password", 10);
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  // The password changes under the daemon (rotated by hand, wrongly); a
  // reload reads it again.
  write_text_file(s.dir.path() / "odbc-password", k_wrong_odbc_password);
  REQUIRE(s.daemon.ctl({"reload"}).exit_code == 0);
  const auto refused = s.daemon.ctl({"apply", "-"}, people_query("other", "SELECT email FROM people").dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text, Catch::Contains("password authentication failed"));

  const json report = s.daemon.run("people", {}, 1);
  CHECK(report.at("status") == "failed");
  const std::string error = report.at("error");
  CHECK_THAT(error, Catch::Contains("password authentication failed") &&
                        Catch::Contains("login failed: check the user"));

  const auto shown = s.daemon.ctl({"show", "people"});
  const auto shown_json = s.daemon.ctl({"--json", "show", "people"});
  const auto runs = s.daemon.ctl({"--json", "runs", "people"});
  const std::string everywhere = error + refused.stderr_text + shown.stdout_text + shown.stderr_text +
                                 shown_json.stdout_text + runs.stdout_text + s.daemon.log() +
                                 state_db_bytes(s.daemon);
  CHECK(last_run(s.daemon, "people").at("error") == error);
  // As given, and as braced into the connection string ('}' doubled).
  for (const std::string& secret : {std::string(k_wrong_odbc_password), std::string("odbc}}Wrong"),
                                    std::string("Wrong;0815"), std::string(k_odbc_password)}) {
    INFO(secret);
    CHECK(everywhere.find(secret) == std::string::npos);
  }
}

TEST_CASE("a missing ODBC driver fails --check-config and apply, naming it and what to install",
          "[warehouses]") {
  // A driver emsync knows (its vendor's remedy) and one it does not.
  const auto [driver, remedy] = GENERATE(
      std::pair<std::string, std::string>{"No Such Driver", "register it in odbcinst.ini"},
      std::pair<std::string, std::string>{"SnowflakeDSIIDriver", "Snowflake's ODBC driver"});
  INFO(driver);
  TempDir dir("emsync-odbc");
  Simulator sim;
  const json sources = {
      {"warehouse",
       {{"type", "odbc"}, {"connection_string", "Driver={" + driver + "};Server=db.example.com"}}}};
  const json destinations = {{"emarsys", wsse_destination(sim, dir, std::nullopt)}};

  const auto checked =
      run_emsyncd(dir, daemon_config(dir, sources, destinations), "--check-config");
  INFO(checked.stderr_text << checked.stdout_text);
  CHECK(checked.exit_code == 1);
  CHECK_THAT(checked.stderr_text, Catch::Contains("sources.warehouse") &&
                                      Catch::Contains("'" + driver + "' is not installed") &&
                                      Catch::Contains(remedy));
  // The drivers it knows are the fixture's own, not the machine's.
  CHECK_THAT(checked.stderr_text,
             Catch::Contains("PostgreSQL Unicode") && !Catch::Contains("PostgreSQL ANSI"));

  // A daemon started anyway refuses the activation with the same words.
  Daemon daemon(dir, sources, destinations);
  const auto refused =
      daemon.ctl({"apply", "-"}, people_activation("people", "emarsys", all_people_fields()).dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text,
             Catch::Contains("'" + driver + "' is not installed") && Catch::Contains(remedy));
}

TEST_CASE("a run of an ODBC activation mapping a column its model lacks fails, naming it",
          "[warehouses]") {
  OdbcPeople s("odbc_missing_column", 10);
  PgCluster::shared().exec("CREATE VIEW people_v AS SELECT *, 1 AS gone FROM people",
                           "odbc_missing_column");
  json activation = people_query("people", "SELECT * FROM people_v");
  activation["fields"]["gone"] = 12;
  s.daemon.apply(activation);
  // The model changes after apply: the column is gone at run time.
  PgCluster::shared().exec("DROP VIEW people_v; CREATE VIEW people_v AS SELECT * FROM people",
                           "odbc_missing_column");
  const json report = s.daemon.run("people", {}, 1);
  CHECK(report.at("status") == "failed");
  CHECK_THAT(report.at("error").get<std::string>(), Catch::Contains("no column 'gone'"));
  CHECK(report.at("rows_read") == 0);
  CHECK(s.sim.sent_contacts("POST").empty());
}

// apply checks the model through the driver without reading a row
// (SQLPrepare + SQLDescribeCol; sync::check_activation).
TEST_CASE("apply refuses an ODBC activation that maps a column its model does not have",
          "[warehouses]") {
  OdbcPeople s("odbc_apply_check", 10);
  json activation = people_activation("people", "emarsys", all_people_fields());
  activation["fields"]["no_such_column"] = 12;
  const auto refused = s.daemon.ctl({"apply", "-"}, activation.dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text,
             Catch::Contains("the check failed: the model has no column 'no_such_column'"));
  CHECK(s.daemon.ctl_json({"list"}).at("activations").empty());
  activation["fields"].erase("no_such_column");
  CHECK(s.daemon.apply(activation).at(0).at("action") == "created");
}

TEST_CASE("cancel and SIGTERM end a run blocked in a long query within seconds, in every reader",
          "[warehouses]") {
  const PgReader reader = GENERATE(PgReader::copy, PgReader::cursor, PgReader::odbc);
  INFO("read with " << to_string(reader));
  PeopleSync s("warehouse_cancel", 100, reader);
  // One row after 30 s: the reader blocks inside the database (or the driver).
  s.daemon.apply(people_query(
      "people", "SELECT email, first_name, last_name, city FROM people, pg_sleep(30) LIMIT 1"));
  REQUIRE(s.daemon.ctl({"run", "people"}).exit_code == 0);
  REQUIRE(wait_until([] { return sleeping_queries() == 1; }, 10s));
  // Each reader reads as it claims: COPY, the cursor's FETCH, psqlODBC's
  // cursor (UseDeclareFetch=1).
  const std::string sleeping =
      PgCluster::shared().query("SELECT query FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
  const std::map<PgReader, std::string> statement_of = {
      {PgReader::copy, "COPY (SELECT email"},
      {PgReader::cursor, "FETCH FORWARD"},
      {PgReader::odbc, "cursor with hold for SELECT"}};
  CHECK_THAT(sleeping, Catch::Contains(statement_of.at(reader)));
  const auto asked = std::chrono::steady_clock::now();

  SECTION("emsyncctl cancel") {
    const json cancelled = s.daemon.ctl_json({"cancel", "people"});
    CHECK(std::chrono::steady_clock::now() - asked < 5s);
    CHECK(cancelled.at("cancelled_run").at("status") == "cancelled");
    CHECK(last_run(s.daemon, "people").at("status") == "cancelled");
    CHECK(s.daemon.ctl({"ping"}).exit_code == 0);
  }
  SECTION("SIGTERM") {
    s.daemon.process().send_signal(SIGTERM);
    CHECK(s.daemon.process().wait(20s) == 0);
    CHECK(std::chrono::steady_clock::now() - asked < 5s);
    CHECK(s.daemon.state_rows("SELECT status FROM runs").at(0) == "cancelled");
  }
  // The database stopped the query too: nothing keeps it running.
  CHECK(wait_until([] { return sleeping_queries() == 0; }, 3s));
}

TEST_CASE("statement_timeout_s stops a long query in every reader; the run fails saying so",
          "[warehouses]") {
  const PgReader reader = GENERATE(PgReader::copy, PgReader::cursor, PgReader::odbc);
  INFO("read with " << to_string(reader));
  TempDir dir("emsync-timeout");
  Simulator sim;
  create_people_db("warehouse_timeout", 10);
  json source = pg_source(reader, dir, "warehouse_timeout");
  source["statement_timeout_s"] = 1;
  Daemon daemon(dir, {{"warehouse", source}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  daemon.apply(people_query(
      "people", "SELECT email, first_name, last_name, city FROM people, pg_sleep(30) LIMIT 1"));

  const auto started = std::chrono::steady_clock::now();
  const json report = daemon.run("people", {}, 1);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK(report.at("status") == "failed");
  INFO(report.at("error").dump());
  CHECK_THAT(report.at("error").get<std::string>(),
             Catch::Contains("canceling statement due to statement timeout"));
  CHECK(wait_until([] { return sleeping_queries() == 0; }, 3s));
}

TEST_CASE("a 100,000-row model syncs with flat memory through ODBC and the cursor",
          "[warehouses]") {
  const PgReader reader = GENERATE(PgReader::odbc, PgReader::cursor);
  INFO("read with " << to_string(reader));
  constexpr int k_rows = 100'000;
  PeopleSync s("warehouse_large", k_rows, reader);
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));

  const json first = s.daemon.run("people");
  CHECK(first.at("status") == "succeeded");
  CHECK(first.at("inserted") == k_rows);
  const json again = s.daemon.run("people");
  CHECK(again.at("unchanged") == k_rows);
  CHECK(again.at("updated") == 0);

  // emsyncd's peak RSS over both runs, measured here (2026-12) through ODBC:
  // 23 MiB at 1,000 rows, 27 MiB at 10,000, 34 MiB at 100,000 and at
  // 300,000: flat; through the cursor 31 to 33 MiB at 100,000. Without
  // UseDeclareFetch=1 psqlODBC holds the whole result: 58 MiB at 100,000
  // rows, 123 MiB at 300,000. The bound sits between.
  const std::int64_t peak = peak_rss_bytes(s.daemon.pid());
  std::printf("emsyncd peak RSS after 2 x %d rows read with %s: %lld KiB\n", k_rows,
              to_string(reader), static_cast<long long>(peak / 1024));
  CHECK(peak < 48 * 1024 * 1024);
}

TEST_CASE("the SQLite demo through the SQLite ODBC driver lands as through the sqlite source",
          "[warehouses]") {
  const std::string demo = source_dir() + "/examples/demo.db";
  const json odbc = {{"type", "odbc"}, {"connection_string", "Driver={SQLite3};Database=" + demo}};
  const json native = {{"type", "sqlite"}, {"path", demo}};
  std::vector<std::map<std::string, json>> landed;
  for (const json& source : {native, odbc}) {
    INFO(source.dump());
    TempDir dir("emsync-odbc");
    Simulator sim;
    Daemon daemon(dir, {{"demo", source}}, {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
    daemon.ctl_json({"apply", source_dir() + "/examples/demo-activation.json"});
    const json report = daemon.run("demo-contacts");
    CHECK(report.at("status") == "succeeded");
    CHECK(report.at("rows_read") == 15);
    CHECK(report.at("inserted") == 11);
    CHECK(report.at("rejected") == 4);
    sim.clear_requests();
    CHECK(daemon.run("demo-contacts").at("unchanged") == 11);
    CHECK(sim.sent_contacts("PUT").empty());
    landed.push_back(sim.contacts());
  }
  // The same contacts with the same values (fresh simulators number the
  // custom fields alike).
  CHECK(landed.at(1) == landed.at(0));
}

}  // namespace emsync::test
