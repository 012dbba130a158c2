// Runs of a list activation (sync/list_run.hpp) in process: the fake
// Emarsys account's lists, the members the store keeps, the run's counts.
#include <catch2/catch.hpp>

#include "list_run_fixture.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

TEST_CASE("a list run adds the known contacts of the model; not_found ones are tried again",
          "[sync][list]") {
  ListRunFixture run;
  run.add_people(30);
  run.emarsys.add_contacts(as_vector(people(1, 25)));
  run.emarsys.add_contacts({"hand@example.com"});
  const std::int64_t vip = run.emarsys.create_list("VIP", {"hand@example.com"});

  const RunOutcome first = run.run();
  REQUIRE(first.status == RunStatus::succeeded);
  CHECK(first.counts.rows_read == 30);
  CHECK(first.counts.added == 25);
  CHECK(first.counts.not_found == 5);
  CHECK(first.counts.removed == 0);
  CHECK(first.counts.updated == 0);
  CHECK(first.counts.inserted == 0);
  std::set<std::string> expected = people(1, 25);
  expected.insert("hand@example.com");
  CHECK(run.emarsys.members(vip) == expected);
  CHECK(run.managed() == 25);
  CHECK(run.calls("create").empty());  // found by name
  CHECK(run.rejections_of_last_run(store::RowKind::not_found).size() == 5);
  REQUIRE(first.warnings.size() == 1);
  CHECK_THAT(first.warnings[0], Catch::Contains("5 contacts of the model are not in Emarsys"));
  CHECK(run.emarsys.requests.empty());  // no contact written

  // A rerun sends only the unknown contacts again; once Emarsys knows one, it joins.
  run.emarsys.add_contacts({RunFixture::email(26)});
  const std::size_t before = run.emarsys.list_requests.size();
  const RunOutcome second = run.run();
  REQUIRE(second.status == RunStatus::succeeded);
  CHECK(second.counts.unchanged == 25);
  CHECK(second.counts.added == 1);
  CHECK(second.counts.not_found == 4);
  const auto adds = run.calls("add", before);
  REQUIRE(adds.size() == 1);
  CHECK(std::set<std::string>(adds[0].emails.begin(), adds[0].emails.end()) == people(26, 30));
  CHECK(run.calls("delete", before).empty());
  CHECK(run.managed() == 26);
}

TEST_CASE("a list given by name is created once, and its id remembered", "[sync][list]") {
  ListRunFixture run;
  run.add_people(3);
  run.emarsys.add_contacts(as_vector(people(1, 3)));
  REQUIRE(run.run().status == RunStatus::succeeded);
  REQUIRE(run.calls("create").size() == 1);
  CHECK(run.emarsys.members(run.vip()) == people(1, 3));
  run.emarsys.lists[run.vip()].name = "VIP (renamed)";  // by hand: still emsync's list
  const std::size_t before = run.emarsys.list_requests.size();
  REQUIRE(run.run().status == RunStatus::succeeded);
  CHECK(run.calls("create").size() == 1);
  CHECK(run.emarsys.list_requests.size() == before);  // nothing to add, nothing to remove
}

TEST_CASE("contacts leaving the model leave the list; hand-added members stay", "[sync][list]") {
  ListRunFixture run;
  run.add_people(100);
  run.emarsys.add_contacts(as_vector(people(1, 110)));
  run.emarsys.add_contacts({"hand@example.com"});
  const std::int64_t vip = run.emarsys.create_list("VIP", {"hand@example.com"});
  REQUIRE(run.run().status == RunStatus::succeeded);

  run.exec("DELETE FROM people WHERE rowid <= 5");  // 5% leave
  run.add_people(3, 101);
  const RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.removed == 5);
  CHECK(outcome.counts.added == 3);
  CHECK(outcome.counts.unchanged == 95);
  CHECK(outcome.counts.rows_read == 98);
  std::set<std::string> expected = people(6, 103);
  expected.insert("hand@example.com");
  CHECK(run.emarsys.members(vip) == expected);
  CHECK(run.managed() == 98);
}

TEST_CASE("removing over max_remove_percent of the managed members stops; --force passes",
          "[sync][list]") {
  ListRunFixture run;
  run.add_people(50);
  run.emarsys.add_contacts(as_vector(people(1, 50)));
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("DELETE FROM people WHERE rowid <= 6");  // 12% of 50
  const std::size_t before = run.emarsys.list_requests.size();
  const RunOutcome stopped = run.run();
  CHECK(stopped.status == RunStatus::failed);
  CHECK_THAT(stopped.error.value_or(""),
             Catch::StartsWith("safety valve: the run would remove 6 of the 50 list members"));
  CHECK_FALSE(stopped.needs_attention);
  CHECK(run.emarsys.list_requests.size() == before);
  CHECK(run.managed() == 50);

  const RunOutcome forced = run.run(Scope::changes, SafetyValve::bypass);
  REQUIRE(forced.status == RunStatus::succeeded);
  CHECK(forced.counts.removed == 6);
  CHECK(run.emarsys.members(run.vip()) == people(7, 50));
  CHECK(run.managed() == 44);
}

TEST_CASE("an empty model stops a list run that manages members", "[sync][list]") {
  ListRunFixture run;
  run.activation.max_remove_percent = 100;
  REQUIRE(run.store->apply_activations({run.activation}));
  run.add_people(150);
  run.emarsys.add_contacts(as_vector(people(1, 150)));
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("DELETE FROM people");
  const RunOutcome stopped = run.run();
  CHECK(stopped.status == RunStatus::failed);
  CHECK_THAT(stopped.error.value_or(""),
             Catch::StartsWith("safety valve: the model returned no contact"));
  CHECK(run.emarsys.members(run.vip()).size() == 150);
}

TEST_CASE("duplicate and invalid emails are rejected as in the contacts mode", "[sync][list]") {
  ListRunFixture run;
  run.add_people(100);
  run.exec("INSERT INTO people VALUES ('person0002@example.com', 'x', 'y'), ('not-an-email', "
           "'x', 'y')");
  run.emarsys.add_contacts(as_vector(people(1, 100)));
  const RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.rows_read == 102);
  CHECK(outcome.counts.rejected == 3);  // both rows of person0002, and the invalid one
  CHECK(outcome.counts.added == 99);
  CHECK_FALSE(run.emarsys.members(run.vip()).contains(RunFixture::email(2)));
  std::set<std::string> codes;
  for (const auto& rejection : run.rejections_of_last_run()) {
    codes.insert(rejection.code);
  }
  CHECK(codes == std::set<std::string>{"duplicate_email", "invalid_email"});

  // Over max_rejected_percent (5), the run stops before sending, its rows stored.
  run.exec("INSERT INTO people VALUES ('a', 'x', 'y'), ('b', 'x', 'y'), ('c', 'x', 'y')");
  run.exec("INSERT INTO people SELECT email, 'x', 'y' FROM people WHERE rowid BETWEEN 90 AND 91");
  const std::size_t before = run.emarsys.list_requests.size();
  const RunOutcome stopped = run.run();
  CHECK(stopped.status == RunStatus::failed);
  CHECK_THAT(stopped.error.value_or(""), Catch::Contains("max_rejected_percent"));
  CHECK(run.emarsys.list_requests.size() == before);
  CHECK(run.rejections_of_last_run().size() == 10);
}

TEST_CASE("a contact gone from Emarsys (2008 on delete) is no member any more", "[sync][list]") {
  ListRunFixture run;
  run.add_people(20);
  run.emarsys.add_contacts(as_vector(people(1, 20)));
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("DELETE FROM people WHERE rowid = 1");
  run.emarsys.account.erase(RunFixture::email(1));
  run.emarsys.lists[run.vip()].members.erase(RunFixture::email(1));
  const RunOutcome outcome = run.run();
  REQUIRE(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.removed == 1);
  CHECK(run.managed() == 19);
  const std::size_t before = run.emarsys.list_requests.size();
  REQUIRE(run.run().status == RunStatus::succeeded);
  CHECK(run.emarsys.list_requests.size() == before);
}

TEST_CASE("a list id Emarsys does not have fails the run, naming it", "[sync][list]") {
  ListRunFixture run;
  run.activation.list = std::int64_t{4242};
  REQUIRE(run.store->apply_activations({run.activation}));
  run.add_people(3);
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::failed);
  CHECK_THAT(outcome.error.value_or(""),
             Catch::StartsWith("activation 'crm': Emarsys has no contact list with id 4242"));
  CHECK(outcome.needs_attention);
  CHECK(outcome.counts.failed == 0);  // nothing read
  CHECK(run.emarsys.list_requests.empty());
}

TEST_CASE("a list given by id is filled; a run of it and preview say what they do",
          "[sync][list]") {
  ListRunFixture run;
  const std::int64_t list = run.emarsys.create_list("Segment");
  run.activation.list = list;
  REQUIRE(run.store->apply_activations({run.activation}));
  run.add_people(3);
  run.emarsys.add_contacts(as_vector(people(1, 3)));
  REQUIRE(run.run().status == RunStatus::succeeded);
  CHECK(run.emarsys.members(list) == people(1, 3));
  run.exec("DELETE FROM people WHERE rowid = 1");
  run.add_people(1, 4);
  run.emarsys.add_contacts({RunFixture::email(4)});
  const std::size_t before = run.emarsys.list_requests.size();
  const auto preview = run.preview();
  REQUIRE(preview);
  REQUIRE(preview->list);
  CHECK(preview->list->list == "id " + std::to_string(list));
  CHECK(preview->list->list_id == list);
  CHECK(preview->list->members == 3);
  CHECK(preview->list->add == 1);
  CHECK(preview->list->remove == 1);
  CHECK(preview->list->add_sample == std::vector<std::string>{RunFixture::email(4)});
  CHECK(preview->list->remove_sample == std::vector<std::string>{RunFixture::email(1)});
  CHECK(preview->unchanged == 2);
  REQUIRE(preview->safety_valve_stop);  // 1 of 3 members removed: over max_remove_percent
  CHECK_THAT(*preview->safety_valve_stop, Catch::Contains("max_remove_percent"));
  CHECK(run.emarsys.list_requests.size() == before);  // nothing sent
  CHECK(run.managed() == 3);                           // nothing stored
}

TEST_CASE("a crash between a request and its commit sends at most that request again",
          "[sync][list]") {
  ListRunFixture run;
  run.add_people(25);
  run.emarsys.add_contacts(as_vector(people(1, 25)));
  run.store->fail_commits = true;
  const RunOutcome crashed = run.run();
  CHECK(crashed.status == RunStatus::failed);
  CHECK(run.managed() == 0);
  CHECK(run.calls("add").size() == 1);
  run.store->fail_commits = false;
  const RunOutcome again = run.run();
  REQUIRE(again.status == RunStatus::succeeded);
  CHECK(run.calls("add").size() == 2);  // that request again, no other
  CHECK(run.emarsys.members(run.vip()) == people(1, 25));
  CHECK(run.managed() == 25);
}

TEST_CASE("a failed request fails its rows, which the next run sends", "[sync][list]") {
  ListRunFixture run;
  run.add_people(10);
  run.emarsys.add_contacts(as_vector(people(1, 10)));
  run.emarsys.transient_failures = 1;
  const RunOutcome failed = run.run();
  CHECK(failed.status == RunStatus::failed);
  CHECK(failed.counts.failed == 10);
  CHECK(failed.counts.rows_read == 10);
  CHECK(run.rejections_of_last_run(store::RowKind::failed).size() == 10);
  const RunOutcome again = run.run();
  REQUIRE(again.status == RunStatus::succeeded);
  CHECK(again.counts.added == 10);
  CHECK(run.emarsys.members(run.vip()) == people(1, 10));
}

TEST_CASE("run --full adds the members again (a list emptied by hand is refilled)",
          "[sync][list]") {
  ListRunFixture run;
  run.add_people(5);
  run.emarsys.add_contacts(as_vector(people(1, 5)));
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.emarsys.lists[run.vip()].members.clear();
  const RunOutcome full = run.run(Scope::full);
  REQUIRE(full.status == RunStatus::succeeded);
  CHECK(full.counts.added == 5);
  CHECK(run.emarsys.members(run.vip()) == people(1, 5));
}
