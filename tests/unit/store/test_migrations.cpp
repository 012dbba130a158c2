#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "activation.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "temp_db.hpp"

namespace emsync::store {
namespace {

std::int64_t pragma_int(const std::string& path, const std::string& pragma) {
  auto db = Db::open(path, SQLITE_OPEN_READONLY);
  REQUIRE(db);
  auto statement = db->prepare("PRAGMA " + pragma);
  REQUIRE(statement);
  REQUIRE(statement->step().value());
  return statement->get_int64(0);
}

TEST_CASE("a fresh file gets the latest schema, and re-opening keeps the data", "[store]") {
  test::TempDb temp;
  {
    auto store = open_state_store(temp.path());
    REQUIRE(store);
    REQUIRE((*store)->apply_activations({test::activation("crm")}));
  }
  CHECK(pragma_int(temp.path(), "user_version") == latest_schema_version());

  auto reopened = open_state_store(temp.path());
  REQUIRE(reopened);
  CHECK((*reopened)->list_activations().value().size() == 1);
  CHECK(pragma_int(temp.path(), "user_version") == latest_schema_version());
}

TEST_CASE("migrating from version 8 keeps a run's rejections and starts its not kept at 0",
          "[store]") {
  test::TempDb temp;
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(migrate(*db, 8));
    REQUIRE(db->exec(
        "INSERT INTO activations (id, name, definition, destination, created_at, updated_at) "
        "VALUES (1, 'crm', '{}', 'emarsys', 0, 0);"
        "INSERT INTO runs (id, activation_id, status, full, rejected, started_at) "
        "VALUES (7, 1, 'partial', 0, 1, 0);"
        "INSERT INTO rejections (activation_id, run_id, row_key, code, message) "
        "VALUES (1, 7, 'row 1', 'invalid_email', 'bad');"));
  }
  auto store = open_state_store(temp.path());
  REQUIRE(store);
  CHECK(pragma_int(temp.path(), "user_version") == latest_schema_version());
  const RejectionPage page = (*store)->list_rejections(1, 7, std::nullopt, 0, 10).value();
  CHECK(page.total == 1);
  CHECK(page.not_kept == 0);
  REQUIRE(page.rejections.size() == 1);
  CHECK(page.rejections[0].message == "bad");
  CHECK(page.rejections[0].kind == RowKind::rejected);  // schema 11: rows before it are rejections
}

TEST_CASE("migrating from version 9 keeps old runs as full reads with no NULL cursor", "[store]") {
  test::TempDb temp;
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(migrate(*db, 9));
    REQUIRE(db->exec(
        "INSERT INTO activations (id, name, definition, destination, created_at, updated_at) "
        "VALUES (1, 'crm', '{}', 'emarsys', 0, 0);"
        "INSERT INTO runs (id, activation_id, status, full, rows_read, unchanged, started_at, "
        "finished_at) VALUES (7, 1, 'succeeded', 0, 3, 3, 100, 200);"));
  }
  auto store = open_state_store(temp.path());
  REQUIRE(store);
  CHECK(pragma_int(temp.path(), "user_version") == latest_schema_version());
  const RunRecord run = (*store)->find_run(7).value().value();
  CHECK(run.status == RunStatus::succeeded);
  CHECK(run.counts.rows_read == 3);
  CHECK(run.counts.unchanged == 3);
  CHECK(run.counts.cursor_null == 0);
  CHECK(run.read.kind == ReadKind::full);
  CHECK_FALSE(run.read.watermark.has_value());
  CHECK_FALSE(run.read.read_from.has_value());
  CHECK(run.finished_at == 200);
  // No read state yet: the first run of an incremental activation reads full.
  CHECK_FALSE((*store)->load_read_state(1).value().has_value());
}

TEST_CASE("migrating from version 11 keeps old runs, with no warnings", "[store]") {
  test::TempDb temp;
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(migrate(*db, 11));
    REQUIRE(db->exec(
        "INSERT INTO activations (id, name, definition, destination, created_at, updated_at) "
        "VALUES (1, 'crm', '{}', 'emarsys', 0, 0);"
        "INSERT INTO runs (id, activation_id, status, full, rows_read, rejected, started_at, "
        "finished_at) VALUES (7, 1, 'succeeded', 0, 3, 1, 100, 200);"));
  }
  auto store = open_state_store(temp.path());
  REQUIRE(store);
  CHECK(pragma_int(temp.path(), "user_version") == latest_schema_version());
  const RunRecord run = (*store)->find_run(7).value().value();
  CHECK(run.counts.rejected == 1);
  CHECK(run.warnings.empty());
}

TEST_CASE("migrating from version 14 keeps list members, added by no known run", "[store]") {
  test::TempDb temp;
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(migrate(*db, 14));
    REQUIRE(db->exec(
        "INSERT INTO activations (id, name, definition, destination, created_at, updated_at) "
        "VALUES (1, 'vip', '{}', 'emarsys', 0, 0);"
        "INSERT INTO list_members (activation_id, email) VALUES (1, 'a@x.com');"));
  }
  auto store = open_state_store(temp.path());
  REQUIRE(store);
  CHECK(pragma_int(temp.path(), "user_version") == latest_schema_version());
  CHECK((*store)->find_list_member(1, "a@x.com").value() == 0);
  REQUIRE((*store)->change_list_members(1, 5, {"b@x.com"}, {}));
  CHECK((*store)->find_list_member(1, "b@x.com").value() == 5);
  CHECK((*store)->count_list_members(1).value() == 2);
}

TEST_CASE("the state DB is opened in WAL mode", "[store]") {
  test::TempDb temp;
  auto store = open_state_store(temp.path());
  REQUIRE(store);
  auto db = Db::open(temp.path(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  auto mode = db->prepare("PRAGMA journal_mode");
  REQUIRE(mode);
  REQUIRE(mode->step().value());
  CHECK(mode->get_text(0) == "wal");
}

TEST_CASE("a state DB written by a newer emsync is refused", "[store]") {
  test::TempDb temp;
  REQUIRE(open_state_store(temp.path()));
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE(db->exec("PRAGMA user_version = 999"));
  }
  auto store = open_state_store(temp.path());
  REQUIRE_FALSE(store);
  CHECK(store.error().code == Errc::state_error);
  CHECK_THAT(store.error().message, Catch::Contains(temp.path()) &&
                                        Catch::Contains("schema version 999") &&
                                        Catch::Contains("newer emsync"));
}

TEST_CASE("a file that is not a SQLite database gives an error naming it and the remedy",
          "[store]") {
  test::TempDb temp;
  std::ofstream(temp.path()) << std::string(8192, 'x');
  auto store = open_state_store(temp.path());
  REQUIRE_FALSE(store);
  CHECK(store.error().code == Errc::state_error);
  CHECK_THAT(store.error().message, Catch::Contains(temp.path()) &&
                                        Catch::Contains("not a SQLite database") &&
                                        Catch::Contains("restore it from a backup"));
}

TEST_CASE("a state DB in a missing directory gives an error naming the path", "[store]") {
  test::TempDb temp;
  const std::string path = (temp.dir() / "missing" / "state.db").string();
  auto store = open_state_store(path);
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error().message,
             Catch::Contains(path) && Catch::Contains("check that the directory exists"));
}

// -- plan_migrations (emsyncd --check-migrations) --

TEST_CASE("the migration plan of an older state DB names the migrations after its version and "
          "changes nothing",
          "[store]") {
  test::TempDb temp;
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(migrate(*db, 10));
  }
  auto db = Db::open(temp.path(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  const MigrationPlan plan = plan_migrations(*db).value();
  CHECK(plan.current == 10);
  CHECK(plan.latest == latest_schema_version());
  REQUIRE(plan.pending.size() == static_cast<std::size_t>(latest_schema_version() - 10));
  CHECK(plan.pending.front() == "011_run_rows.sql");
  CHECK(pragma_int(temp.path(), "user_version") == 10);
}

TEST_CASE("the migration plan of a current state DB is empty", "[store]") {
  test::TempDb temp;
  REQUIRE(open_state_store(temp.path()));
  auto db = Db::open(temp.path(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  const MigrationPlan plan = plan_migrations(*db).value();
  CHECK(plan.current == latest_schema_version());
  CHECK(plan.pending.empty());
}

TEST_CASE("the migration plan refuses a state DB of a newer emsync, as the start would",
          "[store]") {
  test::TempDb temp;
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(db->exec("PRAGMA user_version = 999"));
  }
  auto db = Db::open(temp.path(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  auto plan = plan_migrations(*db);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().code == Errc::state_error);
  CHECK_THAT(plan.error().message,
             Catch::Contains("schema version 999") && Catch::Contains("restore a backup"));
}

TEST_CASE("the migration plan of a file that is not a SQLite database fails", "[store]") {
  test::TempDb temp;
  std::ofstream(temp.path()) << std::string(8192, 'x');
  auto db = Db::open(temp.path(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  CHECK_FALSE(plan_migrations(*db));
}

}  // namespace
}  // namespace emsync::store
