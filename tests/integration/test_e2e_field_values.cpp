// End to end: field values Emarsys users map every day (issue 18). A
// PostgreSQL model sends country labels to the single-choice field 14, a
// text[] column to a multi-choice field and over-long notes under
// on_value_too_long: skip_field, through the real emsyncd to the simulator.
#include <catch2/catch.hpp>
#include <string>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

}  // namespace

TEST_CASE("choice labels, a text[] column and skip_field land in Emarsys as choice ids",
          "[field_values]") {
  PeopleSync s("field_values", 4);
  const std::int64_t hobbies = s.sim.create_field("Hobbies", "multichoice",
                                                  {"Cooking", "Hiking trips", "Chess"});
  const std::string hobbies_id = std::to_string(hobbies);
  PgCluster::shared().exec(
      "ALTER TABLE people ADD COLUMN country text, ADD COLUMN hobbies text[],"
      "  ADD COLUMN note text;"
      "UPDATE people SET country = 'France', hobbies = '{Cooking,\"hiking trips\"}',"
      "  note = 'short' WHERE email = 'person1@example.com';"
      "UPDATE people SET country = '184', hobbies = '{chess}', note = repeat('x', 300)"
      "  WHERE email = 'person2@example.com';"
      "UPDATE people SET country = 'Atlantis' WHERE email = 'person3@example.com';"
      "UPDATE people SET country = 'GERMANY', hobbies = '{}' WHERE email = 'person4@example.com';",
      "field_values");
  json activation = people_activation("values", "emarsys",
                                      {{"first_name", 1}, {"country", "country"},
                                       {"hobbies", hobbies}, {"note", "address"}});
  activation["query"] = "SELECT email, first_name, country, hobbies, note FROM people";
  activation["on_value_too_long"] = "skip_field";
  activation["max_rejected_percent"] = 100;  // its unknown labels are rejected on purpose
  s.daemon.apply(json::array({activation}));

  const json report = s.daemon.run("values");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("inserted") == 3);
  CHECK(report.at("rejected") == 1);
  const auto contacts = s.sim.contacts();
  REQUIRE(contacts.size() == 3);
  // Field 14's choices in the simulator: France 70, Germany 65, United Kingdom 184.
  CHECK(contacts.at(person(1)).at("14") == "70");
  CHECK(contacts.at(person(2)).at("14") == "184");
  CHECK(contacts.at(person(4)).at("14") == "65");
  CHECK(contacts.at(person(1)).at(hobbies_id) == json({"1", "2"}));
  CHECK(contacts.at(person(2)).at(hobbies_id) == json({"3"}));
  CHECK_FALSE(contacts.at(person(4)).contains(hobbies_id));  // '{}' is NULL
  CHECK(contacts.at(person(1)).at("10") == "short");
  CHECK_FALSE(contacts.at(person(2)).contains("10"));  // 300 characters: left out
  CHECK(contacts.at(person(2)).at("1") == "First2");
  CHECK_THAT(s.daemon.log(), Catch::Contains("1 value of column 'note' was longer than Emarsys "
                                             "field 10 'Address' (longtext) allows"));

  const json errors = s.daemon.ctl_json({"errors", "values"});
  REQUIRE(errors.at("errors").size() == 1);
  const json& error = errors.at("errors").at(0);
  CHECK(error.at("code") == "unknown_choice");
  CHECK_THAT(error.at("message").get<std::string>(),
             Catch::Contains("\"Atlantis\" is no choice of Emarsys field 14 'Country or region'") &&
                 Catch::Contains("\"France\""));
  // Each choice list was read once.
  CHECK(s.sim.requests("GET", "/field/14/choice").size() == 1);
  CHECK(s.sim.requests("GET", "/field/choices").size() == 1);

  // Labels written differently are the same choices: nothing is sent.
  s.sim.clear_requests();
  PgCluster::shared().exec(
      "UPDATE people SET country = 'france', hobbies = '{\"Hiking trips\",cooking}'"
      "  WHERE email = 'person1@example.com';",
      "field_values");
  const json second = s.daemon.run("values");
  CHECK(second.at("status") == "succeeded");
  CHECK(second.at("unchanged") == 3);
  CHECK(s.sim.sent_contacts("PUT").empty());
  CHECK(s.sim.sent_contacts("POST").empty());
}

}  // namespace emsync::test
