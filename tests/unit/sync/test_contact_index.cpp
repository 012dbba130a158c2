#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "sync/contact_index.hpp"

using emsync::store::ContactDigest;
using emsync::sync::ContactIndex;
using Verdict = ContactIndex::Verdict;

namespace {

std::vector<ContactDigest> sorted_digests(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<ContactDigest> digests(n);
  for (auto& digest : digests) {
    digest = {random(), random()};
  }
  std::sort(digests.begin(), digests.end(), [](const ContactDigest& a, const ContactDigest& b) {
    return a.email_hash < b.email_hash;
  });
  return digests;
}

}  // namespace

TEST_CASE("ContactIndex tells new, unchanged and changed contacts apart", "[sync]") {
  ContactIndex index({{10, 100}, {20, 200}, {30, 300}});
  CHECK(index.size() == 3);
  CHECK(index.see(20, 200) == Verdict::unchanged);
  CHECK(index.see(30, 301) == Verdict::changed);
  CHECK(index.see(15, 1) == Verdict::fresh);
  CHECK(index.stored(10));
  CHECK_FALSE(index.stored(15));
  // A value that could not be hashed is examined again: never "unchanged".
  ContactIndex other({{10, 100}});
  CHECK(other.see(10, std::nullopt) == Verdict::changed);
}

TEST_CASE("ContactIndex reports repeated emails, taking back an unchanged verdict once", "[sync]") {
  ContactIndex index({{10, 100}, {20, 200}});
  CHECK(index.see(10, 100) == Verdict::unchanged);
  CHECK(index.see(10, 100) == Verdict::repeat_of_unchanged);
  CHECK(index.see(10, 999) == Verdict::repeat);
  CHECK(index.see(20, 201) == Verdict::changed);
  CHECK(index.see(20, 200) == Verdict::repeat);
}

TEST_CASE("ContactIndex lists the stored contacts the model did not have", "[sync]") {
  ContactIndex index({{10, 100}, {20, 200}, {30, 300}, {40, 400}});
  index.see(20, 200);
  index.see(40, 1);
  CHECK(index.departed() == std::vector<std::uint64_t>{10, 30});
  CHECK(ContactIndex().departed().empty());
  CHECK(ContactIndex().see(1, 1) == Verdict::fresh);
}

TEST_CASE("ContactIndex finds every one of 200,000 stored contacts, including the extremes",
          "[sync]") {
  auto digests = sorted_digests(200000, 42);
  digests.front().email_hash = 0;
  digests.back().email_hash = UINT64_MAX;
  const auto copy = digests;
  ContactIndex index(std::move(digests));
  for (const auto& digest : copy) {
    REQUIRE(index.see(digest.email_hash, digest.contact_hash) == Verdict::unchanged);
  }
  CHECK(index.departed().empty());
  // Hashes between stored ones are not found.
  for (std::size_t i = 1; i < 1000; ++i) {
    const std::uint64_t between = copy[i].email_hash - 1;
    if (between != copy[i - 1].email_hash) {
      REQUIRE_FALSE(index.stored(between));
    }
  }
}

TEST_CASE("ContactIndex finds hashes crowded into one bucket of its directory", "[sync]") {
  // Skewed: every hash in the lowest 1/1000 of the range, then a few at the top.
  std::vector<ContactDigest> digests;
  for (std::uint64_t i = 0; i < 50000; ++i) {
    digests.push_back({i * 1000, i});
  }
  for (std::uint64_t i = 0; i < 10; ++i) {
    digests.push_back({UINT64_MAX - 10 + i, i});
  }
  const auto copy = digests;
  ContactIndex index(std::move(digests));
  for (const auto& digest : copy) {
    REQUIRE(index.stored(digest.email_hash));
  }
  CHECK_FALSE(index.stored(1));
  CHECK_FALSE(index.stored(UINT64_MAX / 2));
}

TEST_CASE("ContactIndex finds every stored contact at each directory size", "[sync]") {
  for (std::size_t n = 1; n <= 40; ++n) {
    const auto copy = sorted_digests(n, n);
    ContactIndex index(copy);
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(n, i);
      REQUIRE(index.stored(copy[i].email_hash));
      const std::uint64_t after = copy[i].email_hash + 1;
      if (i + 1 == n || after != copy[i + 1].email_hash) {
        REQUIRE_FALSE(index.stored(after));
      }
    }
  }
}
