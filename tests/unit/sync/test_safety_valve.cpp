#include <catch2/catch.hpp>

#include "sync/safety_valve.hpp"

using emsync::sync::clearing_stop;
using emsync::sync::may_clear_too_many;
using emsync::sync::ValveFacts;
using emsync::sync::volume_stop;

namespace {

ValveFacts facts(std::int64_t known, std::int64_t rows, std::optional<std::int64_t> last = {}) {
  ValveFacts f;
  f.known_contacts = known;
  f.model_rows = rows;
  f.model_contacts = rows;
  f.last_success_rows = last;
  return f;
}

bool mentions(const std::optional<std::string>& reason, const std::string& text) {
  return reason && reason->find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("an empty model stops the run when many contacts are known", "[safety_valve]") {
  const auto reason = volume_stop(facts(1000, 0, 1000));
  CHECK(mentions(reason, "returned no contact"));
  CHECK(mentions(reason, "1000 contacts are known"));
  CHECK(mentions(reason, "--force"));
  ValveFacts only_bad_rows = facts(1000, 50);
  only_bad_rows.model_contacts = 0;
  CHECK(mentions(volume_stop(only_bad_rows), "(50 rows)"));
  // A new activation may start empty.
  CHECK_FALSE(volume_stop(facts(99, 0)));
  CHECK_FALSE(volume_stop(facts(0, 0)));
}

TEST_CASE("a model under half the last successful run stops the run", "[safety_valve]") {
  CHECK(mentions(volume_stop(facts(1000, 499, 1000)), "under half the 1000"));
  CHECK_FALSE(volume_stop(facts(1000, 500, 1000)));
  CHECK_FALSE(volume_stop(facts(1000, 10, std::nullopt)));  // no successful run yet
  CHECK_FALSE(volume_stop(facts(50, 10, 1000)));           // few known contacts
}

TEST_CASE("clearing a field on more than max_clear_percent of the known contacts stops the run",
          "[safety_valve]") {
  ValveFacts f = facts(1000, 1000, 1000);
  CHECK_FALSE(clearing_stop(f, 100));  // exactly 10%
  CHECK(mentions(clearing_stop(f, 101), "clear a field on 101 of 1000 known contacts"));
  f.max_clear_percent = 0;
  CHECK(clearing_stop(f, 1));
  CHECK_FALSE(clearing_stop(f, 0));
  f.max_clear_percent = 100;
  CHECK_FALSE(clearing_stop(f, 1000));
  // Few known contacts: the clearing rule still applies.
  CHECK(clearing_stop(facts(10, 10), 2));
}

TEST_CASE("the exact clearing count is needed only when the upper bound could exceed the limit",
          "[safety_valve]") {
  const ValveFacts f = facts(1000, 1000);
  CHECK_FALSE(may_clear_too_many(f, 0));
  CHECK_FALSE(may_clear_too_many(f, 100));
  CHECK(may_clear_too_many(f, 101));
}

TEST_CASE("a list run stops when it would remove over max_remove_percent of its managed members",
          "[safety_valve][list]") {
  using emsync::sync::removal_stop;
  CHECK_FALSE(removal_stop(1000, 100, 10));
  CHECK_FALSE(removal_stop(0, 0, 10));  // a first run removes nothing
  CHECK_FALSE(removal_stop(5, 0, 0));
  const auto stop = removal_stop(1000, 101, 10);
  REQUIRE(stop);
  CHECK(*stop ==
        "safety valve: the run would remove 101 of the 1000 list members emsync added (over "
        "max_remove_percent 10%); nothing was sent; if this is intended, run it with `emsyncctl "
        "run NAME --force`");
  CHECK(removal_stop(10, 2, 10));  // a small list is judged the same way
  CHECK_FALSE(removal_stop(10, 10, 100));
  CHECK(removal_stop(10, 1, 0));
}
