// End to end: `emsyncctl preview` against the simulator (issue 18): it sends
// no write request, stores nothing, shows the current and the new values,
// and counts what the next run then does; and the max_rejected_percent rule
// (a run over it fails before sending anything, --force sends).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

constexpr const char* k_people = "people";

// What the state DB holds: runs, contacts, rejected rows, read states.
std::vector<std::string> stored(const Daemon& daemon) {
  return {daemon.state_rows("SELECT count(*) FROM runs").at(0),
          daemon.state_rows(k_stored_count_sql).at(0),
          daemon.state_rows("SELECT count(*) FROM rejections").at(0),
          daemon.state_rows("SELECT count(*) FROM read_state").at(0)};
}

// Requests that write to Emarsys: contacts and fields.
std::size_t writes(const Simulator& sim) {
  return sim.requests("PUT", "/contact").size() + sim.requests("POST", "/contact").size() +
         sim.requests("POST", "/field").size();
}

// The entry of `column` in the preview's fields.
json field_of(const json& preview, const std::string& column) {
  for (const json& field : preview.at("fields")) {
    if (field.at("column") == column) {
      return field;
    }
  }
  return nullptr;
}

const json& sampled(const json& preview, const std::string& email) {
  for (const json& contact : preview.at("sample")) {
    if (contact.at("email") == email) {
      return contact;
    }
  }
  FAIL("the sample has no " << email << ": " << preview.at("sample").dump());
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a preview sends no write and stores nothing, shows current and new values, and "
          "counts what the next run does",
          "[preview]") {
  PeopleSync s("e2e_preview", 20);
  s.daemon.apply(json::array({people_activation(k_people, "emarsys", all_people_fields())}));
  REQUIRE(s.daemon.run(k_people).at("inserted") == 20);
  // Three first names change, two people join, one row has no valid email (1 of 23: under 5%).
  PgCluster::shared().exec(
      "UPDATE people SET first_name = 'Changed' || substr(email, 7, 1) "
      "  WHERE email IN ('person1@example.com', 'person2@example.com', 'person3@example.com');"
      "INSERT INTO people (email, first_name, last_name, city) VALUES "
      "  ('person21@example.com', 'First21', 'Last21', 'City21'),"
      "  ('person22@example.com', 'First22', 'Last22', 'City22'),"
      "  ('not an email', 'Bad', 'Row', NULL);",
      "e2e_preview");
  s.sim.clear_requests();
  const auto before = stored(s.daemon);

  const json preview = s.daemon.ctl_json({"preview", k_people});
  CHECK(writes(s.sim) == 0);
  CHECK(s.sim.requests("POST", "/contact/getdata").size() == 1);
  CHECK(stored(s.daemon) == before);

  CHECK(preview.at("rows_read") == 23);
  CHECK(preview.at("new") == 2);
  CHECK(preview.at("changed") == 3);
  CHECK(preview.at("unchanged") == 17);
  CHECK(preview.at("rejected") == 1);
  CHECK(preview.at("rejected_by_reason") == json{{"invalid_email", 1}});
  CHECK(preview.at("would_send") == true);
  CHECK(preview.at("safety_valve").at("would_stop") == false);
  CHECK(preview.at("rejected_share").at("would_stop") == false);
  REQUIRE(preview.at("warnings").size() == 1);
  CHECK(field_of(preview, "first_name") == json{{"column", "first_name"}, {"field_id", 1},
                                                {"would_create", nullptr}, {"set", 5},
                                                {"cleared", 0}});
  CHECK(field_of(preview, "city").at("set") == 2);
  CHECK(preview.at("sample").size() == 5);
  const json& changed = sampled(preview, person(2));
  CHECK(changed.at("known") == true);
  CHECK(changed.at("in_emarsys") == true);
  CHECK(changed.at("fields") == json::array({{{"column", "first_name"}, {"field_id", 1},
                                               {"new", "Changed2"}, {"cleared", false},
                                               {"current", "First2"}}}));
  const json& fresh = sampled(preview, person(21));
  CHECK(fresh.at("known") == false);
  CHECK(fresh.at("in_emarsys") == false);
  CHECK(fresh.at("fields").size() == 3);

  // The human form: the counts, then each changed field's current and new value.
  const CommandResult human = s.daemon.ctl({"preview", k_people, "--limit", "5"});
  CHECK(human.exit_code == 0);
  CHECK_THAT(human.stdout_text, Catch::Contains("nothing was sent or stored") &&
                                    Catch::Contains("First2") && Catch::Contains("Changed2") &&
                                    Catch::Contains("1 invalid_email"));
  CHECK(writes(s.sim) == 0);
  CHECK(stored(s.daemon) == before);

  // Audited, with its counts only: the sample names contacts.
  const json entry = s.daemon.ctl_json({"audit", "--limit", "1"}).at("entries").at(0);
  CHECK(entry.at("method") == "preview");
  CHECK(entry.at("outcome") == "ok");
  CHECK(entry.at("detail").get<std::string>().find('@') == std::string::npos);

  // The run that follows counts what the preview said.
  const json report = s.daemon.run(k_people);
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("rows_read") == preview.at("rows_read"));
  CHECK(report.at("inserted") == preview.at("new"));
  CHECK(report.at("updated") == preview.at("changed"));
  CHECK(report.at("unchanged") == preview.at("unchanged"));
  CHECK(report.at("rejected") == preview.at("rejected"));
  CHECK(report.at("warnings") == preview.at("warnings"));
  CHECK(as_text(s.sim.contacts().at(person(2)).at("1")) == "Changed2");
}

TEST_CASE("6% of the rows rejected: the run fails before sending anything, --force sends the "
          "rest; a preview said so and created no field",
          "[preview][data_quality]") {
  PeopleSync s("e2e_rejected_share", 94);
  PgCluster::shared().exec(
      "INSERT INTO people (email, first_name) SELECT 'bad' || i, 'Bad' FROM generate_series(1, 6) "
      "AS i;",
      "e2e_rejected_share");
  json activation = people_activation(k_people, "emarsys", all_people_fields());
  activation["query"] = "SELECT email, first_name, last_name, city, 'gold' AS tier FROM people";
  activation["custom_attributes"] = json::array({"tier"});
  s.daemon.apply(json::array({activation}));

  const json preview = s.daemon.ctl_json({"preview", k_people});
  CHECK(writes(s.sim) == 0);
  CHECK(field_of(preview, "tier").at("would_create") == "tier");
  CHECK(field_of(preview, "tier").at("field_id").is_null());
  CHECK(preview.at("would_send") == false);
  CHECK(preview.at("rejected_share").at("would_stop") == true);
  CHECK(s.daemon.state_rows("SELECT count(*) FROM rejections") == std::vector<std::string>{"0"});

  const json failed = s.daemon.run(k_people, {}, 1);
  CHECK(failed.at("status") == "failed");
  CHECK(failed.at("error") == preview.at("rejected_share").at("reason"));
  CHECK_THAT(failed.at("error").get<std::string>(),
             Catch::Contains("6 of 100 rows read were rejected") &&
                 Catch::Contains("6 invalid_email") && Catch::Contains("--force"));
  CHECK(s.sim.requests("PUT", "/contact").empty());
  CHECK(s.sim.requests("POST", "/contact").empty());
  CHECK(s.sim.contacts().empty());
  CHECK(s.daemon.ctl_json({"errors", k_people}).at("total") == 6);
  // A decision, not a fault: the activation is not heading for auto-pause.
  CHECK(s.daemon.ctl_json({"show", k_people}).at("failure_streak") == 0);

  const json forced = s.daemon.run(k_people, {"--force"});
  CHECK(forced.at("status") == "succeeded");
  CHECK(forced.at("inserted") == 94);
  CHECK(s.sim.contacts().size() == 94);
  REQUIRE(forced.at("warnings").size() == 1);
  CHECK_THAT(forced.at("warnings").at(0).get<std::string>(),
             Catch::StartsWith("6 of 100 rows read were rejected (6%"));
  const CommandResult runs = s.daemon.ctl({"runs", k_people});
  CHECK_THAT(runs.stdout_text, Catch::Contains("run " + as_text(forced.at("run_id")) +
                                               " warning: 6 of 100 rows read were rejected"));
}

}  // namespace emsync::test
