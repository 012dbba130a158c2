// The compact contact state (schema/007_compact_state.sql): round trips,
// field slots, the migration from schema version 6, and its size.
#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>
#include <utility>

#include "activation.hpp"
#include "core/hash.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "temp_db.hpp"

namespace emsync::store {
namespace {

// The first column of every row of `sql` on the state DB at `path`.
std::vector<std::string> rows(const std::string& path, const std::string& sql) {
  auto db = Db::open(path, SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  auto statement = db->prepare(sql);
  REQUIRE(statement);
  std::vector<std::string> out;
  while (statement->step().value()) {
    out.push_back(statement->get_text(0));
  }
  return out;
}

void exec(const std::string& path, const std::string& sql) {
  auto db = Db::open(path, SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  REQUIRE(db->exec(sql));
}

std::unique_ptr<StateStore> open(const test::TempDb& temp) {
  return open_state_store(temp.path()).value();
}

std::int64_t add_activation(StateStore& store, const std::string& name,
                            const std::string& destination = "emarsys") {
  REQUIRE(store.apply_activations({test::activation(name, destination)}));
  return store.find_activation(name).value()->id;
}

ContactState sorted(ContactState state) {
  std::sort(state.fields.begin(), state.fields.end(),
            [](const FieldHash& a, const FieldHash& b) { return a.key < b.key; });
  return state;
}

void check_equal(const std::optional<ContactState>& loaded, const ContactState& expected) {
  REQUIRE(loaded.has_value());
  CHECK(loaded->contact_hash == expected.contact_hash);
  CHECK(loaded->acknowledged_by_run == expected.acknowledged_by_run);
  REQUIRE(loaded->fields.size() == expected.fields.size());
  for (std::size_t i = 0; i < expected.fields.size(); ++i) {
    CHECK(loaded->fields[i].key == expected.fields[i].key);
    CHECK(loaded->fields[i].hash == emsync::store::stored_field_hash(expected.fields[i].hash));
  }
}

// A state with the given keys (in that order) and hashes derived from `seed`.
ContactState state_of(std::uint64_t seed, const std::vector<std::string>& keys) {
  ContactState state{hash64("contact" + std::to_string(seed)), {}};
  for (const auto& key : keys) {
    state.fields.push_back({key, hash64(key + std::to_string(seed))});
  }
  return state;
}

std::vector<std::string> numbered_keys(int count, const std::string& prefix) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) {
    keys.push_back(prefix + ">" + std::to_string(1000 + i));
  }
  return keys;
}

TEST_CASE("states of 0, 1, 10 and 20 fields round-trip, fields sorted by key", "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  std::vector<std::string> ten = numbered_keys(10, "f");
  std::vector<std::string> twenty = numbered_keys(20, "g");
  std::reverse(twenty.begin(), twenty.end());  // given out of key order
  std::vector<std::string> mixed = {"g>1005", "first_name>1", "f>1003", ""};
  const std::vector<ContactUpdate> updates = {
      {"zero@x.com", state_of(1, {})},     {"one@x.com", state_of(2, {"first_name>1"})},
      {"ten@x.com", state_of(3, ten)},     {"twenty@x.com", state_of(4, twenty)},
      {"mixed@x.com", state_of(5, mixed)},
  };
  REQUIRE(store->commit_contacts(crm, updates));
  // The same keys again, in another contact and order, after a reopen.
  store = open(temp);
  std::reverse(mixed.begin(), mixed.end());
  REQUIRE(store->commit_contacts(crm, {{"again@x.com", state_of(6, mixed)}}));

  std::vector<std::string> emails = {"nobody@x.com", "again@x.com"};
  for (const auto& update : updates) {
    emails.push_back(update.email);
  }
  const auto loaded = store->load_contacts(crm, emails).value();
  REQUIRE(loaded.size() == emails.size());
  CHECK_FALSE(loaded[0].has_value());
  check_equal(loaded[1], sorted(state_of(6, mixed)));
  for (std::size_t i = 0; i < updates.size(); ++i) {
    INFO(updates[i].email);
    check_equal(loaded[i + 2], sorted(updates[i].state));
  }
  CHECK(loaded[2]->fields.empty());
  CHECK(loaded[5]->fields.size() == 20);
}

TEST_CASE(
    "field slots are given on first use, append-only, per activation, and kept across "
    "reopening",
    "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t a = add_activation(*store, "a");
  const std::int64_t b = add_activation(*store, "b");
  REQUIRE(store->commit_contacts(a, {{"1@x.com", state_of(1, {"y>2", "x>1"})}}));
  REQUIRE(store->commit_contacts(b, {{"1@x.com", state_of(2, {"z>3", "y>2"})}}));
  REQUIRE(store->commit_contacts(a, {{"2@x.com", state_of(3, {"x>1", "w>0"})}}));
  // In the order the keys were given, not in key order.
  const std::string slots =
      "SELECT activation_id || '|' || slot || '|' || state_key FROM state_fields "
      "ORDER BY activation_id, slot";
  const std::string sa = std::to_string(a);
  const std::string sb = std::to_string(b);
  CHECK(rows(temp.path(), slots) == std::vector<std::string>{sa + "|0|y>2", sa + "|1|x>1",
                                                             sa + "|2|w>0", sb + "|0|z>3",
                                                             sb + "|1|y>2"});

  store = open(temp);
  REQUIRE(store->commit_contacts(a, {{"3@x.com", state_of(4, {"v>9", "y>2"})}}));
  CHECK(rows(temp.path(), slots).at(3) == sa + "|3|v>9");
  const auto loaded = store->load_contacts(a, {"1@x.com", "2@x.com", "3@x.com"}).value();
  check_equal(loaded[0], sorted(state_of(1, {"y>2", "x>1"})));
  check_equal(loaded[1], sorted(state_of(3, {"x>1", "w>0"})));
  check_equal(loaded[2], sorted(state_of(4, {"v>9", "y>2"})));
  check_equal(store->load_contacts(b, {"1@x.com"}).value()[0], sorted(state_of(2, {"z>3", "y>2"})));
}

TEST_CASE("a failed commit stores nothing and leaves no slot behind, in the DB or in memory",
          "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(1, {"first>1"})}}));

  // The second contact names a key twice: the batch fails after "late>2"
  // got a slot for the first one.
  auto failed =
      store->commit_contacts(crm, {{"b@x.com", state_of(2, {"first>1", "late>2"})},
                                   {"c@x.com", ContactState{3, {{"dup>3", 1}, {"dup>3", 2}}}}});
  REQUIRE_FALSE(failed);
  CHECK_THAT(failed.error().message, Catch::Contains("activation " + std::to_string(crm)) &&
                                         Catch::Contains("'dup>3' appears twice"));
  CHECK(store->count_contacts(crm).value() == 1);
  CHECK(rows(temp.path(), "SELECT slot || '|' || state_key FROM state_fields") ==
        std::vector<std::string>{"0|first>1"});

  // Without the rolled-back slot in memory, "other>4" gets slot 1 and
  // "late>2" gets slot 2, each stored with its contact.
  REQUIRE(store->commit_contacts(crm, {{"d@x.com", state_of(4, {"other>4"})}}));
  REQUIRE(store->commit_contacts(crm, {{"b@x.com", state_of(2, {"first>1", "late>2"})}}));
  CHECK(rows(temp.path(), "SELECT slot || '|' || state_key FROM state_fields ORDER BY slot") ==
        std::vector<std::string>{"0|first>1", "1|other>4", "2|late>2"});
  store = open(temp);
  const auto loaded = store->load_contacts(crm, {"b@x.com", "d@x.com"}).value();
  check_equal(loaded[0], state_of(2, {"first>1", "late>2"}));
  check_equal(loaded[1], state_of(4, {"other>4"}));
}

TEST_CASE("dropped contact state takes its field slots with it, also for a reused activation id",
          "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(1, {"a>1", "b>2"})}}));
  add_activation(*store, "crm", "other");  // another destination
  CHECK(rows(temp.path(), "SELECT count(*) FROM state_fields") == std::vector<std::string>{"0"});
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(2, {"c>3"})}}));
  check_equal(store->load_contacts(crm, {"a@x.com"}).value()[0], state_of(2, {"c>3"}));

  // The newest activation's id is given again after it is deleted.
  const std::int64_t old = add_activation(*store, "old");
  REQUIRE(store->commit_contacts(old, {{"a@x.com", state_of(3, {"d>4", "e>5"})}}));
  REQUIRE(store->delete_activation("old").value());
  const std::int64_t reused = add_activation(*store, "new");
  REQUIRE(reused == old);
  REQUIRE(store->commit_contacts(reused, {{"b@x.com", state_of(4, {"e>5"})}}));
  CHECK(
      rows(temp.path(), "SELECT slot || '|' || state_key FROM state_fields WHERE activation_id = " +
                            std::to_string(reused)) == std::vector<std::string>{"0|e>5"});
  check_equal(store->load_contacts(reused, {"b@x.com"}).value()[0], state_of(4, {"e>5"}));
  CHECK_FALSE(store->load_contacts(reused, {"a@x.com"}).value()[0].has_value());
}

TEST_CASE("slots written by another connection are seen", "[store]") {
  test::TempDb temp;
  auto first = open(temp);
  const std::int64_t crm = add_activation(*first, "crm");
  REQUIRE(first->commit_contacts(crm, {{"a@x.com", state_of(1, {"a>1"})}}));
  auto second = open(temp);
  REQUIRE(second->commit_contacts(crm, {{"b@x.com", state_of(2, {"b>2", "a>1"})}}));
  check_equal(first->load_contacts(crm, {"b@x.com"}).value()[0], state_of(2, {"a>1", "b>2"}));
  REQUIRE(first->commit_contacts(crm, {{"c@x.com", state_of(3, {"c>3"})}}));
  check_equal(second->load_contacts(crm, {"c@x.com"}).value()[0], state_of(3, {"c>3"}));
}

TEST_CASE("a damaged stored state is an error naming the activation and the remedy", "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(1, {"a>1", "b>2"})}}));
  REQUIRE(store->load_contact_digests(crm));  // folds it into contact_state
  const std::string where =
      " WHERE email_hash = " + std::to_string(std::bit_cast<std::int64_t>(hash64("a@x.com")));
  const auto expect_damaged = [&](const auto& result) {
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message,
               Catch::Contains("activation " + std::to_string(crm)) &&
                   Catch::Contains("the state DB is damaged: restore a backup"));
  };
  // Slot set {0, 1, 2} with three hashes (4 bytes each), but slot 2 was never given.
  exec(temp.path(),
       "UPDATE contact_state SET state = zeroblob(8) || x'07' || zeroblob(12)" + where);
  expect_damaged(store->load_contacts(crm, {"a@x.com"}));
  // One hash missing.
  exec(temp.path(), "UPDATE contact_state SET state = zeroblob(8) || x'03' || zeroblob(4)" + where);
  expect_damaged(store->load_contacts(crm, {"a@x.com"}));
  // After the hashes, no run id but a varint that does not end, or run 0.
  exec(temp.path(),
       "UPDATE contact_state SET state = zeroblob(8) || x'03' || zeroblob(8) || x'8080'" + where);
  expect_damaged(store->load_contacts(crm, {"a@x.com"}));
  exec(temp.path(),
       "UPDATE contact_state SET state = zeroblob(8) || x'03' || zeroblob(8) || x'00'" + where);
  expect_damaged(store->load_contacts(crm, {"a@x.com"}));
  // Shorter than the contact hash.
  exec(temp.path(), "UPDATE contact_state SET state = x'0102'" + where);
  expect_damaged(store->load_contacts(crm, {"a@x.com"}));
  expect_damaged(store->load_contact_digests(crm));
}

TEST_CASE(
    "contact digests come in unsigned email hash order; drop_contacts counts what it "
    "dropped",
    "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  std::vector<ContactUpdate> batch;
  for (int i = 0; i < 500; ++i) {
    batch.push_back({"p" + std::to_string(i) + "@x.com", state_of(i, {"a>1"})});
  }
  REQUIRE(store->commit_contacts(crm, batch));
  const auto digests = store->load_contact_digests(crm).value();
  REQUIRE(digests.size() == batch.size());
  CHECK(std::is_sorted(
      digests.begin(), digests.end(),
      [](const ContactDigest& x, const ContactDigest& y) { return x.email_hash < y.email_hash; }));
  CHECK(digests.front().email_hash < (1ULL << 63));  // both signs are there
  CHECK(digests.back().email_hash >= (1ULL << 63));
  for (const auto& contact : batch) {
    const std::uint64_t email_hash = hash64(contact.email);
    const auto found = std::lower_bound(
        digests.begin(), digests.end(), email_hash,
        [](const ContactDigest& d, std::uint64_t hash) { return d.email_hash < hash; });
    REQUIRE(found != digests.end());
    CHECK(found->email_hash == email_hash);
    CHECK(found->contact_hash == contact.state.contact_hash);
  }
  // A hash twice and one never stored are not counted.
  CHECK(store
            ->drop_contacts(crm, {hash64("p1@x.com"), hash64("p2@x.com"), hash64("p1@x.com"),
                                  hash64("nobody@x.com")})
            .value() == 2);
  CHECK(store->count_contacts(crm).value() == 498);
}

// -- the contact log (commits are appended, folded in email hash order) --

// How many rows of the contact log belong to `activation_id`.
std::string logged(const std::string& path, std::int64_t activation_id) {
  return rows(path, "SELECT count(*) FROM contact_log WHERE activation_id = " +
                        std::to_string(activation_id))
      .at(0);
}

TEST_CASE(
    "committed contacts are read through the log: the latest commit wins, also over a folded "
    "state",
    "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->commit_contacts(
      crm, {{"a@x.com", state_of(1, {"a>1"})}, {"b@x.com", state_of(2, {"b>2"})}}));
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(3, {"a>1", "c>3"})}}));
  CHECK(logged(temp.path(), crm) == "3");
  CHECK(store->count_contacts(crm).value() == 2);

  // Another store did not log these: a lookup folds first.
  auto reader = open(temp);
  auto loaded = reader->load_contacts(crm, {"a@x.com", "b@x.com"}).value();
  check_equal(loaded[0], state_of(3, {"a>1", "c>3"}));
  check_equal(loaded[1], state_of(2, {"b>2"}));
  CHECK(logged(temp.path(), crm) == "0");
  CHECK(store->count_contacts(crm).value() == 2);

  // After the fold the store knows what it logs: lookups read logged
  // contacts from the log and leave it as it is.
  REQUIRE(reader->commit_contacts(
      crm, {{"a@x.com", state_of(4, {"c>3"})}, {"d@x.com", state_of(5, {})}}));
  check_equal(reader->load_contacts(crm, {"b@x.com"}).value()[0], state_of(2, {"b>2"}));
  CHECK(logged(temp.path(), crm) == "2");
  CHECK(reader->count_contacts(crm).value() == 3);
  loaded = reader->load_contacts(crm, {"b@x.com", "a@x.com", "d@x.com"}).value();
  check_equal(loaded[0], state_of(2, {"b>2"}));
  check_equal(loaded[1], state_of(4, {"c>3"}));
  check_equal(loaded[2], state_of(5, {}));
  CHECK(logged(temp.path(), crm) == "2");

  // A commit by another connection is seen, logged after the fold.
  REQUIRE(store->commit_contacts(crm, {{"b@x.com", state_of(6, {"a>1"})}}));
  check_equal(reader->load_contacts(crm, {"b@x.com"}).value()[0], state_of(6, {"a>1"}));
  REQUIRE(reader->commit_contacts(crm, {{"d@x.com", state_of(7, {"b>2"})}}));
  check_equal(store->load_contacts(crm, {"d@x.com"}).value()[0], state_of(7, {"b>2"}));

  const auto digests = store->load_contact_digests(crm).value();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expected = {
      {hash64("a@x.com"), state_of(4, {}).contact_hash},
      {hash64("b@x.com"), state_of(6, {}).contact_hash},
      {hash64("d@x.com"), state_of(7, {}).contact_hash}};
  std::sort(expected.begin(), expected.end());
  REQUIRE(digests.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(digests[i].email_hash == expected[i].first);
    CHECK(digests[i].contact_hash == expected[i].second);
  }
}

TEST_CASE("load_contact_digests folds its activation's log and no other", "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  const std::int64_t other = add_activation(*store, "other");
  for (int i = 0; i < 3; ++i) {
    const std::string email = std::to_string(i) + "@x.com";
    REQUIRE(store->commit_contacts(crm, {{email, state_of(i, {"a>1"})}}));
    REQUIRE(store->commit_contacts(other, {{email, state_of(10 + i, {"b>2"})}}));
  }
  REQUIRE(store->commit_contacts(crm, {{"0@x.com", state_of(20, {"a>1"})}}));
  const auto digests = store->load_contact_digests(crm, 100).value();
  REQUIRE(digests.size() == 3);
  CHECK(std::any_of(digests.begin(), digests.end(), [](const ContactDigest& digest) {
    return digest.email_hash == hash64("0@x.com") &&
           digest.contact_hash == state_of(20, {}).contact_hash;
  }));
  CHECK(logged(temp.path(), crm) == "0");
  CHECK(logged(temp.path(), other) == "3");
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_state WHERE activation_id = " +
                              std::to_string(other)) == std::vector<std::string>{"0"});
  CHECK(store->count_contacts(other).value() == 3);
  check_equal(store->load_contacts(other, {"2@x.com"}).value()[0], state_of(12, {"b>2"}));
}

TEST_CASE("drop_contacts folds the log when it drops contacts, or when it does not know the log",
          "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->commit_contacts(
      crm,
      {{"a@x.com", state_of(1, {})}, {"b@x.com", state_of(2, {})}, {"c@x.com", state_of(3, {})}}));
  CHECK(store->drop_contacts(crm, {hash64("a@x.com"), hash64("z@x.com")}).value() == 1);
  CHECK(logged(temp.path(), crm) == "0");
  CHECK(store->count_contacts(crm).value() == 2);
  const auto loaded = store->load_contacts(crm, {"a@x.com", "b@x.com"}).value();
  CHECK_FALSE(loaded[0].has_value());
  check_equal(loaded[1], state_of(2, {}));

  // A small log the store follows stays, for later runs to read through.
  REQUIRE(store->commit_contacts(crm, {{"d@x.com", state_of(4, {})}}));
  CHECK(logged(temp.path(), crm) == "1");
  CHECK(store->drop_contacts(crm, {}).value() == 0);
  CHECK(logged(temp.path(), crm) == "1");
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_state") == std::vector<std::string>{"2"});
  // A store that does not know the log (a restart) folds it.
  auto restarted = open(temp);
  CHECK(restarted->drop_contacts(crm, {}).value() == 0);
  CHECK(logged(temp.path(), crm) == "0");
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_state") == std::vector<std::string>{"3"});
}

TEST_CASE("a known log is read through, not folded, until another connection logs or folds",
          "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  const std::int64_t other = add_activation(*store, "other");
  REQUIRE(store->commit_contacts(
      crm,
      {{"a@x.com", state_of(1, {})}, {"b@x.com", state_of(2, {})}, {"c@x.com", state_of(3, {})}}));
  REQUIRE(store->load_contact_digests(crm));  // the log was not known: folded
  CHECK(logged(temp.path(), crm) == "0");

  const auto digests_of = [&](StateStore& s) {
    std::map<std::uint64_t, std::uint64_t> out;
    const auto digests = s.load_contact_digests(crm);
    REQUIRE(digests);
    for (const ContactDigest& digest : *digests) {
      out.emplace(digest.email_hash, digest.contact_hash);
    }
    return out;
  };
  // A changed contact and a new one, each logged twice: the latest wins.
  REQUIRE(
      store->commit_contacts(crm, {{"b@x.com", state_of(20, {})}, {"d@x.com", state_of(4, {})}}));
  REQUIRE(
      store->commit_contacts(crm, {{"b@x.com", state_of(21, {})}, {"d@x.com", state_of(5, {})}}));
  const std::map<std::uint64_t, std::uint64_t> expected = {
      {hash64("a@x.com"), state_of(1, {}).contact_hash},
      {hash64("b@x.com"), state_of(21, {}).contact_hash},
      {hash64("c@x.com"), state_of(3, {}).contact_hash},
      {hash64("d@x.com"), state_of(5, {}).contact_hash}};
  CHECK(digests_of(*store) == expected);
  auto sorted = store->load_contact_digests(crm);
  REQUIRE(sorted);
  CHECK(std::is_sorted(sorted->begin(), sorted->end(),
                       [](const auto& x, const auto& y) { return x.email_hash < y.email_hash; }));
  CHECK(logged(temp.path(), crm) == "4");
  CHECK(store->count_contacts(crm).value() == 4);

  // Another connection's commit elsewhere (like the health probe's): the
  // log is counted again, found as known, and still read through.
  auto second = open(temp);
  REQUIRE(second->commit_contacts(other, {{"z@x.com", state_of(9, {})}}));
  CHECK(digests_of(*store) == expected);
  check_equal(store->load_contacts(crm, {"d@x.com"}).value()[0], state_of(5, {}));
  CHECK(logged(temp.path(), crm) == "4");

  // Another connection logs to this activation: the log is no longer known
  // and is folded before it is read.
  REQUIRE(second->commit_contacts(crm, {{"a@x.com", state_of(6, {})}}));
  auto changed = expected;
  changed[hash64("a@x.com")] = state_of(6, {}).contact_hash;
  CHECK(digests_of(*store) == changed);
  CHECK(logged(temp.path(), crm) == "0");
}

TEST_CASE("contacts a crashed run committed are folded by the next run's first call", "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(1, {"a>1"})}}));
  REQUIRE(store->load_contact_digests(crm));
  REQUIRE(store->commit_contacts(
      crm, {{"a@x.com", state_of(2, {"a>1", "b>2"})}, {"b@x.com", state_of(3, {"b>2"})}}));
  store.reset();  // no fold: the run ends here
  CHECK(logged(temp.path(), crm) == "2");

  store = open(temp);
  auto digests = store->load_contact_digests(crm).value();
  CHECK(logged(temp.path(), crm) == "0");
  REQUIRE(digests.size() == 2);
  std::sort(digests.begin(), digests.end(), [](const ContactDigest& x, const ContactDigest& y) {
    return x.contact_hash < y.contact_hash;
  });
  std::vector<std::uint64_t> expected = {state_of(2, {}).contact_hash,
                                         state_of(3, {}).contact_hash};
  std::sort(expected.begin(), expected.end());
  CHECK(digests[0].contact_hash == expected[0]);
  CHECK(digests[1].contact_hash == expected[1]);
  check_equal(store->load_contacts(crm, {"a@x.com"}).value()[0], state_of(2, {"a>1", "b>2"}));
}

TEST_CASE("a destination change or deleting the activation clears its log", "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  const std::int64_t other = add_activation(*store, "other");
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", state_of(1, {"a>1"})}}));
  REQUIRE(store->load_contact_digests(crm));
  REQUIRE(store->commit_contacts(crm, {{"b@x.com", state_of(2, {"a>1"})}}));
  REQUIRE(store->commit_contacts(other, {{"a@x.com", state_of(3, {"a>1"})}}));

  add_activation(*store, "crm", "elsewhere");
  CHECK(logged(temp.path(), crm) == "0");
  CHECK(store->count_contacts(crm).value() == 0);
  const auto loaded = store->load_contacts(crm, {"a@x.com", "b@x.com"}).value();
  CHECK_FALSE(loaded[0].has_value());
  CHECK_FALSE(loaded[1].has_value());
  CHECK(logged(temp.path(), other) == "1");

  REQUIRE(store->delete_activation("other").value());
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_log") == std::vector<std::string>{"0"});
  const std::int64_t reused = add_activation(*store, "new");
  REQUIRE(reused == other);
  CHECK_FALSE(store->load_contacts(reused, {"a@x.com"}).value()[0].has_value());
}

TEST_CASE("a lookup after more commits than the store tracks still sees the latest state",
          "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  REQUIRE(store->load_contact_digests(crm));  // the log is empty: tracked from here
  constexpr int k_contacts = 70000;           // over k_max_tracked
  std::vector<ContactUpdate> batch;
  for (int i = 0; i < k_contacts; ++i) {
    batch.push_back({std::to_string(i) + "@x.com", state_of(i, {"a>1"})});
    if (batch.size() == 1000) {
      REQUIRE(store->commit_contacts(crm, batch));
      batch.clear();
    }
  }
  CHECK(logged(temp.path(), crm) == std::to_string(k_contacts));
  check_equal(store->load_contacts(crm, {"12345@x.com"}).value()[0], state_of(12345, {"a>1"}));
  CHECK(logged(temp.path(), crm) == "0");
  CHECK(store->count_contacts(crm).value() == k_contacts);
}

// -- migration from schema version 6 --

// `bytes` as an SQL blob literal, x'0a1b...'.
std::string sql_blob(const std::string& bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex = "x'";
  for (const unsigned char c : bytes) {
    hex += k_hex[c >> 4];
    hex += k_hex[c & 15];
  }
  return hex + "'";
}

// The field_hashes blob of version 6: per field, u32 key length, the key,
// u64 hash, little endian.
std::string v6_blob_hex(const std::vector<FieldHash>& fields) {
  std::string bytes;
  const auto put = [&](std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) {
      bytes.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
  };
  for (const auto& field : fields) {
    put(field.key.size(), 4);
    bytes += field.key;
    put(field.hash, 8);
  }
  return sql_blob(bytes);
}

// A state DB at schema version 6 with activations 1 and 2 and `contacts`
// (activation id, email, state) stored the way version 6 did.
void make_v6_db(const std::string& path,
                const std::vector<std::tuple<int, std::string, ContactState>>& contacts) {
  auto db = Db::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  REQUIRE(db);
  REQUIRE(migrate(*db, 6));
  REQUIRE(
      db->exec("INSERT INTO activations (id, name, definition, destination, created_at, "
               "updated_at) VALUES (1, 'a', '{}', 'emarsys', 0, 0), "
               "(2, 'b', '{}', 'emarsys', 0, 0)"));
  for (const auto& [activation, email, state] : contacts) {
    REQUIRE(db->exec("INSERT INTO contact_state VALUES (" + std::to_string(activation) + ", '" +
                     email + "', " +
                     std::to_string(std::bit_cast<std::int64_t>(state.contact_hash)) + ", " +
                     v6_blob_hex(state.fields) + ")"));
  }
}

TEST_CASE("migrating from version 6 keeps every stored hash", "[store]") {
  test::TempDb temp;
  const std::vector<std::tuple<int, std::string, ContactState>> contacts = {
      {1, "a@x.com", sorted(state_of(1, numbered_keys(10, "f")))},
      {1, "b@x.com", sorted(state_of(2, {"first_name>1", "bio>1004"}))},
      {1, "c@x.com", state_of(3, {})},
      {2, "a@x.com", sorted(state_of(4, {"zip>13", "bio>1004"}))},
      {2, "d@x.com", ContactState{0xFFFFFFFFFFFFFFFFULL, {{"", 0x8000000000000000ULL}}}},
  };
  make_v6_db(temp.path(), contacts);
  REQUIRE(rows(temp.path(), "PRAGMA user_version") == std::vector<std::string>{"6"});

  auto store = open(temp);
  CHECK(rows(temp.path(), "PRAGMA user_version") ==
        std::vector<std::string>{std::to_string(latest_schema_version())});
  CHECK(rows(temp.path(), "SELECT name FROM sqlite_schema WHERE name LIKE 'contact_state%'") ==
        std::vector<std::string>{"contact_state"});
  for (const auto& [activation, email, state] : contacts) {
    INFO(activation << " " << email);
    check_equal(store->load_contacts(activation, {email}).value()[0], state);
  }
  for (const int activation : {1, 2}) {
    std::vector<ContactDigest> expected;
    for (const auto& [id, email, state] : contacts) {
      if (id == activation) {
        expected.push_back({hash64(email), state.contact_hash});
      }
    }
    std::sort(expected.begin(), expected.end(), [](const ContactDigest& x, const ContactDigest& y) {
      return x.email_hash < y.email_hash;
    });
    const auto digests = store->load_contact_digests(activation).value();
    REQUIRE(digests.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CHECK(digests[i].email_hash == expected[i].email_hash);
      CHECK(digests[i].contact_hash == expected[i].contact_hash);
    }
  }
  // The slots the migration gave are where new ones continue.
  REQUIRE(store->commit_contacts(2, {{"e@x.com", state_of(5, {"new>1", "zip>13"})}}));
  CHECK(rows(temp.path(),
             "SELECT slot || '|' || state_key FROM state_fields WHERE activation_id = 2 "
             "ORDER BY slot") ==
        std::vector<std::string>{"0|bio>1004", "1|zip>13", "2|", "3|new>1"});
  check_equal(store->load_contacts(2, {"e@x.com"}).value()[0], state_of(5, {"new>1", "zip>13"}));
}

TEST_CASE("a damaged version 6 state fails the migration, which changes nothing", "[store]") {
  test::TempDb temp;
  make_v6_db(temp.path(), {{1, "a@x.com", state_of(1, {"a>1"})}});
  exec(temp.path(), "INSERT INTO contact_state VALUES (2, 'b@x.com', 1, x'0500')");
  auto store = open_state_store(temp.path());
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error().message, Catch::Contains("007_compact_state.sql") &&
                                        Catch::Contains("activation 2") &&
                                        Catch::Contains("restore a backup"));
  CHECK(rows(temp.path(), "PRAGMA user_version") == std::vector<std::string>{"6"});
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_state") == std::vector<std::string>{"2"});
}

// -- migration from schema version 12 --

// A contact_state.state blob of schemas 7 to 12 with fields in slots 0 to
// n - 1 (n < 8): the contact hash, the slot set, 8-byte field hashes, and the
// run id as a varint below 128 (none when 0).
std::string v12_blob(std::uint64_t contact_hash, const std::vector<std::uint64_t>& hashes,
                     unsigned run) {
  std::string bytes;
  const auto put = [&](std::uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      bytes.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
  };
  put(contact_hash);
  bytes.push_back(static_cast<char>((1u << hashes.size()) - 1));
  for (const std::uint64_t hash : hashes) {
    put(hash);
  }
  if (run > 0) {
    bytes.push_back(static_cast<char>(run));
  }
  return sql_blob(bytes);
}

TEST_CASE("migrating from version 12 cuts field hashes to 32 bits, folding the log first",
          "[store]") {
  test::TempDb temp;
  const auto email_hash = [](const char* email) {
    return std::to_string(std::bit_cast<std::int64_t>(hash64(email)));
  };
  {
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE(migrate(*db, 12));
    REQUIRE(db->exec(
        "INSERT INTO activations (id, name, definition, destination, created_at, updated_at) "
        "VALUES (1, 'a', '{}', 'emarsys', 0, 0);"
        "INSERT INTO state_fields VALUES (1, 0, 'a>1'), (1, 1, 'b>2');"
        "INSERT INTO contact_state VALUES (1, " + email_hash("a@x.com") + ", " +
        v12_blob(0xFEDCBA9876543210ULL, {0x1122334455667788ULL, 0x8000000000000001ULL}, 5) +
        "), (1, " + email_hash("b@x.com") + ", " + v12_blob(7, {1}, 0) + ");" +
        // The log: a@x.com stored again later (it wins), c@x.com new.
        "INSERT INTO contact_log (activation_id, email_hash, state) VALUES (1, " +
        email_hash("a@x.com") + ", " + v12_blob(8, {0xAABBCCDD00000002ULL}, 6) + "), (1, " +
        email_hash("c@x.com") + ", " + v12_blob(9, {3, 0xFFFFFFFF00000004ULL}, 0) + ");"));
  }
  auto store = open(temp);
  CHECK(rows(temp.path(), "SELECT name FROM sqlite_schema WHERE name LIKE 'contact_state%'") ==
        std::vector<std::string>{"contact_state"});
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_log") == std::vector<std::string>{"0"});
  check_equal(store->load_contacts(1, {"a@x.com"}).value()[0],
              ContactState{8, {{"a>1", 2}}, 6});
  check_equal(store->load_contacts(1, {"b@x.com"}).value()[0], ContactState{7, {{"a>1", 1}}, 0});
  check_equal(store->load_contacts(1, {"c@x.com"}).value()[0],
              ContactState{9, {{"a>1", 3}, {"b>2", 4}}, 0});
  CHECK(store->count_contacts(1).value() == 3);
  // Each blob is 4 bytes shorter per field: 8 + 1 + 4 + the run's varint.
  CHECK(rows(temp.path(), "SELECT length(state) FROM contact_state WHERE email_hash = " +
                              email_hash("a@x.com")) == std::vector<std::string>{"14"});
}

// -- size (issue #19: at most 100 bytes per contact on disk, WAL included) --

// The state DB's bytes per contact on disk, its WAL included, once
// `contacts` contacts with `keys` were committed in batches of 1000 by run
// `run_id` (0: none, the state as before schema 11) and folded, measured
// while the store is still open (as between two runs of the daemon).
double state_bytes_per_contact(int contacts, const std::vector<std::string>& keys,
                               std::int64_t run_id) {
  test::TempDb temp;
  std::mt19937_64 random(42);
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  std::vector<ContactUpdate> batch;
  for (int i = 0; i < contacts; ++i) {
    ContactState state{random(), {}, run_id};
    for (const auto& key : keys) {
      state.fields.push_back({key, random()});
    }
    batch.push_back({"person" + std::to_string(100000 + i) + "@example.com", sorted(state)});
    if (batch.size() == 1000) {  // a run's batch
      REQUIRE(store->commit_contacts(crm, batch));
      batch.clear();
    }
  }
  REQUIRE(store->count_contacts(crm).value() == contacts);
  REQUIRE(store->load_contact_digests(crm).value().size() ==
          static_cast<std::size_t>(contacts));  // folds the log
  CHECK(rows(temp.path(), "SELECT count(*) FROM contact_log") == std::vector<std::string>{"0"});
  if (run_id > 0) {
    CHECK(store->load_contacts(crm, {"person100000@example.com"})
              .value()
              .front()
              ->acknowledged_by_run == run_id);
  }
  std::error_code no_wal;
  const auto wal = std::filesystem::file_size(temp.path() + "-wal", no_wal);
  const auto bytes = std::filesystem::file_size(temp.path()) + (no_wal ? 0 : wal);
  return static_cast<double>(bytes) / contacts;
}

const std::vector<std::string> k_ten_keys = {"first_name>1", "last_name>2", "birth_date>4",
                                             "gender>5",     "city>11",     "zip>13",
                                             "phone>15",     "tier>1002",   "score>1003",
                                             "bio>1004"};

TEST_CASE("the state DB takes at most 100 bytes per contact on disk with 10 fields, WAL included",
          "[store]") {
  // With and without the run of the last acknowledgement (the states stored
  // before schema 11 have none); the run id adds its varint, 3 bytes for run
  // 50,000, and a little B-tree slack.
  const double without = state_bytes_per_contact(20000, k_ten_keys, 0);
  const double with_run = state_bytes_per_contact(20000, k_ten_keys, 50'000);
  WARN("state DB bytes per contact (20000 contacts, 10 fields): " << without << ", with the run id "
                                                                  << with_run);
  CHECK(with_run <= 100);
  CHECK(with_run - without <= 4);
}

TEST_CASE("the state DB takes at most 64 bytes per contact on disk with 3 fields and the run id",
          "[store]") {
  const std::vector<std::string> three = {"first_name>1", "last_name>2", "city>11"};
  const std::int64_t run_id = GENERATE(0, 50'000);
  const double per_contact = state_bytes_per_contact(20000, three, run_id);
  WARN("state DB bytes per contact (20000 contacts, 3 fields, run " << run_id
                                                                    << "): " << per_contact);
  CHECK(per_contact <= 64);
}

// The numbers of issue 18's report, 100,000 contacts (not run by default:
// ./unit_store "[.measure]").
TEST_CASE("state DB bytes per contact, 100,000 contacts, with and without the run id",
          "[.measure]") {
  const std::vector<std::string> three = {"first_name>1", "last_name>2", "city>11"};
  for (const std::int64_t run_id : {std::int64_t{0}, std::int64_t{50'000}}) {
    WARN("100000 contacts, 3 fields, run " << run_id << ": "
                                           << state_bytes_per_contact(100000, three, run_id));
    WARN("100000 contacts, 10 fields, run " << run_id << ": "
                                            << state_bytes_per_contact(100000, k_ten_keys, run_id));
  }
}

TEST_CASE("the run of a contact's last acknowledgement round-trips, also through the fold",
          "[store]") {
  test::TempDb temp;
  auto store = open(temp);
  const std::int64_t crm = add_activation(*store, "crm");
  ContactState small = state_of(1, {"first_name>1"});
  small.acknowledged_by_run = 127;  // one varint byte
  ContactState large = state_of(2, {"first_name>1", "city>11"});
  large.acknowledged_by_run = std::int64_t{1} << 40;
  const ContactState none = state_of(3, {});  // not known: as stored before schema 11
  REQUIRE(store->commit_contacts(crm, {{"a@x.com", small}, {"b@x.com", large}, {"c@x.com", none}}));
  auto loaded = store->load_contacts(crm, {"a@x.com", "b@x.com", "c@x.com"}).value();
  check_equal(loaded[0], sorted(small));
  check_equal(loaded[1], sorted(large));
  check_equal(loaded[2], none);
  REQUIRE(store->load_contact_digests(crm));  // folds the log
  store = open(temp);
  loaded = store->load_contacts(crm, {"a@x.com", "b@x.com", "c@x.com"}).value();
  check_equal(loaded[0], sorted(small));
  check_equal(loaded[1], sorted(large));
  CHECK(loaded[2]->acknowledged_by_run == 0);
}

// -- timing of the fold (not run by default: ./unit_store "[.bench]") --

// Wall and CPU seconds of `work`.
template <class Work>
std::pair<double, double> timed(Work work) {
  const auto wall = std::chrono::steady_clock::now();
  const std::clock_t cpu = std::clock();
  work();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(),
          static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC};
}

TEST_CASE("fold timings: 1M contacts into an empty state, 10k into 1M", "[.bench]") {
  constexpr int k_contacts = 1'000'000;
  constexpr int k_batch = 1000;  // a run's batch
  const std::vector<std::string> keys = numbered_keys(10, "f");
  std::mt19937_64 random(7);
  const auto batch_of = [&](int first) {
    std::vector<ContactUpdate> batch;
    for (int i = first; i < first + k_batch; ++i) {
      ContactState state{random(), {}};
      for (const auto& key : keys) {
        state.fields.push_back({key, random()});
      }
      batch.push_back({"person" + std::to_string(i) + "@example.com", std::move(state)});
    }
    return batch;
  };
  // With the incremental auto_vacuum a new state DB gets, and without (a
  // state DB created before it).
  for (const bool vacuum : {true, false}) {
    test::TempDb temp;
    if (!vacuum) {
      auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      REQUIRE(db);
      REQUIRE(db->exec("PRAGMA auto_vacuum = NONE; CREATE TABLE created_earlier (x)"));
    }
    auto store = open(temp);
    const std::int64_t crm = add_activation(*store, "crm");
    const auto [commit_wall, commit_cpu] = timed([&] {
      for (int first = 0; first < k_contacts; first += k_batch) {
        REQUIRE(store->commit_contacts(crm, batch_of(first)));
      }
    });
    const auto [fold_wall, fold_cpu] = timed([&] { REQUIRE(store->drop_contacts(crm, {})); });
    exec(temp.path(), "PRAGMA wal_checkpoint(TRUNCATE)");
    const double file_bytes = static_cast<double>(std::filesystem::file_size(temp.path()));

    // A rerun that changes 1%: ten batches, folded at its end, against the
    // same ten batches each folded at once (as many pages written per batch
    // as the upserts before the log).
    const auto [rerun_wall, rerun_cpu] = timed([&] {
      for (int first = 0; first < k_contacts / 100; first += k_batch) {
        REQUIRE(store->commit_contacts(crm, batch_of(first * 97)));
      }
      REQUIRE(store->drop_contacts(crm, {}));
    });
    const auto [each_wall, each_cpu] = timed([&] {
      for (int first = 0; first < k_contacts / 100; first += k_batch) {
        REQUIRE(store->commit_contacts(crm, batch_of(first * 89)));
        REQUIRE(store->drop_contacts(crm, {}));
      }
    });
    REQUIRE(store->count_contacts(crm).value() == k_contacts);
    WARN((vacuum ? "auto_vacuum = INCREMENTAL" : "auto_vacuum = NONE")
         << ": 1M commits (1000 per batch) " << commit_wall << " s wall, " << commit_cpu
         << " s CPU; fold of 1M into an empty state " << fold_wall << " s wall, " << fold_cpu
         << " s CPU; state DB after it " << file_bytes / k_contacts
         << " bytes/contact; 10k commits + one fold into 1M " << rerun_wall << " s wall, "
         << rerun_cpu << " s CPU; 10k as 10 commits each folded at once " << each_wall
         << " s wall, " << each_cpu << " s CPU");
  }
}

}  // namespace
}  // namespace emsync::store
