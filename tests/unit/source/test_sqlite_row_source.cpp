#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "recording_sink.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

// A database file with one table of typed columns, removed afterwards.
class TempSqliteDb {
 public:
  TempSqliteDb() {
    std::string dir = (std::filesystem::temp_directory_path() / "emsync-source-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    m_dir = dir;
    exec(R"(
      CREATE TABLE people (id INTEGER, email TEXT, score REAL, price NUMERIC(10,2),
                           active BOOLEAN, born DATE, seen_at DATETIME, note VARCHAR(20));
      INSERT INTO people VALUES
        (1, 'a@x.com', 0.1, 12.5, 1, '1990-02-03', '2024-05-01T10:00:00Z', 'tab	here'),
        (2, 'b@x.com', 1e20, NULL, 0, NULL, '2024-05-01 10:00:00.250', NULL),
        (-7, NULL, 3.0, 7, NULL, NULL, NULL, '');
    )");
  }
  ~TempSqliteDb() {
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }

  std::string path() const { return (m_dir / "model.db").string(); }

  void exec(const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path().c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }

 private:
  std::filesystem::path m_dir;
};

Result<void> run(const TempSqliteDb& db, const std::string& query, test::RecordingSink& sink,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return make_sqlite_source(db.path())->stream(query, QueryOptions{timeout}, sink);
}

TEST_CASE("sqlite columns get their types from the declared types", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  REQUIRE(run(db, "SELECT * FROM people ORDER BY id", sink));
  REQUIRE(sink.columns.size() == 8);
  const ColumnType expected[] = {ColumnType::integer,   ColumnType::text,    ColumnType::numeric,
                                 ColumnType::numeric,   ColumnType::boolean, ColumnType::date,
                                 ColumnType::timestamp, ColumnType::text};
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(to_string(sink.columns[i].type) == std::string(to_string(expected[i])));
  }
  CHECK(sink.columns[1].name == "email");
}

TEST_CASE("sqlite text columns carry their declared length", "[source]") {
  TempSqliteDb db;
  db.exec("CREATE TABLE notes (code VARCHAR(12), flag NCHAR( 5 ), free TEXT, blurb CHARACTER, "
          "n INTEGER(8)); INSERT INTO notes VALUES ('a', 'b', 'c', 'd', 1);");
  test::RecordingSink sink;
  REQUIRE(run(db, "SELECT * FROM notes", sink));
  REQUIRE(sink.columns.size() == 5);
  CHECK(sink.columns[0].max_chars == std::optional<std::int64_t>(12));
  CHECK(sink.columns[1].max_chars == std::optional<std::int64_t>(5));
  CHECK_FALSE(sink.columns[2].max_chars);
  CHECK_FALSE(sink.columns[3].max_chars);
  CHECK_FALSE(sink.columns[4].max_chars);  // not a text column
}

TEST_CASE("sqlite values come out in canonical text form, NULL as nullopt", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  REQUIRE(run(db, "SELECT * FROM people ORDER BY id", sink));
  REQUIRE(sink.rows.size() == 3);
  const std::vector<Value> minus_seven = {"-7",         std::nullopt, "3",          "7",
                                          std::nullopt, std::nullopt, std::nullopt, ""};
  const std::vector<Value> one = {
      "1", "a@x.com", "0.1", "12.5", "true", "1990-02-03", "2024-05-01 10:00:00", "tab\there"};
  const std::vector<Value> two = {"2",
                                  "b@x.com",
                                  "1e+20",
                                  std::nullopt,
                                  "false",
                                  std::nullopt,
                                  "2024-05-01 10:00:00.250",
                                  std::nullopt};
  CHECK(sink.rows[0] == minus_seven);
  CHECK(sink.rows[1] == one);
  CHECK(sink.rows[2] == two);
}

TEST_CASE("sqlite expression columns take the type of their first non-NULL value", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  REQUIRE(run(db,
              "SELECT id * 2 AS twice, CASE WHEN id = 2 THEN 1.5 END AS later, "
              "upper(email) AS shout, NULL AS nada FROM people ORDER BY id;",
              sink));
  REQUIRE(sink.columns.size() == 4);
  CHECK(sink.columns[0].type == ColumnType::integer);
  CHECK(sink.columns[1].type == ColumnType::numeric);
  CHECK(sink.columns[2].type == ColumnType::text);
  CHECK(sink.columns[3].type == ColumnType::text);
  REQUIRE(sink.rows.size() == 3);  // the look-ahead did not consume rows
  CHECK(sink.rows[0][0] == "-14");
  CHECK(sink.rows[2][1] == "1.5");
  CHECK_FALSE(sink.rows[0][2].has_value());
}

TEST_CASE("sqlite on_columns is called once even when there are no rows", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  REQUIRE(run(db, "SELECT id, id + 1 AS next FROM people WHERE id > 100", sink));
  CHECK(sink.columns_calls == 1);
  CHECK(sink.columns.size() == 2);
  CHECK(sink.rows.empty());
}

TEST_CASE("a bad sqlite query is a source error naming the database", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  auto result = run(db, "SELECT nope FROM people", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::Contains(db.path()) && Catch::Contains("no such column: nope"));
  CHECK(sink.columns_calls == 0);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("a sqlite model that is not one read-only SELECT is refused and changes nothing",
          "[source]") {
  TempSqliteDb db;
  const std::string before = file_bytes(db.path());
  REQUIRE_FALSE(before.empty());
  const std::string attached = db.path() + "-attached";
  const char* refused[] = {
      "SELECT 1; DELETE FROM people",
      "SELECT * FROM people; -- fine\n INSERT INTO people (id) VALUES (99)",
      "DELETE FROM people",
      "INSERT INTO people (id) VALUES (99)",
      "WITH gone AS (SELECT id FROM people) DELETE FROM people WHERE id IN gone",
      "UPDATE people SET email = NULL",
      "CREATE TABLE planted (x)",
      "PRAGMA user_version = 7",
      "BEGIN",
  };
  for (const char* query : refused) {
    INFO(query);
    test::RecordingSink sink;
    auto result = run(db, query, sink);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::source_error);
    CHECK_THAT(result.error().message, Catch::Contains(std::string(k_one_read_only_select)));
    CHECK(sink.columns_calls == 0);
  }
  // Refused by the read-only connection rather than by the statement checks.
  for (const std::string& query : {"ATTACH DATABASE '" + attached + "' AS planted",
                                   std::string("PRAGMA journal_mode = WAL")}) {
    INFO(query);
    test::RecordingSink sink;
    CHECK_FALSE(run(db, query, sink));
  }
  CHECK_FALSE(std::filesystem::exists(attached));
  CHECK(file_bytes(db.path()) == before);
  CHECK_FALSE(std::filesystem::exists(db.path() + "-wal"));
  // A trailing semicolon and comment are not a second statement.
  test::RecordingSink sink;
  REQUIRE(run(db, "SELECT id FROM people ORDER BY id; -- done\n;", sink));
  CHECK(sink.rows.size() == 3);
}

TEST_CASE("a sqlite check with columns_only reports the columns and no row", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  REQUIRE(make_sqlite_source(db.path())->stream("SELECT id, email FROM people",
                                                QueryOptions{{}, true}, sink));
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.rows.empty());
}

TEST_CASE("a missing sqlite database is a source error naming the path", "[source]") {
  test::RecordingSink sink;
  auto result = make_sqlite_source("/nonexistent/model.db")->stream("SELECT 1", {}, sink);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::Contains("/nonexistent/model.db"));
}

TEST_CASE("a sqlite query running past the statement timeout is interrupted", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  auto result = run(db,
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                    "SELECT count(*) FROM n",
                    sink, std::chrono::milliseconds(100));
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("statement timeout (100 ms)"));
}

TEST_CASE("a cancel interrupts a sqlite query, also one without a timeout", "[source]") {
  TempSqliteDb db;
  // An endless query: without the cancel, the test would never end.
  const std::string endless =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
  for (const auto timeout : {std::chrono::milliseconds(0), std::chrono::milliseconds(60000)}) {
    INFO("timeout " << timeout.count() << " ms");
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      cancel = true;
    });
    test::RecordingSink sink;
    const auto start = std::chrono::steady_clock::now();
    auto result =
        make_sqlite_source(db.path())->stream(endless, QueryOptions{timeout, false, &cancel}, sink);
    canceller.join();
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::cancelled);
    CHECK_THAT(result.error().message,
               Catch::Equals("SQLite source '" + db.path() + "': the model query was cancelled"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  }
}

TEST_CASE("an error from the sink stops the sqlite stream", "[source]") {
  TempSqliteDb db;
  test::RecordingSink sink;
  sink.fail_at_row = 1;
  auto result = run(db, "SELECT id FROM people", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(sink.rows.size() == 1);
}

// Incremental reads (QueryOptions::filter).

// The table `changes` beside `people`: cursors of every kind, NULLs among them.
void add_changes(TempSqliteDb& db) {
  db.exec(R"(
    CREATE TABLE changes (id INTEGER, version INT, day DATE, at DATETIME);
    INSERT INTO changes VALUES
      (1, 5, '2026-12-01', '2026-12-02 09:59:59'),
      (2, 10, '2026-12-02', '2026-12-02 10:00:00'),
      (3, 15, '2026-12-03', '2026-12-02 10:00:00.5'),
      (4, NULL, NULL, NULL),
      (5, 9, '2026-11-30', '2026-12-02T08:00:00'),
      (6, 11, '2026-12-02', '2026-12-02T11:00:00Z'),
      (7, -3, '2025-12-02', '2026-12-01T23:00:00'),
      (8, 10, '2026-12-04', '2026-12-02 10:00:00.000'),
      (9, 12, NULL, '2026-12-02 10:00:00Z');
  )");
}

Result<void> run_filtered(const TempSqliteDb& db, const std::string& query, RowFilter filter,
                          test::RecordingSink& sink) {
  QueryOptions options;
  options.filter = std::move(filter);
  return make_sqlite_source(db.path())->stream(query, options, sink);
}

using Ids = std::vector<std::string>;

TEST_CASE("a sqlite read of one contact selects its email trimmed and lower-cased, bound",
          "[source]") {
  TempSqliteDb db;
  db.exec(R"(
    CREATE TABLE contacts (id INTEGER, "E-Mail" TEXT);
    INSERT INTO contacts VALUES (1, 'alice@example.com'), (2, ' Alice@Example.COM '),
                                (3, 'bob@example.com'), (4, NULL), (5, 'x'' OR 1=1 --');
  )");
  const auto ids = [&](const std::string& email) {
    QueryOptions options;
    options.email_filter = EmailFilter{"E-Mail", email};
    test::RecordingSink sink;
    auto result = make_sqlite_source(db.path())
                      ->stream("SELECT id, \"E-Mail\" FROM contacts ORDER BY id;", options, sink);
    INFO((result ? "" : result.error().message));
    REQUIRE(result);
    CHECK(sink.columns.size() == 2);
    return sink.column(0);
  };
  CHECK(ids("alice@example.com") == Ids{"1", "2"});
  CHECK(ids("bob@example.com") == Ids{"3"});
  CHECK(ids("x' or 1=1 --") == Ids{"5"});  // a parameter, never SQL
  CHECK(ids("nobody@example.com").empty());
  QueryOptions check;
  check.columns_only = true;
  check.email_filter = EmailFilter{"E-Mail", "alice@example.com"};
  test::RecordingSink sink;
  auto refused = make_sqlite_source(db.path())->stream("SELECT id FROM contacts", check, sink);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_input);
}

TEST_CASE("a sqlite integer filter reads the rows at or above the bound, no NULL", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  REQUIRE(run_filtered(db, "SELECT id, version FROM changes ORDER BY id",
                       {"version", ColumnType::integer, "10"}, sink));
  CHECK(sink.column(0) == Ids{"2", "3", "6", "8", "9"});
  CHECK(sink.columns_calls == 1);
  test::RecordingSink negative;
  REQUIRE(run_filtered(db, "SELECT id, version FROM changes ORDER BY id",
                       {"version", ColumnType::integer, "-3"}, negative));
  CHECK(negative.column(0) == Ids{"1", "2", "3", "5", "6", "7", "8", "9"});
}

TEST_CASE("a sqlite date filter reads the rows from the bound's day on", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  REQUIRE(run_filtered(db, "SELECT id, day FROM changes ORDER BY id",
                       {"day", ColumnType::date, "2026-12-02"}, sink));
  CHECK(sink.column(0) == Ids{"2", "3", "6", "8"});
}

TEST_CASE("a sqlite timestamp filter reads the row at the bound and never misses a T spelling",
          "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  REQUIRE(run_filtered(db, "SELECT id, at FROM changes ORDER BY id",
                       {"at", ColumnType::timestamp, "2026-12-02 10:00:00.000000"}, sink));
  // 2: the bound itself; 8 and 9: the same instant spelt longer; 3 and 6:
  // later; 5: 'T' on the bound's day, read although earlier (never missed);
  // not 1 (a second before), 7 ('T' the day before) or 4 (NULL).
  CHECK(sink.column(0) == Ids{"2", "3", "5", "6", "8", "9"});
  // The values are canonical, as in a full read.
  CHECK(sink.rows.at(3).at(1) == "2026-12-02 11:00:00");

  test::RecordingSink fraction;
  REQUIRE(run_filtered(db, "SELECT * FROM changes ORDER BY id",
                       {"at", ColumnType::timestamp, "2026-12-02 10:00:00.500000"}, fraction));
  // 9 ("...10:00:00Z") is earlier, but as text 'Z' sorts after '.': text
  // comparison reads more rows than the bound selects, never fewer.
  CHECK(fraction.column(0) == Ids{"3", "5", "6", "9"});
}

TEST_CASE("a sqlite filter keeps the model's columns and types", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  // No row passes: the expression's type still comes from the model's rows.
  REQUIRE(run_filtered(db, "SELECT id, version * 2 AS twice, day, at FROM changes",
                       {"at", ColumnType::timestamp, "2099-01-01 00:00:00"}, sink));
  CHECK(sink.rows.empty());
  CHECK(sink.columns_calls == 1);
  REQUIRE(sink.columns.size() == 4);
  CHECK(sink.columns[0].name == "id");
  CHECK(sink.columns[0].type == ColumnType::integer);
  CHECK(sink.columns[1].name == "twice");
  CHECK(sink.columns[1].type == ColumnType::integer);
  CHECK(sink.columns[2].type == ColumnType::date);
  CHECK(sink.columns[3].type == ColumnType::timestamp);
}

TEST_CASE("a sqlite filter's column is quoted, a quote in its name doubled", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  REQUIRE(run_filtered(db, "SELECT id, version AS \"odd \"\"v\" FROM changes ORDER BY id",
                       {"odd \"v", ColumnType::integer, "11"}, sink));
  CHECK(sink.column(0) == Ids{"3", "6", "9"});
  REQUIRE(sink.columns.size() == 2);
  CHECK(sink.columns[1].name == "odd \"v");
}

TEST_CASE("a sqlite filter on a missing column names it", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  auto result =
      run_filtered(db, "SELECT id FROM changes", {"version", ColumnType::integer, "1"}, sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message, Catch::Contains("no such column: emsync_model.version"));
  CHECK(sink.rows.empty());
}

TEST_CASE("a filtered sqlite model is still one read-only SELECT", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  const std::string before = file_bytes(db.path());
  for (const char* query : {"SELECT id, version FROM changes; DELETE FROM changes",
                            "SELECT id, version FROM changes; -- x\n UPDATE changes SET id = 0",
                            "DELETE FROM changes RETURNING id, version",
                            "UPDATE changes SET version = 99 RETURNING id, version"}) {
    INFO(query);
    test::RecordingSink sink;
    auto result = run_filtered(db, query, {"version", ColumnType::integer, "0"}, sink);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::source_error);
    CHECK_THAT(result.error().message, Catch::Contains(std::string(k_one_read_only_select)));
    CHECK(sink.columns_calls == 0);
  }
  CHECK(file_bytes(db.path()) == before);
  // A trailing semicolon and comment stay outside the subquery.
  test::RecordingSink sink;
  REQUIRE(run_filtered(db, "SELECT id, version FROM changes ORDER BY id; -- done\n;",
                       {"version", ColumnType::integer, "12"}, sink));
  CHECK(sink.column(0) == Ids{"3", "9"});
}

TEST_CASE("a sqlite filter's sink sees the columns before any row and can refuse them",
          "[source]") {
  TempSqliteDb db;
  add_changes(db);
  class Refusing : public test::RecordingSink {
   public:
    Result<void> on_columns(const std::vector<Column>& columns) override {
      EMSYNC_TRY(RecordingSink::on_columns(columns));
      return make_error(Errc::invalid_input, "cursor column 'version' is not a timestamp");
    }
  } sink;
  auto result = run_filtered(db, "SELECT id, version FROM changes",
                             {"version", ColumnType::timestamp, "2026-12-02 00:00:00"}, sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().message == "cursor column 'version' is not a timestamp");
  CHECK(sink.columns_calls == 1);
  CHECK(sink.rows.empty());
}

TEST_CASE("a sqlite filter with a bad bound or with columns_only is refused", "[source]") {
  TempSqliteDb db;
  add_changes(db);
  test::RecordingSink sink;
  auto bad = run_filtered(db, "SELECT id, version FROM changes",
                          {"version", ColumnType::integer, "1; DROP TABLE changes"}, sink);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_input);
  QueryOptions check;
  check.columns_only = true;
  check.filter = RowFilter{"version", ColumnType::integer, "1"};
  auto both = make_sqlite_source(db.path())->stream("SELECT id, version FROM changes", check, sink);
  REQUIRE_FALSE(both);
  CHECK(both.error().code == Errc::invalid_input);
  CHECK(sink.columns_calls == 0);
}

}  // namespace
}  // namespace emsync::source
