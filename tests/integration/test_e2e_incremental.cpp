// End to end: incremental reads (issue #17) through the real emsyncd and
// emsyncctl, on each kind of source: PostgreSQL (the postgres source), SQLite
// and ODBC (psqlODBC on the same PostgreSQL). A model of a few hundred
// contacts whose `updated_at` (timestamptz in PostgreSQL, DATETIME text in
// SQLite, indexed) starts hours in the past, 20 minutes apart, so that the
// 15-minute lookback behind the first watermark covers one row; `version`
// (bigint, indexed) is the integer cursor. Runs are triggered by hand;
// cursor values are set relative to the database's clock (now(),
// datetime('now')), the daemon's being the same wall clock.
//
// Each case checks what a user would: the contacts the simulator got and
// their values, the run reports (`read`, `rows_read`, `watermark`,
// `read_from`, `cursor_null`), `show`'s watermark and contact count, and the
// exit codes.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite.hpp"
#include "support/http.hpp"
#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int k_rows = 300;
constexpr const char* k_name = "inc";

// The model as the activation reads it.
constexpr const char* k_query =
    "SELECT email, first_name, city, score, updated_at, version FROM contacts";

std::string email(int id) { return "c" + std::to_string(id) + "@example.com"; }

enum class Kind { postgres, sqlite, odbc };

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::postgres:
      return "postgres";
    case Kind::sqlite:
      return "sqlite";
    case Kind::odbc:
      return "odbc";
  }
  return "?";
}

Kind each_kind() { return GENERATE(Kind::postgres, Kind::sqlite, Kind::odbc); }

// A cursor timestamp's canonical text ("2026-12-02 10:00:00" or
// "2026-12-02 10:00:00.250000", UTC) as microseconds since 1970.
std::int64_t micros(const std::string& text) {
  std::tm tm{};
  INFO("timestamp '" << text << "'");
  REQUIRE(text.size() >= 19);
  REQUIRE(std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t fraction = 0;
  if (text.size() > 20) {
    REQUIRE(text[19] == '.');
    std::string digits = text.substr(20);
    digits.resize(6, '0');
    fraction = std::stoll(digits);
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000 + fraction;
}

constexpr std::int64_t k_minute_us = 60'000'000;

// The model's database: a PostgreSQL database of PgCluster::shared() (read
// by the postgres source, or through psqlODBC), or a SQLite file. Statements
// are written once for both dialects; the few differences are the methods
// below.
class Warehouse {
 public:
  Warehouse(Kind kind, const TempDir& dir, const std::string& name)
      : m_kind(kind), m_db(name + "_" + to_string(kind)), m_path(dir.path() / "model.db") {
    if (kind != Kind::sqlite) {
      PgCluster::shared().exec("DROP DATABASE IF EXISTS " + m_db + "; CREATE DATABASE " + m_db);
    }
    const std::string updated_at = sqlite() ? "updated_at DATETIME" : "updated_at timestamptz";
    exec(
        "CREATE TABLE contacts (id integer PRIMARY KEY, email text, first_name text, city text,"
        " score integer, version bigint, " +
        updated_at + ")");
    exec(
        "CREATE INDEX contacts_version ON contacts (version);"
        "CREATE INDEX contacts_updated_at ON contacts (updated_at)");
    const std::string ids =
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s"
        " WHERE i < " +
        std::to_string(k_rows) + ") ";
    exec(ids +
         "INSERT INTO contacts SELECT i, 'c' || i || '@example.com', 'First' || i,"
         " 'City' || i, i, i, " +
         minutes_ago("300 + 20 * i") + " FROM s");
  }

  bool sqlite() const { return m_kind == Kind::sqlite; }

  nlohmann::json source(const TempDir& dir) const {
    switch (m_kind) {
      case Kind::postgres:
        return pg_source(PgReader::copy, dir, m_db);
      case Kind::odbc:
        return pg_source(PgReader::odbc, dir, m_db);
      case Kind::sqlite:
        break;
    }
    return {{"type", "sqlite"}, {"path", m_path.string()}};
  }

  void exec(const std::string& sql) const {
    if (!sqlite()) {
      PgCluster::shared().exec(sql, m_db);
      return;
    }
    auto db = store::Db::open(m_path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    auto done = db->exec(sql);
    INFO(sql << ": " << (done ? "" : done.error().message));
    REQUIRE(done);
  }

  // The first column of the first row of `sql`, as text.
  std::string value(const std::string& sql) const {
    if (!sqlite()) {
      return PgCluster::shared().query(sql, m_db);
    }
    auto db = store::Db::open(m_path.string(), SQLITE_OPEN_READONLY);
    REQUIRE(db);
    auto statement = db->prepare(sql);
    REQUIRE(statement);
    auto row = statement->step();
    REQUIRE(row);
    REQUIRE(*row);
    return statement->get_text(0);
  }

  // SQL: the time `minutes` (an SQL expression) minutes before the
  // database's now.
  std::string minutes_ago(const std::string& minutes) const {
    return sqlite() ? "datetime('now', '-' || (" + minutes + ") || ' minutes')"
                    : "now() - (" + minutes + ") * interval '1 minute'";
  }
  // SQL: `minutes` minutes before `text`, a cursor's canonical text (UTC).
  std::string minutes_before(const std::string& text, int minutes) const {
    const std::string shift = std::to_string(minutes);
    return sqlite()
               ? "datetime('" + text + "', '-" + shift + " minutes')"
               : "(TIMESTAMP '" + text + "' AT TIME ZONE 'UTC') - interval '" + shift + " minutes'";
  }
  // The updated_at of row `id`, as microseconds since 1970.
  std::int64_t updated_at(int id) const {
    const std::string where = " FROM contacts WHERE id = " + std::to_string(id);
    return micros(value(sqlite() ? "SELECT updated_at" + where
                                 : "SELECT to_char(updated_at AT TIME ZONE 'UTC',"
                                   " 'YYYY-MM-DD HH24:MI:SS.US')" +
                                       where));
  }
  std::int64_t newest_updated_at() const {
    return micros(value(sqlite() ? "SELECT max(updated_at) FROM contacts"
                                 : "SELECT to_char(max(updated_at) AT TIME ZONE 'UTC',"
                                   " 'YYYY-MM-DD HH24:MI:SS.US') FROM contacts"));
  }

  // Gives rows `ids` a new first_name ("Changed<id>" unless `first_name` is
  // set) and sets their updated_at to `updated_at` (SQL; "updated_at"
  // leaves it as it is).
  void change(const std::vector<int>& ids, const std::string& updated_at,
              const std::string& first_name = "'Changed' || id") const {
    std::string list;
    for (const int id : ids) {
      list += (list.empty() ? "" : ", ") + std::to_string(id);
    }
    exec("UPDATE contacts SET first_name = " + first_name + ", updated_at = " + updated_at +
         " WHERE id IN (" + list + ")");
  }
  void change_now(const std::vector<int>& ids) const { change(ids, minutes_ago("0")); }

 private:
  Kind m_kind;
  std::string m_db;
  std::filesystem::path m_path;
};

json activation(const json& incremental) {
  return {{"name", k_name},
          {"source", "warehouse"},
          {"destination", "emarsys"},
          {"query", k_query},
          {"fields", {{"first_name", 1}, {"city", 11}}},
          {"insert_new_contacts", true},
          {"incremental", incremental}};
}

json by_timestamp(const std::string& full_every = "never") {
  return activation(
      {{"cursor_column", "updated_at"}, {"lookback", "15m"}, {"full_every", full_every}});
}

// A simulator, the model in a fresh database of `kind` and emsyncd, with
// `definition` applied.
struct Setup {
  Kind kind;
  TempDir dir{"emsync-incremental"};
  Simulator sim;
  Warehouse warehouse;
  json sources;
  json destinations;
  std::optional<Daemon> daemon;

  Setup(Kind source_kind, const std::string& name, const json& definition = by_timestamp())
      : kind(source_kind),
        warehouse(kind, dir, name),
        sources({{"warehouse", warehouse.source(dir)}}),
        destinations({{"emarsys", wsse_destination(sim, dir, std::nullopt)}}),
        daemon(std::in_place, dir, sources, destinations) {
    daemon->apply(definition);
  }

  // Stops emsyncd (SIGTERM) and starts it again on the same state DB.
  void restart() {
    daemon.reset();
    daemon.emplace(dir, sources, destinations);
  }

  // A run that must read `read` ("full" or "incremental"); the simulator's
  // request log is cleared first, so sent() is what it sent.
  json run(const std::string& read, const std::vector<std::string>& extra = {},
           int expected_exit = 0) const {
    sim.clear_requests();
    const json report = daemon->run(k_name, extra, expected_exit);
    CHECK(report.at("read") == read);
    return report;
  }
  json show() const { return daemon->ctl_json({"show", k_name}); }
  // show's incremental block: the watermark, the last full read, ...
  json incremental() const { return show().at("incremental"); }
  std::string watermark() const { return incremental().at("watermark").get<std::string>(); }
  std::int64_t contacts_known() const { return show().at("contacts").get<std::int64_t>(); }

  // A full read without `run --full` (which would send every contact):
  // full_every 1s, once a second has passed since the last full read.
  json run_full_read() const {
    daemon->apply(by_timestamp("1s"));
    std::this_thread::sleep_for(1100ms);
    return run("full");
  }

  // The first name the simulator holds for contact `id`.
  std::string first_name(int id) const { return as_text(sim.contacts().at(email(id)).at("1")); }
  // The emails sent with PUT or POST since the requests were last cleared.
  std::set<std::string> sent() const {
    std::set<std::string> emails;
    for (const auto* method : {"PUT", "POST"}) {
      for (const auto& contact : sim.sent_contacts(method)) {
        emails.insert(contact.at("3").get<std::string>());
      }
    }
    return emails;
  }
};

std::set<std::string> emails(const std::vector<int>& ids) {
  std::set<std::string> out;
  for (const int id : ids) {
    out.insert(email(id));
  }
  return out;
}

// The first run: a full read of every row, sending every contact.
json first_run(Setup& s) {
  const json report = s.run("full");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("watermark").is_null());
  CHECK(report.at("read_from").is_null());
  CHECK(report.at("rows_read") == k_rows);
  CHECK(report.at("inserted") == k_rows);
  return report;
}

// One counter of the daemon's GET /metrics, 0 when absent.
double metric(const Daemon& daemon, const std::string& series) {
  const auto response = http_request("GET", "127.0.0.1", daemon.metrics_port(), "/metrics");
  REQUIRE(response.status == 200);
  const std::string line = "\n" + series + " ";
  const auto at = response.body.find(line);
  return at == std::string::npos ? 0 : std::stod(response.body.substr(at + line.size()));
}

}  // namespace

TEST_CASE(
    "incremental: the first run reads in full; after 1% of the rows change, a run reads "
    "and sends just those",
    "[incremental]") {
  Setup s(each_kind(), "inc_first");
  INFO("source " << to_string(s.kind));
  CHECK(s.incremental().at("watermark").is_null());
  first_run(s);
  // The watermark is the newest cursor value read.
  const json shown = s.incremental();
  CHECK(shown.at("cursor_column") == "updated_at");
  CHECK(shown.at("lookback") == "15m");
  CHECK(shown.at("full_every") == "never");
  CHECK(shown.at("last_full_read_at").is_string());
  CHECK(micros(s.watermark()) == s.warehouse.newest_updated_at());
  const std::string first_watermark = s.watermark();

  const std::vector<int> changed = {17, 101, 250};  // 1% of 300
  s.warehouse.change_now(changed);
  const json report = s.run("incremental");
  INFO(report.dump());
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("watermark") == first_watermark);
  CHECK(micros(report.at("read_from").get<std::string>()) ==
        micros(first_watermark) - 15 * k_minute_us);
  // The changed rows, and those the lookback reads again (row 1, 20 minutes
  // newer than any other, holds the watermark): at most 2% of the model.
  CHECK(report.at("rows_read").get<int>() >= 3);
  CHECK(report.at("rows_read").get<int>() <= k_rows * 2 / 100);
  CHECK(report.at("updated") == 3);
  CHECK(report.at("unchanged") == report.at("rows_read").get<int>() - 3);
  CHECK(report.at("cursor_null") == 0);
  CHECK(s.sent() == emails(changed));
  for (const int id : changed) {
    CHECK(s.first_name(id) == "Changed" + std::to_string(id));
  }
  CHECK(s.first_name(18) == "First18");
  CHECK(s.first_name(1) == "First1");
  CHECK(micros(s.watermark()) == s.warehouse.newest_updated_at());

  // Nothing changed since: the next run reads the rows of the lookback
  // again, and sends nothing.
  const json quiet = s.run("incremental");
  CHECK(quiet.at("rows_read") == 3);
  CHECK(quiet.at("unchanged") == 3);
  CHECK(s.sent().empty());

  // runs --json has them too, newest first; the metric splits the reads.
  const json runs = s.daemon->ctl_json({"runs", k_name}).at("runs");
  REQUIRE(runs.size() == 3);
  CHECK(runs.at(0).at("read") == "incremental");
  CHECK(runs.at(1).at("read") == "incremental");
  CHECK(runs.at(1).at("watermark") == first_watermark);
  CHECK(runs.at(1).at("rows_read") == report.at("rows_read"));
  CHECK(runs.at(2).at("read") == "full");
  CHECK(runs.at(2).at("rows_read") == k_rows);
  const std::string series = "emsync_source_rows_read_total{activation=\"inc\",read=";
  CHECK(metric(*s.daemon, series + "\"full\"}") == k_rows);
  CHECK(metric(*s.daemon, series + "\"incremental\"}") == report.at("rows_read").get<int>() + 3);
}

TEST_CASE(
    "incremental: a late commit inside the lookback is sent by the next run; one outside "
    "it by the next full read",
    "[incremental]") {
  Setup s(each_kind(), "inc_late");
  INFO("source " << to_string(s.kind));
  first_run(s);
  s.warehouse.change_now({5});
  s.run("incremental");
  const std::string watermark = s.watermark();
  CHECK(micros(watermark) == s.warehouse.updated_at(5));

  // Two transactions that began before that run and committed after it:
  // their cursor values are older than the watermark, one by 5 minutes
  // (inside the 15-minute lookback), one by 30 (outside).
  s.warehouse.change({40}, s.warehouse.minutes_before(watermark, 5));
  s.warehouse.change({41}, s.warehouse.minutes_before(watermark, 30));
  const json report = s.run("incremental");
  INFO(report.dump());
  CHECK(report.at("watermark") == watermark);
  CHECK(report.at("updated") == 1);
  CHECK(s.sent() == emails({40}));
  CHECK(s.first_name(40) == "Changed40");
  CHECK(s.first_name(41) == "First41");

  // The next full read (full_every, not run --full: it sends only changes)
  // finds it.
  const json full = s.run_full_read();
  INFO(full.dump());
  CHECK(full.at("rows_read") == k_rows);
  CHECK(full.at("updated") == 1);
  CHECK(s.sent() == emails({41}));
  CHECK(s.first_name(41) == "Changed41");
}

TEST_CASE(
    "incremental: contacts that failed in an incremental run are sent by the next run, "
    "although their cursor is older than the rows read after them",
    "[incremental]") {
  Setup s(each_kind(), "inc_failed");
  INFO("source " << to_string(s.kind));
  first_run(s);
  // Three rows changed two hours ago and two now: a watermark at the newest
  // row read, less the lookback, would leave the first three out.
  const std::vector<int> older = {10, 20, 30};
  const std::vector<int> newer = {60, 70};
  s.warehouse.change(older, s.warehouse.minutes_ago("120"));
  s.warehouse.change_now(newer);

  // Every contact write fails (503, retried, then given up).
  s.sim.set_faults({{"rate_503", 1.0}, {"endpoints", {"/contact"}}});
  const json failed = s.run("incremental", {}, -1);
  INFO(failed.dump());
  CHECK(failed.at("status") != "succeeded");
  CHECK(failed.at("failed") == 5);
  CHECK(failed.at("updated") == 0);
  for (const int id : {10, 20, 30, 60, 70}) {
    CHECK(s.first_name(id) == "First" + std::to_string(id));
  }

  s.sim.set_faults(json::object());
  const json next = s.run("incremental");
  INFO(next.dump());
  CHECK(next.at("status") == "succeeded");
  CHECK(next.at("updated") == 5);
  CHECK(s.sent() == emails({10, 20, 30, 60, 70}));
  for (const int id : {10, 20, 30, 60, 70}) {
    CHECK(s.first_name(id) == "Changed" + std::to_string(id));
  }
  // Settled now: the run after sends nothing again, and reads from the
  // newest row on.
  const json after = s.run("incremental");
  CHECK(micros(after.at("watermark").get<std::string>()) == s.warehouse.newest_updated_at());
  CHECK(after.at("updated") == 0);
  CHECK(s.sent().empty());
}

TEST_CASE(
    "incremental: a deleted row's contact state is dropped by the next full read, not by "
    "an incremental one",
    "[incremental]") {
  Setup s(each_kind(), "inc_deleted");
  INFO("source " << to_string(s.kind));
  first_run(s);
  CHECK(s.contacts_known() == k_rows);
  s.warehouse.exec("DELETE FROM contacts WHERE id = 150");

  s.run("incremental");
  CHECK(s.contacts_known() == k_rows);
  CHECK(s.daemon->state_rows(k_stored_count_sql).at(0) == std::to_string(k_rows));

  const json full = s.run_full_read();
  CHECK(full.at("rows_read") == k_rows - 1);
  CHECK(s.contacts_known() == k_rows - 1);
  CHECK(s.daemon->state_rows(k_stored_count_sql).at(0) == std::to_string(k_rows - 1));
  CHECK(s.sent().empty());  // a departed contact is forgotten, not cleared in Emarsys
}

TEST_CASE("incremental: a restart of the daemon between runs keeps the watermark",
          "[incremental]") {
  Setup s(each_kind(), "inc_restart");
  INFO("source " << to_string(s.kind));
  first_run(s);
  s.warehouse.change_now({7, 8, 9});
  s.run("incremental");
  const json before = s.incremental();
  const std::string watermark = before.at("watermark");
  REQUIRE(before.at("last_full_read_at").is_string());

  s.restart();
  CHECK(s.incremental() == before);
  s.warehouse.change_now({11, 12});
  const json report = s.run("incremental");
  INFO(report.dump());
  CHECK(report.at("watermark") == watermark);
  CHECK(report.at("updated") == 2);
  CHECK(report.at("rows_read").get<int>() <= 5);  // 11, 12 and the lookback's 7, 8, 9
  CHECK(s.sent() == emails({11, 12}));
}

TEST_CASE("incremental: run --full reads every row and sends every contact", "[incremental]") {
  Setup s(each_kind(), "inc_run_full");
  INFO("source " << to_string(s.kind));
  first_run(s);
  s.warehouse.change_now({3});
  s.run("incremental");

  const json full = s.run("full", {"--full"});
  INFO(full.dump());
  CHECK(full.at("full") == true);
  CHECK(full.at("rows_read") == k_rows);
  CHECK(full.at("updated") == k_rows);
  CHECK(s.sent().size() == k_rows);
  // The watermark stays where the rows are: the next run is incremental.
  s.warehouse.change_now({4});
  s.run("incremental");
  CHECK(s.sent() == emails({4}));
}

TEST_CASE(
    "incremental: an integer cursor (a version column, lookback 0) reads the rows at or "
    "after the highest version read",
    "[incremental]") {
  Setup s(each_kind(), "inc_integer",
          activation({{"cursor_column", "version"}, {"lookback", 0}, {"full_every", "never"}}));
  INFO("source " << to_string(s.kind));
  first_run(s);
  CHECK(s.watermark() == std::to_string(k_rows));

  s.warehouse.exec("UPDATE contacts SET first_name = 'Changed' || id, version = " +
                   std::to_string(k_rows) + " + id WHERE id IN (7, 8, 9)");
  const json report = s.run("incremental");
  INFO(report.dump());
  CHECK(report.at("watermark") == std::to_string(k_rows));
  CHECK(report.at("read_from") == std::to_string(k_rows));
  CHECK(report.at("rows_read") == 4);  // versions 300 (row 300), 307, 308, 309
  CHECK(report.at("updated") == 3);
  CHECK(s.sent() == emails({7, 8, 9}));
  CHECK(s.first_name(8) == "Changed8");
  CHECK(s.watermark() == std::to_string(k_rows + 9));
}

TEST_CASE(
    "incremental: rows whose cursor is NULL are read only by full reads, counted as "
    "cursor_null",
    "[incremental]") {
  Setup s(each_kind(), "inc_null");
  INFO("source " << to_string(s.kind));
  s.warehouse.exec("UPDATE contacts SET updated_at = NULL WHERE id BETWEEN 200 AND 204");
  const json first = first_run(s);
  CHECK(first.at("cursor_null") == 5);

  // A NULL-cursor row changes (its cursor stays NULL), and a dated one.
  s.warehouse.change({200}, "updated_at");
  s.warehouse.change_now({3});
  const json incremental = s.run("incremental");
  INFO(incremental.dump());
  CHECK(incremental.at("cursor_null") == 0);
  CHECK(incremental.at("updated") == 1);
  CHECK(s.sent() == emails({3}));
  CHECK(s.first_name(200) == "First200");

  const json full = s.run_full_read();
  INFO(full.dump());
  CHECK(full.at("cursor_null") == 5);
  CHECK(full.at("updated") == 1);
  CHECK(s.sent() == emails({200}));
  CHECK(s.first_name(200) == "Changed200");
}

TEST_CASE(
    "incremental: apply refuses a cursor column the model lacks, or one of type text, "
    "naming it",
    "[incremental]") {
  const Kind kind = each_kind();
  INFO("source " << to_string(kind));
  TempDir dir("emsync-incremental");
  Simulator sim;
  Warehouse warehouse(kind, dir, "inc_refused");
  Daemon daemon(dir, {{"warehouse", warehouse.source(dir)}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  for (const std::string column : {"changed_on", "city"}) {
    INFO("cursor_column " << column);
    const auto refused = daemon.ctl(
        {"apply", "-"}, activation({{"cursor_column", column}, {"lookback", "15m"}}).dump());
    CHECK(refused.exit_code == 1);  // README: 1 error
    CHECK_THAT(refused.stderr_text,
               Catch::Contains("activation 'inc'") && Catch::Contains("'" + column + "'"));
  }
  CHECK(daemon.ctl_json({"list"}).at("activations").empty());
  CHECK(daemon.apply(by_timestamp()).at(0).at("action") == "created");
}

}  // namespace emsync::test
