// Faults as a client sees them over a real connection: resets as connection
// errors (with and without the request applied) and slow replies that do not
// hold up other connections.
#include <catch2/catch.hpp>
#include <future>

#include "sim_server.hpp"

using namespace emsync::sim;
using namespace emsync::sim::test;

namespace {

using Millis = std::chrono::milliseconds;

Config with_faults(const std::string& faults) {
  Config config = SimFixture::default_config();
  config.faults = parse_fault_config(Json::parse(faults));
  return config;
}

const std::string k_upsert = "/contact?create_if_not_exists=1";
const std::string k_batch = R"({"contacts":[{"3":"a@x.com"}]})";

}  // namespace

TEST_CASE("reset_before closes the connection unanswered and applies nothing", "[sim][faults]") {
  RunningSim sim(with_faults(R"({"rate_reset_before":1})"));
  const HttpReply reply = sim.api("PUT", k_upsert, k_batch);
  CHECK(reply.error);
  CHECK(reply.status == 0);
  CHECK(sim.control("GET", "/sim/state")["contacts"].empty());
  CHECK(sim.control("GET", "/sim/faults")["injected"]["reset_before"] == 1);
}

TEST_CASE("reset_after applies the contact but the client gets no answer", "[sim][faults]") {
  RunningSim sim(with_faults(R"({"rate_reset_after":1})"));
  const HttpReply reply = sim.api("PUT", k_upsert, k_batch);
  CHECK(reply.error);
  CHECK(reply.status == 0);
  const Json contacts = sim.control("GET", "/sim/state")["contacts"];
  REQUIRE(contacts.size() == 1);
  CHECK(contacts[0]["email"] == "a@x.com");
  sim.control("POST", "/sim/faults", "{}");
  CHECK(sim.api("GET", "/field").status == 200);  // the server serves on
}

TEST_CASE("a slow reply takes slow_ms while other connections are served", "[sim][faults]") {
  RunningSim sim(with_faults(R"({"rate_slow":1,"slow_ms":500,"endpoints":["/contact"]})"));
  const auto started = std::chrono::steady_clock::now();
  auto slow = std::async(std::launch::async, [&] { return sim.api("PUT", k_upsert, k_batch); });
  // Once the PUT is in the log it has been applied and its reply is waiting.
  while (sim.control("GET", "/sim/state")["requests"].empty()) {
    std::this_thread::sleep_for(Millis(2));
  }
  CHECK(sim.api("GET", "/field").status == 200);
  const auto other_done = std::chrono::steady_clock::now();
  const HttpReply reply = slow.get();
  const auto slow_done = std::chrono::steady_clock::now();
  CHECK(reply.status == 200);
  CHECK(slow_done - started >= Millis(500));
  CHECK(other_done < slow_done);
  CHECK(sim.control("GET", "/sim/state")["contacts"].size() == 1);
}

TEST_CASE("stopping the server cuts a slow reply short", "[sim][faults]") {
  const auto started = std::chrono::steady_clock::now();
  std::future<HttpReply> slow;
  {
    RunningSim sim(with_faults(R"({"rate_slow":1,"slow_ms":60000})"));
    slow = std::async(std::launch::async,
                      [port = sim.port()] { return http_api(port, "GET", "/field"); });
    while (sim.control("GET", "/sim/state")["requests"].empty()) {
      std::this_thread::sleep_for(Millis(2));
    }
  }  // ~RunningSim stops the server
  CHECK(slow.get().error);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}
