#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/hash.hpp"

using emsync::sort_hashes;

namespace {

// Sorted by sort_hashes and by std::sort: the same.
void check_sorts_as_std_sort(std::vector<std::uint64_t> values) {
  std::vector<std::uint64_t> expected = values;
  std::sort(expected.begin(), expected.end());
  sort_hashes(values);
  CHECK(values == expected);
}

}  // namespace

TEST_CASE("sort_hashes sorts small and empty inputs", "[core]") {
  check_sorts_as_std_sort({});
  check_sorts_as_std_sort({3, 1, 2});
  check_sorts_as_std_sort({5, 5, 0, UINT64_MAX, 5});
}

TEST_CASE("sort_hashes sorts hashes in buckets, repeats and extremes included", "[core]") {
  std::vector<std::uint64_t> values;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    values.push_back(emsync::hash64(std::to_string(i)));
  }
  values.push_back(0);
  values.push_back(UINT64_MAX);
  values.insert(values.end(), values.begin(), values.begin() + 1000);  // repeats
  check_sorts_as_std_sort(values);
}

TEST_CASE("sort_hashes sorts skewed values (one crowded bucket)", "[core]") {
  std::mt19937_64 random(7);
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 50000; ++i) {
    values.push_back(random() & 0xffff);  // all in the first bucket
  }
  for (int i = 0; i < 50000; ++i) {
    values.push_back(random());
  }
  check_sorts_as_std_sort(values);
  std::vector<std::uint64_t> descending(20000);
  for (std::size_t i = 0; i < descending.size(); ++i) {
    descending[i] = UINT64_MAX - i * 0x0000'1000'0000'0000ULL;
  }
  check_sorts_as_std_sort(descending);
}
