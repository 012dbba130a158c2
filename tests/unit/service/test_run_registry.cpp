#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "emarsys/client.hpp"
#include "service/run_registry.hpp"
#include "sync/run.hpp"

using emsync::service::Run;
using emsync::service::RunOrder;
using emsync::service::RunRegistry;
using emsync::service::Trigger;
using Admission = RunRegistry::Admission;
using Ids = std::vector<std::int64_t>;

namespace {

constexpr emsync::UnixMillis k_now = 1'000;

constexpr auto k_enforce = emsync::sync::SafetyValve::enforce;
constexpr auto k_bypass = emsync::sync::SafetyValve::bypass;

RunOrder order(std::int64_t id, std::string activation, emsync::sync::SafetyValve valve = k_enforce) {
  return {.id = id, .activation = std::move(activation), .safety_valve = valve};
}

// Queues a run and returns what the registry decided for it.
Admission submit(RunRegistry& runs, std::int64_t id, const std::string& activation) {
  return runs.queue(order(id, activation), k_now).admission;
}

}  // namespace

// -- the admission rules (coalescing, max_concurrent, request order) --

TEST_CASE("a request for an idle activation starts at once", "[run_registry]") {
  RunRegistry runs(4);
  const auto queued = runs.queue(order(1, "crm"), k_now);
  CHECK(queued.admission == Admission::start);
  CHECK(queued.run_id == 1);
  REQUIRE(runs.running("crm"));
  CHECK(runs.running("crm")->id == 1);
  CHECK(runs.running("crm")->started_at == k_now);
  CHECK(runs.running_count() == 1);
  CHECK(runs.waiting_count() == 0);
  CHECK(std::string(runs.activity("crm")) == "running");
}

TEST_CASE("requests during a run coalesce into one run after it", "[run_registry]") {
  RunRegistry runs(4);
  REQUIRE(submit(runs, 1, "crm") == Admission::start);
  CHECK(submit(runs, 2, "crm") == Admission::wait);
  REQUIRE(runs.waiting("crm"));
  CHECK(runs.waiting("crm")->id == 2);
  CHECK_FALSE(runs.waiting("crm")->started_at);
  CHECK(std::string(runs.activity("crm")) == "running");
  const auto third = runs.queue(order(3, "crm"), k_now);
  CHECK(third.admission == Admission::coalesced);
  CHECK(third.run_id == 2);
  CHECK(runs.join("crm", k_enforce) == 2);
  CHECK(runs.waiting_count() == 1);
  CHECK_FALSE(runs.find(3));  // a coalesced order is not kept

  CHECK(runs.finish(1, 2'000) == Ids{2});
  REQUIRE(runs.running("crm"));
  CHECK(runs.running("crm")->id == 2);
  CHECK(runs.running("crm")->started_at == 2'000);
  CHECK_FALSE(runs.waiting("crm"));
  CHECK(runs.finish(2, k_now).empty());
  CHECK(runs.running_count() == 0);
  CHECK(std::string(runs.activity("crm")) == "idle");
}

TEST_CASE("different activations run concurrently up to the limit, then in request order",
          "[run_registry]") {
  RunRegistry runs(2);
  CHECK(submit(runs, 1, "a") == Admission::start);
  CHECK(submit(runs, 2, "b") == Admission::start);
  CHECK(submit(runs, 3, "c") == Admission::wait);
  CHECK(submit(runs, 4, "d") == Admission::wait);
  CHECK(runs.running_count() == 2);
  CHECK(std::string(runs.activity("c")) == "queued");

  CHECK(runs.finish(2, k_now) == Ids{3});
  CHECK(runs.finish(1, k_now) == Ids{4});
  CHECK(runs.running_count() == 2);
  CHECK(runs.finish(3, k_now).empty());
  CHECK(runs.finish(4, k_now).empty());
  CHECK(runs.running_count() == 0);
}

TEST_CASE("request order is the order of queue(), not of the ids", "[run_registry]") {
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 9, "b") == Admission::wait);
  REQUIRE(submit(runs, 5, "c") == Admission::wait);
  CHECK(runs.finish(1, k_now) == Ids{9});
  CHECK(runs.finish(9, k_now) == Ids{5});
}

TEST_CASE("a waiting run of a busy activation does not hold back the others", "[run_registry]") {
  RunRegistry runs(2);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "b") == Admission::start);
  REQUIRE(submit(runs, 3, "a") == Admission::wait);  // a is busy
  REQUIRE(submit(runs, 4, "c") == Admission::wait);  // no place
  // b ends: a's waiting run cannot start (a still runs), c can.
  CHECK(runs.finish(2, k_now) == Ids{4});
  REQUIRE(runs.waiting("a"));
  CHECK(runs.waiting("a")->id == 3);
  CHECK(runs.finish(1, k_now) == Ids{3});
}

TEST_CASE("raising the limit starts waiting runs; lowering it lets running ones finish",
          "[run_registry]") {
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "b") == Admission::wait);
  REQUIRE(submit(runs, 3, "c") == Admission::wait);
  CHECK(runs.set_max_concurrent(3, k_now) == Ids{2, 3});
  CHECK(runs.running_count() == 3);

  CHECK(runs.set_max_concurrent(1, k_now).empty());
  REQUIRE(submit(runs, 4, "d") == Admission::wait);
  CHECK(runs.finish(1, k_now).empty());  // still 2 running, limit 1
  CHECK(runs.finish(2, k_now).empty());
  CHECK(runs.finish(3, k_now) == Ids{4});
}

TEST_CASE("a limit of zero is treated as one", "[run_registry]") {
  RunRegistry runs(0);
  CHECK(submit(runs, 1, "a") == Admission::start);
  CHECK(submit(runs, 2, "b") == Admission::wait);
}

// -- what a request carries --

TEST_CASE("a joined run keeps its trigger and full; force carries over to it", "[run_registry]") {
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "crm") == Admission::start);
  REQUIRE(runs.queue({.id = 2, .activation = "crm", .trigger = Trigger::schedule}, k_now).admission ==
          Admission::wait);

  CHECK(runs.join("crm", k_enforce) == 2);
  CHECK(runs.find(2)->safety_valve == k_enforce);
  // A forced request made while the waiting run was being recorded coalesces.
  const auto queued = runs.queue({.id = 3,
                                  .activation = "crm",
                                  .trigger = Trigger::manual,
                                  .scope = emsync::sync::Scope::full,
                                  .safety_valve = k_bypass},
                                 k_now);
  CHECK(queued.admission == Admission::coalesced);
  CHECK(queued.run_id == 2);
  const Run& joined = *runs.find(2);
  CHECK(joined.safety_valve == k_bypass);
  CHECK(joined.trigger == Trigger::schedule);
  CHECK(joined.scope == emsync::sync::Scope::changes);
  // force never turns off again.
  CHECK(runs.join("crm", k_enforce) == 2);
  CHECK(runs.find(2)->safety_valve == k_bypass);

  CHECK_FALSE(runs.join("idle", k_bypass));
  CHECK_FALSE(runs.join("crm-running-only", k_bypass));
}

TEST_CASE("a running run keeps the client it started with", "[run_registry]") {
  // Before the registry: the client it keeps must go before its io_context.
  boost::asio::io_context io;  // never run: the client sends nothing
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "b") == Admission::wait);
  CHECK_FALSE(runs.find(1)->client);
  emsync::emarsys::ClientConfig config;
  config.api_url = "http://127.0.0.1:9/api/v2";
  auto client = std::make_shared<emsync::emarsys::Client>(io.get_executor(), config);
  runs.set_client(1, client);
  runs.set_client(2, client);  // not running: ignored
  CHECK(runs.find(1)->client == client);
  CHECK_FALSE(runs.find(2)->client);
}

// -- cancelling --

TEST_CASE("cancel withdraws the waiting run and asks the running one to stop", "[run_registry]") {
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "a") == Admission::wait);
  REQUIRE(submit(runs, 3, "b") == Admission::wait);
  const auto cancelled = runs.cancel("a");
  CHECK(cancelled.withdrawn == 2);
  CHECK(cancelled.running == 1);
  CHECK(runs.running("a")->cancel->load());  // the caller waits for its end
  CHECK_FALSE(runs.waiting("a"));
  // The withdrawn run is still known until its end is recorded, but no
  // longer joins requests.
  REQUIRE(runs.find(2));
  CHECK(runs.find(2)->state == Run::State::withdrawn);
  CHECK_FALSE(runs.join("a", k_enforce));
  CHECK(submit(runs, 4, "a") == Admission::wait);
  CHECK(runs.waiting_count() == 2);
  CHECK(runs.finish(2, k_now).empty());  // it held no place
  CHECK_FALSE(runs.find(2));

  CHECK(runs.finish(1, k_now) == Ids{3});
  const auto nothing = runs.cancel("c");
  CHECK_FALSE(nothing.withdrawn);
  CHECK_FALSE(nothing.running);
}

TEST_CASE("cancel_all withdraws every waiting run and stops every running one", "[run_registry]") {
  RunRegistry runs(2);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "b") == Admission::start);
  REQUIRE(submit(runs, 3, "c") == Admission::wait);
  REQUIRE(submit(runs, 4, "a") == Admission::wait);
  CHECK(runs.cancel_all() == Ids{3, 4});
  CHECK(runs.waiting_count() == 0);
  CHECK(runs.find(1)->cancel->load());
  CHECK(runs.find(2)->cancel->load());
  // Nothing starts any more: a run that ends frees a place for no one.
  CHECK(runs.finish(1, k_now).empty());
  CHECK(runs.finish(3, k_now).empty());
  CHECK(runs.running_count() == 1);
}

// -- waiters --

TEST_CASE("waiters are woken once, when their run finishes", "[run_registry]") {
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "b") == Admission::wait);
  int woken_first = 0;
  int woken_second = 0;
  int woken_other = 0;
  int woken_gone = 0;
  REQUIRE(runs.add_waiter(1, [&] { ++woken_first; }));
  REQUIRE(runs.add_waiter(1, [&] { ++woken_second; }));
  REQUIRE(runs.add_waiter(2, [&] { ++woken_other; }));
  const auto gone = runs.add_waiter(1, [&] { ++woken_gone; });
  REQUIRE(gone);
  runs.remove_waiter(1, *gone);

  // The registry is consistent when they are called: run 2 already runs.
  bool consistent = false;
  REQUIRE(runs.add_waiter(1, [&] { consistent = runs.running("b") && !runs.find(1); }));
  CHECK(runs.finish(1, k_now) == Ids{2});
  CHECK(woken_first == 1);
  CHECK(woken_second == 1);
  CHECK(woken_other == 0);
  CHECK(woken_gone == 0);
  CHECK(consistent);

  CHECK(runs.finish(1, k_now).empty());  // no longer held: nothing happens
  CHECK(woken_first == 1);
  CHECK(runs.finish(2, k_now).empty());
  CHECK(woken_other == 1);
}

TEST_CASE("a run that is not held cannot be waited for", "[run_registry]") {
  RunRegistry runs(1);
  bool woken = false;
  CHECK_FALSE(runs.add_waiter(7, [&] { woken = true; }));
  runs.remove_waiter(7, 1);  // no effect
  REQUIRE(submit(runs, 7, "a") == Admission::start);
  CHECK(runs.finish(7, k_now).empty());
  CHECK_FALSE(woken);
}

TEST_CASE("a withdrawn run wakes its waiters when its end is recorded", "[run_registry]") {
  RunRegistry runs(1);
  REQUIRE(submit(runs, 1, "a") == Admission::start);
  REQUIRE(submit(runs, 2, "a") == Admission::wait);
  int woken = 0;
  REQUIRE(runs.add_waiter(2, [&] { ++woken; }));
  REQUIRE(runs.cancel("a").withdrawn == 2);
  REQUIRE(runs.add_waiter(2, [&] { ++woken; }));  // while it is being recorded
  CHECK(woken == 0);
  CHECK(runs.finish(2, k_now).empty());
  CHECK(woken == 2);
}

TEST_CASE("the running runs are listed by activation with fresh progress", "[run_registry]") {
  RunRegistry runs(3);
  REQUIRE(submit(runs, 1, "zeta") == Admission::start);
  REQUIRE(submit(runs, 2, "alpha") == Admission::start);
  REQUIRE(submit(runs, 3, "alpha") == Admission::wait);
  const auto running = runs.running_runs();
  REQUIRE(running.size() == 2);
  CHECK(running[0]->activation == "alpha");
  CHECK(running[1]->activation == "zeta");
  CHECK(running[0]->progress->rows_read.load() == 0);
  CHECK_FALSE(running[0]->cancel->load());
  CHECK(running[0]->progress != running[1]->progress);
}
