#include <catch2/catch.hpp>

#include "sync/list_changes.hpp"

namespace es = emsync::sync;
using emsync::emarsys::ContactError;
using emsync::emarsys::ContactList;

TEST_CASE("a list is found by id, or by its exact name", "[list]") {
  const std::vector<ContactList> lists = {{7, "VIP"}, {9, "vip"}, {11, "VIP"}};
  CHECK(es::find_list(lists, std::int64_t{9}) == 9);
  CHECK(es::find_list(lists, std::string("VIP")) == 7);
  CHECK(es::find_list(lists, std::string("vip")) == 9);
  CHECK_FALSE(es::find_list(lists, std::int64_t{8}));
  CHECK_FALSE(es::find_list(lists, std::string("VIP ")));
  CHECK_FALSE(es::find_list({}, std::string("VIP")));
}

TEST_CASE("an add or delete reply sorts each email: taken, not found (2008), refused", "[list]") {
  const auto reply = es::sort_list_reply(
      {"a@x.com", "b@x.com", "c@x.com", "d@x.com"},
      {{"b@x.com", "2008", "No contact found with the external id: 3 - b@x.com"},
       {"C@X.com", "2010", "Invalid key"},
       {"stranger@x.com", "2008", "not sent"}});
  CHECK(reply.taken == std::vector<std::string>{"a@x.com", "d@x.com"});
  CHECK(reply.not_found == std::vector<std::string>{"b@x.com"});
  REQUIRE(reply.refused.size() == 1);
  CHECK(reply.refused[0].email == "c@x.com");
  CHECK(reply.refused[0].code == "2010");
  CHECK(reply.refused[0].message == "Invalid key");
  CHECK(es::sort_list_reply({}, {}).taken.empty());
}
