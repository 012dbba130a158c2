// A list activation's preview and explain (sync/list_run.hpp:
// preview_list_run; sync/explain.hpp), and its parked emails: the fake
// Emarsys account's lists and calls, the store's members and streaks.
#include <catch2/catch.hpp>

#include "list_run_fixture.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

namespace {

// The emails of the add requests from `from` on.
std::set<std::string> added_emails(ListRunFixture& run, std::size_t from) {
  std::set<std::string> out;
  for (const auto& request : run.calls("add", from)) {
    out.insert(request.emails.begin(), request.emails.end());
  }
  return out;
}

}  // namespace

TEST_CASE("a list preview of a list not created yet creates nothing and sends nothing",
          "[sync][list][preview]") {
  ListRunFixture run;
  run.add_people(12);
  run.exec("INSERT INTO people VALUES ('not an email', '', ''), ('PERSON0002@example.com', '', '')");
  const auto preview = run.preview(3);
  REQUIRE(preview);
  REQUIRE(preview->list);
  CHECK(preview->list->list == "name 'VIP'");
  CHECK(preview->list->list_id == 0);  // would be created
  CHECK(preview->list->members == 0);
  CHECK(preview->list->add == 11);  // person0002 is in two rows: rejected
  CHECK(preview->list->remove == 0);
  CHECK(preview->list->add_sample ==
        std::vector<std::string>{RunFixture::email(1), RunFixture::email(3), RunFixture::email(4)});
  CHECK(preview->list->remove_sample.empty());
  CHECK(preview->rows_read == 14);
  CHECK(preview->rejected == 3);
  CHECK(preview->rejected_by_reason == std::map<std::string, std::int64_t>{
                                           {"duplicate_email", 2}, {"invalid_email", 1}});
  CHECK(preview->duplicate_emails == 1);
  CHECK_FALSE(preview->safety_valve_stop);
  REQUIRE(preview->rejected_share_stop);  // 3 of 14 rows, over max_rejected_percent 5
  CHECK(run.emarsys.lists.size() == 1);  // the new contacts list only
  CHECK(run.emarsys.list_requests.empty());
  CHECK(run.store->list_runs(run.activation_id, 10).value().empty());
  CHECK(run.rejections_of_last_run().empty());

  // The run then does what the preview said.
  run.activation.max_rejected_percent = 50;
  REQUIRE(run.store->apply_activations({run.activation}));
  run.emarsys.add_contacts(as_vector(people(1, 12)));
  const RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.added == preview->list->add);
  CHECK(outcome.counts.rejected == preview->rejected);
}

TEST_CASE("a list preview finds a list by name without remembering it", "[sync][list][preview]") {
  ListRunFixture run;
  run.add_people(2);
  const std::int64_t vip = run.emarsys.create_list("VIP");
  const auto preview = run.preview();
  REQUIRE(preview);
  CHECK(preview->list->list_id == vip);
  CHECK(preview->list->add == 2);
  CHECK(run.store->load_list_id(run.activation_id, "name 'VIP'").value() == std::nullopt);
  CHECK(run.emarsys.list_requests.empty());
}

TEST_CASE("a list preview says the mass removal and the empty model would stop the run",
          "[sync][list][preview]") {
  ListRunFixture run;
  run.add_people(40);
  run.emarsys.add_contacts(as_vector(people(1, 40)));
  REQUIRE(run.run().status == RunStatus::succeeded);

  run.exec("DELETE FROM people WHERE rowid <= 10");  // 25% of the members leave
  auto preview = run.preview(2);
  REQUIRE(preview);
  CHECK(preview->list->members == 40);
  CHECK(preview->list->remove == 10);
  CHECK(preview->list->remove_sample.size() == 2);
  CHECK(people(1, 10).contains(preview->list->remove_sample.at(0)));
  CHECK(preview->unchanged == 30);
  REQUIRE(preview->safety_valve_stop);
  CHECK_THAT(*preview->safety_valve_stop, Catch::Contains("would remove 10 of the 40"));

  run.exec("DELETE FROM people");
  preview = run.preview();
  REQUIRE(preview);
  REQUIRE(preview->safety_valve_stop);
  CHECK(preview->list->remove == 40);
  CHECK(run.managed() == 40);
}

TEST_CASE("explain tells a list activation's contact: member, add, remove, neither",
          "[sync][list][explain]") {
  ListRunFixture run;
  run.add_people(5);
  run.emarsys.add_contacts(as_vector(people(1, 4)));  // person0005 unknown to Emarsys
  REQUIRE(run.run().status == RunStatus::succeeded);
  const std::int64_t first_run = run.last_run_id;
  run.exec("DELETE FROM people WHERE rowid = 1");
  run.add_people(1, 6);

  auto story = run.explain(" Person0002@Example.com ");
  REQUIRE(story);
  CHECK(story->email == RunFixture::email(2));
  CHECK(story->list_member == true);
  CHECK(story->added_by_run == first_run);
  REQUIRE(story->acknowledged_run);
  CHECK(story->acknowledged_run->id == first_run);
  CHECK(story->model_rows == 1);
  CHECK(story->next == NextRun::unchanged);
  CHECK_FALSE(story->stored);
  CHECK(story->fields.empty());

  story = run.explain(RunFixture::email(1));  // a member that left the model
  REQUIRE(story);
  CHECK(story->list_member == true);
  CHECK(story->model_rows == 0);
  CHECK(story->next == NextRun::remove);

  story = run.explain(RunFixture::email(6));  // entered the model
  REQUIRE(story);
  CHECK(story->list_member == false);
  CHECK(story->added_by_run == 0);
  CHECK_FALSE(story->acknowledged_run);
  CHECK(story->next == NextRun::add);

  story = run.explain(RunFixture::email(5));  // not found last run: tried again
  REQUIRE(story);
  CHECK(story->list_member == false);
  CHECK(story->next == NextRun::add);
  REQUIRE(story->last_run_rows.size() == 1);
  CHECK(story->last_run_rows[0].kind == store::RowKind::not_found);
  CHECK(story->last_run_rows[0].code == "2008");

  story = run.explain("nobody@example.com");
  REQUIRE(story);
  CHECK(story->list_member == false);
  CHECK(story->next == NextRun::not_in_model);

  run.add_people(1, 2);  // person0002 twice
  story = run.explain(RunFixture::email(2));
  REQUIRE(story);
  CHECK(story->next == NextRun::rejected);
  CHECK(story->next_code == "duplicate_email");

  CHECK_FALSE(run.explain("not an email"));
  CHECK(run.emarsys.list_requests.size() == 2);  // the first run's add and nothing since
}

TEST_CASE("an email Emarsys does not know is parked after park_after runs; retry and leaving "
          "the model unpark it",
          "[sync][list][parked]") {
  ListRunFixture run;
  run.add_people(4);
  run.emarsys.add_contacts(as_vector(people(1, 3)));  // person0004 unknown: 2008 each run
  const std::string unknown = RunFixture::email(4);
  const int park_after = RejectionPolicy{}.park_after;  // what the fixture's runs use
  REQUIRE(park_after == 5);
  for (int n = 1; n <= park_after; ++n) {
    const std::size_t before = run.emarsys.list_requests.size();
    const RunOutcome outcome = run.run();
    REQUIRE(outcome.status == RunStatus::succeeded);
    CHECK(outcome.counts.not_found == 1);
    CHECK(added_emails(run, before).contains(unknown));
    const auto streaks = run.store->list_parked(run.activation_id, 1).value();
    REQUIRE(streaks.size() == 1);
    CHECK(streaks[0].email == unknown);
    CHECK(streaks[0].code == "2008");
    CHECK(streaks[0].streak == n);
  }

  // Parked: not sent, counted rejected ("parked", which max_rejected_percent ignores).
  auto story = run.explain(unknown, park_after);
  REQUIRE(story);
  CHECK(story->next == NextRun::parked);
  CHECK(story->next_code == "2008");
  auto preview = run.preview();
  REQUIRE(preview);
  CHECK(preview->list->parked == 1);
  CHECK(preview->list->add == 0);
  CHECK(preview->rejected_by_reason == std::map<std::string, std::int64_t>{{"parked", 1}});
  std::size_t before = run.emarsys.list_requests.size();
  RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.not_found == 0);
  CHECK(outcome.counts.rejected == 1);
  CHECK(outcome.counts.unchanged == 3);
  CHECK(outcome.counts.rows_read == 4);
  CHECK(run.calls("add", before).empty());
  auto rows = run.rejections_of_last_run();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].row_key == unknown);
  CHECK(rows[0].code == "parked");
  CHECK_THAT(rows[0].message, Catch::Contains("emsyncctl retry crm"));
  CHECK(run.store->list_parked(run.activation_id, 1).value().at(0).streak == park_after);

  // emsyncctl retry: sent again (2008 again: the streak starts over).
  REQUIRE(run.store->clear_rejection_streaks(run.activation_id).value() == 1);
  before = run.emarsys.list_requests.size();
  outcome = run.run();
  CHECK(outcome.counts.not_found == 1);
  CHECK(added_emails(run, before) == std::set<std::string>{unknown});
  CHECK(run.store->list_parked(run.activation_id, 1).value().at(0).streak == 1);

  // Parked again, then it leaves the model: its streak is forgotten, and
  // when it comes back it is sent again; once Emarsys knows it, it joins.
  for (int n = 2; n <= park_after; ++n) {
    REQUIRE(run.run().status == RunStatus::succeeded);
  }
  REQUIRE(run.store->list_parked(run.activation_id, park_after).value().size() == 1);
  run.exec("DELETE FROM people WHERE email = '" + unknown + "'");
  REQUIRE(run.run().status == RunStatus::succeeded);
  CHECK(run.store->list_parked(run.activation_id, 1).value().empty());
  run.add_people(1, 4);
  run.emarsys.add_contacts({unknown});
  before = run.emarsys.list_requests.size();
  outcome = run.run();
  CHECK(outcome.counts.added == 1);
  CHECK(added_emails(run, before) == std::set<std::string>{unknown});
  CHECK(run.emarsys.members(run.vip()).contains(unknown));
  CHECK(run.store->list_parked(run.activation_id, 1).value().empty());
}

TEST_CASE("a list run forgets the streak of an email that joins the list", "[sync][list][parked]") {
  ListRunFixture run;
  run.add_people(2);
  run.emarsys.add_contacts({RunFixture::email(1)});
  REQUIRE(run.run().counts.not_found == 1);
  REQUIRE(run.store->list_parked(run.activation_id, 1).value().size() == 1);
  run.emarsys.add_contacts({RunFixture::email(2)});
  REQUIRE(run.run().counts.added == 1);
  CHECK(run.store->list_parked(run.activation_id, 1).value().empty());
}
