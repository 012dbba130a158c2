// The contact lists of FakeEmarsys answer as Emarsys (and emarsys-sim) do:
// the list-mode run tests rely on it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "fake_emarsys.hpp"

namespace es = emsync::sync;
using es::test::FakeEmarsys;
using namespace emsync;

namespace {

template <class T>
T complete(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
      [](std::exception_ptr error) {
        if (error) {
          std::rethrow_exception(error);
        }
      });
  io.run();
  REQUIRE(out);
  return std::move(*out);
}

using Emails = std::vector<std::string_view>;
using Members = std::set<std::string>;

}  // namespace

TEST_CASE("FakeEmarsys adds and removes known contacts, 2008 for the others", "[sync][fake]") {
  FakeEmarsys emarsys;
  emarsys.add_contacts({"a@x.com", "b@x.com", "c@x.com"});
  const std::int64_t list = emarsys.create_list("VIP", {"c@x.com"});
  auto added =
      complete(emarsys.add_to_contact_list(list, Emails{"a@x.com", "c@x.com", "n@x.com"}, nullptr));
  REQUIRE(added);
  CHECK(added->changed == 1);  // c@x.com was there already
  REQUIRE(added->errors.size() == 1);
  CHECK(added->errors[0].key == "n@x.com");
  CHECK(added->errors[0].code == "2008");
  CHECK(emarsys.members(list) == Members{"a@x.com", "c@x.com"});

  auto removed =
      complete(emarsys.remove_from_contact_list(list, Emails{"a@x.com", "b@x.com"}, nullptr));
  REQUIRE(removed);
  CHECK(removed->changed == 1);  // b@x.com was no member
  CHECK(removed->errors.empty());
  CHECK(emarsys.members(list) == Members{"c@x.com"});
  REQUIRE(emarsys.list_requests.size() == 2);
  CHECK(emarsys.list_requests[1].action == "delete");
  CHECK(emarsys.list_requests[1].emails == std::vector<std::string>{"a@x.com", "b@x.com"});
}

TEST_CASE("FakeEmarsys creates a list once by name; a missing list or an injected failure fails",
          "[sync][fake]") {
  FakeEmarsys emarsys;
  emarsys.add_contacts({"a@x.com"});
  auto created = complete(emarsys.create_contact_list("VIP", nullptr));
  REQUIRE(created);
  CHECK(emarsys.members(*created).empty());
  auto lists = complete(emarsys.list_contact_lists(nullptr));
  REQUIRE(lists);
  CHECK(lists->back().name == "VIP");
  auto again = complete(emarsys.create_contact_list("VIP", nullptr));
  REQUIRE_FALSE(again);
  CHECK(again.error().reply_code == 3005);

  auto missing = complete(emarsys.add_to_contact_list(*created + 1, Emails{"a@x.com"}, nullptr));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::rejected);
  CHECK(missing.error().reply_code == 3006);
  const std::vector<std::string> many(emarsys::k_max_list_change_emails + 1, "a@x.com");
  auto over =
      complete(emarsys.add_to_contact_list(*created, Emails(many.begin(), many.end()), nullptr));
  REQUIRE_FALSE(over);
  CHECK(over.error().reply_code == 3002);

  emarsys.transient_failures = 1;
  auto busy = complete(emarsys.add_to_contact_list(*created, Emails{"a@x.com"}, nullptr));
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code == Errc::transient);
  emarsys.list_failure = Error{Errc::auth_failed, "refused", 401, 1};
  auto refused = complete(emarsys.remove_from_contact_list(*created, Emails{"a@x.com"}, nullptr));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::auth_failed);
  CHECK(emarsys.members(*created).empty());
  CHECK(emarsys.list_requests.size() == 6);  // failed calls are recorded too
}
