// The ODBC row source against a real driver: libsqliteodbc over a SQLite
// file, DSN-less (Driver=<library path>), so nothing in /etc is needed.
// libsqliteodbc has no SQL_GD_BLOCK, so these runs take the row mode; the
// block mode (array fetch) runs against psqlODBC in the integration tests.
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "odbc_test_env.hpp"
#include "recording_sink.hpp"
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

class TempModel {
 public:
  TempModel() {
    std::string dir = (std::filesystem::temp_directory_path() / "emsync-odbc-XXXXXX").string();
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    m_dir = dir;
    exec(R"(
      CREATE TABLE people (id INTEGER, name TEXT, price NUMERIC(10,2), ratio REAL,
                           active BOOLEAN, born DATE, seen TIMESTAMP, photo BLOB, code VARCHAR(10));
      INSERT INTO people VALUES
        (1, 'Zoë 日本', 12.5, 0.1, 1, '1990-02-03', '2024-05-01 10:00:00.250', x'0102', 'abc'),
        (2, NULL, NULL, NULL, 0, NULL, '2024-05-01T12:00:00+02:00', NULL, NULL),
        (-7, '', 7, -2.5, NULL, '2024-12-31', NULL, x'00', 'tab	here');
    )");
  }
  ~TempModel() {
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }

  std::string path() const { return (m_dir / "model.db").string(); }
  std::string connection_string() const {
    return std::string("Driver=") + test::k_sqlite_odbc_driver + ";Database=" + path();
  }

  void exec(const std::string& sql) const {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path().c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO((error != nullptr ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }

  std::string count() const {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM people", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

 private:
  std::filesystem::path m_dir;
};

Result<void> run(const TempModel& model, const std::string& query, test::RecordingSink& sink,
                 QueryOptions options = {}) {
  return make_odbc_source(model.connection_string(), std::nullopt)->stream(query, options, sink);
}

TEST_CASE("odbc columns stream with their types and canonical values", "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  REQUIRE(run(model, "SELECT * FROM people ORDER BY rowid", sink));
  CHECK(sink.columns_calls == 1);
  const std::vector<std::pair<std::string, ColumnType>> expected = {
      {"id", ColumnType::integer},     {"name", ColumnType::text},
      {"price", ColumnType::numeric},  {"ratio", ColumnType::numeric},
      {"active", ColumnType::boolean}, {"born", ColumnType::date},
      {"seen", ColumnType::timestamp}, {"photo", ColumnType::binary},
      {"code", ColumnType::text}};
  REQUIRE(sink.columns.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(sink.columns[i].name == expected[i].first);
    CHECK(std::string(to_string(sink.columns[i].type)) == to_string(expected[i].second));
  }
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0] == std::vector<Value>{"1", "Zoë 日本", "12.5", "0.1", "true", "1990-02-03",
                                           "2024-05-01 10:00:00.25", std::nullopt, "abc"});
  CHECK(sink.rows[1] == std::vector<Value>{"2", std::nullopt, std::nullopt, std::nullopt, "false",
                                           std::nullopt, "2024-05-01 10:00:00", std::nullopt,
                                           std::nullopt});
  CHECK(sink.rows[2] == std::vector<Value>{"-7", "", "7", "-2.5", std::nullopt, "2024-12-31",
                                           std::nullopt, std::nullopt, "tab\there"});
}

TEST_CASE("odbc column names arrive as UTF-8", "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  REQUIRE(run(model, "SELECT name AS \"prénom 名\" FROM people WHERE id = 1", sink));
  REQUIRE(sink.columns.size() == 1);
  CHECK(sink.columns[0].name == "prénom 名");
  CHECK(sink.rows.at(0).at(0) == "Zoë 日本");
}

TEST_CASE("odbc streams every row of a long result", "[source][odbc]") {
  TempModel model;
  model.exec(
      "CREATE TABLE n (i INTEGER, label TEXT); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
      "SELECT i + 1 FROM c WHERE i < 2500) INSERT INTO n SELECT i, 'row ' || i FROM c;");
  test::RecordingSink sink;
  REQUIRE(run(model, "SELECT i, label FROM n ORDER BY i", sink));
  REQUIRE(sink.rows.size() == 2500);
  CHECK(sink.rows[0] == std::vector<Value>{"1", "row 1"});
  CHECK(sink.rows[1000] == std::vector<Value>{"1001", "row 1001"});
  CHECK(sink.rows[2499] == std::vector<Value>{"2500", "row 2500"});
}

TEST_CASE("odbc values longer than any buffer arrive whole and exact", "[source][odbc]") {
  TempModel model;
  // 100 KB of changing non-ASCII text, so a cut or a piece read twice shows.
  model.exec(
      "CREATE TABLE big (id INTEGER, body TEXT, short VARCHAR(4)); WITH RECURSIVE c(i) AS "
      "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) INSERT INTO big SELECT 1, "
      "group_concat(printf('%04d', i) || 'é', ''), 'longer than four' FROM c;");
  std::string expected;
  for (int i = 1; i <= 20000; ++i) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "%04d", i);
    expected += std::string(piece) + "é";
  }
  test::RecordingSink sink;
  REQUIRE(run(model, "SELECT id, body, short FROM big", sink));
  REQUIRE(sink.rows.size() == 1);
  REQUIRE(sink.rows[0][1]);
  CHECK(sink.rows[0][1]->size() == expected.size());
  CHECK(*sink.rows[0][1] == expected);
  CHECK(sink.rows[0][2] == "longer than four");
}

TEST_CASE("an odbc value over 16 MiB fails the stream instead of filling memory",
          "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  auto result = run(model, "SELECT 1 AS id, printf('%.*c', 17000000, 'x') AS body", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::Contains("column 'body' of row 1 holds more than 16777216 bytes"));
  CHECK(sink.rows.empty());
}

TEST_CASE("odbc columns_only describes the model without running it", "[source][odbc]") {
  TempModel model;
  // Compiles, but fails when run (integer overflow).
  const std::string query = "SELECT id, abs(-9223372036854775807 - 1) AS boom FROM people";
  test::RecordingSink checked;
  QueryOptions check;
  check.columns_only = true;
  REQUIRE(run(model, query, checked, check));
  REQUIRE(checked.columns.size() == 2);
  CHECK(checked.columns[1].name == "boom");
  CHECK(checked.rows.empty());
  test::RecordingSink sink;
  auto result = run(model, query, sink);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::Contains("integer overflow"));
}

TEST_CASE("an odbc query error carries the SQLSTATE and names the source", "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  auto result = run(model, "SELECT nope FROM nowhere", sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK_THAT(result.error().message,
             Catch::StartsWith("ODBC source 'Driver=" + std::string(test::k_sqlite_odbc_driver) +
                               ";Database=" + model.path() + "': SQLSTATE ") &&
                 Catch::Contains("no such table: nowhere"));
  CHECK(sink.columns_calls == 0);
}

TEST_CASE("the password is redacted from the driver's messages", "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  // libsqliteodbc echoes the unknown column, here the password's text.
  auto result = make_odbc_source(model.connection_string(), std::string("Hunter2Secret"))
                    ->stream("SELECT Hunter2Secret FROM people", {}, sink);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message,
             Catch::Contains("no such column: ***") && !Catch::Contains("Hunter2Secret"));
  // Only the driver's text: the description and emsync's words stay whole.
  auto short_secret = make_odbc_source(model.connection_string(), std::string("D"))
                          ->stream("SELECT nope FROM nowhere", {}, sink);
  REQUIRE_FALSE(short_secret);
  CHECK_THAT(short_secret.error().message,
             Catch::Contains("ODBC source 'Driver=" + std::string(test::k_sqlite_odbc_driver) +
                             ";Database=" + model.path() + "'"));
}

TEST_CASE("an odbc model that writes is refused or rolled back", "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  auto insert = run(model, "INSERT INTO people (id) VALUES (99)", sink);
  REQUIRE_FALSE(insert);
  CHECK_THAT(insert.error().message, Catch::Contains(std::string(k_one_read_only_select)));
  // libsqliteodbc gives a DELETE ... RETURNING no result columns.
  test::RecordingSink deleted;
  auto returning = run(model, "DELETE FROM people RETURNING id", deleted);
  REQUIRE_FALSE(returning);
  CHECK_THAT(returning.error().message, Catch::Contains(std::string(k_one_read_only_select)));
  test::RecordingSink second;
  auto two = run(model, "SELECT id FROM people; DELETE FROM people", second);
  REQUIRE_FALSE(two);
  CHECK_THAT(two.error().message, Catch::Contains("only one SQL statement allowed"));
  CHECK(model.count() == "3");
}

TEST_CASE("a missing odbc driver is named with the package to install", "[source][odbc]") {
  test::use_shared_odbc_ini();  // registers no PostgreSQL driver
  test::RecordingSink sink;
  auto result = make_odbc_source("Driver={PostgreSQL Unicode};Database=dw", std::string("pw}d;x"))
                    ->stream("SELECT 1", {}, sink);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::source_error);
  CHECK(result.error().message ==
        "ODBC source 'Driver=PostgreSQL Unicode;Database=dw': cannot connect: SQLSTATE 01000: "
        "[unixODBC][Driver Manager]Can't open lib 'PostgreSQL Unicode' : file not found (the "
        "driver 'PostgreSQL Unicode' is not installed: install the Debian package "
        "odbc-postgresql)");
  auto by_path =
      make_odbc_source("Driver=/usr/lib/nope/libsqlite3odbc.so;Database=/tmp/x.db", std::nullopt)
          ->stream("SELECT 1", {}, sink);
  REQUIRE_FALSE(by_path);
  CHECK_THAT(by_path.error().message,
             Catch::Contains("Can't open lib") && Catch::Contains("libsqliteodbc"));
}

TEST_CASE("an odbc data source name works through odbc.ini", "[source][odbc]") {
  test::use_shared_odbc_ini();  // DSN "models": driver SQLite3
  TempModel model;
  test::RecordingSink sink;
  REQUIRE(make_odbc_source("DSN=models;Database=" + model.path(), std::nullopt)
              ->stream("SELECT count(*) AS n FROM people", {}, sink));
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0][0] == "3");
}

TEST_CASE("a password with braces and semicolons reaches the driver intact", "[source][odbc]") {
  TempModel model;
  test::RecordingSink sink;
  // A mangled string would make the driver read a Database of its own.
  REQUIRE(make_odbc_source(model.connection_string(), std::string("a}b;Database=/x;{c"))
              ->stream("SELECT count(*) AS n FROM people", {}, sink));
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0][0] == "3");
}

TEST_CASE("an odbc query cancelled before it starts does not run", "[source][odbc]") {
  TempModel model;
  std::atomic<bool> cancel{true};
  QueryOptions options;
  options.cancel_requested = &cancel;
  test::RecordingSink sink;
  // The watch fires while connecting: the query must not start afterwards.
  auto result = run(model, "SELECT id FROM people", sink, options);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(sink.rows.empty());
}

TEST_CASE("an odbc query is cancelled when the flag turns true", "[source][odbc]") {
  TempModel model;
  std::atomic<bool> cancel{false};
  QueryOptions options;
  options.cancel_requested = &cancel;
  test::RecordingSink sink;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto result = run(model,
                    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                    "WHERE i < 2000000000) SELECT sum(i) AS total FROM c",
                    sink, options);
  canceller.join();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::cancelled);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

// Incremental reads through libsqliteodbc: the bound is bound with
// SQLBindParameter, which the driver hands to SQLite as an integer or text.

// `changes`: cursors of every kind, NULLs among them.
void add_changes(const TempModel& model) {
  model.exec(R"(
    CREATE TABLE changes (id INTEGER, version INTEGER, day DATE, at TIMESTAMP);
    INSERT INTO changes VALUES
      (1, 5, '2026-12-01', '2026-12-02 09:59:59'),
      (2, 10, '2026-12-02', '2026-12-02 10:00:00'),
      (3, 15, '2026-12-03', '2026-12-02 10:00:00.5'),
      (4, NULL, NULL, NULL),
      (5, 9, '2026-11-30', '2026-12-02 08:00:00'),
      (6, 11, '2026-12-02', '2026-12-02 11:00:00');
  )");
}

std::vector<std::string> filtered_ids(const TempModel& model, const std::string& query,
                                      RowFilter filter) {
  QueryOptions options;
  options.filter = std::move(filter);
  test::RecordingSink sink;
  auto result = run(model, query, sink, options);
  INFO((result ? "" : result.error().message));
  REQUIRE(result);
  CHECK(sink.columns_calls == 1);
  return sink.column(0);
}

using Ids = std::vector<std::string>;

TEST_CASE("odbc filters read exactly the rows at or above an integer, date or timestamp bound",
          "[source][odbc]") {
  TempModel model;
  add_changes(model);
  const std::string query = "SELECT id, version, day, at FROM changes ORDER BY id";
  CHECK(filtered_ids(model, query, {"version", ColumnType::integer, "10"}) == Ids{"2", "3", "6"});
  CHECK(filtered_ids(model, query, {"day", ColumnType::date, "2026-12-02"}) == Ids{"2", "3", "6"});
  CHECK(filtered_ids(model, query, {"at", ColumnType::timestamp, "2026-12-02 10:00:00"}) ==
        Ids{"2", "3", "6"});
  CHECK(filtered_ids(model, query, {"at", ColumnType::timestamp, "2026-12-02 10:00:00.250000"}) ==
        Ids{"3", "6"});
}

TEST_CASE("an odbc filter quotes its column with the driver's quote, a quote in it doubled",
          "[source][odbc]") {
  TempModel model;
  add_changes(model);
  CHECK(filtered_ids(model, "SELECT id, version AS \"odd \"\"v\" FROM changes ORDER BY id",
                     {"odd \"v", ColumnType::integer, "11"}) == Ids{"3", "6"});
}

TEST_CASE("an odbc filter keeps the model's columns; a bad bound is refused before connecting",
          "[source][odbc]") {
  TempModel model;
  add_changes(model);
  QueryOptions options;
  options.filter = RowFilter{"at", ColumnType::timestamp, "2099-01-01 00:00:00"};
  test::RecordingSink sink;
  REQUIRE(run(model, "SELECT id, day, at FROM changes", sink, options));
  CHECK(sink.rows.empty());
  REQUIRE(sink.columns.size() == 3);
  CHECK(sink.columns[0].name == "id");
  CHECK(sink.columns[1].type == ColumnType::date);
  CHECK(sink.columns[2].type == ColumnType::timestamp);

  options.filter = RowFilter{"at", ColumnType::timestamp, "2026-12-02T10:00:00"};
  test::RecordingSink refused;
  auto bad = make_odbc_source("Driver=/nonexistent/lib.so", std::nullopt)
                 ->stream("SELECT id, at FROM changes", options, refused);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_input);
  CHECK_THAT(bad.error().message, Catch::Contains("is not a timestamp"));
  options.filter = RowFilter{"version", ColumnType::integer, "1"};
  options.columns_only = true;
  auto both = run(model, "SELECT id, version FROM changes", refused, options);
  REQUIRE_FALSE(both);
  CHECK(both.error().code == Errc::invalid_input);
  CHECK(refused.columns_calls == 0);
}

TEST_CASE("odbc reads one contact's rows, the email bound; a wrapped query's error says so",
          "[source][odbc]") {
  TempModel model;
  model.exec(R"(
    CREATE TABLE contacts (id INTEGER, email TEXT);
    INSERT INTO contacts VALUES (1, 'alice@example.com'), (2, ' Alice@Example.COM '),
                                (3, 'bob@example.com'), (4, NULL), (5, 'x'' OR 1=1 --');
  )");
  const auto ids = [&](const std::string& email) {
    QueryOptions options;
    options.email_filter = EmailFilter{"email", email};
    test::RecordingSink sink;
    auto result = run(model, "SELECT id, email FROM contacts ORDER BY id", sink, options);
    INFO((result ? "" : result.error().message));
    REQUIRE(result);
    CHECK(sink.columns.size() == 2);
    return sink.column(0);
  };
  CHECK(ids("alice@example.com") == Ids{"1", "2"});
  CHECK(ids("bob@example.com") == Ids{"3"});
  CHECK(ids("x' or 1=1 --") == Ids{"5"});  // a parameter, never SQL
  CHECK(ids("nobody@example.com").empty());

  // A syntax error of the wrapped query: the message says it was wrapped.
  QueryOptions options;
  options.email_filter = EmailFilter{"email", "alice@example.com"};
  test::RecordingSink sink;
  auto bad = run(model, "SELEC id, email FROM contacts", sink, options);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::source_error);
  CHECK_THAT(bad.error().message, Catch::Contains("the model query ran wrapped as SELECT * FROM"));
  // Not with an incremental filter, nor a columns check.
  options.filter = RowFilter{"id", ColumnType::integer, "1"};
  auto both = run(model, "SELECT id, email FROM contacts", sink, options);
  REQUIRE_FALSE(both);
  CHECK(both.error().code == Errc::invalid_input);
}

TEST_CASE("a filtered odbc model is still one statement", "[source][odbc]") {
  TempModel model;
  add_changes(model);
  QueryOptions options;
  options.filter = RowFilter{"version", ColumnType::integer, "0"};
  test::RecordingSink sink;
  auto two = run(model, "SELECT id, version FROM changes; DELETE FROM people", sink, options);
  REQUIRE_FALSE(two);
  CHECK(two.error().code == Errc::source_error);
  CHECK(sink.columns_calls == 0);
  CHECK(model.count() == "3");
}

}  // namespace
}  // namespace emsync::source
