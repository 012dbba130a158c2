// sync::execute_run in process (run_fixture.hpp): a fake Emarsys account,
// the state store and the model on temporary SQLite files, a real pool.
// Each case checks what Emarsys was sent, what the store keeps and what the
// run reports.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "run_fixture.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

namespace {

// person<first>..person<last>, as the fake records a write's emails.
std::set<std::string> people(int first, int last) {
  std::set<std::string> out;
  for (int n = first; n <= last; ++n) {
    out.insert(RunFixture::email(n));
  }
  return out;
}

// Every email of the writes from `from` on.
std::set<std::string> written_since(const FakeEmarsys& emarsys, std::size_t from) {
  std::set<std::string> out;
  for (std::size_t i = from; i < emarsys.requests.size(); ++i) {
    out.merge(emarsys.requests[i].emails());
  }
  return out;
}

}  // namespace

TEST_CASE("a first run creates every contact in batches and stores them all", "[sync][run]") {
  RunFixture run;
  run.add_people(1200);
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.rows_read == 1200);
  CHECK(outcome.counts.inserted == 1200);
  CHECK(outcome.counts.failed == 0);
  CHECK(outcome.batches == 2);
  // New to emsync: created first, one request per batch, into the new-contacts list.
  REQUIRE(run.emarsys.requests.size() == 2);
  for (const auto& request : run.emarsys.requests) {
    CHECK(request.method == "POST");
    CHECK(request.list_id == k_new_contacts_list);
  }
  CHECK(run.emarsys.requests[0].emails() == people(1, 1000));
  CHECK(run.emarsys.requests[1].emails() == people(1001, 1200));
  CHECK(run.emarsys.account.at(RunFixture::email(7)) ==
        json({{"3", RunFixture::email(7)}, {"1", "Name 7"}, {"4", "Paris"}}));
  CHECK(run.emarsys.members(k_new_contacts_list).size() == 1200);
  CHECK(run.stored_contacts() == 1200);
}

TEST_CASE("a rerun of an unchanged model sends nothing", "[sync][run]") {
  RunFixture run;
  run.add_people(1200);
  REQUIRE(run.run().status == RunStatus::succeeded);
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome rerun = run.run();
  CHECK(rerun.status == RunStatus::succeeded);
  CHECK(rerun.counts.unchanged == 1200);
  CHECK(rerun.batches == 0);
  CHECK(run.emarsys.requests.size() == sent);
  CHECK(run.stored_contacts() == 1200);
}

TEST_CASE("one changed field sends that contact alone, with that field alone", "[sync][run]") {
  RunFixture run;
  run.add_people(3);
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("UPDATE people SET city = 'Lyon' WHERE email = '" + RunFixture::email(2) + "'");
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome rerun = run.run();
  CHECK(rerun.status == RunStatus::succeeded);
  CHECK(rerun.counts.unchanged == 2);
  CHECK(rerun.counts.updated == 1);
  REQUIRE(run.emarsys.requests.size() == sent + 1);
  const auto& update = run.emarsys.requests.back();
  CHECK(update.method == "PUT");  // emsync sent it before: an update
  REQUIRE(update.contacts.size() == 1);
  CHECK(update.contacts[0] == json({{"3", RunFixture::email(2)}, {"4", "Lyon"}}));
  CHECK(run.emarsys.account.at(RunFixture::email(2))["4"] == "Lyon");
  // The new value is stored: a third run sends nothing.
  CHECK(run.run().counts.unchanged == 3);
  CHECK(run.emarsys.requests.size() == sent + 1);
}

TEST_CASE("a contact Emarsys rejects is stored as a rejection; the others go through",
          "[sync][run]") {
  RunFixture run;
  run.add_people(3);
  run.emarsys.rejects[RunFixture::email(2)] = "2010";
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.inserted == 2);
  CHECK(outcome.counts.rejected == 1);
  const auto rejections = run.rejections_of_last_run();
  REQUIRE(rejections.size() == 1);
  CHECK(rejections[0].row_key == RunFixture::email(2));
  CHECK(rejections[0].code == "2010");
  CHECK(rejections[0].message == "refused by the test");
  CHECK(run.stored(RunFixture::email(1)));
  CHECK_FALSE(run.stored(RunFixture::email(2)));
  CHECK(run.stored(RunFixture::email(3)));
  // Not acknowledged, so not "unchanged": the next run tries it again, alone.
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome rerun = run.run();
  CHECK(rerun.counts.rejected == 1);
  CHECK(written_since(run.emarsys, sent) == people(2, 2));
}

TEST_CASE("a batch Emarsys refuses whole is split until the contact at fault is alone",
          "[sync][run]") {
  RunFixture run;
  run.add_people(8);
  run.emarsys.malformed.insert(RunFixture::email(3));
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.inserted == 7);
  CHECK(outcome.counts.rejected == 1);
  // 1-8 refused, 1-4 refused, 1-2 taken, 3-4 refused, 3 refused alone, 4 taken, 5-8 taken.
  const std::vector<std::set<std::string>> expected{people(1, 8), people(1, 4), people(1, 2),
                                                    people(3, 4), people(3, 3), people(4, 4),
                                                    people(5, 8)};
  CHECK(run.emarsys.written() == expected);
  const auto rejections = run.rejections_of_last_run();
  REQUIRE(rejections.size() == 1);
  CHECK(rejections[0].row_key == RunFixture::email(3));
  CHECK(rejections[0].code == "http_400");
  CHECK(run.stored_contacts() == 7);
  CHECK_FALSE(run.stored(RunFixture::email(3)));
}

TEST_CASE("a transient failure fails its batch only, which the next run sends", "[sync][run]") {
  RunFixture run;
  run.add_people(1200);
  run.emarsys.transient_failures = 1;  // the first batch
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::partial);
  CHECK(outcome.counts.failed == 1000);
  CHECK(outcome.counts.inserted == 200);
  CHECK(run.stored_contacts() == 200);
  const std::size_t sent = run.emarsys.requests.size();
  const RunOutcome rerun = run.run();
  CHECK(rerun.status == RunStatus::succeeded);
  CHECK(rerun.counts.inserted == 1000);
  CHECK(written_since(run.emarsys, sent) == people(1, 1000));
  CHECK(run.stored_contacts() == 1200);
}

TEST_CASE("a partial run keeps its failed contacts, each with the failure's message",
          "[sync][run]") {
  RunFixture run;
  run.add_people(1200);
  run.emarsys.transient_failures = 1;  // the first batch
  const RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::partial);
  const auto failed = run.rejections_of_last_run(store::RowKind::failed);
  REQUIRE(failed.size() == 1000);
  CHECK(failed.front().row_key == RunFixture::email(1));
  CHECK(failed.back().row_key == RunFixture::email(1000));
  CHECK(failed.front().code == "http_503");
  CHECK(failed.front().message == "Emarsys answered HTTP 503");
  CHECK(failed.front().kind == store::RowKind::failed);
  CHECK(run.rejections_of_last_run(store::RowKind::rejected).empty());
  CHECK(run.rejections_of_last_run(store::RowKind::not_found).empty());
}

TEST_CASE("without insert_new_contacts, the contacts Emarsys does not know are kept as not_found",
          "[sync][run]") {
  RunFixture run;
  run.activation.insert_new_contacts = false;
  run.add_people(3);
  run.emarsys.account[RunFixture::email(2)] = json::object();  // Emarsys knows only person 2
  const RunOutcome outcome = run.run();
  CHECK(outcome.counts.not_found == 2);
  CHECK(outcome.counts.updated == 1);
  const auto not_found = run.rejections_of_last_run(store::RowKind::not_found);
  REQUIRE(not_found.size() == 2);
  CHECK(not_found[0].row_key == RunFixture::email(1));
  CHECK(not_found[1].row_key == RunFixture::email(3));
  CHECK(not_found[0].code == "2008");
  CHECK_THAT(not_found[0].message, Catch::Contains("insert_new_contacts is off"));
}

TEST_CASE("a cancel stops the run at a batch boundary; the next run sends the rest",
          "[sync][run]") {
  RunFixture run;
  run.add_people(2500);
  run.emarsys.after_write = [&](const FakeEmarsys::Request&) { run.cancel = true; };
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::cancelled);
  CHECK(outcome.batches == 1);
  CHECK(run.emarsys.requests.size() == 1);
  CHECK(outcome.counts.inserted == 1000);  // the batch on the wire is settled and stored
  CHECK(outcome.counts.failed == 1500);
  CHECK(run.stored_contacts() == 1000);
  CHECK(run.stored(RunFixture::email(1000)));
  CHECK_FALSE(run.stored(RunFixture::email(1001)));

  run.cancel = false;
  run.emarsys.after_write = nullptr;
  const RunOutcome rerun = run.run();
  CHECK(rerun.status == RunStatus::succeeded);
  CHECK(rerun.counts.unchanged == 1000);
  CHECK(rerun.counts.inserted == 1500);
  CHECK(written_since(run.emarsys, 1) == people(1001, 2500));
  CHECK(run.stored_contacts() == 2500);
}

TEST_CASE("a cancel stops the model's query while the database computes it", "[sync][run]") {
  RunFixture run;
  run.add_people(3);
  // Minutes of work before a first row (none comes: i < 0 never holds).
  run.activation.query =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
      "SELECT email, first_name, city FROM people, n WHERE i < 0";
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    run.cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const RunOutcome outcome = run.run();
  const auto took = std::chrono::steady_clock::now() - start;
  canceller.join();
  CHECK(outcome.status == RunStatus::cancelled);
  CHECK(outcome.error.value_or("").find("the model query was cancelled") != std::string::npos);
  CHECK_FALSE(outcome.needs_attention);
  CHECK(took < std::chrono::seconds(3));
  CHECK(run.emarsys.requests.empty());
  CHECK(run.stored_contacts() == 0);
  CHECK(outcome.counts.rows_read == 0);
}

TEST_CASE("a commit that fails after Emarsys acknowledged leaves the batch unclaimed",
          "[sync][run]") {
  RunFixture run;
  run.add_people(2500);
  // Emarsys takes the second batch, then the state DB cannot commit it.
  int writes = 0;
  run.emarsys.after_write = [&](const FakeEmarsys::Request&) {
    if (++writes == 2) {
      run.store->fail_commits = true;
    }
  };
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::failed);
  CHECK(outcome.error.value_or("").find("state DB commit failed") != std::string::npos);
  CHECK(run.emarsys.requests.size() == 2);  // no batch sent after the failure
  CHECK(run.emarsys.account.size() == 2000);
  CHECK(run.stored_contacts() == 1000);  // the first batch only
  CHECK(run.stored(RunFixture::email(1000)));
  CHECK_FALSE(run.stored(RunFixture::email(1001)));

  run.store->fail_commits = false;
  run.emarsys.after_write = nullptr;
  const RunOutcome rerun = run.run();
  CHECK(rerun.status == RunStatus::succeeded);
  CHECK(rerun.counts.unchanged == 1000);
  // Sent again: the second batch, which Emarsys already holds (2009: updated
  // in full), and the third, never sent.
  CHECK(written_since(run.emarsys, 2) == people(1001, 2500));
  CHECK(rerun.counts.updated == 1000);
  CHECK(rerun.counts.inserted == 500);
  CHECK(run.stored_contacts() == 2500);
}

TEST_CASE("the preflight check reads no row, sends nothing and says what fails", "[sync][run]") {
  RunFixture run;
  run.add_people(3);
  SECTION("all there") { CHECK(run.check()); }
  SECTION("a mapped column the model lacks") {
    run.activation.fields.push_back({"tier", std::int64_t{1}});
    const auto checked = run.check();
    REQUIRE_FALSE(checked);
    CHECK(checked.error().message.find("the model has no column 'tier'") != std::string::npos);
  }
  SECTION("the new-contacts list is gone") {
    run.emarsys.lists.clear();
    const auto checked = run.check();
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == Errc::not_found);
  }
  CHECK(run.emarsys.requests.empty());
  CHECK(run.stored_contacts() == 0);
}

TEST_CASE("a binary column is refused when the activation uses it, ignored otherwise",
          "[sync][run]") {
  RunFixture run;
  run.add_people(2);
  run.exec("ALTER TABLE people ADD COLUMN photo BLOB; UPDATE people SET photo = x'0102'");
  // Through libsqliteodbc, whose BLOB columns are ODBC binary columns.
  run.use_source(source::make_odbc_source(
      "Driver=/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so;Database=" + run.model_path(),
      std::nullopt));
  run.activation.query = "SELECT email, first_name, city, photo FROM people ORDER BY rowid";
  const auto unmapped = run.run();
  CHECK(unmapped.status == RunStatus::succeeded);
  CHECK(run.stored_contacts() == 2);

  run.activation.query = "SELECT email, photo AS first_name, city FROM people";
  const auto mapped = run.run();
  CHECK(mapped.status == RunStatus::failed);
  CHECK(mapped.error.value_or("").find("column 'first_name' is binary (bytea, varbinary, blob), "
                                       "which emsync does not send: cast it to text in the "
                                       "model") != std::string::npos);
  const auto checked = run.check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message.find("is binary") != std::string::npos);
}
