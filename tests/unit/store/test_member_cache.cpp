// MemberCache (store/member_cache.hpp): what it keeps, how changes apply,
// and its memory budget.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "store/member_cache.hpp"

using emsync::store::MemberCache;
using Hashes = std::vector<std::uint64_t>;

TEST_CASE("MemberCache keeps hashes and applies committed changes in order", "[store][list]") {
  MemberCache cache(1000);
  CHECK(cache.find(7) == nullptr);
  cache.change(7, {1}, {});  // not kept: nothing to change
  CHECK(cache.find(7) == nullptr);
  cache.keep(7, {10, 20, 30});
  REQUIRE(cache.find(7) != nullptr);
  // Added in any order, repeats and members already there; removed ones
  // that are no members ignored.
  cache.change(7, {25, 5, 20, 25}, {10, 99});
  CHECK(*cache.find(7) == Hashes{5, 20, 25, 30});
  cache.change(7, {}, {5, 30});
  CHECK(*cache.find(7) == Hashes{20, 25});
  CHECK(cache.hashes() == 2);
  cache.keep(7, {});  // replaces
  CHECK(cache.find(7)->empty());
  cache.change(7, {3, 1, 2}, {});
  CHECK(*cache.find(7) == Hashes{1, 2, 3});
  cache.forget(7);
  CHECK(cache.find(7) == nullptr);
  CHECK(cache.hashes() == 0);
}

TEST_CASE("MemberCache stays within its budget, the least recently used going first",
          "[store][list]") {
  MemberCache cache(10);
  cache.keep(1, {1, 2, 3, 4});
  cache.keep(2, {1, 2, 3, 4});
  REQUIRE(cache.find(1) != nullptr);  // 1 is now the most recently used
  cache.keep(3, {1, 2, 3});           // 11 > 10: 2 goes
  CHECK(cache.find(2) == nullptr);
  CHECK(cache.find(1) != nullptr);
  CHECK(cache.find(3) != nullptr);
  CHECK(cache.hashes() == 7);
  // A change that grows one past the rest evicts them; past the whole
  // budget, it is not kept either.
  cache.change(3, {4, 5, 6, 7, 8}, {});
  CHECK(cache.find(1) == nullptr);
  CHECK(cache.find(3)->size() == 8);
  cache.change(3, {9, 10, 11}, {});
  CHECK(cache.find(3) == nullptr);
  CHECK(cache.hashes() == 0);
  cache.keep(4, Hashes(11, 0));  // alone larger than the budget
  CHECK(cache.find(4) == nullptr);
  cache.keep(5, {1});
  cache.forget_all();
  CHECK(cache.find(5) == nullptr);
  CHECK(cache.hashes() == 0);
}
