#include <catch2/catch.hpp>

#include "emarsys/oauth_token.hpp"

using namespace emsync::emarsys;
using namespace std::chrono_literals;
using emsync::Errc;
using Clock = TokenCache::Clock;

TEST_CASE("a token reply yields the token and its lifetime", "[emarsys][oauth]") {
  auto token = parse_token_reply("https://auth/token", 200,
                                 R"({"access_token":"eyJ","token_type":"Bearer","expires_in":3600})");
  REQUIRE(token);
  CHECK(token->value == "eyJ");
  CHECK(token->expires_in == 3600s);
  auto text_expiry = parse_token_reply("u", 200, R"({"access_token":"t","expires_in":"60"})");
  REQUIRE(text_expiry);
  CHECK(text_expiry->expires_in == 60s);
}

TEST_CASE("token refusals are auth failures that do not echo the body", "[emarsys][oauth]") {
  auto refused = parse_token_reply(
      "https://auth/token", 401,
      R"({"error":"invalid_client","error_description":"Client authentication failed"})");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::auth_failed);
  CHECK(refused.error().http_status == 401);
  CHECK(refused.error().message.find("https://auth/token") != std::string::npos);
  CHECK(parse_token_reply("u", 429, "").error().code == Errc::rate_limited);
  CHECK(parse_token_reply("u", 503, "").error().code == Errc::transient);
  CHECK(parse_token_reply("u", 200, R"({"token_type":"Bearer"})").error().code ==
        Errc::protocol_error);
  CHECK(parse_token_reply("u", 200, "<html>").error().code == Errc::protocol_error);
}

TEST_CASE("the token request uses HTTP Basic and the client-credentials grant",
          "[emarsys][oauth]") {
  CHECK(basic_authorization("id", "secret") == "Basic aWQ6c2VjcmV0");
  CHECK(token_request_body() == "grant_type=client_credentials");
}

TEST_CASE("a cached token is used until 60 s before it expires", "[emarsys][oauth]") {
  const Clock::time_point t0{};
  TokenCache cache;
  CHECK_FALSE(cache.get(t0));
  cache.store(AccessToken{"tok", 3600s}, t0);
  CHECK(cache.get(t0 + 3539s) == "tok");
  CHECK_FALSE(cache.get(t0 + 3540s));
  cache.store(AccessToken{"short", 30s}, t0);  // short-lived: renewed at half-life
  CHECK(cache.get(t0 + 14s) == "short");
  CHECK_FALSE(cache.get(t0 + 15s));
  cache.invalidate();
  CHECK_FALSE(cache.get(t0));
}

TEST_CASE("token fetches are limited to two a minute", "[emarsys][oauth]") {
  const Clock::time_point t0{};
  TokenCache cache;
  CHECK(cache.reserve_fetch(t0) == 0s);
  CHECK(cache.reserve_fetch(t0 + 10s) == 0s);
  CHECK(cache.reserve_fetch(t0 + 20s) == 40s);   // waits for the first to leave the window
  CHECK(cache.reserve_fetch(t0 + 20s) == 50s);   // and the fourth for the second
  CHECK(cache.reserve_fetch(t0 + 200s) == 0s);
}

TEST_CASE("expires_in saturates at a day; negative or out-of-range values are refused",
          "[emarsys][oauth]") {
  const auto reply = [](const std::string& expires) {
    return parse_token_reply("u", 200, R"({"access_token":"t","expires_in":)" + expires + "}");
  };
  for (const char* huge : {"86401", "9223372036854775807", "\"9223372036854775807\""}) {
    CAPTURE(huge);
    auto token = reply(huge);
    REQUIRE(token);
    CHECK(token->expires_in == k_max_token_lifetime);
    // And the cache's arithmetic stays in range.
    TokenCache cache;
    cache.store(token.value(), Clock::time_point{});
    CHECK(cache.get(Clock::time_point{} + 86000s));
    CHECK_FALSE(cache.get(Clock::time_point{} + 86400s));
  }
  for (const char* bad :
       {"-1", "\"-5\"", "18446744073709551615", "\"99999999999999999999\"", "1e300", "3600.5"}) {
    CAPTURE(bad);
    auto token = reply(bad);
    REQUIRE_FALSE(token);
    CHECK(token.error().code == Errc::protocol_error);
    CHECK_THAT(token.error().message, Catch::Contains("non-negative integer expires_in"));
  }
  CHECK(reply("0"));
}

TEST_CASE("a token reply nested deeper than 64 levels is refused, not parsed", "[emarsys][oauth]") {
  const auto nested = [](std::size_t depth) {
    return R"({"access_token":"t","expires_in":60,"x":)" + std::string(depth, '[') +
           std::string(depth, ']') + "}";
  };
  CHECK(parse_token_reply("u", 200, nested(63)));  // 64 with the object
  for (const std::size_t depth : {std::size_t{64}, std::size_t{100'000}}) {
    auto token = parse_token_reply("u", 200, nested(depth));
    REQUIRE_FALSE(token);
    CHECK(token.error().code == Errc::protocol_error);
    CHECK_THAT(token.error().message, Catch::Contains("JSON nested deeper than 64 levels"));
  }
}
