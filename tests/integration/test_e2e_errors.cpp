// End to end: `emsyncctl errors` tells the truth (issue 18). No runs, no
// errors in the last run, a run that does not exist or is another
// activation's; the failed contacts of a partial run and the not_found ones
// listed with their reason, by kind and a page at a time.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

json activation_named(const std::string& name, bool insert) {
  json activation = people_activation(name, "emarsys", all_people_fields());
  activation["insert_new_contacts"] = insert;
  return activation;
}

}  // namespace

TEST_CASE(
    "errors tells no runs, no errors in the last run, an unknown run and another activation's "
    "run apart",
    "[errors]") {
  PeopleSync s("errors_truth", 5);
  s.daemon.apply(json::array({activation_named("people", true), activation_named("others", true)}));

  // No run yet.
  const json none = s.daemon.ctl_json({"errors", "people"});
  CHECK(none.at("run_id").is_null());
  CHECK(none.at("run").is_null());
  CHECK(none.at("errors").empty());
  const CommandResult no_runs = s.daemon.ctl({"errors", "people"});
  CHECK(no_runs.exit_code == 0);
  CHECK(no_runs.stdout_text == "people has no runs yet\n");

  // A run without errors: its id and status, and "no errors".
  const json report = s.daemon.run("people");
  REQUIRE(report.at("status") == "succeeded");
  const std::string run = as_text(report.at("run_id"));
  const json clean = s.daemon.ctl_json({"errors", "people"});
  CHECK(clean.at("run_id") == report.at("run_id"));
  CHECK(clean.at("run").at("status") == "succeeded");
  CHECK(clean.at("errors").empty());
  const CommandResult no_errors = s.daemon.ctl({"errors", "people"});
  CHECK(no_errors.exit_code == 0);
  CHECK(no_errors.stdout_text == "run " + run + " succeeded\nno errors\n");

  // A run that does not exist, and another activation's run: not_found, exit 1.
  const CommandResult unknown = s.daemon.ctl({"errors", "people", "--run", "9999"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.stdout_text.empty());
  CHECK_THAT(unknown.stderr_text,
             Catch::Contains("activation 'people' has no run 9999 (see `emsyncctl runs people`)") &&
                 Catch::Contains("(not_found)"));
  const json other = s.daemon.run("others");
  const CommandResult foreign =
      s.daemon.ctl({"errors", "people", "--run", as_text(other.at("run_id"))});
  CHECK(foreign.exit_code == 1);
  CHECK_THAT(foreign.stderr_text, Catch::Contains("has no run " + as_text(other.at("run_id"))));
  CHECK(s.daemon.ctl({"errors", "others", "--run", as_text(other.at("run_id"))}).exit_code == 0);
  CHECK(s.daemon.ctl({"errors", "people", "--kind", "lost"}).exit_code == 2);  // usage

  // A run that failed as a whole (a source error) shows its error.
  PgCluster::shared().exec("ALTER TABLE people RENAME TO people_gone;", "errors_truth");
  const json failed = s.daemon.run("people", {}, 1);
  REQUIRE(failed.at("status") == "failed");
  const json whole = s.daemon.ctl_json({"errors", "people"});
  CHECK(whole.at("run_id") == failed.at("run_id"));
  CHECK(whole.at("run").at("status") == "failed");
  CHECK_THAT(as_text(whole.at("run").at("error")), Catch::Contains("\"people\" does not exist"));
  const CommandResult human = s.daemon.ctl({"errors", "people"});
  CHECK(human.exit_code == 0);
  CHECK_THAT(human.stdout_text, Catch::StartsWith("run " + as_text(failed.at("run_id")) +
                                                  " failed: ") &&
                                    Catch::Contains("\"people\" does not exist"));
}

TEST_CASE("errors lists the contacts of a partial run that failed, with the failure's message",
          "[errors]") {
  PeopleSync s("errors_partial", 6);
  s.daemon.apply(activation_named("people", true));
  // Emarsys answers the batch with a reply emsync refuses to parse: it is
  // never acknowledged (not retried), so every contact of it failed.
  s.sim.set_faults({{"hostile_reply", "deep_ids"}});
  const json report = s.daemon.run("people", {}, 5);
  REQUIRE(report.at("status") == "partial");
  REQUIRE(report.at("failed") == 6);

  const json errors = s.daemon.ctl_json({"errors", "people"});
  CHECK(errors.at("run").at("status") == "partial");
  CHECK_THAT(as_text(errors.at("run").at("error")),
             Catch::Contains("6 contacts were not delivered"));
  CHECK(errors.at("total") == 6);
  REQUIRE(errors.at("errors").size() == 6);
  std::set<std::string> keys;
  for (const auto& e : errors.at("errors")) {
    CHECK(e.at("kind") == "failed");
    CHECK_THAT(as_text(e.at("message")), Catch::Contains("JSON nested deeper than 64 levels"));
    keys.insert(as_text(e.at("row_key")));
  }
  CHECK(keys == std::set<std::string>{person(1), person(2), person(3), person(4), person(5),
                                      person(6)});
  // By kind: these are all failed, none rejected.
  CHECK(s.daemon.ctl_json({"errors", "people", "--kind", "failed"}).at("total") == 6);
  CHECK(s.daemon.ctl_json({"errors", "people", "--kind", "rejected"}).at("errors").empty());
  const CommandResult human = s.daemon.ctl({"errors", "people", "--kind", "rejected"});
  CHECK(human.exit_code == 0);
  CHECK_THAT(human.stdout_text, Catch::Contains(" partial: 6 contacts were not delivered") &&
                                    Catch::Contains("no rejected rows\n"));
  const CommandResult table = s.daemon.ctl({"errors", "people"});
  CHECK_THAT(table.stdout_text, Catch::Contains("KIND") && Catch::Contains("failed") &&
                                    Catch::Contains(person(3)));
}

TEST_CASE("errors lists the not_found contacts of a run without insert_new_contacts, by kind and "
          "page by page",
          "[errors]") {
  PeopleSync s("errors_not_found", 3);
  s.daemon.apply(activation_named("people", true));
  REQUIRE(s.daemon.run("people").at("inserted") == 3);
  // Three people Emarsys does not know, for an activation that does not create contacts.
  PgCluster::shared().exec(
      "INSERT INTO people (email, first_name, last_name)"
      "  SELECT 'person' || i || '@example.com', 'First' || i, 'Last' || i"
      "  FROM generate_series(4, 6) AS i;",
      "errors_not_found");
  s.daemon.apply(activation_named("known_only", false));
  const json report = s.daemon.run("known_only");
  REQUIRE(report.at("not_found") == 3);
  REQUIRE(report.at("updated") == 3);

  const json first = s.daemon.ctl_json({"errors", "known_only", "--kind", "not_found", "--limit",
                                        "2"});
  CHECK(first.at("kind") == "not_found");
  CHECK(first.at("total") == 3);
  REQUIRE(first.at("errors").size() == 2);
  CHECK(first.at("next_offset") == 2);
  const json last = s.daemon.ctl_json(
      {"errors", "known_only", "--kind", "not_found", "--limit", "2", "--offset", "2"});
  REQUIRE(last.at("errors").size() == 1);
  CHECK(last.at("next_offset").is_null());
  std::set<std::string> keys;
  for (const auto& page : {first, last}) {
    for (const auto& e : page.at("errors")) {
      CHECK(e.at("kind") == "not_found");
      CHECK(e.at("code") == "2008");
      CHECK_THAT(as_text(e.at("message")), Catch::Contains("insert_new_contacts is off"));
      keys.insert(as_text(e.at("row_key")));
    }
  }
  CHECK(keys == std::set<std::string>{person(4), person(5), person(6)});
  CHECK(s.daemon.ctl_json({"errors", "known_only", "--kind", "failed"}).at("total") == 0);
  const CommandResult human =
      s.daemon.ctl({"errors", "known_only", "--kind", "not_found", "--limit", "2"});
  CHECK_THAT(human.stdout_text,
             Catch::Contains("not_found rows 1-2 of 3") &&
                 Catch::Contains("more: emsyncctl errors known_only --limit 2 --kind not_found "
                                 "--run " +
                                 as_text(report.at("run_id")) + " --offset 2"));
}

TEST_CASE("a PostgreSQL syntax error names the line and column of the user's query", "[errors]") {
  PeopleSync s("errors_position", 1);
  json activation = activation_named("people", true);
  activation["query"] = "SELECT email, first_name\nFROM people)";
  const CommandResult refused = s.daemon.ctl({"apply", "-"}, activation.dump());
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.stderr_text,
             Catch::Contains("syntax error at or near \")\" (at line 2, column 12 of the model "
                             "query: \"FROM people)\")"));
  activation["query"] = "SELEC email FROM people";
  CHECK_THAT(s.daemon.ctl({"apply", "-"}, activation.dump()).stderr_text,
             Catch::Contains("(at line 1, column 1 of the model query: \"SELEC email FROM "
                             "people\")"));
}

}  // namespace emsync::test
