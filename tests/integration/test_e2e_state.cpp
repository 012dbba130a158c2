// End to end: what the stored per-contact state makes a run send — --full,
// re-applied mappings, a changed destination, a contact that leaves and comes
// back. Real emsyncd/emsyncctl, the simulator, a PostgreSQL people model.
#include <bit>
#include <catch2/catch.hpp>
#include <set>

#include "core/hash.hpp"
#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

constexpr int k_people = 40;

// The contacts with a stored state, by the key the state DB stores them
// under: hash64 of the email, as SQLite prints a signed 64-bit integer.
std::set<std::string> stored_contacts(const Daemon& daemon) {
  const auto hashes = daemon.state_rows(k_stored_keys_sql);
  return {hashes.begin(), hashes.end()};
}

// The state DB keys of the people model's contacts, without `left_out`.
std::set<std::string> people_keys(const std::set<int>& left_out = {}) {
  std::set<std::string> keys;
  for (int i = 1; i <= k_people; ++i) {
    if (left_out.count(i) == 0) {
      keys.insert(std::to_string(std::bit_cast<std::int64_t>(hash64(person(i)))));
    }
  }
  return keys;
}

}  // namespace

TEST_CASE("a --full run sends every contact again with all its non-NULL values", "[state]") {
  PeopleSync s("e2e_full", k_people);
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  REQUIRE(s.daemon.run("people").at("inserted") == k_people);

  s.sim.clear_requests();
  const json full = s.daemon.run("people", {"--full"});
  CHECK(full.at("status") == "succeeded");
  CHECK(full.at("full") == true);
  CHECK(full.at("rows_read") == k_people);
  CHECK(full.at("updated") == k_people);
  CHECK(full.at("unchanged") == 0);
  CHECK(full.at("inserted") == 0);

  const auto sent = s.sim.sent_contacts("PUT");
  CHECK(sent.size() == static_cast<std::size_t>(k_people));
  const auto by_mail = by_email(sent);
  REQUIRE(by_mail.size() == static_cast<std::size_t>(k_people));
  for (int i = 1; i <= k_people; ++i) {
    INFO(person(i));
    CHECK(by_mail.at(person(i)) == person_contact(i));
  }
  CHECK(s.sim.sent_contacts("POST").empty());

  // --full is one run's option: the next plain run sends nothing.
  s.sim.clear_requests();
  CHECK(s.daemon.run("people").at("unchanged") == k_people);
  CHECK(s.sim.sent_contacts("PUT").empty());
}

TEST_CASE("a newly mapped field is sent alone to every contact, and a removed one stops",
          "[state]") {
  PeopleSync s("e2e_remap", k_people);
  const json first_and_city = {{"first_name", 1}, {"city", 11}};
  CHECK(s.daemon.apply(people_activation("people", "emarsys", first_and_city)) ==
        json::array({{{"name", "people"}, {"action", "created"}}}));
  REQUIRE(s.daemon.run("people").at("inserted") == k_people);
  CHECK(s.daemon.apply(people_activation("people", "emarsys", first_and_city)) ==
        json::array({{{"name", "people"}, {"action", "unchanged"}}}));

  CHECK(s.daemon.apply(people_activation("people", "emarsys", all_people_fields())) ==
        json::array({{{"name", "people"}, {"action", "updated"}}}));
  s.sim.clear_requests();
  const json added = s.daemon.run("people");
  CHECK(added.at("status") == "succeeded");
  CHECK(added.at("updated") == k_people);
  CHECK(added.at("unchanged") == 0);
  const auto sent = s.sim.sent_contacts("PUT");
  CHECK(sent.size() == static_cast<std::size_t>(k_people));
  const auto by_mail = by_email(sent);
  REQUIRE(by_mail.size() == static_cast<std::size_t>(k_people));
  for (int i = 1; i <= k_people; ++i) {
    INFO(person(i));
    CHECK(by_mail.at(person(i)) == json{{"3", person(i)}, {"2", "Last" + std::to_string(i)}});
  }
  CHECK(s.sim.contacts().at(person(7)) == person_contact(7));

  const json without_city = {{"first_name", 1}, {"last_name", 2}};
  CHECK(s.daemon.apply(people_activation("people", "emarsys", without_city)) ==
        json::array({{{"name", "people"}, {"action", "updated"}}}));
  s.sim.clear_requests();
  const json removed = s.daemon.run("people");
  CHECK(removed.at("status") == "succeeded");
  CHECK(removed.at("unchanged") == k_people);
  CHECK(removed.at("updated") == 0);
  CHECK(s.sim.sent_contacts("PUT").empty());
  CHECK(s.sim.sent_contacts("POST").empty());
  // The unmapped field is left as it was in Emarsys, not cleared.
  CHECK(s.sim.contacts().at(person(7)).at("11") == "City7");
}

TEST_CASE("changing an activation's destination sends every contact in full to the new one",
          "[state]") {
  TempDir dir("emsync-destination");
  Simulator first;
  Simulator second;
  Daemon daemon(
      dir, {{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db("e2e_dest", k_people)}}}},
      {{"first", wsse_destination(first, dir, std::nullopt)},
       {"second", wsse_destination(second, dir, std::nullopt)}});
  daemon.apply(people_activation("people", "first", all_people_fields()));
  REQUIRE(daemon.run("people").at("inserted") == k_people);
  REQUIRE(first.contacts().size() == static_cast<std::size_t>(k_people));
  CHECK(stored_contacts(daemon) == people_keys());

  CHECK(daemon.apply(people_activation("people", "second", all_people_fields())) ==
        json::array({{{"name", "people"}, {"action", "updated"}}}));
  CHECK(stored_contacts(daemon).empty());  // the state of the old destination is dropped
  first.clear_requests();
  const json moved = daemon.run("people");
  CHECK(moved.at("status") == "succeeded");
  CHECK(moved.at("inserted") == k_people);
  CHECK(moved.at("unchanged") == 0);

  const auto created = by_email(second.sent_contacts("POST"));
  REQUIRE(created.size() == static_cast<std::size_t>(k_people));
  const auto landed = second.contacts();
  REQUIRE(landed.size() == static_cast<std::size_t>(k_people));
  for (int i = 1; i <= k_people; ++i) {
    INFO(person(i));
    CHECK(created.at(person(i)) == person_contact(i));
    CHECK(landed.at(person(i)) == person_contact(i));
  }
  CHECK(first.requests("PUT", "/contact").empty());
  CHECK(first.requests("POST", "/contact").empty());
  CHECK(stored_contacts(daemon) == people_keys());
}

TEST_CASE("a contact that leaves the model and comes back is sent in full", "[state]") {
  PeopleSync s("e2e_comeback", k_people);
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  REQUIRE(s.daemon.run("people").at("inserted") == k_people);

  // person4 has no city (NULL), person5 has one.
  const std::string leavers = "('" + person(4) + "','" + person(5) + "')";
  PgCluster::shared().exec("UPDATE people SET active = false WHERE email IN " + leavers,
                           "e2e_comeback");
  s.sim.clear_requests();
  const json without = s.daemon.run("people");
  CHECK(without.at("rows_read") == k_people - 2);
  CHECK(without.at("unchanged") == k_people - 2);
  CHECK(s.sim.sent_contacts("PUT").empty());
  CHECK(stored_contacts(s.daemon) == people_keys({4, 5}));

  PgCluster::shared().exec("UPDATE people SET active = true WHERE email IN " + leavers,
                           "e2e_comeback");
  s.sim.clear_requests();
  const json back = s.daemon.run("people");
  CHECK(back.at("status") == "succeeded");
  CHECK(back.at("rows_read") == k_people);
  CHECK(back.at("updated") == 2);
  CHECK(back.at("unchanged") == k_people - 2);
  const auto sent = s.sim.sent_contacts("PUT");
  CHECK(sent.size() == 2);
  CHECK(by_email(sent) == std::map<std::string, json>{{person(4), person_contact(4)},
                                                      {person(5), person_contact(5)}});
  CHECK(stored_contacts(s.daemon) == people_keys());
}

}  // namespace emsync::test

namespace emsync::test {

TEST_CASE("a create that loses a race (2009) is retried as an update and lands in full",
          "[state]") {
  PeopleSync s("e2e_race", 10);
  s.sim.race(json::array({person(3), person(7)}));
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  const json report = s.daemon.run("people");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("inserted") == 8);
  CHECK(report.at("updated") == 2);
  const auto contacts = s.sim.contacts();
  REQUIRE(contacts.size() == 10);
  for (int i : {3, 7}) {
    json expected = person_contact(i);
    CHECK(contacts.at(person(i)) == expected);
  }
  // The retry was a PUT of the full contacts, after the POST that got 2009.
  std::set<std::string> updated_in_full;
  for (const auto& request : s.sim.requests("PUT", "/contact")) {
    for (const auto& contact : request.at("contacts")) {
      if (contact == person_contact(3) || contact == person_contact(7)) {
        updated_in_full.insert(contact.at("3").get<std::string>());
      }
    }
  }
  CHECK(updated_in_full == std::set<std::string>{person(3), person(7)});
  CHECK(s.daemon.run("people").at("unchanged") == 10);
}

}  // namespace emsync::test
