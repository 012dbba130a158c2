// ListRunFixture: the run fixture (run_fixture.hpp) with a list activation,
// for the tests of list runs, their preview and explain.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "run_fixture.hpp"

namespace emsync::sync::test {

// person<first>..person<last>.
inline std::set<std::string> people(int first, int last) {
  std::set<std::string> out;
  for (int n = first; n <= last; ++n) {
    out.insert(RunFixture::email(n));
  }
  return out;
}

inline std::vector<std::string> as_vector(const std::set<std::string>& emails) {
  return {emails.begin(), emails.end()};
}

// The run fixture's activation as a list activation of list "VIP" (by
// name), reading only the email column.
struct ListRunFixture : RunFixture {
  ListRunFixture() {
    activation.mode = config::Mode::list;
    activation.fields.clear();
    activation.insert_new_contacts = false;
    activation.query = "SELECT email FROM people ORDER BY rowid";
    activation.list = std::string("VIP");
    REQUIRE(store->apply_activations({activation}));
  }

  // The id of the list named VIP in the fake account.
  std::int64_t vip() const {
    for (const auto& [id, list] : emarsys.lists) {
      if (list.name == "VIP") {
        return id;
      }
    }
    FAIL("no list VIP");
    return 0;
  }

  std::int64_t managed() { return store->count_list_members(activation_id).value(); }

  // The list calls from `from` on, of `action`.
  std::vector<FakeEmarsys::ListRequest> calls(const std::string& action, std::size_t from = 0) {
    std::vector<FakeEmarsys::ListRequest> out;
    for (std::size_t i = from; i < emarsys.list_requests.size(); ++i) {
      if (emarsys.list_requests[i].action == action) {
        out.push_back(emarsys.list_requests[i]);
      }
    }
    return out;
  }
};


}  // namespace emsync::sync::test
