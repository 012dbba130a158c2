// sync::preview_run in process (run_fixture.hpp): what the next run would
// do, with nothing sent and nothing stored; and the data-quality rules a run
// decides before sending (max_rejected_percent, the not_found warning).
#include <catch2/catch.hpp>

#include "run_fixture.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

namespace {

// What the state DB holds of runs, contacts and rejected rows.
struct Stored {
  std::int64_t runs = 0;
  std::int64_t contacts = 0;
  std::int64_t rejections = 0;
  std::int64_t read_states = 0;

  bool operator==(const Stored&) const = default;
};

Stored stored(RunFixture& run) {
  return {run.state_count("SELECT count(*) FROM runs"),
          run.state_count("SELECT count(*) FROM (SELECT email_hash FROM contact_state UNION "
                          "SELECT email_hash FROM contact_log)"),
          run.state_count("SELECT count(*) FROM rejections"),
          run.state_count("SELECT count(*) FROM read_state")};
}

const FieldPreview& field_of(const RunPreview& preview, const std::string& column) {
  for (const auto& field : preview.fields) {
    if (field.column == column) {
      return field;
    }
  }
  FAIL("no field for column " << column);
  throw std::logic_error("unreachable");
}

bool has_warning(const std::vector<std::string>& warnings, const std::string& part) {
  return std::any_of(warnings.begin(), warnings.end(), [&](const std::string& warning) {
    return warning.find(part) != std::string::npos;
  });
}

// After a first run of person1..10: 2 move to Lyon, 1 loses its first name,
// 5 are new, one row has an invalid email and one email comes twice.
void change_model(RunFixture& run) {
  run.add_people(5, 11);
  run.exec("UPDATE people SET city = 'Lyon' WHERE email IN ('" + RunFixture::email(2) + "', '" +
           RunFixture::email(3) + "')");
  run.exec("UPDATE people SET first_name = NULL WHERE email = '" + RunFixture::email(4) + "'");
  run.exec("INSERT INTO people VALUES ('not-an-email', 'Bad', 'Paris'), "
           "('twice@example.com', 'One', 'Paris'), ('twice@example.com', 'Two', 'Nice')");
}

}  // namespace

TEST_CASE("a preview sends and stores nothing, and counts what the next run then does",
          "[sync][preview]") {
  RunFixture run;
  run.activation.max_rejected_percent = 50;  // 3 of 18 rows are rejected
  run.add_people(10);
  REQUIRE(run.run().status == RunStatus::succeeded);
  change_model(run);
  const std::size_t writes = run.emarsys.requests.size();
  const std::size_t fields = run.emarsys.fields.size();
  const Stored before = stored(run);

  const auto preview = run.preview();
  REQUIRE(preview);
  CHECK(run.emarsys.requests.size() == writes);  // no PUT or POST /contact
  CHECK(run.emarsys.fields.size() == fields);
  CHECK(run.emarsys.data_reads.size() == 1);     // the sample's current values
  CHECK(stored(run) == before);

  CHECK(preview->read.kind == store::ReadKind::full);
  CHECK(preview->rows_read == 18);
  CHECK(preview->new_contacts == 5);
  CHECK(preview->changed == 3);
  CHECK(preview->unchanged == 7);
  CHECK(preview->rejected == 3);
  CHECK(preview->rejected_by_reason ==
        std::map<std::string, std::int64_t>{{"duplicate_email", 2}, {"invalid_email", 1}});
  CHECK(preview->duplicate_rows == 2);
  CHECK(preview->duplicate_emails == 1);
  CHECK(field_of(*preview, "first_name").field_id == 1);
  CHECK(field_of(*preview, "first_name").set == 5);
  CHECK(field_of(*preview, "first_name").cleared == 1);
  CHECK(field_of(*preview, "city").field_id == 4);
  CHECK(field_of(*preview, "city").set == 7);
  CHECK(field_of(*preview, "city").cleared == 0);
  CHECK_FALSE(preview->safety_valve_stop);
  CHECK_FALSE(preview->rejected_share_stop);
  CHECK(has_warning(preview->warnings, "3 of 18 rows read were rejected"));

  // The run that follows, with nothing changed in between, counts the same.
  const RunOutcome next = run.run();
  CHECK(next.status == RunStatus::succeeded);
  CHECK(next.counts.rows_read == preview->rows_read);
  CHECK(next.counts.inserted == preview->new_contacts);
  CHECK(next.counts.updated == preview->changed);
  CHECK(next.counts.unchanged == preview->unchanged);
  CHECK(next.counts.rejected == preview->rejected);
  CHECK(next.warnings == preview->warnings);
}

TEST_CASE("the preview's sample shows each changed field with its current value in Emarsys",
          "[sync][preview]") {
  RunFixture run;
  run.activation.max_rejected_percent = 50;
  run.add_people(10);
  REQUIRE(run.run().status == RunStatus::succeeded);
  change_model(run);
  // Someone changed person 3's city in Emarsys meanwhile.
  run.emarsys.account.at(RunFixture::email(3))["4"] = "Marseille";

  const auto preview = run.preview(4);
  REQUIRE(preview);
  REQUIRE(preview->sample.size() == 4);  // the first four of the 8 it would send, in model order
  CHECK_FALSE(preview->sample_error);
  CHECK(run.emarsys.data_reads.at(0) ==
        std::vector<std::string>{RunFixture::email(2), RunFixture::email(3), RunFixture::email(4),
                                 RunFixture::email(11)});

  const SampleContact& moved = preview->sample[1];
  CHECK(moved.email == RunFixture::email(3));
  CHECK(moved.known);
  CHECK(moved.in_emarsys);
  REQUIRE(moved.fields.size() == 1);  // only what changed
  CHECK(moved.fields[0].column == "city");
  CHECK(moved.fields[0].field_id == 4);
  CHECK(moved.fields[0].new_value == "Lyon");
  CHECK(moved.fields[0].current == "Marseille");

  const SampleContact& cleared = preview->sample[2];
  CHECK(cleared.email == RunFixture::email(4));
  REQUIRE(cleared.fields.size() == 1);
  CHECK(cleared.fields[0].column == "first_name");
  CHECK_FALSE(cleared.fields[0].new_value);  // cleared
  CHECK(cleared.fields[0].current == "Name 4");

  const SampleContact& fresh = preview->sample[3];
  CHECK(fresh.email == RunFixture::email(11));
  CHECK_FALSE(fresh.known);
  CHECK_FALSE(fresh.in_emarsys);
  REQUIRE(fresh.fields.size() == 2);
  CHECK(fresh.fields[0].new_value == "Name 11");
  CHECK(fresh.fields[1].new_value == "Paris");
  CHECK_FALSE(fresh.fields[1].current);
}

TEST_CASE("a preview reports a missing custom field as would be created and creates none",
          "[sync][preview]") {
  RunFixture run;
  run.activation.query = "SELECT email, first_name, city, city AS town FROM people ORDER BY rowid";
  run.activation.custom_attributes = {{"town", std::nullopt}};
  run.add_people(3);
  const std::size_t fields = run.emarsys.fields.size();

  const auto preview = run.preview();
  REQUIRE(preview);
  CHECK(run.emarsys.fields.size() == fields);
  const FieldPreview& town = field_of(*preview, "town");
  CHECK(town.field_id == 0);
  CHECK(town.field_name == "town");
  CHECK(town.set == 3);
  REQUIRE(preview->sample.size() == 3);
  CHECK(preview->sample[0].fields.at(2).column == "town");
  CHECK(preview->sample[0].fields.at(2).field_id == 0);
  CHECK(preview->new_contacts == 3);

  // The run creates it and sends what the preview said.
  const RunOutcome created = run.run();
  CHECK(created.status == RunStatus::succeeded);
  CHECK(created.counts.inserted == 3);
  CHECK(run.emarsys.fields.size() == fields + 1);
}

TEST_CASE("a preview judges the safety valve as the run would, and passes nothing",
          "[sync][preview]") {
  RunFixture run;
  run.add_people(200);
  REQUIRE(run.run().status == RunStatus::succeeded);
  run.exec("DELETE FROM people WHERE rowid > 50");  // under half the last run's rows
  const auto preview = run.preview();
  REQUIRE(preview);
  REQUIRE(preview->safety_valve_stop);
  CHECK_THAT(*preview->safety_valve_stop, Catch::Contains("under half the 200"));
  const RunOutcome stopped = run.run();
  CHECK(stopped.status == RunStatus::failed);
  CHECK(stopped.error == *preview->safety_valve_stop);
}

TEST_CASE("4% of the rows rejected: the run sends the rest and warns with the counts",
          "[sync][data_quality]") {
  RunFixture run;
  run.add_people(97);
  // Person 5 twice: both rows are rejected.
  run.exec("INSERT INTO people VALUES ('bad1', 'B', 'X'), (NULL, 'B', 'X'), ('" +
           RunFixture::email(5) + "', 'Again', 'Paris')");
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.rows_read == 100);
  CHECK(outcome.counts.rejected == 4);
  CHECK(outcome.counts.inserted == 96);
  REQUIRE(outcome.warnings.size() == 1);
  CHECK(outcome.warnings[0] ==
        "4 of 100 rows read were rejected (4%; max_rejected_percent 5%): 2 duplicate_email, 1 "
        "invalid_email, 1 missing_email; `emsyncctl errors crm` lists them");
  auto runs = run.store->list_runs(run.activation_id, 1);
  REQUIRE(runs);
  CHECK(runs->at(0).warnings == outcome.warnings);
}

TEST_CASE("6% of the rows rejected: the run stops before sending; --force sends the rest",
          "[sync][data_quality]") {
  RunFixture run;
  run.add_people(94);
  for (int i = 1; i <= 6; ++i) {
    run.exec("INSERT INTO people VALUES ('bad" + std::to_string(i) + "', 'B', 'X')");
  }
  const Stored before = stored(run);
  const auto preview = run.preview();
  REQUIRE(preview);
  REQUIRE(preview->rejected_share_stop);
  CHECK(stored(run) == before);  // the preview stored none of the six

  const RunOutcome stopped = run.run();
  CHECK(stopped.status == RunStatus::failed);
  CHECK_FALSE(stopped.needs_attention);  // a decision, not a fault: no auto-pause
  CHECK(run.emarsys.requests.empty());
  REQUIRE(stopped.error);
  CHECK(*stopped.error == *preview->rejected_share_stop);
  CHECK_THAT(*stopped.error,
             Catch::StartsWith("data quality: 6 of 100 rows read were rejected (6%, over "
                               "max_rejected_percent 5%): 6 invalid_email; first: row 95, row "
                               "96, row 97, row 98, row 99; nothing was sent") &&
                 Catch::Contains("`emsyncctl run crm --force`"));
  CHECK(stopped.counts.rejected == 6);
  CHECK(stopped.counts.failed == 94);
  CHECK(run.rejections_of_last_run().size() == 6);
  CHECK(run.stored_contacts() == 0);

  const RunOutcome forced = run.run(Scope::changes, SafetyValve::bypass);
  CHECK(forced.status == RunStatus::succeeded);
  CHECK(forced.counts.inserted == 94);
  CHECK(forced.counts.rejected == 6);
  CHECK(run.emarsys.account.size() == 94);
}

TEST_CASE("a model of duplicates only (1,000 rows, 500 emails) fails, sending nothing, and "
          "keeps every row's rejection",
          "[sync][data_quality]") {
  RunFixture run;
  run.add_people(500);
  run.add_people(500);
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::failed);
  CHECK(run.emarsys.requests.empty());
  CHECK(outcome.counts.rows_read == 1000);
  CHECK(outcome.counts.rejected == 1000);
  REQUIRE(outcome.error);
  CHECK_THAT(*outcome.error, Catch::Contains("1000 of 1000 rows read were rejected (100%") &&
                                 Catch::Contains("1000 duplicate_email"));
  CHECK(run.state_count("SELECT count(*) FROM rejections WHERE code = 'duplicate_email'") == 1000);
}

TEST_CASE("every contact not_found with insert_new_contacts off: the run warns how to create "
          "them",
          "[sync][data_quality]") {
  RunFixture run;
  run.activation.insert_new_contacts = false;
  run.add_people(3);
  const RunOutcome outcome = run.run();
  CHECK(outcome.status == RunStatus::succeeded);
  CHECK(outcome.counts.not_found == 3);
  REQUIRE(outcome.warnings.size() == 1);
  CHECK_THAT(outcome.warnings[0],
             Catch::Contains("none of the 3 contacts sent exists in Emarsys") &&
                 Catch::Contains("insert_new_contacts is off") &&
                 Catch::Contains("\"insert_new_contacts\": true"));

  // Once one of them is in Emarsys, its update is no cause for a warning.
  run.emarsys.account[RunFixture::email(1)] = json{{"3", RunFixture::email(1)}};
  const RunOutcome again = run.run();
  CHECK(again.counts.updated == 1);
  CHECK(again.warnings.empty());
}
