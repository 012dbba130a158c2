// Fixed-window rate limiting per API user and its response headers.
#include <catch2/catch.hpp>

#include "sim/rate_limiter.hpp"
#include "sim_fixture.hpp"

using namespace emsync::sim;
using namespace emsync::sim::test;

TEST_CASE("the window opens at the first request and resets after its length", "[sim]") {
  RateLimiter limiter(2, std::chrono::milliseconds(1500));
  const Clock::time_point t0(std::chrono::milliseconds(1000000000200));
  const RateDecision first = limiter.admit("u", t0);
  CHECK(first.allowed);
  CHECK(first.remaining == 1);
  CHECK(first.reset_epoch_seconds == 1000000002);  // 1000000001.7 rounded up
  CHECK(limiter.admit("u", t0 + std::chrono::milliseconds(100)).allowed);
  const RateDecision third = limiter.admit("u", t0 + std::chrono::milliseconds(200));
  CHECK_FALSE(third.allowed);
  CHECK(third.remaining == 0);
  CHECK(limiter.admit("other", t0).allowed);
  CHECK(limiter.admit("u", t0 + std::chrono::milliseconds(1500)).allowed);
}

TEST_CASE("past the limit an API user gets 429 replyCode 7003 with rate headers", "[sim]") {
  Config config = SimFixture::default_config();
  config.rate_limit = 3;
  config.rate_window = std::chrono::milliseconds(2000);
  SimFixture fx(config);
  for (int i = 0; i < 3; ++i) {
    const Response ok = fx.api("GET", "/field");
    CHECK(ok.status == 200);
    CHECK(header(ok, "X-Ratelimit-Remaining") == std::to_string(2 - i));
  }
  const Response limited = fx.api("GET", "/field");
  CHECK(limited.status == 429);
  CHECK(Json::parse(limited.body)["replyCode"] == 7003);
  CHECK(header(limited, "X-Ratelimit-Limit") == "3");
  CHECK(header(limited, "X-Ratelimit-Reset") == "1800000002");
  CHECK(fx.control("GET", "/sim/state")["rate_limited"] == 1);
  fx.now += std::chrono::seconds(2);
  CHECK(fx.api("GET", "/field").status == 200);
}
