// The ODBC row source through psqlODBC (odbc-postgresql) against the
// fixture's PostgreSQL (PgCluster), DSN-less: block mode (array fetch),
// and the same values as the libpq source for the same query.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <clocale>
#include <optional>
#include <thread>

#include "pg_changes.hpp"
#include "source/row_source.hpp"
#include "support/pg_cluster.hpp"
#include "unit/source/odbc_test_env.hpp"
#include "unit/source/recording_sink.hpp"

namespace emsync::source {
namespace {

using emsync::test::PgCluster;
using Sink = test::RecordingSink;

// psqlODBC as README "Warehouses" advises: rows fetched through a cursor,
// 1000 at a time, and the session in UTC.
std::string odbc_string(const std::string& user = "postgres", const std::string& db = "postgres") {
  const PgCluster& pg = PgCluster::shared();
  return std::string("Driver=") + test::k_psql_odbc_driver +
         ";Servername=" + pg.socket_dir().string() + ";Port=" + std::to_string(pg.port()) +
         ";Database=" + db + ";Username=" + user +
         ";UseDeclareFetch=1;Fetch=1000;pqopt={options='-c TimeZone=UTC'}";
}

Result<void> stream(const std::string& query, RowSink& sink, QueryOptions options = {}) {
  return make_odbc_source(odbc_string(), std::nullopt)->stream(query, options, sink);
}

// Sets the process's LC_CTYPE for a scope, and sets it back to "C".
class CtypeLocale {
 public:
  explicit CtypeLocale(const char* name) { REQUIRE(std::setlocale(LC_CTYPE, name) != nullptr); }
  ~CtypeLocale() { std::setlocale(LC_CTYPE, "C"); }
  CtypeLocale(const CtypeLocale&) = delete;
  CtypeLocale& operator=(const CtypeLocale&) = delete;
};

TEST_CASE("odbc through psqlODBC gives the libpq source's columns and values", "[odbc]") {
  // Character data as UTF-8 (text_fetch auto: in the C locale the daemon
  // runs in, and in a UTF-8 one) and as UTF-16 (text_fetch utf16).
  OdbcTextFetch text_fetch = OdbcTextFetch::automatic;
  std::optional<CtypeLocale> locale;
  SECTION("UTF-8, C locale") {}
  SECTION("UTF-8, UTF-8 locale") { locale.emplace("C.UTF-8"); }
  SECTION("UTF-16") { text_fetch = OdbcTextFetch::utf16; }
  PgCluster::shared().exec(R"(
    DROP TABLE IF EXISTS odbc_typed;
    CREATE TABLE odbc_typed (id int, name text, big bigint, small smallint, price numeric(10,2),
                             ratio double precision, active boolean, born date, seen timestamptz,
                             local_seen timestamp, code varchar(12), free varchar, tag uuid,
                             doc json, at time, n numeric, r real);
    INSERT INTO odbc_typed VALUES
      (1, E'tab\there\nnew line \\ back\rcr Zoë 日本 😀', 9007199254740993, -3, 12.50, 0.1, true,
       '1990-02-03', '2024-05-01 12:00:00+02', '2024-05-01 10:00:00', 'abc',
       repeat('v', 300), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"a": [1, 2]}', '10:11:12.5',
       1e20, 1.5),
      (2, NULL, NULL, NULL, NULL, 1e20, false, NULL, '2024-05-01 10:00:00.25+00', NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL),
      (3, '\N', 0, 0, 0, -2.5, NULL, '2024-12-31', NULL, '2024-05-01 10:00:00.123456', '',
       '', NULL, NULL, NULL, 12345678901234567890.123456789, 0.1);
  )");
  const std::string query = "SELECT *, name AS \"prénom 名\" FROM odbc_typed ORDER BY id";
  Sink odbc;
  auto streamed = make_odbc_source(odbc_string(), std::nullopt, "PWD", text_fetch)
                      ->stream(query, {}, odbc);
  INFO((streamed ? "" : streamed.error().message));
  REQUIRE(streamed);
  Sink libpq;
  REQUIRE(
      make_postgres_source(PgCluster::shared().conninfo(), std::nullopt)->stream(query, {}, libpq));

  REQUIRE(odbc.columns.size() == libpq.columns.size());
  for (std::size_t i = 0; i < odbc.columns.size(); ++i) {
    INFO(odbc.columns[i].name);
    CHECK(odbc.columns[i].name == libpq.columns[i].name);
    CHECK(std::string(to_string(odbc.columns[i].type)) == to_string(libpq.columns[i].type));
  }
  REQUIRE(odbc.rows.size() == 3);
  for (std::size_t row = 0; row < odbc.rows.size(); ++row) {
    for (std::size_t i = 0; i < odbc.columns.size(); ++i) {
      INFO("row " << row << ", column " << odbc.columns[i].name);
      CHECK(odbc.rows[row][i] == libpq.rows[row][i]);
    }
  }
  CHECK(odbc.rows[0][1] == "tab\there\nnew line \\ back\rcr Zoë 日本 😀");
  CHECK(odbc.rows[0][4] == "12.50");
  CHECK(odbc.rows[0][6] == "true");
  CHECK(odbc.rows[0][8] == "2024-05-01 10:00:00");
  CHECK(odbc.rows[1][8] == "2024-05-01 10:00:00.25");
}

TEST_CASE("odbc text columns carry the declared length psqlODBC reports", "[odbc]") {
  const std::string query =
      "SELECT 'a'::varchar(12) AS code, 'b'::char(5) AS flag, 'c'::varchar(300) AS note, "
      "'d'::text AS free, 'e'::varchar AS any_length, 1::int AS n";
  Sink odbc;
  REQUIRE(stream(query, odbc));
  REQUIRE(odbc.columns.size() == 6);
  CHECK(odbc.columns[0].max_chars == std::optional<std::int64_t>(12));
  CHECK(odbc.columns[1].max_chars == std::optional<std::int64_t>(5));
  // psqlODBC reports a varchar longer than its MaxVarcharSize (255) as a long
  // type, and an unconstrained one as varchar(255) (its UnknownSizes default).
  CHECK_FALSE(odbc.columns[2].max_chars);
  CHECK_FALSE(odbc.columns[3].max_chars);  // text: a long type
  CHECK(odbc.columns[4].max_chars == std::optional<std::int64_t>(255));
  CHECK_FALSE(odbc.columns[5].max_chars);
}

TEST_CASE("an odbc bytea column is binary and never read", "[odbc]") {
  Sink sink;
  REQUIRE(stream("SELECT 'a@x.com' AS email, '\\x0102'::bytea AS photo", sink));
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.columns[1].type == ColumnType::binary);
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0] == std::vector<Value>{"a@x.com", std::nullopt});
}

TEST_CASE("an odbc query without rows still reports its columns", "[odbc]") {
  Sink sink;
  auto result = stream("SELECT 1 AS one, 'x'::text AS two WHERE false -- a trailing comment", sink);
  INFO((result ? "" : result.error().message));
  REQUIRE(result);
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.columns[1].name == "two");
  CHECK(sink.rows.empty());
}

TEST_CASE("odbc columns_only prepares and describes without running", "[odbc]") {
  QueryOptions check;
  check.columns_only = true;
  Sink sink;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(stream("SELECT pg_sleep(10) AS slept, 1 AS one", sink, check));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.rows.empty());
}

std::string odbc_table_state() {
  return PgCluster::shared().query(
      "SELECT string_agg(id::text, ',' ORDER BY id) FROM odbc_guarded");
}

TEST_CASE("odbc writes inside the model are rolled back", "[odbc]") {
  PgCluster::shared().exec(
      "DROP TABLE IF EXISTS odbc_guarded; CREATE TABLE odbc_guarded (id int);"
      "INSERT INTO odbc_guarded VALUES (1), (2);");
  REQUIRE(odbc_table_state() == "1,2");
  for (const char* query : {
           "WITH gone AS (DELETE FROM odbc_guarded RETURNING id) SELECT id FROM gone",
           "SELECT id FROM odbc_guarded; DELETE FROM odbc_guarded",
           "INSERT INTO odbc_guarded VALUES (3) RETURNING id",
       }) {
    INFO(query);
    Sink sink;
    (void)stream(query, sink);  // runs or fails: either way nothing stays
    CHECK(odbc_table_state() == "1,2");
  }
  Sink refused;
  auto insert = stream("INSERT INTO odbc_guarded VALUES (4)", refused);
  REQUIRE_FALSE(insert);
  CHECK_THAT(insert.error().message, Catch::Contains(std::string(k_one_read_only_select)));
  CHECK(odbc_table_state() == "1,2");
}

TEST_CASE("psqlODBC with default_transaction_read_only refuses a write after COMMIT", "[odbc]") {
  PgCluster::shared().exec(
      "DROP TABLE IF EXISTS odbc_guarded; CREATE TABLE odbc_guarded (id int);"
      "INSERT INTO odbc_guarded VALUES (1), (2);");
  // Without the option, the COMMIT would make the DELETE stay.
  std::string hardened = odbc_string();
  hardened.replace(hardened.find("-c TimeZone=UTC"), 15,
                   "-c default_transaction_read_only=on -c TimeZone=UTC");
  Sink sink;
  auto result = make_odbc_source(hardened, std::nullopt)
                    ->stream("SELECT 1 AS x; COMMIT; DELETE FROM odbc_guarded", {}, sink);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::Contains("SQLSTATE 25006") &&
                                         Catch::Contains(std::string(k_one_read_only_select)));
  CHECK(odbc_table_state() == "1,2");
  Sink read;
  REQUIRE(make_odbc_source(hardened, std::nullopt)
              ->stream("SELECT id FROM odbc_guarded ORDER BY id", {}, read));
  CHECK(read.rows.size() == 2);
}

TEST_CASE("an odbc query running past the statement timeout fails", "[odbc]") {
  PgCluster::shared();  // started before the clock starts
  Sink sink;
  QueryOptions options;
  options.statement_timeout = std::chrono::milliseconds(1000);
  const auto start = std::chrono::steady_clock::now();
  auto result = stream("SELECT pg_sleep(8) AS slept", sink, options);
  REQUIRE_FALSE(result);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("statement timeout"));
}

TEST_CASE("a bad odbc query carries the SQLSTATE, the message and the remedy", "[odbc]") {
  Sink sink;
  auto result = stream("SELECT nope FROM nowhere", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::StartsWith("ODBC source 'Driver=" + std::string(test::k_psql_odbc_driver)) &&
                 Catch::Contains("SQLSTATE 42P01: ") &&
                 Catch::Contains("relation \"nowhere\" does not exist") &&
                 Catch::Contains("check the model and the grants"));
}

TEST_CASE("an error from the sink stops a long odbc stream early", "[odbc]") {
  PgCluster::shared();  // started before the clock starts
  Sink sink;
  sink.fail_at_row = 10;
  const auto start = std::chrono::steady_clock::now();
  auto result = stream("SELECT generate_series(1, 1000000000) AS i", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(sink.rows.size() == 10);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("an odbc query is cancelled within a second of the flag", "[odbc]") {
  PgCluster::shared();  // started before the clock starts
  std::atomic<bool> cancel{false};
  QueryOptions options;
  options.cancel_requested = &cancel;
  Sink sink;
  std::chrono::steady_clock::time_point flagged;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    flagged = std::chrono::steady_clock::now();
    cancel = true;
  });
  auto result = stream("SELECT pg_sleep(30) AS slept", sink, options);
  const auto ended = std::chrono::steady_clock::now();
  canceller.join();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(ended - flagged < std::chrono::seconds(1));
}

TEST_CASE("a wrong odbc password fails without showing it; a braced one logs in", "[odbc]") {
  PgCluster& pg = PgCluster::shared();
  // '}' and ';' would end an unbraced or badly braced PWD value.
  pg.exec(
      "DROP ROLE IF EXISTS odbc_reader;"
      "CREATE ROLE odbc_reader LOGIN PASSWORD 'ri}ght;Horse=7b2';");
  Sink sink;
  auto wrong = make_odbc_source(odbc_string("odbc_reader"), std::string("wrong-Staple-9f3k"))
                   ->stream("SELECT 1", {}, sink);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::source_error);
  CHECK_THAT(wrong.error().message, Catch::Contains("cannot connect: SQLSTATE") &&
                                        Catch::Contains("password authentication failed") &&
                                        Catch::Contains("login failed") &&
                                        !Catch::Contains("wrong-Staple-9f3k"));

  REQUIRE(make_odbc_source(odbc_string("odbc_reader"), std::string("ri}ght;Horse=7b2"))
              ->stream("SELECT 1 AS one", {}, sink));
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0][0] == "1");
}

// Counts rows and checks each without keeping them (100,000 rows).
class CheckingSink : public RowSink {
 public:
  std::int64_t rows = 0;
  std::int64_t wrong = 0;
  std::size_t longest = 0;
  Result<void> on_columns(const std::vector<Column>&) override { return ok(); }
  Result<void> on_row(std::span<const Value> values) override {
    ++rows;
    const std::string expected_id = std::to_string(rows);
    if (values[0] != expected_id || values[1] != "person" + expected_id + "@example.com" ||
        (rows % 2 == 0 ? values[2].has_value() : values[2] != "é" + expected_id)) {
      ++wrong;
    }
    if (values[3]) {
      longest = std::max(longest, values[3]->size());
      const std::size_t xs = values[3]->find_first_not_of('x');
      if (xs != 10000 || values[3]->find_first_not_of('y', xs) != std::string::npos) {
        ++wrong;
      }
    }
    return ok();
  }
};

TEST_CASE("odbc streams 100,003 rows in blocks, long values whole", "[odbc]") {
  CheckingSink sink;
  // Every 1000th row carries a value of 100 KB, far past its bound buffer.
  REQUIRE(
      stream("SELECT i AS id, 'person' || i || '@example.com' AS email, "
             "CASE WHEN i % 2 = 1 THEN 'é' || i END AS note, "
             "CASE WHEN i % 1000 = 7 THEN repeat('x', 10000) || repeat('y', 90000) END AS body "
             "FROM generate_series(1, 100003) AS i",
             sink));
  CHECK(sink.rows == 100003);
  CHECK(sink.wrong == 0);
  CHECK(sink.longest == 100000);
}

TEST_CASE("odbc values longer than the column metadata promised stay whole as buffers widen",
          "[odbc]") {
  // Each block of 1000 rows longer than the one before, then short again:
  // the buffers of `body` (psqlODBC's text: size unknown) widen after a
  // block that did not fit, and every value is exact before and after.
  Sink sink;
  REQUIRE(stream("SELECT i, repeat(chr(97 + (i - 1) / 1000), "
                 "(ARRAY[10, 300, 3000, 10])[(i - 1) / 1000 + 1] + i % 7) AS body "
                 "FROM generate_series(1, 4000) AS i ORDER BY i",
                 sink));
  REQUIRE(sink.rows.size() == 4000);
  const int lengths[] = {10, 300, 3000, 10};
  for (int i = 1; i <= 4000; ++i) {
    const int block = (i - 1) / 1000;
    const std::string expected(static_cast<std::size_t>(lengths[block] + i % 7),
                               static_cast<char>('a' + block));
    REQUIRE(sink.rows[static_cast<std::size_t>(i - 1)][1] == expected);
  }
}

// Incremental reads: the bound bound with SQLBindParameter, typed.
std::vector<std::string> filtered_ids(RowFilter filter) {
  QueryOptions options;
  options.filter = std::move(filter);
  Sink sink;
  auto result = stream("SELECT * FROM changes ORDER BY id;", sink, options);
  INFO((result ? "" : result.error().message));
  REQUIRE(result);
  CHECK(sink.columns.size() == 7);
  return sink.column(0);
}

TEST_CASE("odbc filters read exactly the rows at or above the bound, typed as the column",
          "[odbc]") {
  // Row 1 is at 08:00 UTC, the session's time zone.
  emsync::test::create_pg_changes();
  using Ids = std::vector<std::string>;
  CHECK(filtered_ids({"version", ColumnType::integer, "42"}) == Ids{"2", "3"});
  CHECK(filtered_ids({"version", ColumnType::integer, "-1"}) == Ids{"1", "2", "3", "5"});
  CHECK(filtered_ids({"big", ColumnType::integer, "42"}) == Ids{"2", "3"});
  CHECK(filtered_ids({"day", ColumnType::date, "2026-12-02"}) == Ids{"2", "3"});
  CHECK(filtered_ids({"local_at", ColumnType::timestamp, "2026-12-02 08:30:00"}) == Ids{"2", "3"});
  CHECK(filtered_ids({"local_at", ColumnType::timestamp, "2026-12-02 09:00:00.250000"}) ==
        Ids{"3"});
  CHECK(filtered_ids({"local_at", ColumnType::timestamp, "2026-12-02 07:59:59.999999"}) ==
        Ids{"1", "2", "3", "5"});
  CHECK(filtered_ids({"at", ColumnType::timestamp, "2026-12-02 08:30:00"}) == Ids{"2", "3"});
  CHECK(filtered_ids({"at", ColumnType::timestamp, "2026-12-02 08:00:00"}) == Ids{"1", "2", "3"});
  CHECK(filtered_ids({"odd \"col", ColumnType::integer, "1"}) == Ids{"1", "2", "3"});
}

}  // namespace
}  // namespace emsync::source
