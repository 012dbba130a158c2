// Field values in whole runs (run_fixture.hpp): choice labels and ids, a
// multi-choice column, and on_value_too_long. Each case checks what Emarsys
// holds, what was rejected and what a rerun sends.
#include <catch2/catch.hpp>

#include "run_fixture.hpp"

using namespace emsync;
using namespace emsync::sync;
using namespace emsync::sync::test;
using store::RunStatus;

namespace {

// The fixture's model with a country (field 14, single choice), hobbies
// (field 1001, multi choice) and note (field 10, longtext) column.
void add_value_columns(RunFixture& run) {
  run.exec("ALTER TABLE people ADD COLUMN country");
  run.exec("ALTER TABLE people ADD COLUMN hobbies TEXT");
  run.exec("ALTER TABLE people ADD COLUMN note TEXT");
  run.activation.query =
      "SELECT email, first_name, city, country, hobbies, note FROM people ORDER BY rowid";
  run.activation.fields.push_back({"country", std::string("country")});
  run.activation.fields.push_back({"hobbies", std::int64_t{1001}});
  run.activation.fields.push_back({"note", std::int64_t{10}});
  auto& fields = run.emarsys.fields;
  fields.insert(fields.begin() + 2, {10, "Address", "address", "longtext"});
  fields.insert(fields.begin() + 3, {14, "Country or region", "country", "singlechoice"});
  fields.push_back({1001, "Hobbies", "", "multichoice"});
  run.emarsys.choices[14] = {{"1", "Afghanistan"}, {"65", "Germany"}, {"72", "France"}};
  run.emarsys.choices[1001] = {{"1", "Cooking"}, {"2", "Hiking trips"}, {"3", "Chess"}};
}

const json& contact(const RunFixture& run, int n) {
  return run.emarsys.account.at(RunFixture::email(n));
}

}  // namespace

TEST_CASE("choice fields take labels and ids, and an unknown label rejects its row",
          "[sync][run][choices]") {
  RunFixture run;
  run.activation.max_rejected_percent = 100;  // a few rows of a few are rejected on purpose
  run.add_people(5);
  add_value_columns(run);
  run.exec("UPDATE people SET country = 'France', hobbies = '{Cooking,\"hiking trips\"}' "
           "WHERE rowid = 1");
  run.exec("UPDATE people SET country = 65, hobbies = '[\"chess\", 1]' WHERE rowid = 2");
  run.exec("UPDATE people SET country = 'Frankreich' WHERE rowid = 3");
  run.exec("UPDATE people SET country = ' germany ', hobbies = 'Chess; Cooking' WHERE rowid = 4");
  run.exec("UPDATE people SET hobbies = '{Cooking,Knitting}' WHERE rowid = 5");

  const RunOutcome first = run.run();
  CHECK(first.status == RunStatus::succeeded);
  CHECK(first.counts.inserted == 3);
  CHECK(first.counts.rejected == 2);
  CHECK(contact(run, 1).at("14") == "72");
  CHECK(contact(run, 1).at("1001") == json({"1", "2"}));
  CHECK(contact(run, 2).at("14") == "65");
  CHECK(contact(run, 2).at("1001") == json({"1", "3"}));
  CHECK(contact(run, 4).at("14") == "65");
  CHECK(contact(run, 4).at("1001") == json({"1", "3"}));
  CHECK_FALSE(run.emarsys.account.contains(RunFixture::email(3)));
  const auto rejected = run.rejections_of_last_run();
  REQUIRE(rejected.size() == 2);
  for (const auto& rejection : rejected) {
    CHECK(rejection.code == "unknown_choice");
  }
  CHECK_THAT(rejected[0].message, Catch::Contains("\"Frankreich\" is no choice of Emarsys field "
                                                  "14 'Country or region'") &&
                                      Catch::Contains("\"France\""));
  CHECK_THAT(rejected[1].message, Catch::Contains("\"Knitting\" is no choice of Emarsys field "
                                                  "1001 'Hobbies'"));
  // Each choice list once per run.
  CHECK(run.emarsys.choice_reads == std::vector<std::int64_t>{14, 1001});

  // A label written differently, or as its id, or a list in another order or
  // form, is the same value: nothing is sent.
  run.exec("UPDATE people SET country = 'FRANCE', hobbies = 'Hiking trips;Cooking' "
           "WHERE rowid = 1");
  run.exec("UPDATE people SET country = 'Germany', hobbies = '{3,1}' WHERE rowid = 2");
  const std::size_t writes = run.emarsys.requests.size();
  const RunOutcome second = run.run();
  CHECK(second.status == RunStatus::succeeded);
  CHECK(second.counts.unchanged == 3);
  CHECK(run.emarsys.requests.size() == writes);
  CHECK(run.emarsys.choice_reads.size() == 4);

  // An emptied list clears the multi-choice field with null (one contact
  // of three: past the safety valve's default share).
  run.activation.max_clear_percent = 100;
  run.exec("UPDATE people SET hobbies = '{}' WHERE rowid = 1");
  const RunOutcome third = run.run();
  CHECK(third.counts.updated == 1);
  REQUIRE(run.emarsys.requests.size() == writes + 1);
  CHECK(run.emarsys.requests.back().contacts.at(0) ==
        json({{"3", RunFixture::email(1)}, {"1001", nullptr}}));
}

TEST_CASE("on_value_too_long: skip_field sends the rest of the contact, reject_row rejects it",
          "[sync][run][choices]") {
  RunFixture run;
  run.activation.max_rejected_percent = 100;  // a few rows of a few are rejected on purpose
  run.add_people(2);
  add_value_columns(run);
  run.exec("UPDATE people SET note = 'short' WHERE rowid = 1");
  run.exec("UPDATE people SET note = replace(hex(zeroblob(150)), '0', 'x') WHERE rowid = 2");

  SECTION("reject_row (the default)") {
    const RunOutcome outcome = run.run();
    CHECK(outcome.counts.inserted == 1);
    CHECK(outcome.counts.rejected == 1);
    const auto rejected = run.rejections_of_last_run();
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].code == "invalid_value");
    CHECK_THAT(rejected[0].message, Catch::Contains("the Emarsys longtext field allows 255"));
  }

  SECTION("skip_field") {
    run.activation.on_value_too_long = config::OnValueTooLong::skip_field;
    const RunOutcome first = run.run();
    CHECK(first.status == RunStatus::succeeded);
    CHECK(first.counts.inserted == 2);
    CHECK(first.counts.rejected == 0);
    CHECK(contact(run, 1).at("10") == "short");
    CHECK(contact(run, 2) == json({{"3", RunFixture::email(2)}, {"1", "Name 2"}, {"4", "Paris"}}));

    // Still too long: nothing to send. Once a known contact's note grows too
    // long, the note Emarsys holds is left alone (not cleared).
    run.exec("UPDATE people SET note = replace(hex(zeroblob(150)), '0', 'y') WHERE rowid = 1");
    const std::size_t writes = run.emarsys.requests.size();
    const RunOutcome second = run.run();
    CHECK(second.status == RunStatus::succeeded);
    CHECK(second.counts.unchanged == 2);
    CHECK(run.emarsys.requests.size() == writes);
    CHECK(contact(run, 1).at("10") == "short");
    // Each run that leaves values out says so, an unchanged one too: such a
    // row is converted again on every run (row_digest.hpp).
    for (const RunOutcome& outcome : {second, run.run()}) {
      REQUIRE(outcome.warnings.size() == 1);
      CHECK_THAT(outcome.warnings[0], Catch::StartsWith("2 values of column 'note' were longer"));
    }
    CHECK(run.emarsys.requests.size() == writes);

    // Short enough again: sent.
    run.exec("UPDATE people SET note = 'fits now' WHERE rowid = 2");
    const RunOutcome third = run.run();
    CHECK(third.counts.updated == 1);
    CHECK(contact(run, 2).at("10") == "fits now");
  }
}
