// WSSE digests and headers, ISO 8601 timestamps, and the OAuth token flow.
#include <catch2/catch.hpp>

#include "sim_fixture.hpp"

using namespace emsync;
using namespace emsync::sim;
using namespace emsync::sim::test;

TEST_CASE("the WSSE digest matches the documented test vectors", "[sim]") {
  CHECK(wsse_digest("d36e316282959a9ed4c89851497a717f", "2014-03-20T12:51:45Z", "customersecret") ==
        "YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==");
  CHECK(wsse_digest("5398e214ae99c2e50afb709a3bc423f9", "2019-10-14T00:00:00.000Z", "secret") ==
        "ZmNjN2I3MmJlZDY4ZTBkNTgyZWJlZjNhODhiZmZiMGIwNjMwYmY0MQ==");
}

TEST_CASE("WSSE header keys may come in any order and case", "[sim]") {
  const auto token = parse_wsse_header(
      "UsernameToken PasswordDigest=\"d==\", Created=\"2024-01-01T00:00:00Z\", nonce=\"n1\", "
      "Username=\"acme001\"");
  REQUIRE(token);
  CHECK(token->username == "acme001");
  CHECK(token->password_digest == "d==");
  CHECK(token->nonce == "n1");
  CHECK(token->created == "2024-01-01T00:00:00Z");
  CHECK_FALSE(parse_wsse_header("UsernameToken Username=\"acme001\""));
  CHECK_FALSE(parse_wsse_header("Basic abc"));
}

TEST_CASE("ISO 8601 zone spellings name the same instant", "[sim]") {
  const auto z = parse_iso8601("2014-01-01T01:01:01Z");
  REQUIRE(z);
  CHECK(parse_iso8601("2014-01-01T01:01:01+00:00") == z);
  CHECK(parse_iso8601("2014-01-01T01:01:01+0000") == z);
  CHECK(parse_iso8601("2014-01-01T02:01:01+01:00") == z);
  CHECK(parse_iso8601("2014-01-01T01:01:01.250Z") == *z + std::chrono::milliseconds(250));
  CHECK_FALSE(parse_iso8601("2014-01-01T01:01:01"));
  CHECK_FALSE(parse_iso8601("2014-02-30T01:01:01Z"));
}

TEST_CASE("a WSSE call is accepted within five minutes of Created and refused after", "[sim]") {
  SimFixture fx;
  const auto call = [&](Clock::time_point created, const std::string& secret) {
    return fx
        .raw("GET", "/api/v2/field", "",
             {{"x-wsse", wsse_header("acme001", secret, iso(created), random_hex(16))}})
        .status;
  };
  CHECK(call(fx.now, "s3cret") == 200);
  CHECK(call(fx.now - std::chrono::minutes(4), "s3cret") == 200);
  CHECK(call(fx.now + std::chrono::minutes(6), "s3cret") == 401);
  CHECK(call(fx.now, "wrong") == 401);
  const Response missing = fx.raw("GET", "/api/v2/field", "", {});
  CHECK(missing.status == 401);
  CHECK(Json::parse(missing.body) ==
        Json::parse(R"({"replyCode":1,"replyText":"Unauthorized","data":""})"));
}

TEST_CASE("a reused nonce is refused only with reject_nonce_replay", "[sim]") {
  Config config = SimFixture::default_config();
  config.reject_nonce_replay = true;
  SimFixture fx(config);
  const std::map<std::string, std::string> headers = {
      {"x-wsse", wsse_header("acme001", "s3cret", iso(fx.now), "same-nonce")}};
  CHECK(fx.raw("GET", "/api/v2/field", "", headers).status == 200);
  CHECK(fx.raw("GET", "/api/v2/field", "", headers).status == 401);
}

TEST_CASE("an OAuth token works on /api/v3 until it expires", "[sim]") {
  SimFixture fx;
  const auto token_request = [&](const std::string& secret) {
    return fx.raw("POST", "/oauth2/token", "grant_type=client_credentials",
                  {{"authorization", "Basic " + base64_encode("client:" + secret)}});
  };
  const Response refused = token_request("nope");
  CHECK(refused.status == 401);
  CHECK(Json::parse(refused.body)["error"] == "invalid_client");

  const Response issued = token_request("csecret");
  REQUIRE(issued.status == 200);
  const Json token = Json::parse(issued.body);
  CHECK(token["token_type"] == "Bearer");
  CHECK(token["expires_in"] == 3600);
  const std::map<std::string, std::string> bearer = {
      {"authorization", "Bearer " + token["access_token"].get<std::string>()}};
  CHECK(fx.raw("GET", "/api/v3/field", "", bearer).status == 200);
  CHECK(fx.raw("GET", "/api/v2/field", "", bearer).status == 401);
  fx.now += std::chrono::seconds(3600);
  CHECK(fx.raw("GET", "/api/v3/field", "", bearer).status == 401);
  CHECK(fx.control("GET", "/sim/state")["token_requests"] == Json{{"client", 2}});
}
