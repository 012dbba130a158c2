// TokenBucket with an injected clock: pacing, burst, X-Ratelimit-* holds and
// how a hold voids the reservations made before it.
#include <catch2/catch.hpp>
#include <limits>

#include "emarsys/token_bucket.hpp"

using namespace emsync::emarsys;
using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

namespace {

const Clock::time_point t0{};

// Clock::time_point of the reservation, as an offset from t0.
Clock::duration at(TokenBucket& bucket, Clock::time_point now) {
  return bucket.reserve(now).at - t0;
}

}  // namespace

TEST_CASE("token bucket lets a burst through, then spaces requests by 1/rate",
          "[emarsys][token_bucket]") {
  TokenBucket bucket(60, 2, t0);  // one a second
  CHECK(at(bucket, t0) == 0s);
  CHECK(at(bucket, t0) == 0s);
  CHECK(at(bucket, t0) == 1s);
  CHECK(at(bucket, t0) == 2s);  // queued behind the previous reservation
  CHECK(at(bucket, t0 + 5s) == 5s);  // refilled (to the burst) meanwhile
}

TEST_CASE("token bucket refills no further than the burst", "[emarsys][token_bucket]") {
  TokenBucket bucket(600, 3, t0);  // ten a second
  for (int i = 0; i < 3; ++i) {
    CHECK(at(bucket, t0) == 0s);
  }
  CHECK(at(bucket, t0 + 1h) == 1h);
  CHECK(bucket.tokens() == Approx(2.0));
}

TEST_CASE("token bucket holds until the reset when nothing remains", "[emarsys][token_bucket]") {
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'579'106'500)};
  TokenBucket bucket(1000, 10, t0);
  bucket.observe(0, 1'579'106'530, 0, t0, s0);  // reset 30 s from now
  CHECK(at(bucket, t0) == 30s);
  CHECK(at(bucket, t0 + 30s) == 30s + 60ms);  // one token at the reset, then the rate
}

TEST_CASE("token bucket caps a far-away reset at one minute", "[emarsys][token_bucket]") {
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'000'000)};
  TokenBucket bucket(1000, 10, t0);
  bucket.observe(0, 1'000'000 + 3600, 0, t0, s0);
  CHECK(bucket.hold_end() == t0 + 60s);
  bucket.observe(0, 1'000'000 - 10, 0, t0, s0);  // reset already past: no extra hold
  CHECK(bucket.hold_end() == t0 + 60s);
}

TEST_CASE("token bucket never has more tokens than the server says remain",
          "[emarsys][token_bucket]") {
  const std::chrono::system_clock::time_point s0{};
  TokenBucket bucket(60, 10, t0);
  bucket.observe(1, 123, 0, t0, s0);
  CHECK(at(bucket, t0) == 0s);
  CHECK(at(bucket, t0) == 1s);
  bucket.observe(std::nullopt, std::nullopt, 0, t0, s0);  // no headers: unchanged
  CHECK(at(bucket, t0) == 2s);
}

TEST_CASE("a hold voids earlier reservations; reserved again they start at its end",
          "[emarsys][token_bucket]") {
  TokenBucket bucket(600, 2, t0);  // ten a second
  const auto a = bucket.reserve(t0);
  const auto b = bucket.reserve(t0);
  const auto c = bucket.reserve(t0);
  CHECK(c.at == t0 + 100ms);
  bucket.hold_until(t0 + 5s, t0 + 50ms);
  CHECK(bucket.voided(a));
  CHECK(bucket.voided(c));
  // The waiters reserve again when they wake: from the hold's end, one at
  // once, then at the rate (no burst into the new window).
  const auto again = bucket.reserve(t0 + 100ms);
  CHECK_FALSE(bucket.voided(again));
  CHECK(again.at == t0 + 5s);
  CHECK(bucket.reserve(t0 + 100ms).at == t0 + 5s + 100ms);
  CHECK(bucket.reserve(t0 + 5s + 100ms).at == t0 + 5s + 200ms);
  CHECK_FALSE(bucket.voided(bucket.reserve(t0 + 6s)));
  (void)b;
}

TEST_CASE("only a hold that ends later voids reservations", "[emarsys][token_bucket]") {
  TokenBucket bucket(600, 2, t0);
  bucket.hold_until(t0 + 5s, t0);
  const auto slot = bucket.reserve(t0);
  bucket.hold_until(t0 + 4s, t0);  // inside the current hold
  bucket.hold_until(t0, t0);       // already over
  CHECK_FALSE(bucket.voided(slot));
  CHECK(bucket.hold_end() == t0 + 5s);
  bucket.hold_until(t0 + 6s, t0 + 1s);  // extended
  CHECK(bucket.voided(slot));
  CHECK(bucket.reserve(t0 + 1s).at == t0 + 6s);
}

TEST_CASE("during a hold, a stale Remaining changes nothing; a later reset extends it",
          "[emarsys][token_bucket]") {
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'000'000)};
  TokenBucket bucket(600, 5, t0);
  bucket.observe(0, 1'000'002, 0, t0, s0);  // hold 2 s
  bucket.observe(3, 1'000'002, 0, t0 + 10ms, s0 + 10ms);  // answered before the hold
  bucket.observe(0, 1'000'002, 0, t0 + 20ms, s0 + 20ms);  // same reset: same hold
  CHECK(bucket.hold_end() == t0 + 2s);
  CHECK(bucket.reserve(t0 + 30ms).at == t0 + 2s);
  bucket.observe(0, 1'000'003, 0, t0 + 40ms, s0 + 40ms);
  CHECK(bucket.hold_end() == t0 + 3s);
}

TEST_CASE("set_rate keeps the accrued tokens up to the new burst", "[emarsys][token_bucket]") {
  TokenBucket bucket(600, 10, t0);
  bucket.set_rate(60, 1, t0);  // one a second, burst 1
  CHECK(bucket.tokens() == Approx(1.0));
  CHECK(at(bucket, t0) == 0s);
  CHECK(at(bucket, t0) == 1s);
}

TEST_CASE("requests still on the wire count against what remains", "[emarsys][token_bucket]") {
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'000'000)};
  TokenBucket bucket(6000, 10, t0);  // 100 a second
  bucket.observe(5, 1'000'002, 2, t0, s0);  // 5 remain, 2 of them taken by requests on the wire
  CHECK(bucket.tokens() == Approx(3.0));
  CHECK(bucket.hold_end() <= t0);
  bucket.observe(3, 1'000'002, 3, t0, s0);  // the rest is on the wire: wait for the reset
  CHECK(bucket.hold_end() == t0 + 2s);
}

TEST_CASE("X-Ratelimit-* values saturate to the int64 range; anything else is ignored",
          "[emarsys][token_bucket]") {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  CHECK(parse_ratelimit_header("0") == 0);
  CHECK(parse_ratelimit_header("1579106530") == 1'579'106'530);
  CHECK(parse_ratelimit_header("-3") == -3);
  CHECK(parse_ratelimit_header("9223372036854775807") == max);
  CHECK(parse_ratelimit_header("9223372036854775808") == max);
  CHECK(parse_ratelimit_header("999999999999999999999999999999") == max);
  CHECK(parse_ratelimit_header("-999999999999999999999999999999") == min);
  for (const char* bad : {"", "-", "+5", "5 ", "1e3", "12abc", "0x10"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_ratelimit_header(bad));
  }
}

TEST_CASE("absurd X-Ratelimit-* values neither overflow nor hold longer than a minute",
          "[emarsys][token_bucket]") {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(1'000'000)};
  TokenBucket bucket(1000, 10, t0);
  bucket.observe(min, max, 3, t0, s0);  // nothing remaining, reset at the end of time
  CHECK(bucket.hold_end() == t0 + 60s);
  TokenBucket past(1000, 10, t0);
  past.observe(0, min, 0, t0, s0);  // a reset long past: no hold
  CHECK(past.hold_end() == t0);
  TokenBucket plenty(1000, 10, t0);
  plenty.observe(max, max, 5, t0, s0);  // more than enough remaining: no hold, tokens kept
  CHECK(plenty.hold_end() == t0);
  CHECK(plenty.tokens() == 10.0);
}
