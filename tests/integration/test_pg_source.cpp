// The PostgreSQL row source against a real server (PgCluster). Most cases
// run in both read modes (COPY, and the cursor Redshift needs): they must
// give the same columns, values and errors. test_pg_cursor.cpp has what is
// particular to the cursor (several FETCHes), cancelling and memory.
#include <catch2/catch.hpp>
#include <chrono>

#include "source/row_source.hpp"
#include "support/pg_cluster.hpp"
#include "unit/source/recording_sink.hpp"

namespace emsync::source {
namespace {

using emsync::test::PgCluster;

using Sink = test::RecordingSink;

// Each read mode in turn (a GENERATE: the test case runs once per mode).
PostgresReadMode each_mode() {
  const auto mode = GENERATE(PostgresReadMode::copy, PostgresReadMode::cursor);
  UNSCOPED_INFO("read_mode " << to_string(mode));
  return mode;
}

Result<void> stream(const std::string& query, Sink& sink, PostgresReadMode mode,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto source = make_postgres_source(PgCluster::shared().conninfo(), std::nullopt, mode);
  return source->stream(query, QueryOptions{timeout}, sink);
}

TEST_CASE("postgres columns stream with their types and canonical values", "[postgres]") {
  PgCluster::shared().exec(R"(
    DROP TABLE IF EXISTS typed;
    CREATE TABLE typed (id int, name text, big bigint, small smallint, price numeric(10,2),
                        ratio double precision, active boolean, born date, seen timestamptz,
                        local_seen timestamp);
    INSERT INTO typed VALUES
      (1, E'tab\there\nnew line \\ back\rcr', 9007199254740993, -3, 12.50, 0.1, true,
       '1990-02-03', '2024-05-01 12:00:00+02', '2024-05-01 10:00:00'),
      (2, NULL, NULL, NULL, NULL, 1e20, false, NULL, '2024-05-01 10:00:00.25+00', NULL),
      (3, '\N', 0, 0, 0, -2.5, NULL, '2024-12-31', NULL, '2024-05-01 10:00:00.123456');
  )");
  // automatic reads PostgreSQL with COPY.
  const auto mode =
      GENERATE(PostgresReadMode::copy, PostgresReadMode::cursor, PostgresReadMode::automatic);
  INFO("read_mode " << to_string(mode));
  Sink sink;
  REQUIRE(stream("SELECT * FROM typed ORDER BY id", sink, mode));

  const std::vector<std::pair<std::string, ColumnType>> expected_columns = {
      {"id", ColumnType::integer},     {"name", ColumnType::text},
      {"big", ColumnType::integer},    {"small", ColumnType::integer},
      {"price", ColumnType::numeric},  {"ratio", ColumnType::numeric},
      {"active", ColumnType::boolean}, {"born", ColumnType::date},
      {"seen", ColumnType::timestamp}, {"local_seen", ColumnType::timestamp}};
  REQUIRE(sink.columns.size() == expected_columns.size());
  for (std::size_t i = 0; i < expected_columns.size(); ++i) {
    CHECK(sink.columns[i].name == expected_columns[i].first);
    CHECK(to_string(sink.columns[i].type) == std::string(to_string(expected_columns[i].second)));
  }

  REQUIRE(sink.rows.size() == 3);
  const std::vector<Value> one = {"1",
                                  "tab\there\nnew line \\ back\rcr",
                                  "9007199254740993",
                                  "-3",
                                  "12.50",
                                  "0.1",
                                  "true",
                                  "1990-02-03",
                                  "2024-05-01 10:00:00",
                                  "2024-05-01 10:00:00"};
  const std::vector<Value> two = {"2",          std::nullopt, std::nullopt,
                                  std::nullopt, std::nullopt, "1e+20",
                                  "false",      std::nullopt, "2024-05-01 10:00:00.25",
                                  std::nullopt};
  const std::vector<Value> three = {
      "3",    "\\N",        "0",          "0",          "0.00",
      "-2.5", std::nullopt, "2024-12-31", std::nullopt, "2024-05-01 10:00:00.123456"};
  CHECK(sink.rows[0] == one);
  CHECK(sink.rows[1] == two);
  CHECK(sink.rows[2] == three);
}

TEST_CASE("postgres text columns carry their declared length", "[postgres]") {
  Sink sink;
  REQUIRE(stream("SELECT 'a'::varchar(12) AS code, 'b'::char(5) AS flag, 'c'::text AS free, "
                 "'d'::varchar AS any_length, 1::int AS n",
                 sink, each_mode()));
  REQUIRE(sink.columns.size() == 5);
  CHECK(sink.columns[0].max_chars == std::optional<std::int64_t>(12));
  CHECK(sink.columns[1].max_chars == std::optional<std::int64_t>(5));
  CHECK_FALSE(sink.columns[2].max_chars);
  CHECK_FALSE(sink.columns[3].max_chars);
  CHECK_FALSE(sink.columns[4].max_chars);
}

TEST_CASE("a postgres query without rows still reports its columns", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  Sink sink;
  REQUIRE(
      stream("SELECT 1 AS one, 'x'::text AS two WHERE false -- a trailing comment", sink, mode));
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.columns[1].name == "two");
  CHECK(sink.rows.empty());
}

TEST_CASE("a postgres query that writes fails in the read-only transaction", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  PgCluster::shared().exec("DROP SEQUENCE IF EXISTS counter; CREATE SEQUENCE counter;");
  Sink sink;
  auto result = stream("SELECT nextval('counter') AS n;", sink, mode);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("read-only transaction"));
}

TEST_CASE("a postgres query running past the statement timeout is cancelled", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  PgCluster::shared();  // started before the clock starts
  Sink sink;
  const auto start = std::chrono::steady_clock::now();
  auto result = stream("SELECT pg_sleep(5)", sink, mode, std::chrono::milliseconds(200));
  REQUIRE_FALSE(result);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::EndsWith("canceling statement due to statement timeout (after 200 ms): make "
                             "the model query faster or raise statement_timeout"));
}

TEST_CASE("a bad postgres query is a source error naming the source", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  Sink sink;
  auto result = stream("SELECT nope FROM nowhere", sink, mode);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("PostgreSQL source 'host=") &&
                                         Catch::Contains("\"nowhere\" does not exist"));
}

TEST_CASE("a postgres syntax error says where it is in the user's own query", "[postgres]") {
  PgCluster::shared().exec(
      "DROP TABLE IF EXISTS positioned; CREATE TABLE positioned (email text, name text);");
  const auto mode = each_mode();
  const auto message = [&](const std::string& query, bool columns_only) {
    auto source = make_postgres_source(PgCluster::shared().conninfo(), std::nullopt, mode);
    QueryOptions options;
    options.columns_only = columns_only;
    Sink sink;
    auto streamed = source->stream(query, options, sink);
    REQUIRE_FALSE(streamed);
    CHECK(streamed.error().code == Errc::source_error);
    return streamed.error().message;
  };
  const bool columns_only = GENERATE(false, true);  // a run's read, and apply's check
  CHECK_THAT(message("SELEC email FROM positioned", columns_only),
             Catch::Contains("syntax error at or near \"SELEC\" (at line 1, column 1 of the "
                             "model query: \"SELEC email FROM positioned\")"));
  // A wrong ')' is the query's, not that of emsync's wrapper.
  CHECK_THAT(message("SELECT email, name\n  FROM positioned)\n;", columns_only),
             Catch::Contains("syntax error at or near \")\" (at line 2, column 18 of the model "
                             "query: \"  FROM positioned)\")"));
  CHECK_THAT(message("SELECT email, nam FROM positioned", columns_only),
             Catch::Contains("column \"nam\" does not exist (at line 1, column 15 of the "
                             "model query"));
}

TEST_CASE("an error from the sink stops a long postgres stream early", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  PgCluster::shared();  // started before the clock starts
  Sink sink;
  sink.fail_at_row = 10;
  const auto start = std::chrono::steady_clock::now();
  // A set-returning function in the select list streams (no materialisation,
  // in a cursor too).
  auto result = stream("SELECT generate_series(1, 1000000000) AS i", sink, mode);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(result.error().message == "stopped by the sink");
  CHECK(sink.rows.size() == 10);
  // Reading all rows would take minutes; cancelling the COPY takes a few ms
  // (0.1-0.5 s for the whole test here; one CI run on a busy VM took 3.5 s).
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

// A database `guarded` whose table, sequence and schema belong to the role
// `guard_owner`, which could write them all: only the way the model runs
// stops it. Returns the role's conninfo (its password comes separately).
std::string create_guarded_db() {
  PgCluster& pg = PgCluster::shared();
  pg.exec(
      "DROP DATABASE IF EXISTS guarded; DROP ROLE IF EXISTS guard_reader; "
      "DROP ROLE IF EXISTS guard_owner; "
      "CREATE ROLE guard_owner LOGIN PASSWORD 'owner-Pass-4'; "
      "CREATE ROLE guard_reader LOGIN PASSWORD 'reader-Pass-5'; "
      "CREATE DATABASE guarded OWNER guard_owner;");
  pg.exec(R"(
    SET ROLE guard_owner;
    CREATE SCHEMA crm;
    CREATE TABLE crm.people (id int PRIMARY KEY, email text, score numeric(6,2), active boolean);
    INSERT INTO crm.people VALUES (1, 'a@example.com', 1.50, true), (2, 'b@example.com', NULL, false);
    CREATE SEQUENCE crm.ids;
    GRANT USAGE ON SCHEMA crm TO guard_reader;
    GRANT SELECT ON crm.people TO guard_reader;
  )",
          "guarded");
  return pg.conninfo("guard_owner", "guarded");
}

// Everything the injections could have changed, as text: the rows, the
// sequence, whether a table "planted" exists.
std::string guarded_state() {
  return PgCluster::shared().query(
      "SELECT (SELECT string_agg(id || ':' || email || ':' || coalesce(score::text, '-'), ',' "
      "ORDER BY id) FROM crm.people), (SELECT last_value || '/' || is_called::text FROM crm.ids), "
      "(SELECT count(*) FROM pg_class WHERE relname = 'planted')",
      "guarded");
}

TEST_CASE("a postgres model that is not one read-only SELECT is refused and changes nothing",
          "[postgres]") {
  const PostgresReadMode mode = each_mode();
  const std::string conninfo = create_guarded_db();
  const std::string before = guarded_state();
  REQUIRE(before == "1:a@example.com:1.50,2:b@example.com:-|1/false|0");
  REQUIRE(PgCluster::shared().query("SELECT has_table_privilege('guard_owner', 'crm.people', "
                                    "'DELETE') AND has_database_privilege('guard_owner', "
                                    "'guarded', 'CREATE')",
                                    "guarded") == "t");
  const char* injections[] = {
      // Escaping the COPY wrapper into several statements.
      "SELECT 1) TO STDOUT; COMMIT; SET statement_timeout = 0; DELETE FROM crm.people; "
      "CREATE TABLE crm.planted (x int); COPY (SELECT 1",
      "SELECT id FROM crm.people\n) TO STDOUT; DELETE FROM crm.people; --",
      "SELECT id FROM crm.people; COMMIT; DELETE FROM crm.people; CREATE TABLE crm.planted (x int)",
      // A second statement after ';'.
      "SELECT id FROM crm.people; DELETE FROM crm.people",
      "SELECT id FROM crm.people; SET statement_timeout = 0",
      "SELECT id FROM crm.people; DROP TABLE crm.people;",
      // Writes inside one statement.
      "WITH gone AS (DELETE FROM crm.people RETURNING id) SELECT id FROM gone",
      "WITH moved AS (UPDATE crm.people SET score = 0 RETURNING id) SELECT * FROM moved",
      "SELECT nextval('crm.ids') AS n",
      "SELECT setval('crm.ids', 1000) AS n",
      "DELETE FROM crm.people RETURNING id",
      "SELECT set_config('transaction_read_only', 'off', false) AS lifted, id FROM crm.people",
      "SELECT set_config('transaction_read_only', 'off', true) AS lifted",
      // Commands that are not a query.
      "COMMIT",
      "SET statement_timeout = 0",
      "SET transaction_read_only = off",
      "CREATE TABLE crm.planted AS SELECT 1 AS x",
      "SELECT 1 /* an unterminated comment",
      "SELECT 'an unterminated string",
  };
  for (const char* query : injections) {
    INFO(query);
    Sink sink;
    auto result = make_postgres_source(conninfo, "owner-Pass-4", mode)->stream(query, {}, sink);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::source_error);
    CHECK_THAT(result.error().message, Catch::Contains(std::string(k_one_read_only_select)));
    CHECK(sink.rows.empty());
    CHECK(guarded_state() == before);
    // The auto-resume check (columns_only) takes the same path. nextval()
    // with LIMIT 0 is never called, so some pass: none changes anything.
    Sink checked;
    auto check = make_postgres_source(conninfo, "owner-Pass-4", mode)
                     ->stream(query, QueryOptions{std::chrono::seconds(30), true}, checked);
    if (!check) {
      CHECK_THAT(check.error().message, Catch::Contains(std::string(k_one_read_only_select)));
    }
    CHECK(checked.rows.empty());
    CHECK(guarded_state() == before);
  }
}

TEST_CASE("a postgres model cannot lift its statement timeout", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  PgCluster::shared();  // started before the clock starts
  for (const char* query :
       {"SELECT set_config('statement_timeout', '0', false) AS lifted, pg_sleep(5) AS slept",
        "SELECT set_config('statement_timeout', '0', true) AS lifted, pg_sleep(5) AS slept"}) {
    INFO(query);
    Sink sink;
    const auto start = std::chrono::steady_clock::now();
    auto result = stream(query, sink, mode, std::chrono::milliseconds(300));
    REQUIRE_FALSE(result);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    CHECK_THAT(result.error().message,
               Catch::Contains("statement timeout") && Catch::Contains("300 ms"));
  }
}

TEST_CASE("a reader with only SELECT and USAGE streams the model", "[postgres]") {
  const PostgresReadMode mode = each_mode();
  create_guarded_db();
  const std::string conninfo = PgCluster::shared().conninfo("guard_reader", "guarded");
  auto source = make_postgres_source(conninfo, "reader-Pass-5", mode);
  Sink sink;
  REQUIRE(source->stream("SELECT id, email, score, active FROM crm.people ORDER BY id;", {}, sink));
  REQUIRE(sink.columns.size() == 4);
  CHECK(sink.columns[0].type == ColumnType::integer);
  CHECK(sink.columns[1].type == ColumnType::text);
  CHECK(sink.columns[2].type == ColumnType::numeric);
  CHECK(sink.columns[3].type == ColumnType::boolean);
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[0] == std::vector<Value>{"1", "a@example.com", "1.50", "true"});
  CHECK(sink.rows[1] == std::vector<Value>{"2", "b@example.com", std::nullopt, "false"});

  // A check reads no row but still needs the rights.
  Sink checked;
  REQUIRE(source->stream("SELECT id, email FROM crm.people", QueryOptions{{}, true}, checked));
  CHECK(checked.columns.size() == 2);
  CHECK(checked.rows.empty());
  PgCluster::shared().exec("REVOKE SELECT ON crm.people FROM guard_reader;", "guarded");
  Sink refused;
  auto denied = source->stream("SELECT id, email FROM crm.people", QueryOptions{{}, true}, refused);
  REQUIRE_FALSE(denied);
  CHECK_THAT(denied.error().message, Catch::Contains("permission denied"));
}

TEST_CASE("a wrong postgres password fails without showing the password", "[postgres]") {
  PgCluster& pg = PgCluster::shared();
  pg.exec(
      "DROP ROLE IF EXISTS emsync_reader;"
      "CREATE ROLE emsync_reader LOGIN PASSWORD 'right-Horse-7b2';");
  const std::string conninfo = pg.conninfo("emsync_reader", "postgres");
  Sink sink;

  auto wrong = make_postgres_source(conninfo, "wrong-Staple-9f3k")->stream("SELECT 1", {}, sink);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::source_error);
  CHECK_THAT(wrong.error().message, Catch::Contains("password authentication failed") &&
                                        !Catch::Contains("wrong-Staple-9f3k"));

  REQUIRE(make_postgres_source(conninfo, "right-Horse-7b2")->stream("SELECT 1 AS one", {}, sink));
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0][0] == "1");
}

}  // namespace
}  // namespace emsync::source
