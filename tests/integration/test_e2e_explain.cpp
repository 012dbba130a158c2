// End to end: `emsyncctl explain NAME EMAIL` (issue 18) against the
// simulator and PostgreSQL, read with COPY's cursor path and through ODBC:
// a known contact, one in the model emsync never sent, a rejected one and a
// parked one, in text and --json. It sends nothing, and the audit log keeps
// the contact's hashed key only.
#include <catch2/catch.hpp>
#include <string>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"
#include "sync/row_key.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

}  // namespace

TEST_CASE("explain tells a known, an unknown, a rejected and a parked contact's story",
          "[explain]") {
  const PgReader reader = GENERATE(PgReader::copy, PgReader::odbc);
  CAPTURE(to_string(reader));
  const std::string db = std::string("explain_") + to_string(reader);
  TempDir dir{"emsync-explain"};
  Simulator sim;
  Daemon daemon(dir, {{"warehouse", (create_people_db(db, 4), pg_source(reader, dir, db))}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                {.extra_config = {{"park_after_rejections", 2}}, .env = {}});
  daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  sim.reject({{person(3), {{"code", "2007"}, {"message", "Invalid data format for field id: 2"}}}});
  const json first = daemon.run("people");
  REQUIRE(first.at("inserted") == 3);
  REQUIRE(first.at("rejected") == 1);

  // Known: acknowledged by the first run; a changed value is sent, field by field.
  PgCluster::shared().exec(
      "UPDATE people SET last_name = 'Renamed' WHERE email = '" + person(1) + "';", db);
  const json known = daemon.ctl_json({"explain", "people", " " + person(1) + " "});
  CHECK(known.at("email") == person(1));
  CHECK(known.at("known") == true);
  CHECK(known.at("acknowledged_by_run") == first.at("run_id"));
  CHECK(known.at("acknowledged_run").at("status") == "succeeded");
  CHECK(known.at("stored_fields") == json::array({"city>11", "first_name>1", "last_name>2"}));
  CHECK(known.at("model_rows") == 1);
  CHECK(known.at("next_run") == "send");
  REQUIRE(known.at("fields").size() == 3);
  for (const auto& field : known.at("fields")) {
    INFO(field.dump());
    if (field.at("column") == "last_name") {
      CHECK(field.at("change") == "changed");
      CHECK(field.at("value") == "\"Renamed\"");
    } else {
      CHECK(field.at("change") == "unchanged");
      CHECK(field.at("value").is_null());
    }
  }
  const CommandResult text = daemon.ctl({"explain", "people", person(1)});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.stdout_text,
             Catch::Contains("last acknowledged by run " + as_text(first.at("run_id"))) &&
                 Catch::Contains("next run:") && Catch::Contains("send") &&
                 Catch::Contains("last_name") && Catch::Contains("changed"));

  // Unknown: in the model, not in the state.
  PgCluster::shared().exec("INSERT INTO people (email, first_name, last_name) VALUES ('" +
                               person(9) + "', 'First9', 'Last9');",
                           db);
  const json unknown = daemon.ctl_json({"explain", "people", person(9)});
  CHECK(unknown.at("known") == false);
  CHECK(unknown.at("acknowledged_by_run").is_null());
  CHECK(unknown.at("model_rows") == 1);
  CHECK(unknown.at("next_run") == "send");
  for (const auto& field : unknown.at("fields")) {
    CHECK(field.at("change") == (field.at("column") == "city" ? "not_sent" : "new"));
  }
  // Neither in the model nor in the state.
  const json absent = daemon.ctl_json({"explain", "people", "nobody@example.com"});
  CHECK(absent.at("known") == false);
  CHECK(absent.at("model_rows") == 0);
  CHECK(absent.at("next_run") == "not_in_model");

  // Rejected in the last run, with Emarsys' code and message.
  const json rejected = daemon.ctl_json({"explain", "people", person(3)});
  CHECK(rejected.at("known") == false);
  REQUIRE(rejected.at("last_run_rows").size() == 1);
  CHECK(rejected.at("last_run_rows").at(0).at("kind") == "rejected");
  CHECK(rejected.at("last_run_rows").at(0).at("code") == "2007");
  CHECK(rejected.at("parked").is_null());

  // Rejected again with the same data: parked (park_after_rejections 2).
  daemon.run("people");
  const json parked = daemon.ctl_json({"explain", "people", person(3)});
  CHECK(parked.at("parked").at("code") == "2007");
  CHECK(parked.at("parked").at("streak") == 2);
  CHECK(parked.at("next_run") == "parked");
  CHECK_THAT(daemon.ctl({"explain", "people", person(3)}).stdout_text,
             Catch::Contains("parked:") && Catch::Contains("2007 2 runs in a row"));

  // Sent nothing: the simulator saw only the two runs' writes.
  sim.clear_requests();
  daemon.ctl_json({"explain", "people", person(1)});
  CHECK(sim.requests("PUT", "/contact").empty());
  CHECK(sim.requests("POST", "/contact").empty());

  // An invalid email, an unknown activation: exit 1.
  CHECK(daemon.ctl({"explain", "people", "not an email"}).exit_code == 1);
  CHECK(daemon.ctl({"explain", "nope", person(1)}).exit_code == 1);

  // The audit log names the contact by its hashed key, never the email.
  const json entries = daemon.ctl_json({"audit"}).at("entries");
  bool audited = false;
  for (const auto& entry : entries) {
    CHECK(entry.dump().find("@example.com") == std::string::npos);
    audited |= entry.at("method") == "explain" &&
               as_text(entry.at("detail")) ==
                   "contact " + sync::hashed_row_key(person(1)) + ": next run send";
  }
  CHECK(audited);
}

}  // namespace emsync::test
