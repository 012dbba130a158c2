// The PostgreSQL source's cursor mode (read_mode "cursor", for Redshift)
// against PostgreSQL, compared with COPY mode; cancelling a query in either
// mode; and memory. test_pg_source.cpp runs the common cases in both modes.
#include <malloc.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "source/row_source.hpp"
#include "support/pg_cluster.hpp"
#include "unit/source/recording_sink.hpp"

namespace emsync::source {
namespace {

using emsync::test::PgCluster;
using Sink = test::RecordingSink;
using Clock = std::chrono::steady_clock;

std::unique_ptr<RowSource> source_in(PostgresReadMode mode) {
  return make_postgres_source(PgCluster::shared().conninfo(), std::nullopt, mode);
}

// Counts rows and their bytes, keeps none; optionally sets `cancel` at a row,
// or waits after each.
class CountingSink : public RowSink {
 public:
  std::int64_t rows = 0;
  std::int64_t bytes = 0;
  std::atomic<bool>* cancel_at_row_flag = nullptr;
  std::int64_t cancel_at_row = -1;
  std::chrono::microseconds pause{0};

  Result<void> on_columns(const std::vector<Column>&) override { return ok(); }
  Result<void> on_row(std::span<const Value> values) override {
    if (rows++ == cancel_at_row) {
      *cancel_at_row_flag = true;
    }
    for (const auto& value : values) {
      bytes += value ? static_cast<std::int64_t>(value->size()) : 0;
    }
    if (pause.count() > 0) {
      std::this_thread::sleep_for(pause);
    }
    return ok();
  }
};

// A field of /proc/self/status ("VmRSS", "VmHWM"), in bytes.
std::int64_t status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) {
      return std::stoll(line.substr(field.size() + 1)) * 1024;  // "VmHWM:   12345 kB"
    }
  }
  FAIL("no " << field << " in /proc/self/status");
  return 0;
}

// First in the file, so that little else has run in this process.
TEST_CASE("a postgres stream's peak memory does not grow with its rows", "[postgres][cursor]") {
  PgCluster::shared();
  const auto mode = GENERATE(PostgresReadMode::cursor, PostgresReadMode::copy);
  INFO("read_mode " << to_string(mode));
  struct Case {
    const char* query;
    std::int64_t rows;
    std::int64_t row_bytes;
  };
  // 100 MB of 1 KB rows; 128 MB of 64 KB rows, where one FETCH held whole
  // would be 64 MB.
  const auto [query, rows, row_bytes] = GENERATE(
      Case{"SELECT i, repeat('x', 1000) AS pad FROM generate_series(1, 100000) AS i", 100000, 1000},
      Case{"SELECT i, repeat('y', 65536) AS pad FROM generate_series(1, 2000) AS i", 2000, 65536});
  INFO(query);
  auto source = source_in(mode);
  CountingSink warm_up;  // libpq, the connection and the allocator's first arenas
  REQUIRE(source->stream("SELECT 1 AS one", {}, warm_up));
  malloc_trim(0);
  {
    std::ofstream reset("/proc/self/clear_refs");  // "5": VmHWM starts again at VmRSS
    reset << "5";
  }
  const std::int64_t before = status_bytes("VmRSS");
  REQUIRE(status_bytes("VmHWM") < before + (1 << 20));

  CountingSink sink;
  REQUIRE(source->stream(query, {}, sink));
  CHECK(sink.rows == rows);
  CHECK(sink.bytes > rows * row_bytes);
  const std::int64_t growth = status_bytes("VmHWM") - before;
  INFO("peak grew by " << growth / 1024 << " KiB");
  CHECK(growth < 4 * (1 << 20));
}

TEST_CASE("cursor and COPY modes give the same columns and values for every type",
          "[postgres][cursor]") {
  const std::string query = R"(
    SELECT * FROM (VALUES
      (1::int2, 2::int4, 9007199254740993::int8, 1.5::float4, 0.1::float8, 12.340::numeric(10,3),
       'NaN'::numeric, '-Infinity'::float8, 1e20::float8, true, '2024-02-29'::date,
       '2024-05-01 12:00:00.5+02'::timestamptz, '2024-05-01 10:00:00'::timestamptz,
       '2024-05-01 10:00'::timestamp, E'tab\there\nnew line \\ back\rcr'::text, ''::text,
       '\N'::text, 'x'::varchar(5), 'y'::char(3), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid,
       '{"k": [1, "é"]}'::jsonb, '1 day 02:03:04'::interval, '\xdeadbeef'::bytea,
       ARRAY['a', 'b c', NULL]::text[], '12:34:56'::time, 'ü€😀'::text),
      (0::int2, -7, NULL, NULL, -2.5, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
    ) AS every(small, normal, big, real4, real8, exact, nan, minus_inf, huge, flag, day, zoned,
               zoned_utc, local, escaped, empty, backslash_n, short, padded, id, doc, span, raw,
               list, clock, unicode);
  )";
  Sink copied;
  REQUIRE(source_in(PostgresReadMode::copy)->stream(query, {}, copied));
  Sink fetched;
  REQUIRE(source_in(PostgresReadMode::cursor)->stream(query, {}, fetched));

  REQUIRE(copied.columns.size() == 26);
  REQUIRE(fetched.columns.size() == copied.columns.size());
  for (std::size_t i = 0; i < copied.columns.size(); ++i) {
    CHECK(fetched.columns[i].name == copied.columns[i].name);
    CHECK(fetched.columns[i].type == copied.columns[i].type);
  }
  REQUIRE(copied.rows.size() == 3);
  CHECK(fetched.rows == copied.rows);
  // The canonical forms (row_source.hpp), whichever the mode.
  const auto& row = fetched.rows[0];
  CHECK(row[2] == "9007199254740993");
  CHECK(row[3] == "1.5");
  CHECK(row[4] == "0.1");
  CHECK(row[5] == "12.340");
  CHECK(row[6] == "NaN");
  CHECK(row[7] == "-Infinity");
  CHECK(row[8] == "1e+20");
  CHECK(row[9] == "true");
  CHECK(row[10] == "2024-02-29");
  CHECK(row[11] == "2024-05-01 10:00:00.5");
  CHECK(row[12] == "2024-05-01 10:00:00");
  CHECK(row[13] == "2024-05-01 10:00:00");
  CHECK(row[14] == "tab\there\nnew line \\ back\rcr");
  CHECK(row[15] == "");
  CHECK(row[16] == "\\N");
  CHECK(row[18] == "y  ");
  CHECK(row[20] == R"({"k": [1, "é"]})");
  CHECK(row[22] == "\\xdeadbeef");
  CHECK(row[23] == R"({a,"b c",NULL})");
  CHECK(row[25] == "ü€😀");
  CHECK(fetched.rows[1][9] == "false");
  CHECK(fetched.rows[1][2] == std::nullopt);
  for (const auto& value : fetched.rows[2]) {
    CHECK(value == std::nullopt);
  }
}

TEST_CASE("a cursor reads every row over several FETCHes, in order", "[postgres][cursor]") {
  // Fewer than one FETCH, exactly one (then an empty one), several and a part.
  const int count =
      GENERATE(0, 1, k_cursor_fetch_rows - 1, k_cursor_fetch_rows, 2 * k_cursor_fetch_rows + 7);
  INFO(count << " rows");
  Sink sink;
  REQUIRE(source_in(PostgresReadMode::cursor)
              ->stream("SELECT i, 'row ' || i AS label FROM generate_series(1, " +
                           std::to_string(count) + ") AS i ORDER BY i;",
                       {}, sink));
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.columns[0].type == ColumnType::integer);
  REQUIRE(sink.rows.size() == static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    if (sink.rows[i][0] != std::to_string(i + 1) ||
        sink.rows[i][1] != "row " + std::to_string(i + 1)) {
      FAIL("row " << i << " is " << sink.rows[i][0].value_or("NULL"));
    }
  }
}

TEST_CASE("read_mode picks the cursor or COPY; auto reads PostgreSQL with COPY",
          "[postgres][cursor]") {
  // A model sees its own cursor in pg_cursors, and none under COPY.
  const std::string query =
      "SELECT count(*) AS cursors FROM pg_cursors WHERE name = 'emsync_model'";
  const std::vector<Value> one = {"1"};
  const std::vector<Value> none = {"0"};
  Sink in_cursor;
  REQUIRE(source_in(PostgresReadMode::cursor)->stream(query, {}, in_cursor));
  REQUIRE(in_cursor.rows.size() == 1);
  CHECK(in_cursor.rows[0] == one);

  Sink in_copy;
  REQUIRE(source_in(PostgresReadMode::copy)->stream(query, {}, in_copy));
  REQUIRE(in_copy.rows.size() == 1);
  CHECK(in_copy.rows[0] == none);

  auto automatic = source_in(PostgresReadMode::automatic);
  for (int stream = 0; stream < 2; ++stream) {  // the second with the answer kept
    Sink sink;
    REQUIRE(automatic->stream(query, {}, sink));
    REQUIRE(sink.rows.size() == 1);
    CHECK(sink.rows[0] == none);
  }
}

TEST_CASE("a cursor's check (columns_only) reads no row and still needs the rights",
          "[postgres][cursor]") {
  PgCluster& pg = PgCluster::shared();
  pg.exec(
      "DROP TABLE IF EXISTS hidden; CREATE TABLE hidden (id int); INSERT INTO hidden VALUES (1);"
      "DROP ROLE IF EXISTS cursor_reader; CREATE ROLE cursor_reader LOGIN PASSWORD "
      "'cursor-Pass-6';");
  const QueryOptions check{std::chrono::seconds(30), true};
  Sink checked;
  REQUIRE(source_in(PostgresReadMode::cursor)->stream("SELECT id FROM hidden", check, checked));
  CHECK(checked.columns.size() == 1);
  CHECK(checked.rows.empty());

  auto reader = make_postgres_source(pg.conninfo("cursor_reader", "postgres"), "cursor-Pass-6",
                                     PostgresReadMode::cursor);
  Sink refused;
  auto denied = reader->stream("SELECT id FROM hidden", check, refused);
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == Errc::source_error);
  CHECK_THAT(denied.error().message, Catch::Contains("permission denied"));
}

TEST_CASE("a cursor's whole stream is bounded by the statement timeout, not each FETCH",
          "[postgres][cursor]") {
  PgCluster::shared();
  // Each FETCH is quick, but the sink takes 1 ms a row: past 400 ms, the
  // next FETCH is not sent.
  CountingSink sink;
  sink.pause = std::chrono::milliseconds(1);
  auto result = source_in(PostgresReadMode::cursor)
                    ->stream("SELECT generate_series(1, 5000) AS i",
                             QueryOptions{std::chrono::milliseconds(400)}, sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::EndsWith("the model query ran longer than the statement timeout (after 400 "
                             "ms): make the model query faster or raise statement_timeout"));
  CHECK(sink.rows == k_cursor_fetch_rows);
}

TEST_CASE("a cancel stops a postgres query the server is still computing", "[postgres][cursor]") {
  const auto mode =
      GENERATE(PostgresReadMode::copy, PostgresReadMode::cursor, PostgresReadMode::automatic);
  INFO("read_mode " << to_string(mode));
  auto source = source_in(mode);
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  Sink sink;
  const auto start = Clock::now();
  auto result = source->stream("SELECT pg_sleep(30) AS slept",
                               QueryOptions{.cancel_requested = &cancel}, sink);
  const auto took = Clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK_THAT(result.error().message, Catch::StartsWith("PostgreSQL source 'host=") &&
                                         Catch::EndsWith("': the model query was cancelled"));
  CHECK(took < std::chrono::seconds(2));
  CHECK(sink.rows.empty());

  // The source streams again afterwards (a new connection each time).
  cancel = false;
  Sink again;
  REQUIRE(source->stream("SELECT 1 AS one", QueryOptions{.cancel_requested = &cancel}, again));
  CHECK(again.rows.size() == 1);
}

TEST_CASE("a cancel stops a postgres stream between rows", "[postgres][cursor]") {
  const auto mode = GENERATE(PostgresReadMode::copy, PostgresReadMode::cursor);
  INFO("read_mode " << to_string(mode));
  PgCluster::shared();
  std::atomic<bool> cancel{false};
  CountingSink sink;  // keeps accepting rows: the source must stop by itself
  sink.cancel_at_row_flag = &cancel;
  sink.cancel_at_row = 2500;
  const auto start = Clock::now();
  auto result = source_in(mode)->stream("SELECT generate_series(1, 1000000000) AS i",
                                        QueryOptions{.cancel_requested = &cancel}, sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(sink.rows > 2500);
  CHECK(Clock::now() - start < std::chrono::seconds(5));  // all rows would take minutes
}

}  // namespace
}  // namespace emsync::source
