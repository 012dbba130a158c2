// List activations' members and list ids (schema/014_list_members.sql):
// round trips, what drops them, and their size on disk.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "activation.hpp"
#include "core/hash.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "temp_db.hpp"

namespace emsync::store {
namespace {

config::Activation list_activation(const std::string& name, config::ListRef list,
                                   const std::string& destination = "emarsys") {
  config::Activation activation = test::activation(name, destination);
  activation.mode = config::Mode::list;
  activation.list = std::move(list);
  return activation;
}

std::int64_t apply(StateStore& store, const config::Activation& activation) {
  REQUIRE(store.apply_activations({activation}));
  return store.find_activation(activation.name).value()->id;
}

std::int64_t sqlite_count(const std::string& path, const std::string& sql) {
  auto db = Db::open(path, SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  auto statement = db->prepare(sql);
  REQUIRE(statement);
  REQUIRE(statement->step().value());
  return statement->get_int64(0);
}

}  // namespace

// hash64 of each email, sorted: what load_list_members returns.
static std::vector<std::uint64_t> hashes(const std::vector<std::string>& emails) {
  std::vector<std::uint64_t> out;
  for (const auto& email : emails) {
    out.push_back(hash64(email));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("list members round-trip as sorted hashes, their emails found by hash",
          "[store][list]") {
  test::TempDb temp;
  auto store = open_state_store(temp.path()).value();
  const std::int64_t vip = apply(*store, list_activation("vip", std::string("VIP")));
  const std::int64_t other = apply(*store, list_activation("other", std::int64_t{7}));
  REQUIRE(store->change_list_members(vip, 1, {"a@x.com", "b@x.com", "c@x.com", "a@x.com"}, {}));
  REQUIRE(store->change_list_members(other, 1, {"z@x.com"}, {}));
  CHECK(store->load_list_members(vip).value() == hashes({"a@x.com", "b@x.com", "c@x.com"}));
  CHECK(store->count_list_members(vip).value() == 3);
  // One added and one removed in one transaction; removing one not there is no error.
  REQUIRE(store->change_list_members(vip, 2, {"d@x.com", "a@x.com"}, {"b@x.com", "nobody@x.com"}));
  CHECK(store->load_list_members(vip).value() == hashes({"a@x.com", "c@x.com", "d@x.com"}));
  CHECK(store->load_list_members(other).value() == hashes({"z@x.com"}));
  auto emails = store->list_member_emails(vip, hashes({"c@x.com", "d@x.com", "z@x.com"})).value();
  std::sort(emails.begin(), emails.end());
  CHECK(emails == std::vector<std::string>{"c@x.com", "d@x.com"});
  // Each member's run: the one that added it first.
  CHECK(store->find_list_member(vip, "a@x.com").value() == 1);
  CHECK(store->find_list_member(vip, "d@x.com").value() == 2);
  CHECK(store->find_list_member(vip, "b@x.com").value() == std::nullopt);
  CHECK(store->find_list_member(vip, "z@x.com").value() == std::nullopt);  // another activation's
}

TEST_CASE("of many members, the emails of the few asked for are found, and only those",
          "[store][list]") {
  // 20,000 members (load_list_members sorts in buckets past 4,096); asked
  // for 1, 100 and all of them (list_member_emails filters by hash ranges
  // first, more or less sparse), and for hashes of no member.
  test::TempDb temp;
  auto store = open_state_store(temp.path()).value();
  const std::int64_t vip = apply(*store, list_activation("vip", std::string("VIP")));
  std::vector<std::string> members;
  for (int i = 0; i < 20000; ++i) {
    members.push_back("member" + std::to_string(i) + "@example.com");
  }
  REQUIRE(store->change_list_members(vip, 1, members, {}));
  CHECK(store->load_list_members(vip).value() == hashes(members));
  for (const std::size_t asked : {std::size_t{1}, std::size_t{100}, members.size()}) {
    std::vector<std::string> expected(members.begin() + 7,
                                      members.begin() + 7 + std::min(asked, members.size() - 7));
    std::vector<std::string> query = expected;
    query.push_back("stranger" + std::to_string(asked) + "@example.com");
    auto emails = store->list_member_emails(vip, hashes(query)).value();
    std::sort(emails.begin(), emails.end());
    std::sort(expected.begin(), expected.end());
    CHECK(emails == expected);
  }
  CHECK(store->list_member_emails(vip, {}).value().empty());
}

TEST_CASE("the members a store kept between loads are those the state DB holds",
          "[store][list]") {
  // The store keeps each list's member hashes after a load and applies its
  // own changes to them (member_cache.hpp): after each step, what it loads
  // must equal what a store opened afresh on the same file reads.
  test::TempDb temp;
  auto store = open_state_store(temp.path()).value();
  const std::int64_t vip = apply(*store, list_activation("vip", std::string("VIP")));
  const auto truth = [&](std::int64_t id) {
    return open_state_store(temp.path()).value()->load_list_members(id).value();
  };
  CHECK(store->load_list_members(vip).value().empty());  // kept, empty
  std::vector<std::string> members;
  for (int i = 0; i < 5000; ++i) {
    members.push_back("m" + std::to_string(i) + "@x.com");
  }
  REQUIRE(store->change_list_members(vip, 1, members, {}));
  CHECK(store->load_list_members(vip).value() == truth(vip));
  REQUIRE(store->change_list_members(vip, 2, {"new@x.com", "m1@x.com"},
                                     {"m2@x.com", "m3@x.com", "nobody@x.com"}));
  CHECK(store->load_list_members(vip).value() == truth(vip));
  CHECK(store->load_list_members(vip).value().size() == 4999);
  // The list changes: members of another list are not this one's.
  config::Activation changed = list_activation("vip", std::string("VIP 2"));
  REQUIRE(store->apply_activations({changed}));
  CHECK(store->load_list_members(vip).value().empty());
  CHECK(truth(vip).empty());
  REQUIRE(store->change_list_members(vip, 3, {"a@x.com"}, {}));
  CHECK(store->load_list_members(vip).value() == hashes({"a@x.com"}));
  // Deleted, and its id given to a new activation: none of its members.
  REQUIRE(store->delete_activation("vip").value());
  const std::int64_t next = apply(*store, list_activation("next", std::string("N")));
  CHECK(store->load_list_members(next).value() == truth(next));
  CHECK(truth(next).empty());
}

TEST_CASE("a list id is remembered per list reference", "[store][list]") {
  test::TempDb temp;
  auto store = open_state_store(temp.path()).value();
  const std::int64_t vip = apply(*store, list_activation("vip", std::string("VIP")));
  CHECK_FALSE(store->load_list_id(vip, "name 'VIP'").value());
  REQUIRE(store->save_list_id(vip, "name 'VIP'", 4242));
  CHECK(store->load_list_id(vip, "name 'VIP'").value() == 4242);
  CHECK_FALSE(store->load_list_id(vip, "name 'Other'").value());
  REQUIRE(store->save_list_id(vip, "name 'Other'", 99));
  CHECK(store->load_list_id(vip, "name 'Other'").value() == 99);
  CHECK_FALSE(store->load_list_id(vip, "name 'VIP'").value());
}

TEST_CASE("members and list id are dropped when the destination, mode or list changes, or the "
          "activation is deleted; kept when the query changes",
          "[store][list]") {
  test::TempDb temp;
  auto store = open_state_store(temp.path()).value();
  config::Activation vip = list_activation("vip", std::string("VIP"));
  const std::int64_t id = apply(*store, vip);
  const auto fill = [&] {
    REQUIRE(store->change_list_members(id, 1, {"a@x.com", "b@x.com", "c@x.com"}, {}));
    REQUIRE(store->save_list_id(id, "name 'VIP'", 4242));
  };
  const auto kept = [&] {
    return store->count_list_members(id).value() == 3 &&
           store->load_list_id(id, "name 'VIP'").value() == 4242;
  };
  fill();
  vip.query = "SELECT 2";
  apply(*store, vip);
  CHECK(kept());

  vip.list = std::string("VIP 2");
  apply(*store, vip);
  CHECK(store->count_list_members(id).value() == 0);
  CHECK(sqlite_count(temp.path(), "SELECT count(*) FROM list_state") == 0);

  vip.list = std::string("VIP");
  apply(*store, vip);
  fill();
  vip.destination = "emarsys-2";
  apply(*store, vip);
  CHECK(store->count_list_members(id).value() == 0);

  fill();
  config::Activation contacts = test::activation("vip", "emarsys-2");
  apply(*store, contacts);
  CHECK(store->count_list_members(id).value() == 0);

  apply(*store, vip);
  fill();
  REQUIRE(store->delete_activation("vip").value());
  CHECK(sqlite_count(temp.path(), "SELECT count(*) FROM list_members") == 0);
  CHECK(sqlite_count(temp.path(), "SELECT count(*) FROM list_state") == 0);
}

TEST_CASE("the state DB takes at most 40 bytes per list member (100,000 members)",
          "[store][list]") {
  constexpr int k_members = 100'000;
  test::TempDb temp;
  {
    auto store = open_state_store(temp.path()).value();
    const std::int64_t id = apply(*store, list_activation("vip", std::string("VIP")));
    // The contacts mode's size tests' emails (24 bytes), added in random order.
    std::vector<std::string> emails;
    for (int i = 0; i < k_members; ++i) {
      emails.push_back("person" + std::to_string(100000 + i) + "@example.com");
    }
    std::shuffle(emails.begin(), emails.end(), std::mt19937_64(42));
    std::vector<std::string> request;
    for (const std::string& email : emails) {
      request.push_back(email);
      if (request.size() == 10'000) {  // one acknowledged add request
        REQUIRE(store->change_list_members(id, 1, request, {}));
        request.clear();
      }
    }
    REQUIRE(store->count_list_members(id).value() == k_members);
    auto db = Db::open(temp.path(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE(db->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  const double bytes = static_cast<double>(sqlite_count(temp.path(), "PRAGMA page_count") *
                                           sqlite_count(temp.path(), "PRAGMA page_size"));
  WARN("state DB bytes per list member (100,000 members): " << bytes / k_members);
  CHECK(bytes / k_members <= 40);
}

}  // namespace emsync::store
