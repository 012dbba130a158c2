// The contact-list calls of emarsys::Client against the real simulator over
// HTTP: create, add, delete, their errors, and an exact outcome under 30%
// injected faults (retries of add and delete are harmless).
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "emarsys/client.hpp"
#include "sync_fixture.hpp"
#include "unit/emarsys/fake_server.hpp"  // run(): a call to its completion

namespace emsync::test {

namespace {

using namespace std::chrono_literals;
namespace em = emsync::emarsys;

std::string email_of(int i) { return "member" + std::to_string(i) + "@example.com"; }

// Seeds contacts member1..member<n>@example.com.
void seed_members(const Simulator& sim, int n) {
  nlohmann::json contacts = nlohmann::json::array();
  for (int i = 1; i <= n; ++i) {
    contacts.push_back({{"3", email_of(i)}});
  }
  sim.seed(contacts);
}

std::vector<std::string> emails(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) {
    out.push_back(email_of(i));
  }
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& emails) {
  return {emails.begin(), emails.end()};
}

std::set<std::string> as_set(const std::vector<std::string>& emails) {
  return {emails.begin(), emails.end()};
}

// A WSSE Client of the simulator that retries quickly and often.
struct ListClient {
  explicit ListClient(const Simulator& sim)
      : client(io.get_executor(), [&sim] {
          em::ClientConfig config;
          config.api_url = sim.base_url() + "/api/v2";
          config.user = k_wsse_user;
          config.secret = k_wsse_secret;
          config.max_attempts = 12;
          config.backoff_base = 5ms;
          config.backoff_cap = 50ms;
          config.request_timeout = 10s;
          return config;
        }()) {}

  template <class T>
  Result<T> run(em::Task<T> task) {
    return em::test::run(io, std::move(task));
  }

  boost::asio::io_context io;
  em::Client client;
};

}  // namespace

TEST_CASE("the Client creates a list, adds and removes members, and names what fails",
          "[emarsys][lists]") {
  Simulator sim;
  seed_members(sim, 2500);
  sim.seed(nlohmann::json::array({{{"3", "hand@example.com"}}}));
  ListClient api(sim);

  auto created = api.run(api.client.create_contact_list("Segment \"A\""));
  REQUIRE(created);
  auto taken = api.run(api.client.create_contact_list("Segment \"A\""));
  REQUIRE_FALSE(taken);
  CHECK(taken.error().code == Errc::rejected);
  CHECK(taken.error().reply_code == 3005);
  auto lists = api.run(api.client.list_contact_lists());
  REQUIRE(lists);
  REQUIRE(lists->size() == 1);
  CHECK(lists->at(0).id == *created);
  CHECK(lists->at(0).name == "Segment \"A\"");

  sim.add_list_members(*created, {"hand@example.com"});
  const auto segment = emails(1, 3000);  // 2501..3000 unknown to Emarsys
  auto added = api.run(api.client.add_to_contact_list(*created, views(segment)));
  REQUIRE(added);
  CHECK(added->changed == 2500);
  REQUIRE(added->errors.size() == 500);
  CHECK(added->errors.front().code == "2008");
  CHECK(as_set(sim.list_members(*created)).size() == 2501);

  auto again = api.run(api.client.add_to_contact_list(*created, views(emails(1, 10))));
  REQUIRE(again);
  CHECK(again->changed == 0);  // members already
  CHECK(again->errors.empty());

  auto leaving = emails(1, 100);
  leaving.push_back("hand@example.com");
  leaving.push_back("nobody@example.com");
  auto removed = api.run(api.client.remove_from_contact_list(*created, views(leaving)));
  REQUIRE(removed);
  CHECK(removed->changed == 101);
  REQUIRE(removed->errors.size() == 1);
  CHECK(removed->errors[0].key == "nobody@example.com");
  CHECK(as_set(sim.list_members(*created)) == as_set(emails(101, 2500)));

  auto missing = api.run(api.client.add_to_contact_list(*created + 1, views(emails(1, 1))));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::rejected);
  CHECK(missing.error().http_status == 404);
  CHECK(missing.error().reply_code == 3006);
  const std::vector<std::string> too_many(em::k_max_list_change_emails + 1, email_of(1));
  auto over = api.run(api.client.add_to_contact_list(*created, views(too_many)));
  REQUIRE_FALSE(over);
  CHECK(over.error().code == Errc::invalid_input);
  CHECK(sim.requests("POST", "/add").size() == 3);  // the refused one was not sent
}

TEST_CASE("list changes under 30% injected faults end exact", "[emarsys][lists]") {
  Simulator sim(false, {"--rate-window-ms", "200", "--seed", "20"});
  seed_members(sim, 2000);
  const std::int64_t list = sim.create_list("Faulty");
  sim.set_faults({{"rate_reset_before", 0.06},
                  {"rate_429", 0.06},
                  {"rate_500", 0.06},
                  {"rate_503", 0.06},
                  {"rate_reset_after", 0.06},
                  {"endpoints", {"/add", "/delete"}}});
  ListClient api(sim);
  // Batches of 100: members 1..2000 enter, then 1..600 leave, then 1..300 come back.
  const auto in_batches = [&](const std::vector<std::string>& all, bool add) {
    for (std::size_t at = 0; at < all.size(); at += 100) {
      const std::vector<std::string> batch(all.begin() + static_cast<std::ptrdiff_t>(at),
                                           all.begin() + static_cast<std::ptrdiff_t>(at + 100));
      auto changed = add ? api.run(api.client.add_to_contact_list(list, views(batch)))
                         : api.run(api.client.remove_from_contact_list(list, views(batch)));
      INFO((changed ? "ok" : changed.error().message));
      REQUIRE(changed);
      CHECK(changed->errors.empty());
    }
  };
  in_batches(emails(1, 2000), true);
  in_batches(emails(1, 600), false);
  in_batches(emails(1, 300), true);
  const nlohmann::json faults = sim.faults();
  INFO(faults.dump());
  CHECK(faults.at("requests").get<int>() >= 29);  // 29 calls, some retried
  CHECK(faults.at("injected").at("reset_after").get<int>() > 0);
  auto expected = emails(1, 300);
  const auto rest = emails(601, 2000);
  expected.insert(expected.end(), rest.begin(), rest.end());
  CHECK(as_set(sim.list_members(list)) == as_set(expected));
}

}  // namespace emsync::test
