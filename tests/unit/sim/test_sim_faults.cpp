// Fault injection decided in-process: config parsing and validation, the
// draw, the replies of refused requests, poison, contact errors, counters.
// The socket side (resets, slow replies) is in test_sim_fault_server.cpp.
#include <catch2/catch.hpp>

#include "sim/faults.hpp"
#include "sim_fixture.hpp"

using namespace emsync::sim;
using namespace emsync::sim::test;

namespace {

// What a client would see: the status, or how the reply was delivered.
std::string outcome(const Response& response) {
  switch (response.delivery) {
    case Delivery::reset:
      return response.status == 0 ? "reset_before" : "reset_after";
    case Delivery::delayed:
      return "slow";
    default:
      return std::to_string(response.status);
  }
}

// Configures faults; REQUIREs that the simulator took them.
void set_faults(SimFixture& fx, const std::string& config) {
  REQUIRE(fx.raw("POST", "/sim/faults", config, {}).status == 200);
}

std::vector<std::string> outcomes(SimFixture& fx, int requests) {
  std::vector<std::string> out;
  for (int i = 0; i < requests; ++i) {
    out.push_back(outcome(fx.api("GET", "/field")));
  }
  return out;
}

const char* const k_mixed = R"({"rate_reset_before":0.1,"rate_429":0.1,"rate_500":0.1,
    "rate_502":0.1,"rate_503":0.1,"rate_504":0.1,"rate_423":0.1,"rate_reset_after":0.1,
    "rate_slow":0.1,"slow_ms":250})";

}  // namespace

TEST_CASE("the draw lays the rates end to end in draw order", "[sim][faults]") {
  const FaultConfig config = parse_fault_config(
      Json::parse(R"({"rate_reset_before":0.1,"rate_429":0.1,"rate_slow":0.2})"));
  CHECK(pick_fault(config, 0.05) == FaultKind::reset_before);
  CHECK(pick_fault(config, 0.15) == FaultKind::status_429);
  CHECK(pick_fault(config, 0.25) == FaultKind::slow);
  CHECK(pick_fault(config, 0.39) == FaultKind::slow);
  CHECK(pick_fault(config, 0.4) == FaultKind::none);
  CHECK(pick_fault(FaultConfig{}, 0.0) == FaultKind::none);
}

TEST_CASE("fault configuration errors name the option and the problem", "[sim][faults]") {
  const auto error_of = [](const char* text) {
    try {
      parse_fault_config(Json::parse(text));
    } catch (const FaultConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(error_of(R"({"rate_503":1.5})"),
             Catch::Contains("rate_503 must be a number in [0, 1]"));
  CHECK_THAT(error_of(R"({"rate_503":"0.1"})"), Catch::Contains("rate_503 must be a number"));
  CHECK_THAT(error_of(R"({"rate_503":0.6,"rate_500":0.5})"), Catch::Contains("sum to 1.1"));
  CHECK_THAT(error_of(R"({"rate_5003":0.1})"),
             Catch::Contains("unknown fault option \"rate_5003\""));
  CHECK_THAT(error_of(R"({"slow_ms":-1})"), Catch::Contains("slow_ms must be an integer"));
  CHECK_THAT(error_of(R"({"poison":"a@x.com"})"), Catch::Contains("poison must be an array"));
  CHECK_THAT(error_of(R"({"endpoints":["contact"]})"), Catch::Contains("starting with '/'"));
  CHECK_THAT(error_of(R"({"contact_errors":{"a@x.com":{"code":"abc"}}})"),
             Catch::Contains("\"a@x.com\" needs a numeric \"code\""));
  CHECK_THAT(error_of(R"({"token_endpoint":1})"), Catch::Contains("token_endpoint must be true"));
  CHECK_THAT(error_of(R"({"seed":-1})"), Catch::Contains("seed must be a non-negative integer"));
  CHECK_THAT(error_of(R"({"hostile_reply":"deep"})"),
             Catch::Contains("hostile_reply must be \"deep_ids\""));
  CHECK_THAT(error_of("[]"), Catch::Contains("must be a JSON object"));
  CHECK(error_of(R"({"rate_500":0.1,"rate_503":0.2,"rate_slow":0.7})") == "accepted");
}

TEST_CASE("POST /sim/faults answers 400 on a bad config and keeps the old one", "[sim][faults]") {
  SimFixture fx;
  set_faults(fx, R"({"rate_503":0.25})");
  const Response bad = fx.raw("POST", "/sim/faults", R"({"rate_503":2})", {});
  CHECK(bad.status == 400);
  CHECK_THAT(Json::parse(bad.body)["error"].get<std::string>(), Catch::Contains("rate_503"));
  CHECK(fx.raw("POST", "/sim/faults", "not json", {}).status == 400);
  CHECK(fx.control("GET", "/sim/faults")["config"]["rate_503"] == 0.25);
}

TEST_CASE("--faults and --seed configure the injector at start", "[sim][faults]") {
  const Config config =
      parse_args({"--faults", R"({"rate_503":0.5,"poison":["A@x.com"]})", "--seed", "42"});
  CHECK(config.faults.rate(FaultKind::status_503) == 0.5);
  CHECK(config.faults.poison == std::set<std::string>{"a@x.com"});
  CHECK(config.fault_seed == 42);
  CHECK_THROWS_WITH(parse_args({"--faults", "{"}), Catch::Contains("--faults: not valid JSON"));
  CHECK_THROWS_WITH(parse_args({"--faults", R"({"rate_429":-1})"}),
                    Catch::Contains("--faults: rate_429"));
  CHECK_THROWS_AS(parse_args({"--seed", "x"}), UsageError);
}

TEST_CASE("refused requests get their status and body and are not applied", "[sim][faults]") {
  SimFixture fx;
  const std::string batch = R"({"contacts":[{"3":"a@x.com"}]})";
  set_faults(fx, R"({"rate_429":1})");
  const Response limited = fx.api("PUT", "/contact?create_if_not_exists=1", batch);
  CHECK(limited.status == 429);
  CHECK(Json::parse(limited.body) == Json::parse(R"({"replyCode":7003,"replyText":
      "Too many requests for this account and resource within the last minute.","data":""})"));
  CHECK(header(limited, "X-Ratelimit-Limit") == "1000");
  CHECK(header(limited, "X-Ratelimit-Remaining") == "0");
  CHECK(header(limited, "X-Ratelimit-Reset") == "1800000060");
  CHECK(header(limited, "Retry-After") == "60");

  set_faults(fx, R"({"rate_500":1})");
  CHECK(fx.api_json("PUT", "/contact", batch)["replyCode"] == 2011);
  CHECK(fx.api_json("GET", "/field") ==
        Json::parse(R"({"replyCode":1003,"replyText":"Internal error","data":""})"));
  for (const int status : {502, 503, 504}) {
    set_faults(fx, R"({"rate_)" + std::to_string(status) + R"(":1})");
    const Response reply = fx.api("POST", "/contact", batch);
    CHECK(reply.status == status);
    CHECK(Json::parse(reply.body)["message"].is_string());
  }
  set_faults(fx, R"({"rate_423":1})");
  const Response locked = fx.api("PUT", "/contact", batch);
  CHECK(locked.status == 423);
  CHECK(Json::parse(locked.body)["replyCode"] == 6028);
  set_faults(fx, R"({"rate_reset_before":1})");
  CHECK(fx.api("PUT", "/contact?create_if_not_exists=1", batch).delivery == Delivery::reset);

  const Json state = fx.control("GET", "/sim/state");
  CHECK(state["contacts"].empty());
  CHECK(state["rate_limited"] == 0);  // injected 429s are counted in /sim/faults only
  CHECK(state["requests"][0]["fault"] == "429");
  CHECK(state["requests"].back()["fault"] == "reset_before");
  CHECK(state["requests"].back()["status"].is_null());
}

TEST_CASE("reset_after and slow apply the request, then drop or delay the reply", "[sim][faults]") {
  SimFixture fx;
  set_faults(fx, R"({"rate_reset_after":1})");
  const Response dropped =
      fx.api("PUT", "/contact?create_if_not_exists=1", R"({"contacts":[{"3":"a@x.com"}]})");
  CHECK(dropped.delivery == Delivery::reset);
  CHECK(dropped.status == 200);
  set_faults(fx, R"({"rate_slow":1,"slow_ms":1500})");
  const Response slow =
      fx.api("PUT", "/contact?create_if_not_exists=1", R"({"contacts":[{"3":"b@x.com"}]})");
  CHECK(slow.delivery == Delivery::delayed);
  CHECK(slow.delay == std::chrono::milliseconds(1500));
  const Json state = fx.control("GET", "/sim/state");
  CHECK(state["contacts"].size() == 2);
  CHECK(state["requests"][0]["fault"] == "reset_after");
  CHECK(state["requests"][0]["status"] == 200);
}

TEST_CASE("rates are honoured and every injected fault is counted by kind", "[sim][faults]") {
  SimFixture fx;
  set_faults(fx, R"({"rate_503":0.3})");
  const std::vector<std::string> seen = outcomes(fx, 500);
  const auto n503 = std::count(seen.begin(), seen.end(), "503");
  CHECK(n503 >= 100);
  CHECK(n503 <= 200);
  const Json faults = fx.control("GET", "/sim/faults");
  CHECK(faults["injected"]["503"] == n503);
  CHECK(faults["requests"] == 500);

  set_faults(fx, k_mixed);
  const std::vector<std::string> mixed = outcomes(fx, 1000);
  const Json injected = fx.control("GET", "/sim/faults")["injected"];
  for (const char* kind :
       {"reset_before", "429", "500", "502", "503", "504", "423", "reset_after", "slow"}) {
    INFO(kind);
    CHECK(injected[kind] == std::count(mixed.begin(), mixed.end(), kind));
    CHECK(injected[kind].get<int>() >= 50);
    CHECK(injected[kind].get<int>() <= 150);
  }
  CHECK(std::count(mixed.begin(), mixed.end(), "200") >= 50);
}

TEST_CASE("the same seed gives the same fault sequence", "[sim][faults]") {
  SimFixture first;
  SimFixture second;
  set_faults(first, k_mixed);
  set_faults(second, k_mixed);
  const std::vector<std::string> sequence = outcomes(first, 200);
  CHECK(outcomes(second, 200) == sequence);
  set_faults(first, k_mixed);  // a new config restarts the sequence
  CHECK(outcomes(first, 200) == sequence);
  const std::string reseeded = std::string(k_mixed).replace(1, 0, R"("seed":2,)");
  set_faults(first, reseeded);
  CHECK(first.control("GET", "/sim/faults")["seed"] == 2);
  CHECK(outcomes(first, 200) != sequence);

  Config config = SimFixture::default_config();
  config.fault_seed = 2;
  SimFixture seeded(config);
  set_faults(seeded, k_mixed);
  set_faults(first, reseeded);
  CHECK(outcomes(seeded, 200) == outcomes(first, 200));
}

TEST_CASE("rate faults hit only matching endpoints, never /sim, the token endpoint on request",
          "[sim][faults]") {
  SimFixture fx;
  set_faults(fx, R"({"rate_503":1,"endpoints":["/contact"]})");
  CHECK(fx.api("GET", "/field").status == 200);
  CHECK(fx.api("POST", "/contact/getdata", R"({"keyId":3,"keyValues":[]})").status == 200);
  CHECK(fx.api("PUT", "/contact/", R"({"contacts":[]})").status == 503);
  CHECK(fx.raw("GET", "/sim/state", "", {}).status == 200);
  const std::map<std::string, std::string> basic = {
      {"authorization", "Basic " + emsync::base64_encode("client:csecret")},
      {"content-type", "application/x-www-form-urlencoded"}};
  set_faults(fx, R"({"rate_503":1})");
  CHECK(fx.raw("POST", "/oauth2/token", "grant_type=client_credentials", basic).status == 200);
  CHECK(fx.control("GET", "/sim/faults")["requests"] == 0);
  set_faults(fx, R"({"rate_503":1,"token_endpoint":true})");
  CHECK(fx.raw("POST", "/oauth2/token", "grant_type=client_credentials", basic).status == 503);
  CHECK(fx.control("GET", "/sim/faults")["injected"]["503"] == 1);
}

TEST_CASE("a poisoned email fails the whole batch with 400/2005 and applies nothing",
          "[sim][faults]") {
  SimFixture fx;
  set_faults(fx, R"({"poison":["Bad@Example.com"]})");
  const std::string batch = R"({"contacts":[{"3":"ok@x.com"},{"3":"bad@EXAMPLE.com"}]})";
  CHECK(fx.api_json("PUT", "/contact?create_if_not_exists=1", batch) ==
        Json::parse(R"({"replyCode":2005,"replyText":"Invalid key field value: bad@EXAMPLE.com",
            "data":""})"));
  CHECK(fx.api("POST", "/contact", R"({"contacts":[{"email":"bad@example.com"}]})").status == 400);
  CHECK(fx.control("GET", "/sim/state")["contacts"].empty());
  CHECK(fx.control("GET", "/sim/faults")["injected"]["poison"] == 2);
  CHECK(fx.api("PUT", "/contact?create_if_not_exists=1", R"({"contacts":[{"3":"ok@x.com"}]})")
            .status == 200);
}

TEST_CASE("contact_errors report per contact and apply the others; /sim/reject sets them",
          "[sim][faults]") {
  SimFixture fx;
  set_faults(fx, R"({"contact_errors":{"X@example.com":{"code":"2007",
      "message":"Invalid date format for field id: 4"}}})");
  const Json reply = fx.api_json("PUT", "/contact?create_if_not_exists=1",
                                 R"({"contacts":[{"3":"x@example.com"},{"3":"y@example.com"}]})");
  CHECK(reply["data"] == Json::parse(R"({"ids":[100001],"errors":{"x@example.com":{
      "2007":"Invalid date format for field id: 4"}}})"));
  CHECK(fx.control("GET", "/sim/faults")["injected"]["contact_error"] == 1);
  fx.control("POST", "/sim/reject", R"({"emails":{"z@x.com":{"code":2008,"message":"gone"}}})");
  CHECK(fx.control("GET", "/sim/faults")["config"]["contact_errors"] ==
        Json::parse(R"({"z@x.com":{"code":"2008","message":"gone"}})"));
  CHECK(fx.raw("POST", "/sim/reject", R"({"emails":[]})", {}).status == 400);
}

TEST_CASE("hostile_reply answers contact writes with deep or huge bodies, after writing them",
          "[sim][faults]") {
  SimFixture fx;
  const std::string deep(k_hostile_depth, '[');
  set_faults(fx, R"({"hostile_reply":"deep_ids"})");
  CHECK(fx.control("GET", "/sim/faults")["config"]["hostile_reply"] == "deep_ids");
  // Other calls are left alone.
  CHECK(Json::parse(fx.api("GET", "/field").body)["replyCode"] == 0);
  Response reply =
      fx.api("PUT", "/contact?create_if_not_exists=1", R"({"contacts":[{"3":"a@x.com"}]})");
  CHECK(reply.status == 200);
  CHECK(reply.body.starts_with(R"({"replyCode":0,"replyText":"OK","data":{"ids":)" + deep + "]"));
  CHECK(
      reply.body.ends_with("]"
                           R"(,"errors":[]}})"));
  CHECK(fx.control("GET", "/sim/state")["contacts"].size() == 1);

  set_faults(fx, R"({"hostile_reply":"deep_error_key"})");
  reply = fx.api("POST", "/contact", R"({"contacts":[{"3":"b@x.com"}]})");
  CHECK(reply.body.find(R"("errors":[{"key":)" + deep) != std::string::npos);

  set_faults(fx, R"({"hostile_reply":"huge_open"})");
  reply = fx.api("POST", "/contact", R"({"contacts":[{"3":"c@x.com"}]})");
  CHECK(reply.body == std::string(k_hostile_bytes, '['));

  set_faults(fx, R"({"hostile_reply":"huge_array"})");
  reply = fx.api("POST", "/contact", R"({"contacts":[{"3":"d@x.com"}]})");
  CHECK(reply.body.size() <= k_hostile_bytes);
  CHECK(reply.body.size() > k_hostile_bytes - 2);
  const Json parsed = Json::parse(reply.body);
  CHECK(parsed["data"]["ids"].size() > 7'000'000);
  CHECK(fx.control("GET", "/sim/faults")["injected"]["hostile_reply"] == 1);
  CHECK(fx.control("GET", "/sim/state")["contacts"].size() == 4);
}

TEST_CASE("/sim/reset zeroes the counters and returns to the start-up faults", "[sim][faults]") {
  Config config = SimFixture::default_config();
  config.faults = parse_fault_config(Json::parse(R"({"rate_423":0.5})"));
  SimFixture fx(config);
  set_faults(fx, R"({"rate_503":1})");
  CHECK(fx.api("GET", "/field").status == 503);
  fx.control("POST", "/sim/reset");
  const Json faults = fx.control("GET", "/sim/faults");
  CHECK(faults["config"] == to_json(config.faults));
  CHECK(faults["injected"]["503"] == 0);
  CHECK(faults["requests"] == 0);
  SimFixture plain;
  set_faults(plain, R"({"rate_503":1,"poison":["a@x.com"]})");
  plain.control("POST", "/sim/reset");
  CHECK(plain.control("GET", "/sim/faults")["config"] == to_json(FaultConfig{}));
  CHECK(plain.api("GET", "/field").status == 200);
}
