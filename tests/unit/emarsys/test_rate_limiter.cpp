// SharedRateLimiter and RateLimiters: one limiter per API user, at the lowest
// rate of the Clients that joined it, with an injected clock.
#include <catch2/catch.hpp>

#include "core/clock.hpp"
#include "emarsys/rate_limiter.hpp"

using namespace emsync::emarsys;
using namespace std::chrono_literals;
using Clock = SharedRateLimiter::Clock;

namespace {

const Clock::time_point t0{};

}  // namespace

TEST_CASE("the API user key is host and port of api_url plus the user",
          "[emarsys][rate_limiter]") {
  CHECK(api_user_key("https://API.emarsys.net/api/v2", "acme001") == "api.emarsys.net:443 acme001");
  CHECK(api_user_key("https://api.emarsys.net/api/v3", "acme001") ==
        api_user_key("https://api.emarsys.net:443/api/v2/", "acme001"));
  CHECK(api_user_key("http://127.0.0.1:8080/api/v2", "u") == "127.0.0.1:8080 u");
  CHECK(api_user_key("not a url", "u") == "not a url u");
}

TEST_CASE("a shared limiter runs at the lowest rate joined, the default with none",
          "[emarsys][rate_limiter]") {
  SharedRateLimiter limiter("k", t0);
  CHECK(limiter.rate_per_minute() == 1000);
  limiter.join(600, t0);
  limiter.join(60, t0);
  limiter.join(600, t0);
  CHECK(limiter.rate_per_minute() == 60);
  // Burst 1 at 60/min: the second request a second later.
  CHECK(limiter.bucket().reserve(t0).at == t0);
  CHECK(limiter.bucket().reserve(t0).at == t0 + 1s);
  limiter.leave(60, t0);
  CHECK(limiter.rate_per_minute() == 600);
  limiter.leave(600, t0);
  CHECK(limiter.rate_per_minute() == 600);
  limiter.leave(600, t0);
  limiter.leave(600, t0);  // not joined: ignored
  CHECK(limiter.rate_per_minute() == 1000);
}

TEST_CASE("requests of two Clients sharing a limiter are paced as one stream",
          "[emarsys][rate_limiter]") {
  SharedRateLimiter limiter("k", t0);
  limiter.join(120, t0);  // two a second, burst 2
  limiter.join(120, t0);
  std::vector<Clock::time_point> slots;
  for (int i = 0; i < 6; ++i) {
    slots.push_back(limiter.bucket().reserve(t0).at);  // alternate Clients, one bucket
  }
  CHECK(slots.back() == t0 + 2s);
}

TEST_CASE("a hold seen through one Client holds every Client of the user",
          "[emarsys][rate_limiter]") {
  const std::chrono::system_clock::time_point s0{std::chrono::seconds(2'000'000'000)};
  SharedRateLimiter limiter("k", t0);
  limiter.join(6000, t0);
  const auto waiting = limiter.bucket().reserve(t0);      // another Client's reservation
  limiter.bucket().observe(0, 2'000'000'004, 0, t0, s0);  // this Client's reply
  CHECK(limiter.bucket().voided(waiting));
  CHECK(limiter.bucket().reserve(t0 + 1s).at == t0 + 4s);
}

TEST_CASE("RateLimiters gives one limiter per API user", "[emarsys][rate_limiter]") {
  RateLimiters limiters;
  const auto a = limiters.of("https://api.emarsys.net/api/v2", "acme001");
  CHECK(limiters.of("https://API.EMARSYS.NET/api/v2/", "acme001") == a);
  CHECK(limiters.of("https://api.emarsys.net/api/v2", "acme002") != a);
  CHECK(limiters.of("https://other.example/api/v2", "acme001") != a);
  CHECK(limiters.of("http://127.0.0.1:1/api/v2", "acme001") !=
        limiters.of("http://127.0.0.1:2/api/v2", "acme001"));
}

TEST_CASE("RateLimiters adopts a kept limiter unless its user has one",
          "[emarsys][rate_limiter]") {
  const auto kept = std::make_shared<SharedRateLimiter>(
      api_user_key("https://api.emarsys.net/api/v2", "acme001"), t0);
  RateLimiters limiters;
  limiters.adopt(kept);
  limiters.adopt(nullptr);
  limiters.adopt(std::make_shared<SharedRateLimiter>(kept->key(), t0));  // second: ignored
  CHECK(limiters.of("https://api.emarsys.net/api/v2", "acme001") == kept);
}

TEST_CASE("RateLimiters makes each limiter at its clock's time", "[emarsys][rate_limiter]") {
  emsync::ManualClock clock;
  RateLimiters limiters(clock);
  const auto limiter = limiters.of("https://api.emarsys.net/api/v2", "acme001");
  CHECK(limiter->bucket().hold_end() == clock.steady());  // made now: no hold
  limiter->join(60, clock.steady());                      // burst 1
  CHECK(limiter->bucket().reserve(clock.steady()).at == clock.steady());
  // The bucket is empty until the manual clock moves.
  CHECK(limiter->bucket().reserve(clock.steady()).at == clock.steady() + 1s);
  clock.advance(2s);
  CHECK(limiter->bucket().reserve(clock.steady()).at == clock.steady());
}
