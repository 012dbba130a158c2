#include <catch2/catch.hpp>

#include "service/run_queue.hpp"

using emsync::service::RunQueue;
using Admission = RunQueue::Admission;
using Start = RunQueue::Start;
using Starts = std::vector<Start>;

TEST_CASE("a request for an idle activation starts at once", "[run_queue]") {
  RunQueue queue(4);
  CHECK(queue.submit("crm", 1) == Admission::start);
  CHECK(queue.running_run("crm") == 1);
  CHECK(queue.running_count() == 1);
  CHECK(queue.waiting_count() == 0);
}

TEST_CASE("requests during a run coalesce into one run after it", "[run_queue]") {
  RunQueue queue(4);
  REQUIRE(queue.submit("crm", 1) == Admission::start);
  CHECK(queue.submit("crm", 2) == Admission::wait);
  CHECK(queue.waiting_run("crm") == 2);
  CHECK(queue.submit("crm", 3) == Admission::coalesced);
  CHECK(queue.submit("crm", 4) == Admission::coalesced);
  CHECK(queue.waiting_count() == 1);

  CHECK(queue.finish("crm") == Starts{{"crm", 2}});
  CHECK(queue.running_run("crm") == 2);
  CHECK_FALSE(queue.waiting_run("crm"));
  CHECK(queue.finish("crm").empty());
  CHECK(queue.running_count() == 0);
}

TEST_CASE("different activations run concurrently up to the limit, then in request order",
          "[run_queue]") {
  RunQueue queue(2);
  CHECK(queue.submit("a", 1) == Admission::start);
  CHECK(queue.submit("b", 2) == Admission::start);
  CHECK(queue.submit("c", 3) == Admission::wait);
  CHECK(queue.submit("d", 4) == Admission::wait);
  CHECK(queue.running_count() == 2);

  CHECK(queue.finish("b") == Starts{{"c", 3}});
  CHECK(queue.finish("a") == Starts{{"d", 4}});
  CHECK(queue.running_count() == 2);
  CHECK(queue.finish("c").empty());
  CHECK(queue.finish("d").empty());
  CHECK(queue.running_count() == 0);
}

TEST_CASE("a waiting run of a busy activation does not hold back the others", "[run_queue]") {
  RunQueue queue(2);
  REQUIRE(queue.submit("a", 1) == Admission::start);
  REQUIRE(queue.submit("b", 2) == Admission::start);
  REQUIRE(queue.submit("a", 3) == Admission::wait);  // a is busy
  REQUIRE(queue.submit("c", 4) == Admission::wait);  // no place
  // b ends: a's waiting run cannot start (a still runs), c can.
  CHECK(queue.finish("b") == Starts{{"c", 4}});
  CHECK(queue.waiting_run("a") == 3);
  CHECK(queue.finish("a") == Starts{{"a", 3}});
}

TEST_CASE("withdraw removes only the waiting run", "[run_queue]") {
  RunQueue queue(1);
  REQUIRE(queue.submit("a", 1) == Admission::start);
  REQUIRE(queue.submit("a", 2) == Admission::wait);
  REQUIRE(queue.submit("b", 3) == Admission::wait);
  CHECK(queue.withdraw("a") == 2);
  CHECK_FALSE(queue.withdraw("a"));
  CHECK(queue.running_run("a") == 1);  // the running one is the caller's to cancel
  CHECK(queue.finish("a") == Starts{{"b", 3}});

  REQUIRE(queue.submit("c", 4) == Admission::wait);
  REQUIRE(queue.submit("d", 5) == Admission::wait);
  CHECK(queue.withdraw_all() == Starts{{"c", 4}, {"d", 5}});
  CHECK(queue.waiting_count() == 0);
  CHECK(queue.finish("b").empty());
}

TEST_CASE("raising the limit starts waiting runs; lowering it lets running ones finish",
          "[run_queue]") {
  RunQueue queue(1);
  REQUIRE(queue.submit("a", 1) == Admission::start);
  REQUIRE(queue.submit("b", 2) == Admission::wait);
  REQUIRE(queue.submit("c", 3) == Admission::wait);
  CHECK(queue.set_max_concurrent(3) == Starts{{"b", 2}, {"c", 3}});
  CHECK(queue.running_count() == 3);

  CHECK(queue.set_max_concurrent(1).empty());
  REQUIRE(queue.submit("d", 4) == Admission::wait);
  CHECK(queue.finish("a").empty());  // still 2 running, limit 1
  CHECK(queue.finish("b").empty());
  CHECK(queue.finish("c") == Starts{{"d", 4}});
}

TEST_CASE("a limit of zero is treated as one", "[run_queue]") {
  RunQueue queue(0);
  CHECK(queue.submit("a", 1) == Admission::start);
  CHECK(queue.submit("b", 2) == Admission::wait);
}
