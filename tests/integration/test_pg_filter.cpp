// Incremental reads (QueryOptions::filter) from PostgreSQL: in every read
// mode through the cursor, the bound a parameter the server types as the
// column, so that an index on it is used.
#include <libpq-fe.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "pg_changes.hpp"
#include "source/pg_statements.hpp"
#include "source/row_source.hpp"
#include "support/pg_cluster.hpp"
#include "unit/source/recording_sink.hpp"

namespace emsync::source {
namespace {

using emsync::test::create_pg_changes;
using emsync::test::PgCluster;
using Sink = test::RecordingSink;
using Ids = std::vector<std::string>;

PostgresReadMode each_mode() {
  const auto mode =
      GENERATE(PostgresReadMode::copy, PostgresReadMode::cursor, PostgresReadMode::automatic);
  UNSCOPED_INFO("read_mode " << to_string(mode));
  return mode;
}

QueryOptions filtered(RowFilter filter) {
  QueryOptions options;
  options.filter = std::move(filter);
  return options;
}

Result<void> stream(const std::string& query, const QueryOptions& options, RowSink& sink,
                    PostgresReadMode mode) {
  return make_postgres_source(PgCluster::shared().conninfo(), std::nullopt, mode)
      ->stream(query, options, sink);
}

// The ids of the rows of `changes` that `filter` selects.
Ids filtered_ids(RowFilter filter, PostgresReadMode mode) {
  Sink sink;
  auto result =
      stream("SELECT * FROM changes ORDER BY id;", filtered(std::move(filter)), sink, mode);
  INFO((result ? "" : result.error().message));
  REQUIRE(result);
  CHECK(sink.columns_calls == 1);
  CHECK(sink.columns.size() == 7);
  return sink.column(0);
}

TEST_CASE("a postgres filter compares a timestamptz with a UTC bound", "[postgres][filter]") {
  create_pg_changes();
  const PostgresReadMode mode = each_mode();
  // Row 1 is at 08:00 UTC: after 08:30 in its own zone, before it in UTC.
  CHECK(filtered_ids({"at", ColumnType::timestamp, "2026-12-02 08:30:00"}, mode) == Ids{"2", "3"});
  CHECK(filtered_ids({"at", ColumnType::timestamp, "2026-12-02 08:00:00"}, mode) ==
        Ids{"1", "2", "3"});
  CHECK(filtered_ids({"at", ColumnType::timestamp, "2026-12-02 09:00:00.250000"}, mode) ==
        Ids{"3"});
  CHECK(filtered_ids({"at", ColumnType::timestamp, "2026-12-02 07:59:59.999999"}, mode) ==
        Ids{"1", "2", "3", "5"});
}

TEST_CASE("a postgres filter reads timestamp, date, int8 and numeric cursors from the bound on",
          "[postgres][filter]") {
  create_pg_changes();
  const PostgresReadMode mode = each_mode();
  CHECK(filtered_ids({"local_at", ColumnType::timestamp, "2026-12-02 08:30:00"}, mode) ==
        Ids{"2", "3"});
  CHECK(filtered_ids({"local_at", ColumnType::timestamp, "2026-12-02 09:00:00.250000"}, mode) ==
        Ids{"3"});
  CHECK(filtered_ids({"day", ColumnType::date, "2026-12-02"}, mode) == Ids{"2", "3"});
  CHECK(filtered_ids({"version", ColumnType::integer, "42"}, mode) == Ids{"2", "3"});
  CHECK(filtered_ids({"version", ColumnType::integer, "-9223372036854775808"}, mode) ==
        Ids{"1", "2", "3", "5"});
  CHECK(filtered_ids({"big", ColumnType::integer, "42"}, mode) == Ids{"2", "3"});
  // A quote in the column's name is doubled, not the end of the identifier.
  CHECK(filtered_ids({"odd \"col", ColumnType::integer, "1"}, mode) == Ids{"1", "2", "3"});
}

TEST_CASE("a filtered postgres read gives the values of a full read", "[postgres][filter]") {
  create_pg_changes();
  const PostgresReadMode mode = each_mode();
  Sink full;
  REQUIRE(stream("SELECT * FROM changes WHERE id IN (1, 3) ORDER BY id", {}, full, mode));
  Sink sink;
  REQUIRE(stream("SELECT * FROM changes WHERE id IN (1, 3) ORDER BY id",
                 filtered({"version", ColumnType::integer, "0"}), sink, mode));
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows == full.rows);
  CHECK(sink.rows[0][1] == "2026-12-02 08:00:00");
  REQUIRE(sink.columns.size() == full.columns.size());
  for (std::size_t i = 0; i < sink.columns.size(); ++i) {
    CHECK(sink.columns[i].name == full.columns[i].name);
    CHECK(sink.columns[i].type == full.columns[i].type);
  }
}

TEST_CASE("a postgres filter's sink sees the model's columns before the bound is compared",
          "[postgres][filter]") {
  create_pg_changes();
  const PostgresReadMode mode = each_mode();
  // A timestamp bound for an int8 column: the server refuses it...
  Sink accepting;
  auto compared =
      stream("SELECT id, version FROM changes",
             filtered({"version", ColumnType::timestamp, "2026-12-02 00:00:00"}), accepting, mode);
  REQUIRE_FALSE(compared);
  CHECK(compared.error().code == Errc::source_error);
  CHECK_THAT(compared.error().message, Catch::Contains("invalid input syntax for type bigint"));
  CHECK(accepting.columns_calls == 1);
  // ...unless the sink refused the column first.
  class Refusing : public Sink {
   public:
    Result<void> on_columns(const std::vector<Column>& columns) override {
      EMSYNC_TRY(Sink::on_columns(columns));
      return make_error(Errc::invalid_input, "cursor column 'version' is no timestamp");
    }
  } refusing;
  auto refused =
      stream("SELECT id, version FROM changes",
             filtered({"version", ColumnType::timestamp, "2026-12-02 00:00:00"}), refusing, mode);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message == "cursor column 'version' is no timestamp");
  REQUIRE(refusing.columns.size() == 2);
  CHECK(refusing.columns[1].type == ColumnType::integer);
}

TEST_CASE("a filtered postgres model is still one read-only SELECT", "[postgres][filter]") {
  create_pg_changes();
  const PostgresReadMode mode = each_mode();
  for (const char* query : {"SELECT id, version FROM changes; DELETE FROM changes",
                            "DELETE FROM changes RETURNING id, version",
                            "WITH gone AS (DELETE FROM changes RETURNING *) SELECT * FROM gone"}) {
    INFO(query);
    Sink sink;
    auto result = stream(query, filtered({"version", ColumnType::integer, "0"}), sink, mode);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::source_error);
  }
  CHECK(PgCluster::shared().query("SELECT count(*) FROM changes") == "5");
  // A missing column is the server's error, naming it.
  Sink sink;
  auto missing =
      stream("SELECT id FROM changes", filtered({"version", ColumnType::integer, "0"}), sink, mode);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message,
             Catch::Contains("column emsync_model.version does not exist"));
}

struct Scans {
  std::int64_t sequential = 0;
  std::int64_t index = 0;  // the planner's look at the index's ends counts too
  bool operator==(const Scans&) const = default;
};

// The scans of `table` the statistics count now.
Scans scans(const std::string& table) {
  const std::string counts = PgCluster::shared().query(
      "SELECT seq_scan || '|' || coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = '" +
      table + "'");
  const auto bar = counts.find('|');
  return Scans{std::stoll(counts.substr(0, bar)), std::stoll(counts.substr(bar + 1))};
}

// scans() once sessions that ended have reported theirs (a session reports
// as it exits, after its client has gone): the same twice, 300 ms apart.
Scans settled_scans(const std::string& table) {
  Scans last = scans(table);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const Scans now = scans(table);
    if (now == last) {
      return now;
    }
    last = now;
  }
}

TEST_CASE("a filtered postgres read uses the index on its cursor column", "[postgres][filter]") {
  const PostgresReadMode mode = each_mode();
  PgCluster::shared().exec(R"(
    DROP TABLE IF EXISTS indexed;
    CREATE TABLE indexed (email text, updated_at timestamptz, version int8, pad text);
    INSERT INTO indexed SELECT 'c' || i || '@example.com',
                               timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute', i,
                               repeat('x', 200)
                        FROM generate_series(1, 20000) AS i;
    CREATE INDEX indexed_updated_at ON indexed (updated_at);
    CREATE INDEX indexed_version ON indexed (version);
    ANALYZE indexed;
  )");
  const std::string model = "SELECT email, updated_at, version FROM indexed";
  struct Case {
    RowFilter filter;
    std::size_t rows;
  };
  // The last 10 minutes (19991..20000), the last 100 versions.
  for (const Case& c : {Case{{"updated_at", ColumnType::timestamp, "2026-01-14 21:11:00"}, 10},
                        Case{{"version", ColumnType::integer, "19901"}, 100}}) {
    INFO(c.filter.column);
    const Scans before = settled_scans("indexed");
    Sink sink;
    REQUIRE(stream(model, filtered(c.filter), sink, mode));
    CHECK(sink.rows.size() == c.rows);
    // The index read, the table not scanned: the server planned the filter
    // with the bound typed as the column.
    const Scans after = settled_scans("indexed");
    CHECK(after.sequential == before.sequential);
    CHECK(after.index > before.index);
  }
  // The statement the cursor declares, explained with the bound as its
  // parameter of no type: an index scan.
  const std::unique_ptr<PGconn, decltype(&PQfinish)> connection(
      PQconnectdb(PgCluster::shared().conninfo().c_str()), &PQfinish);
  REQUIRE(PQstatus(connection.get()) == CONNECTION_OK);
  std::string declared = filtered_cursor_statement(model, "updated_at");
  const std::string select = declared.substr(declared.find("SELECT * FROM ("));
  const char* bound = "2026-01-14 21:11:00";
  const std::unique_ptr<PGresult, decltype(&PQclear)> explained(
      PQexecParams(connection.get(), ("EXPLAIN " + select).c_str(), 1, nullptr, &bound, nullptr,
                   nullptr, 0),
      &PQclear);
  REQUIRE(PQresultStatus(explained.get()) == PGRES_TUPLES_OK);
  std::string plan;
  for (int row = 0; row < PQntuples(explained.get()); ++row) {
    plan += PQgetvalue(explained.get(), row, 0);
    plan += "\n";
  }
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("Index Scan") && Catch::Contains("indexed_updated_at"));
  CHECK_THAT(plan, !Catch::Contains("Seq Scan"));
}

TEST_CASE("a cancel stops a filtered postgres read", "[postgres][filter]") {
  const PostgresReadMode mode = each_mode();
  SECTION("while the server computes the first row") {
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      cancel = true;
    });
    QueryOptions options = filtered({"i", ColumnType::integer, "0"});
    options.cancel_requested = &cancel;
    Sink sink;
    const auto start = std::chrono::steady_clock::now();
    auto result = stream("SELECT 1 AS i, pg_sleep(30) AS slept", options, sink, mode);
    canceller.join();
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::cancelled);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    CHECK(sink.rows.empty());
  }
  SECTION("between rows") {
    std::atomic<bool> cancel{false};
    class Cancelling : public RowSink {
     public:
      explicit Cancelling(std::atomic<bool>& flag) : m_flag(flag) {}
      std::int64_t rows = 0;
      Result<void> on_columns(const std::vector<Column>&) override { return ok(); }
      Result<void> on_row(std::span<const Value>) override {
        if (++rows == 2500) {
          m_flag = true;  // and keeps accepting rows: the source must stop
        }
        return ok();
      }

     private:
      std::atomic<bool>& m_flag;
    } sink(cancel);
    QueryOptions options = filtered({"i", ColumnType::integer, "1"});
    options.cancel_requested = &cancel;
    const auto start = std::chrono::steady_clock::now();
    // generate_series in the select list streams its rows (in FROM, the
    // server would compute all of them first).
    auto result = stream("SELECT generate_series(1, 1000000000) AS i", options, sink, mode);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::cancelled);
    CHECK(sink.rows >= 2500);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
}

}  // namespace
}  // namespace emsync::source
