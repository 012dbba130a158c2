// Incremental reads through a whole run (execute_run, the SQLite source, the
// real state store, a fake Emarsys): what each run reads, sends and leaves as
// its watermark.
#include <catch2/catch.hpp>

#include "run_fixture.hpp"
#include "sync/read_plan.hpp"

using emsync::store::ReadKind;
using emsync::store::RunStatus;
using emsync::sync::RunOutcome;
using emsync::sync::Scope;
using emsync::sync::test::RunFixture;

namespace {

// The fixture's people with an `updated_at` column (all '2026-01-01 00:00:00')
// and an incremental activation over it (lookback `lookback`, never a
// scheduled full read).
void make_incremental(RunFixture& run, int people, std::chrono::seconds lookback) {
  run.add_people(people);
  run.exec("ALTER TABLE people ADD COLUMN updated_at DATETIME");
  run.exec("CREATE INDEX people_updated_at ON people (updated_at)");
  run.exec("UPDATE people SET updated_at = '2026-01-01 00:00:00'");
  run.activation.query = "SELECT email, first_name, city, updated_at FROM people ORDER BY rowid";
  run.activation.incremental =
      emsync::config::Incremental{"updated_at", lookback, std::nullopt, std::nullopt};
  REQUIRE(run.store->apply_activations({run.activation}));
}

// Changes person `first`..`last`'s first name and sets their updated_at.
void touch(RunFixture& run, int first, int last, const std::string& at) {
  run.exec("UPDATE people SET first_name = first_name || ' changed', updated_at = '" + at +
           "' WHERE email BETWEEN '" + RunFixture::email(first) + "' AND '" +
           RunFixture::email(last) + "'");
}

std::set<std::string> written(const emsync::sync::test::FakeEmarsys& emarsys, std::size_t since) {
  std::set<std::string> out;
  for (std::size_t i = since; i < emarsys.requests.size(); ++i) {
    for (const auto& email : emarsys.requests[i].emails()) {
      out.insert(email);
    }
  }
  return out;
}

std::set<std::string> people(int first, int last) {
  std::set<std::string> out;
  for (int n = first; n <= last; ++n) {
    out.insert(RunFixture::email(n));
  }
  return out;
}

emsync::store::ReadState read_state(RunFixture& run) {
  auto state = run.store->load_read_state(run.activation_id);
  REQUIRE(state);
  REQUIRE(*state);
  return **state;
}

// Makes a full read due: the last one is a day old and full_every is an hour.
void make_full_read_due(RunFixture& run) {
  auto state = read_state(run);
  state.last_full_read_at = emsync::now_millis() - 86'400'000;
  REQUIRE(run.store->save_read_state(run.activation_id, state));
  run.activation.incremental->full_every = std::chrono::hours(1);
}

emsync::store::RunRecord last_run(RunFixture& run) {
  auto record = run.store->find_run(run.last_run_id);
  REQUIRE(record);
  REQUIRE(*record);
  return **record;
}

}  // namespace

TEST_CASE("an incremental run reads and sends only the rows whose cursor moved",
          "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 1000, std::chrono::minutes(15));
  const RunOutcome first = run.run();
  REQUIRE(first.status == RunStatus::succeeded);
  CHECK(first.read.kind == ReadKind::full);
  CHECK(first.counts.inserted == 1000);
  CHECK(read_state(run).watermark == "2026-01-01 00:00:00");

  touch(run, 11, 20, "2026-06-01 12:00:00");
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome second = run.run();
  REQUIRE(second.status == RunStatus::succeeded);
  CHECK(second.read.kind == ReadKind::incremental);
  CHECK(second.read.watermark == "2026-01-01 00:00:00");
  CHECK(second.read.read_from == "2025-12-31 23:45:00");
  // The lookback reads the 990 unchanged rows again this once: they send nothing.
  CHECK(second.counts.rows_read == 1000);
  CHECK(second.counts.updated == 10);
  CHECK(written(run.emarsys, sent) == people(11, 20));
  CHECK(read_state(run).watermark == "2026-06-01 12:00:00");
  const auto record = last_run(run);
  CHECK(record.read.kind == ReadKind::incremental);
  CHECK(record.read.read_from == "2025-12-31 23:45:00");

  // From now on the window holds the rows changed since.
  touch(run, 21, 30, "2026-07-01 12:00:00");
  const RunOutcome third = run.run();
  CHECK(third.read.kind == ReadKind::incremental);
  CHECK(third.counts.rows_read == 20);  // the 10 changed and the 10 at the watermark
  CHECK(third.counts.updated == 10);
  CHECK(third.counts.unchanged == 10);

  // run --full reads (and sends) everything.
  const RunOutcome full = run.run(Scope::full);
  CHECK(full.read.kind == ReadKind::full);
  CHECK(full.counts.rows_read == 1000);
}

TEST_CASE("a late commit inside the lookback is read; one outside waits for a full read",
          "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 100, std::chrono::minutes(15));
  REQUIRE(run.run().status == RunStatus::succeeded);
  touch(run, 1, 1, "2026-06-01 12:00:00");
  REQUIRE(run.run().read.kind == ReadKind::incremental);  // watermark 12:00:00
  touch(run, 2, 2, "2026-06-01 11:50:00");                // committed late, inside
  touch(run, 3, 3, "2026-06-01 11:40:00");                // committed late, outside
  std::size_t sent = run.emarsys.requests.size();
  const RunOutcome late = run.run();
  CHECK(late.read.kind == ReadKind::incremental);
  CHECK(written(run.emarsys, sent) == people(2, 2));
  sent = run.emarsys.requests.size();
  make_full_read_due(run);
  const RunOutcome full = run.run();
  CHECK(full.read.kind == ReadKind::full);
  CHECK(written(run.emarsys, sent) == people(3, 3));
}

TEST_CASE("contacts that failed are read again although newer rows moved the cursor",
          "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 3000, std::chrono::seconds(0));
  REQUIRE(run.run().status == RunStatus::succeeded);
  touch(run, 1, 1000, "2026-06-01 00:00:00");     // the first batch: fails
  touch(run, 1001, 2000, "2026-07-01 00:00:00");  // the second: goes through
  run.emarsys.transient_failures = 1;
  const RunOutcome failed = run.run();
  REQUIRE(failed.status == RunStatus::partial);
  CHECK(failed.counts.failed == 1000);
  CHECK(failed.counts.updated == 1000);
  // Not the highest value read (July): the lowest of the rows spooled, which
  // a read that looked its contacts up one by one is every row it read.
  CHECK(read_state(run).watermark == "2026-01-01 00:00:00");
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome retry = run.run();
  REQUIRE(retry.status == RunStatus::succeeded);
  CHECK(retry.read.kind == ReadKind::incremental);
  CHECK(written(run.emarsys, sent) == people(1, 1000));
  CHECK(retry.counts.unchanged == 2000);
  CHECK(read_state(run).watermark == "2026-07-01 00:00:00");
}

TEST_CASE("a cancelled read keeps the watermark", "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 10, std::chrono::seconds(0));
  REQUIRE(run.run().status == RunStatus::succeeded);
  const auto before = read_state(run);
  touch(run, 1, 5, "2026-06-01 00:00:00");
  run.cancel = true;
  CHECK(run.run().status == RunStatus::cancelled);
  CHECK(read_state(run) == before);
  run.cancel = false;
  const std::size_t sent = run.emarsys.requests.size();
  CHECK(run.run().status == RunStatus::succeeded);
  CHECK(written(run.emarsys, sent) == people(1, 5));
}

TEST_CASE("NULL cursors are read by full reads only, and counted", "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 20, std::chrono::seconds(0));
  run.exec("UPDATE people SET updated_at = NULL WHERE email <= '" + RunFixture::email(5) + "'");
  const RunOutcome first = run.run();
  CHECK(first.counts.cursor_null == 5);
  CHECK(first.counts.inserted == 20);
  run.exec("UPDATE people SET city = 'Lyon' WHERE email = '" + RunFixture::email(1) + "'");
  const RunOutcome incremental = run.run();
  CHECK(incremental.read.kind == ReadKind::incremental);
  CHECK(incremental.counts.updated == 0);  // not selected
  CHECK(incremental.counts.cursor_null == 0);
  const RunOutcome full = run.run(Scope::full);
  CHECK(full.counts.cursor_null == 5);
  CHECK(last_run(run).counts.cursor_null == 5);
}

TEST_CASE("a deleted row's contact is dropped by the next full read only", "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 200, std::chrono::seconds(0));
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("DELETE FROM people WHERE email = '" + RunFixture::email(7) + "'");
  touch(run, 8, 8, "2026-06-01 00:00:00");
  CHECK(run.run().read.kind == ReadKind::incremental);
  CHECK(run.stored(RunFixture::email(7)));
  make_full_read_due(run);
  CHECK(run.run().read.kind == ReadKind::full);
  CHECK_FALSE(run.stored(RunFixture::email(7)));
  CHECK(run.stored_contacts() == 199);
}

TEST_CASE("the safety valve's volume rules apply to full reads only", "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 500, std::chrono::seconds(0));
  REQUIRE(run.run().status == RunStatus::succeeded);
  touch(run, 1, 3, "2026-06-01 00:00:00");
  REQUIRE(run.run().status == RunStatus::succeeded);  // reads all 500 from the first watermark
  touch(run, 4, 6, "2026-07-01 00:00:00");
  const RunOutcome incremental = run.run();
  CHECK(incremental.status == RunStatus::succeeded);
  CHECK(incremental.counts.rows_read == 6);  // far under half the last full read's 500
  // The full read's reference outlives any number of incremental runs (the
  // run history searched for it holds 50).
  for (int i = 0; i < 55; ++i) {
    REQUIRE(run.run().read.kind == ReadKind::incremental);
  }
  run.exec("DELETE FROM people WHERE email > '" + RunFixture::email(100) + "'");
  const RunOutcome full = run.run(Scope::full);
  CHECK(full.status == RunStatus::failed);
  CHECK_THAT(full.error.value_or(""), Catch::Contains("under half"));
}

TEST_CASE("a bad cursor column fails with its name", "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 10, std::chrono::seconds(0));
  run.activation.incremental->cursor_column = "missing";
  const auto missing = run.check();
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("the model has no cursor column 'missing'"));
  run.activation.incremental->cursor_column = "city";
  const auto text = run.check();
  REQUIRE_FALSE(text);
  CHECK_THAT(text.error().message, Catch::Contains("cursor column 'city' is text"));

  // A value no watermark can hold fails the run, naming the column and the row.
  run.activation.incremental->cursor_column = "updated_at";
  run.exec("UPDATE people SET updated_at = 'infinity' WHERE email = '" + RunFixture::email(4) +
           "'");
  const RunOutcome infinity = run.run();
  CHECK(infinity.status == RunStatus::failed);
  CHECK_THAT(infinity.error.value_or(""),
             Catch::Contains("cursor column 'updated_at' holds a value in row 4 that is no "
                             "timestamp a watermark can hold"));
  run.exec("UPDATE people SET updated_at = '2026-01-01 00:00:00'");

  // The column changed type since the watermark was stored.
  run.activation.incremental->cursor_column = "updated_at";
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("ALTER TABLE people ADD COLUMN version INTEGER");
  run.exec("UPDATE people SET version = 1");
  run.activation.query = "SELECT email, first_name, city, version AS updated_at FROM people";
  REQUIRE(run.store->apply_activations({run.activation}));
  auto state = read_state(run);
  state.fingerprint = emsync::sync::read_fingerprint(run.activation);  // as if the query were the same
  REQUIRE(run.store->save_read_state(run.activation_id, state));
  const RunOutcome changed = run.run();
  CHECK(changed.status == RunStatus::failed);
  CHECK_THAT(changed.error.value_or(""),
             Catch::Contains("cursor column 'updated_at' is now integer; it was timestamp"));
  // run --full starts again from the new values (an integer cursor takes a count).
  run.activation.incremental->lookback_time.reset();
  CHECK(run.run(Scope::full).status == RunStatus::succeeded);
  CHECK(read_state(run).cursor_type == "integer");
  CHECK(read_state(run).watermark == "1");
}

TEST_CASE("a large incremental read loads the stored contacts after all and still finds repeats",
          "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 12'000, std::chrono::seconds(0));
  REQUIRE(run.run().status == RunStatus::succeeded);
  // Read before the 10,000th row, while contacts are looked up one by one:
  // two rows of a new email, and person 5, whose second row comes last.
  run.exec("UPDATE people SET email = 'new@example.com' WHERE email IN ('" + RunFixture::email(2) +
           "', '" + RunFixture::email(3) + "')");
  run.exec("INSERT INTO people SELECT email, first_name, city, '2026-06-01 00:00:00' FROM people "
           "WHERE email = '" + RunFixture::email(5) + "'");
  touch(run, 11'000, 11'000, "2026-06-01 00:00:00");
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(outcome.read.kind == ReadKind::incremental);
  CHECK(outcome.counts.rows_read == 12'001);
  CHECK(outcome.counts.rejected == 4);  // both rows of each repeated email
  CHECK(outcome.counts.updated == 1);
  CHECK(outcome.counts.unchanged == 11'996);
  CHECK(written(run.emarsys, sent) == people(11'000, 11'000));
  std::set<std::string> codes;
  for (const auto& rejection : run.rejections_of_last_run()) {
    codes.insert(rejection.row_key + " " + rejection.code);
  }
  CHECK(codes == std::set<std::string>{"new@example.com duplicate_email",
                                       RunFixture::email(5) + " duplicate_email"});
}

namespace {

// An online backup of the state DB at `from` into `to` (SQLite's backup API,
// as `sqlite3 state.db ".backup ..."` makes it).
void backup(const std::filesystem::path& from, const std::filesystem::path& to) {
  sqlite3* source = nullptr;
  sqlite3* target = nullptr;
  REQUIRE(sqlite3_open(from.c_str(), &source) == SQLITE_OK);
  REQUIRE(sqlite3_open(to.c_str(), &target) == SQLITE_OK);
  sqlite3_backup* copy = sqlite3_backup_init(target, "main", source, "main");
  REQUIRE(copy != nullptr);
  CHECK(sqlite3_backup_step(copy, -1) == SQLITE_DONE);
  CHECK(sqlite3_backup_finish(copy) == SQLITE_OK);
  sqlite3_close(target);
  sqlite3_close(source);
}

}  // namespace

TEST_CASE("a state DB restored from a backup reads again from the backup's watermark",
          "[sync][incremental]") {
  RunFixture run;
  make_incremental(run, 100, std::chrono::seconds(0));
  REQUIRE(run.run().status == RunStatus::succeeded);
  touch(run, 1, 10, "2026-06-01 00:00:00");
  REQUIRE(run.run().status == RunStatus::succeeded);
  const std::filesystem::path dir = std::filesystem::path(run.model_path()).parent_path();
  backup(dir / "state.db", dir / "backup.db");
  touch(run, 11, 20, "2026-07-01 00:00:00");
  REQUIRE(run.run().status == RunStatus::succeeded);
  CHECK(read_state(run).watermark == "2026-07-01 00:00:00");

  // Restored as the README says: the daemon stopped, the WAL removed, the copy put back.
  run.store.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir / ("state.db" + std::string(suffix)));
  }
  std::filesystem::copy_file(dir / "backup.db", dir / "state.db");
  auto reopened = emsync::store::open_state_store((dir / "state.db").string());
  REQUIRE(reopened);
  run.store = std::make_unique<emsync::sync::test::CommitFailingStore>(std::move(*reopened));
  CHECK(read_state(run).watermark == "2026-06-01 00:00:00");  // the backup's, with its contact state

  touch(run, 21, 25, "2026-08-01 00:00:00");
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome restored = run.run();
  REQUIRE(restored.status == RunStatus::succeeded);
  CHECK(restored.read.kind == ReadKind::incremental);
  CHECK(restored.read.read_from == "2026-06-01 00:00:00");
  // The change made after the backup is sent again (its stored hashes are the
  // backup's), with the one made after the restore.
  CHECK(written(run.emarsys, sent) == people(11, 25));
}
