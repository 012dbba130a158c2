// End to end: list activations ("mode": "list", issue 20) against emsyncd,
// emsyncctl, the simulator's contact lists and a PostgreSQL model.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <set>
#include <thread>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// person(first)..person(last).
std::set<std::string> people(int first, int last) {
  std::set<std::string> out;
  for (int i = first; i <= last; ++i) {
    out.insert(person(i));
  }
  return out;
}

// The emails in the simulator's list `id`.
std::set<std::string> members(const Simulator& sim, std::int64_t id) {
  const std::vector<std::string> emails = sim.list_members(id);
  return {emails.begin(), emails.end()};
}

// Contacts the simulator knows: person(first)..person(last), email only.
void seed_people(const Simulator& sim, int first, int last) {
  json contacts = json::array();
  for (int i = first; i <= last; ++i) {
    contacts.push_back({{"3", person(i)}});
  }
  sim.seed(contacts);
}

// The active people of `db` into the list named `list`.
json list_activation(const std::string& list) {
  return {{"name", "vip"},
          {"mode", "list"},
          {"source", "warehouse"},
          {"destination", "emarsys"},
          {"query", "SELECT email FROM people WHERE active"},
          {"list", {{"name", list}}}};
}

// The emails of every logged list request whose path ends with `suffix`
// ("/add", "/delete"), one set per request, in order.
std::vector<std::set<std::string>> list_calls(const Simulator& sim, const std::string& suffix) {
  std::vector<std::set<std::string>> out;
  for (const json& request : sim.requests("POST", suffix)) {
    std::set<std::string> emails;
    for (const auto& email : request.value("external_ids", json::array())) {
      emails.insert(email.get<std::string>());
    }
    out.push_back(std::move(emails));
  }
  return out;
}

// The id of the simulator's list named `name`, and how many lists have it.
std::pair<std::int64_t, int> list_named(const Simulator& sim, const std::string& name) {
  std::int64_t id = 0;
  int count = 0;
  const json state = sim.state();  // not a temporary: the loop reads into it
  for (const json& list : state.at("lists")) {
    if (list.at("name") == name) {
      id = list.at("id").get<std::int64_t>();
      ++count;
    }
  }
  return {id, count};
}

void set_active(const std::string& db, const std::string& where, bool active) {
  PgCluster::shared().exec(
      "UPDATE people SET active = " + std::string(active ? "true" : "false") + " WHERE " + where,
      db);
}

// person(i) for i in `first`..`last` as the condition of an UPDATE.
std::string between(int first, int last) {
  return "substr(email, 7, position('@' in email) - 7)::int BETWEEN " + std::to_string(first) +
         " AND " + std::to_string(last);
}

}  // namespace

TEST_CASE("a segment lands exactly in its list, moves with the model, and leaves hand-added "
          "members alone",
          "[lists]") {
  constexpr int k_rows = 3000;
  constexpr int k_known = 2900;  // person(2901..3000) are unknown to Emarsys
  PeopleSync s("e2e_lists", k_rows);
  seed_people(s.sim, 1, k_known);
  s.sim.seed(json::array({{{"3", "hand1@example.com"}}, {{"3", "hand2@example.com"}}}));
  const std::int64_t vip = s.sim.create_list("VIP");
  s.sim.add_list_members(vip, {"hand1@example.com", "hand2@example.com"});
  s.daemon.apply(list_activation("VIP"));

  // First run: the known contacts of the segment join the list; nothing leaves.
  const json first = s.daemon.run("vip");
  CHECK(first.at("status") == "succeeded");
  CHECK(first.at("rows_read") == k_rows);
  CHECK(first.at("added") == k_known);
  CHECK(first.at("not_found") == k_rows - k_known);
  CHECK(first.at("removed") == 0);
  std::set<std::string> expected = people(1, k_known);
  expected.insert({"hand1@example.com", "hand2@example.com"});
  CHECK(members(s.sim, vip) == expected);
  CHECK(list_named(s.sim, "VIP").second == 1);
  CHECK(s.daemon.state_rows("SELECT count(*) FROM list_members").at(0) == "2900");

  // A rerun removes nothing and adds only the contacts Emarsys did not know (tried again).
  s.sim.clear_requests();
  const json second = s.daemon.run("vip");
  CHECK(second.at("status") == "succeeded");
  CHECK(second.at("unchanged") == k_known);
  CHECK(second.at("added") == 0);
  CHECK(second.at("not_found") == k_rows - k_known);
  const auto adds = list_calls(s.sim, "/add");
  REQUIRE(adds.size() == 1);
  CHECK(adds[0] == people(k_known + 1, k_rows));
  CHECK(list_calls(s.sim, "/delete").empty());
  CHECK(s.sim.sent_contacts("PUT").empty());
  CHECK(s.sim.sent_contacts("POST").empty());

  // 100 leave (3.4% of the managed members), 50 enter.
  set_active("e2e_lists", between(1, 100), false);
  seed_people(s.sim, 3001, 3050);
  PgCluster::shared().exec("INSERT INTO people (email) SELECT 'person' || i || '@example.com' "
                           "FROM generate_series(3001, 3050) AS i",
                           "e2e_lists");
  s.sim.clear_requests();
  const json moved = s.daemon.run("vip");
  CHECK(moved.at("status") == "succeeded");
  CHECK(moved.at("removed") == 100);
  CHECK(moved.at("added") == 50);
  const auto deletes = list_calls(s.sim, "/delete");
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0] == people(1, 100));
  expected = people(101, k_known);
  expected.merge(people(3001, 3050));
  expected.insert({"hand1@example.com", "hand2@example.com"});
  CHECK(members(s.sim, vip) == expected);

  // A mass removal (900 of 2850) stops before sending; --force passes it.
  set_active("e2e_lists", between(101, 1000), false);
  s.sim.clear_requests();
  const json stopped = s.daemon.run("vip", {}, -1);
  CHECK(stopped.at("status") == "failed");
  CHECK_THAT(stopped.at("error").get<std::string>(),
             Catch::StartsWith("safety valve: the run would remove 900 of the 2850 list members"));
  CHECK(list_calls(s.sim, "/add").empty());
  CHECK(list_calls(s.sim, "/delete").empty());
  CHECK(members(s.sim, vip) == expected);
  const json forced = s.daemon.run("vip", {"--force"});
  CHECK(forced.at("status") == "succeeded");
  CHECK(forced.at("removed") == 900);
  expected = people(1001, k_known);
  expected.merge(people(3001, 3050));
  expected.insert({"hand1@example.com", "hand2@example.com"});
  CHECK(members(s.sim, vip) == expected);

  // show counts the managed members; runs shows the list counters.
  CHECK(s.daemon.ctl_json({"show", "vip"}).at("contacts") == (k_known - 1000) + 50);
  const json runs = s.daemon.ctl_json({"runs", "vip"}).at("runs");
  CHECK(runs.at(0).at("removed") == 900);
  const auto table = s.daemon.ctl({"runs", "vip"});
  CHECK(table.stdout_text.find("ADDED") != std::string::npos);
  CHECK(table.stdout_text.find("REMOVED") != std::string::npos);

  // delete --empty-list takes emsync's members out; the hand-added ones stay.
  const json deleted = s.daemon.ctl_json({"delete", "vip", "--empty-list"});
  CHECK(deleted.at("deleted") == "vip");
  CHECK(deleted.at("removed_from_list") == (k_known - 1000) + 50);
  CHECK(members(s.sim, vip) ==
        std::set<std::string>{"hand1@example.com", "hand2@example.com"});
  CHECK(s.daemon.state_rows("SELECT count(*) FROM list_members").at(0) == "0");
}

TEST_CASE("a list given by name is created once; delete leaves it as it is", "[lists]") {
  PeopleSync s("e2e_lists_create", 20);
  seed_people(s.sim, 1, 20);
  s.daemon.apply(list_activation("Created by emsync"));
  CHECK(s.daemon.run("vip").at("added") == 20);
  CHECK(s.daemon.run("vip").at("unchanged") == 20);
  const auto [id, count] = list_named(s.sim, "Created by emsync");
  CHECK(count == 1);
  CHECK(s.sim.requests("POST", "/contactlist").size() == 1);
  CHECK(members(s.sim, id) == people(1, 20));
  CHECK(s.daemon.ctl_json({"delete", "vip"}).at("deleted") == "vip");
  CHECK(members(s.sim, id) == people(1, 20));

  // A list id Emarsys does not have: apply's check refuses it, naming it.
  json by_id = list_activation("x");
  by_id["list"] = {{"id", 123}};
  const auto refused = s.daemon.ctl({"apply", "-"}, by_id.dump());
  CHECK(refused.exit_code != 0);
  CHECK(refused.stderr_text.find("contact list 123 does not exist in Emarsys") !=
        std::string::npos);
}

TEST_CASE("a crash between a request and its commit sends at most that request again",
          "[lists]") {
  constexpr int k_rows = 25'000;  // three add requests of at most 10,000
  TempDir dir("emsync-lists-crash");
  Simulator sim;
  seed_people(sim, 1, k_rows);
  const json sources = {{"warehouse",
                         {{"type", "postgres"},
                          {"conninfo", create_people_db("e2e_lists_crash", k_rows)}}}};
  const json destinations = {{"emarsys", wsse_destination(sim, dir, std::nullopt)}};
  std::set<std::string> first_request;
  {
    Daemon daemon(dir, sources, destinations);
    daemon.apply(list_activation("VIP"));
    // Each add is answered 3 s late: the daemon is killed while waiting for the second.
    sim.set_faults({{"rate_slow", 1.0}, {"slow_ms", 3000}, {"endpoints", {"/add"}}});
    REQUIRE(daemon.ctl({"run", "vip"}).exit_code == 0);
    REQUIRE(wait_until([&] { return list_calls(sim, "/add").size() >= 2; }, 60s));
    daemon.process().send_signal(SIGKILL);
    CHECK(daemon.process().wait(std::chrono::seconds(10)) == 128 + SIGKILL);
    const auto adds = list_calls(sim, "/add");
    REQUIRE(adds.size() == 2);
    first_request = adds[0];
  }
  sim.set_faults(json::object());
  sim.clear_requests();
  Daemon daemon(dir, sources, destinations);
  const json after = daemon.run("vip");
  CHECK(after.at("status") == "succeeded");
  // The first request was committed: none of its emails is sent again.
  std::set<std::string> sent_again;
  for (auto& emails : list_calls(sim, "/add")) {
    sent_again.merge(emails);
  }
  CHECK(sent_again.size() == static_cast<std::size_t>(k_rows) - first_request.size());
  for (const auto& email : first_request) {
    CHECK_FALSE(sent_again.contains(email));
  }
  const auto [id, count] = list_named(sim, "VIP");
  CHECK(count == 1);
  CHECK(sim.list_members(id).size() == static_cast<std::size_t>(k_rows));
  CHECK(daemon.state_rows("SELECT count(*) FROM list_members").at(0) == std::to_string(k_rows));
}

TEST_CASE("30% injected faults end with the list exact", "[lists]") {
  constexpr int k_rows = 2000;
  PeopleSync s("e2e_lists_faults", k_rows);
  seed_people(s.sim, 1, k_rows);
  const std::int64_t vip = s.sim.create_list("VIP");
  s.daemon.apply(list_activation("VIP"));
  set_active("e2e_lists_faults", between(1001, 2000), false);
  s.sim.set_faults({{"rate_503", 0.1}, {"rate_500", 0.05}, {"rate_reset_before", 0.05},
                    {"rate_reset_after", 0.05}, {"rate_429", 0.05}, {"seed", 20}});
  // Until a run succeeds: faults may fail a request after its retries.
  const auto settle = [&] {
    for (int attempt = 0; attempt < 10; ++attempt) {
      if (s.daemon.run("vip", {}, -1).at("status") == "succeeded") {
        return true;
      }
    }
    return false;
  };
  REQUIRE(settle());
  CHECK(members(s.sim, vip) == people(1, 1000));
  // 50 leave (5% of the members), 100 enter.
  set_active("e2e_lists_faults", between(1, 50), false);
  set_active("e2e_lists_faults", between(1001, 1100), true);
  REQUIRE(settle());
  CHECK(members(s.sim, vip) == people(51, 1100));
  const json faults = s.sim.faults();
  CHECK(faults.at("injected").at("503").get<int>() > 0);

  s.sim.set_faults(json::object());
  s.sim.clear_requests();
  const json last = s.daemon.run("vip");
  CHECK(last.at("unchanged") == 1050);
  CHECK(list_calls(s.sim, "/add").empty());
  CHECK(list_calls(s.sim, "/delete").empty());
  CHECK(s.daemon.state_rows("SELECT count(*) FROM list_members").at(0) == "1050");
}


TEST_CASE("preview and explain a list activation; an email Emarsys does not know is parked "
          "until retry",
          "[lists]") {
  TempDir dir{"emsync-e2e-lists"};
  Simulator sim;
  const std::string db = "e2e_lists_preview";
  Daemon daemon(dir, {{"warehouse", (create_people_db(db, 30), pg_source(PgReader::copy, dir, db))}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                {.extra_config = {{"park_after_rejections", 2}}, .env = {}});
  seed_people(sim, 1, 28);  // person(29) and person(30) are unknown to Emarsys
  daemon.apply(list_activation("VIP"));

  // Before the first run: the list would be created and 30 emails added; nothing is sent.
  const json before = daemon.ctl_json({"preview", "vip", "--limit", "2"});
  CHECK(before.at("mode") == "list");
  CHECK(before.at("rows_read") == 30);
  CHECK(before.at("list").at("would_create") == true);
  CHECK(before.at("list").at("list_id").is_null());
  CHECK(before.at("list").at("add") == 30);
  CHECK(before.at("list").at("remove") == 0);
  CHECK(before.at("list").at("add_sample").size() == 2);
  CHECK(before.at("would_send") == true);
  CHECK(list_named(sim, "VIP").second == 0);
  CHECK(sim.requests("POST", "/contactlist").empty());
  // The audit log keeps the preview's counts, never its emails.
  const json audited = daemon.ctl_json({"audit", "--limit", "1"}).at("entries").at(0);
  CHECK(audited.at("method") == "preview");
  CHECK(audited.at("detail") ==
        "rows_read=30 new=0 changed=0 unchanged=0 rejected=0 add=30 remove=0 would_send=true");

  const json first = daemon.run("vip");
  REQUIRE(first.at("added") == 28);
  REQUIRE(first.at("not_found") == 2);
  const std::int64_t vip = list_named(sim, "VIP").first;

  // Explain: a member, and an unknown email the next run tries again.
  json story = daemon.ctl_json({"explain", "vip", person(1)});
  CHECK(story.at("list_member") == true);
  CHECK(story.at("acknowledged_by_run") == first.at("run_id"));
  CHECK(story.at("acknowledged_run").at("status") == "succeeded");
  CHECK(story.at("model_rows") == 1);
  CHECK(story.at("next_run") == "unchanged");
  story = daemon.ctl_json({"explain", "vip", person(29)});
  CHECK(story.at("list_member") == false);
  CHECK(story.at("acknowledged_by_run").is_null());
  CHECK(story.at("next_run") == "add");
  REQUIRE(story.at("last_run_rows").size() == 1);
  CHECK(story.at("last_run_rows").at(0).at("kind") == "not_found");
  CHECK(story.at("last_run_rows").at(0).at("code") == "2008");
  const auto told = daemon.ctl({"explain", "vip", person(29)});
  CHECK(told.exit_code == 0);
  CHECK_THAT(told.stdout_text, Catch::Contains("no: emsync did not add it") &&
                                   Catch::Contains("next run") && Catch::Contains("add"));

  // Two members leave: the preview names them and the run removes them.
  set_active(db, between(1, 2), false);
  const json leaving = daemon.ctl_json({"preview", "vip"});
  CHECK(leaving.at("list").at("list_id") == vip);
  CHECK(leaving.at("list").at("members") == 28);
  CHECK(leaving.at("list").at("remove") == 2);
  CHECK(leaving.at("list").at("remove_sample") == json::array({person(1), person(2)}));
  CHECK(leaving.at("list").at("add") == 2);  // the unknown ones, tried again
  CHECK(leaving.at("unchanged") == 26);
  CHECK(leaving.at("safety_valve").at("would_stop") == false);
  CHECK(daemon.ctl_json({"explain", "vip", person(1)}).at("next_run") == "remove");
  const auto table = daemon.ctl({"preview", "vip"});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.stdout_text, Catch::Contains("remove") && Catch::Contains(person(2)));
  const json second = daemon.run("vip");  // the second 2008 in a row: parked from now on
  CHECK(second.at("removed") == 2);
  CHECK(second.at("not_found") == 2);
  CHECK(members(sim, vip) == people(3, 28));

  // Parked: explain and preview say so, the run sends nothing and counts them rejected.
  story = daemon.ctl_json({"explain", "vip", person(30)});
  CHECK(story.at("next_run") == "parked");
  CHECK(story.at("parked").at("code") == "2008");
  CHECK(story.at("parked").at("streak") == 2);
  const json parked = daemon.ctl_json({"preview", "vip"});
  CHECK(parked.at("list").at("parked") == 2);
  CHECK(parked.at("list").at("add") == 0);
  sim.clear_requests();
  const json third = daemon.run("vip");
  CHECK(third.at("status") == "succeeded");
  CHECK(third.at("rejected") == 2);
  CHECK(third.at("not_found") == 0);
  CHECK(third.at("unchanged") == 26);
  CHECK(list_calls(sim, "/add").empty());
  const json errors = daemon.ctl_json({"errors", "vip"});
  REQUIRE(errors.at("errors").size() == 2);
  CHECK(errors.at("errors").at(0).at("code") == "parked");

  // emsyncctl retry: tried again, and once Emarsys knows them they join.
  CHECK(daemon.ctl_json({"retry", "vip"}).at("unparked") == 2);
  seed_people(sim, 29, 30);
  sim.clear_requests();
  const json retried = daemon.run("vip");
  CHECK(retried.at("added") == 2);
  const auto adds = list_calls(sim, "/add");
  REQUIRE(adds.size() == 1);
  CHECK(adds[0] == people(29, 30));
  CHECK(members(sim, vip) == people(3, 30));
  CHECK(daemon.ctl_json({"explain", "vip", person(30)}).at("list_member") == true);
}

}  // namespace emsync::test
