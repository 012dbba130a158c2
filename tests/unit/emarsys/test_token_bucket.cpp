#include <catch2/catch.hpp>

#include "emarsys/token_bucket.hpp"

using namespace emsync::emarsys;
using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

TEST_CASE("token bucket lets a burst through, then spaces requests by 1/rate",
          "[emarsys][token_bucket]") {
  const Clock::time_point t0{};
  TokenBucket bucket(60, 2, t0);  // one a second
  CHECK(bucket.reserve(t0) == 0s);
  CHECK(bucket.reserve(t0) == 0s);
  CHECK(bucket.reserve(t0) == 1s);
  CHECK(bucket.reserve(t0) == 2s);  // queued behind the previous reservation
  CHECK(bucket.reserve(t0 + 5s) == 0s);  // refilled (to the burst) meanwhile
}

TEST_CASE("token bucket refills no further than the burst", "[emarsys][token_bucket]") {
  const Clock::time_point t0{};
  TokenBucket bucket(600, 3, t0);  // ten a second
  for (int i = 0; i < 3; ++i) {
    CHECK(bucket.reserve(t0) == 0s);
  }
  CHECK(bucket.reserve(t0 + 1h) == 0s);
  CHECK(bucket.tokens() == Approx(2.0));
}

TEST_CASE("token bucket holds until the reset when nothing remains", "[emarsys][token_bucket]") {
  const Clock::time_point t0{};
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'579'106'500)};
  TokenBucket bucket(1000, 10, t0);
  bucket.observe(0, 1'579'106'530, t0, s0);  // reset 30 s from now
  CHECK(bucket.reserve(t0) == 30s);
  CHECK(bucket.reserve(t0 + 30s) == 0s);
}

TEST_CASE("token bucket caps a far-away reset at one minute", "[emarsys][token_bucket]") {
  const Clock::time_point t0{};
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'000'000)};
  TokenBucket bucket(1000, 10, t0);
  bucket.observe(0, 1'000'000 + 3600, t0, s0);
  CHECK(bucket.hold_end() == t0 + 60s);
  bucket.observe(0, 1'000'000 - 10, t0, s0);  // reset already past: no extra hold
  CHECK(bucket.hold_end() == t0 + 60s);
}

TEST_CASE("token bucket never has more tokens than the server says remain",
          "[emarsys][token_bucket]") {
  const Clock::time_point t0{};
  const std::chrono::system_clock::time_point s0{};
  TokenBucket bucket(60, 10, t0);
  bucket.observe(1, 123, t0, s0);
  CHECK(bucket.reserve(t0) == 0s);
  CHECK(bucket.reserve(t0) == 1s);
  bucket.observe(std::nullopt, std::nullopt, t0, s0);  // no headers: unchanged
  CHECK(bucket.reserve(t0) == 2s);
}
