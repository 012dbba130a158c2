// sync::explain_contact in process (run_fixture.hpp): one contact's story
// from the state store, the fake Emarsys' fields and one read of the SQLite
// model for that email.
#include <catch2/catch.hpp>

#include "run_fixture.hpp"
#include "sync/row_key.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

namespace {

const FieldStory& field(const ContactStory& story, const std::string& column) {
  for (const auto& f : story.fields) {
    if (f.column == column) {
      return f;
    }
  }
  FAIL("no field story for column " << column);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("explain: a known contact, the run that acknowledged it and what the next run sends",
          "[sync][explain]") {
  RunFixture run;
  run.add_people(3);
  REQUIRE(run.run().status == RunStatus::succeeded);
  const std::int64_t first = run.last_run_id;
  REQUIRE(run.run().counts.unchanged == 3);  // an unchanged contact keeps its run
  run.exec("UPDATE people SET first_name = 'Renamed', city = NULL WHERE email = '" +
           RunFixture::email(2) + "'");

  // Given as a user types it: normalised as a run normalises it.
  const ContactStory story = run.explain("  PERSON0002@Example.COM ").value();
  CHECK(story.email == RunFixture::email(2));
  REQUIRE(story.stored);
  CHECK(story.stored->acknowledged_by_run == first);
  REQUIRE(story.acknowledged_run);
  CHECK(story.acknowledged_run->id == first);
  CHECK(story.stored->fields.size() == 2);
  REQUIRE(story.last_run);
  CHECK(story.last_run->id == run.last_run_id);
  CHECK(story.last_run_rows.empty());
  CHECK_FALSE(story.parked);
  CHECK(story.model_rows == 1);
  CHECK(story.next == NextRun::send);
  REQUIRE(story.fields.size() == 2);
  CHECK(field(story, "first_name").change == FieldChange::changed);
  CHECK(field(story, "first_name").value == "\"Renamed\"");
  CHECK(field(story, "first_name").stored);
  CHECK(field(story, "city").change == FieldChange::cleared);
  CHECK(field(story, "city").value == "\"\"");

  // An untouched contact: nothing to send.
  const ContactStory same = run.explain(RunFixture::email(1)).value();
  CHECK(same.next == NextRun::unchanged);
  CHECK(field(same, "first_name").change == FieldChange::unchanged);
  CHECK_FALSE(field(same, "first_name").value);
  // explain sent nothing and stored nothing.
  CHECK(run.emarsys.requests.size() == 1);
  CHECK(run.store->list_runs(run.activation_id, 10).value().size() == 2);
}

TEST_CASE("explain: a contact the model returns and emsync never sent, and one it does not return",
          "[sync][explain]") {
  RunFixture run;
  run.add_people(2);
  const ContactStory fresh = run.explain(RunFixture::email(1)).value();
  CHECK_FALSE(fresh.stored);
  CHECK_FALSE(fresh.last_run);
  CHECK(fresh.model_rows == 1);
  CHECK(fresh.next == NextRun::send);
  CHECK(field(fresh, "first_name").change == FieldChange::new_value);
  CHECK(field(fresh, "first_name").value == "\"Name 1\"");
  CHECK(field(fresh, "city").change == FieldChange::new_value);
  CHECK(run.emarsys.requests.empty());

  const ContactStory absent = run.explain("nobody@example.com").value();
  CHECK_FALSE(absent.stored);
  CHECK(absent.model_rows == 0);
  CHECK(absent.next == NextRun::not_in_model);
  CHECK(absent.fields.empty());

  auto invalid = run.explain("not an email");
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().code == Errc::invalid_input);

  // Two rows of one email (in other spellings): the run rejects them both.
  run.exec("INSERT INTO people VALUES (' Person0001@EXAMPLE.com', 'Again', 'Lyon')");
  const ContactStory twice = run.explain(RunFixture::email(1)).value();
  CHECK(twice.model_rows == 2);
  CHECK(twice.next == NextRun::rejected);
  CHECK(twice.next_code == "duplicate_email");
}

TEST_CASE("explain: a contact Emarsys rejected in the last run, and a parked one",
          "[sync][explain]") {
  RunFixture run;
  run.add_people(3);
  run.emarsys.rejects[RunFixture::email(2)] = "2007";
  for (int i = 0; i < 3; ++i) {
    REQUIRE(run.run().counts.rejected == 1);
  }
  // Rejected in the last run, with its code and message; not parked below the streak.
  const ContactStory rejected = run.explain(RunFixture::email(2)).value();
  CHECK_FALSE(rejected.stored);
  REQUIRE(rejected.last_run_rows.size() == 1);
  CHECK(rejected.last_run_rows[0].kind == store::RowKind::rejected);
  CHECK(rejected.last_run_rows[0].code == "2007");
  CHECK(rejected.last_run_rows[0].message == "refused by the test");
  CHECK_FALSE(rejected.parked);
  CHECK(rejected.next == NextRun::send);

  // With park_after_rejections 3 it is parked: the next run skips its unchanged data.
  const ContactStory parked = run.explain(RunFixture::email(2), 3).value();
  REQUIRE(parked.parked);
  CHECK(parked.parked->code == "2007");
  CHECK(parked.parked->streak == 3);
  CHECK(parked.next == NextRun::parked);
  // New data is sent again.
  run.exec("UPDATE people SET city = 'Lyon' WHERE email = '" + RunFixture::email(2) + "'");
  CHECK(run.explain(RunFixture::email(2), 3).value().next == NextRun::send);
}

TEST_CASE("explain finds the last run's row of a contact under hashed row keys",
          "[sync][explain]") {
  RunFixture run;
  run.add_people(1);
  REQUIRE(run.run().status == RunStatus::succeeded);
  REQUIRE(run.store->add_rejections(
      run.activation_id, {{run.last_run_id, hashed_row_key(RunFixture::email(1)), "http_503",
                           "Emarsys answered HTTP 503", store::RowKind::failed}}));
  CHECK(run.explain(RunFixture::email(1)).value().last_run_rows.empty());
  const ContactStory hashed = run.explain(RunFixture::email(1), 0, true).value();
  REQUIRE(hashed.last_run_rows.size() == 1);
  CHECK(hashed.last_run_rows[0].kind == store::RowKind::failed);
}
