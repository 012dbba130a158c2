// The PostgreSQL row source against a real server (PgCluster).
#include <catch2/catch.hpp>
#include <chrono>

#include "source/row_source.hpp"
#include "support/pg_cluster.hpp"
#include "unit/source/recording_sink.hpp"

namespace emsync::source {
namespace {

using emsync::test::PgCluster;

using Sink = test::RecordingSink;

Result<void> stream(const std::string& query, Sink& sink,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto source = make_postgres_source(PgCluster::shared().conninfo(), std::nullopt);
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
  Sink sink;
  REQUIRE(stream("SELECT * FROM typed ORDER BY id", sink));

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

TEST_CASE("a postgres query without rows still reports its columns", "[postgres]") {
  Sink sink;
  REQUIRE(stream("SELECT 1 AS one, 'x'::text AS two WHERE false -- a trailing comment", sink));
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.columns[1].name == "two");
  CHECK(sink.rows.empty());
}

TEST_CASE("a postgres query that writes fails in the read-only transaction", "[postgres]") {
  PgCluster::shared().exec("DROP SEQUENCE IF EXISTS counter; CREATE SEQUENCE counter;");
  Sink sink;
  auto result = stream("SELECT nextval('counter') AS n;", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("read-only transaction"));
}

TEST_CASE("a postgres query running past the statement timeout is cancelled", "[postgres]") {
  PgCluster::shared();  // started before the clock starts
  Sink sink;
  const auto start = std::chrono::steady_clock::now();
  auto result = stream("SELECT pg_sleep(5)", sink, std::chrono::milliseconds(200));
  REQUIRE_FALSE(result);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::Contains("statement timeout") && Catch::Contains("200 ms"));
}

TEST_CASE("a bad postgres query is a source error naming the source", "[postgres]") {
  Sink sink;
  auto result = stream("SELECT nope FROM nowhere", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("PostgreSQL source 'host=") &&
                                         Catch::Contains("\"nowhere\" does not exist"));
}

TEST_CASE("an error from the sink stops a long postgres stream early", "[postgres]") {
  PgCluster::shared();  // started before the clock starts
  Sink sink;
  sink.fail_at_row = 10;
  const auto start = std::chrono::steady_clock::now();
  // A set-returning function in the select list streams (no materialisation).
  auto result = stream("SELECT generate_series(1, 1000000000) AS i", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(sink.rows.size() == 10);
  // Reading all rows would take minutes; cancelling the COPY takes a few ms.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
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
