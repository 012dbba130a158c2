#include <catch2/catch.hpp>

#include "sync/batch_sender.hpp"

using emsync::sync::NewContactRoute;

TEST_CASE("contacts new to emsync are created first until Emarsys mostly knows them",
          "[sync][route]") {
  NewContactRoute route;
  CHECK(route.create_first());  // a first run: most likely a new account

  SECTION("an account that held the contacts turns the route to updates") {
    route.learn(true);
    CHECK_FALSE(route.create_first());
    route.learn(false);
    CHECK(route.create_first());  // a tie creates
    route.learn(true);
    route.learn(true);
    CHECK_FALSE(route.create_first());
  }

  SECTION("new people keep it on creates") {
    for (int i = 0; i < 1000; ++i) {
      route.learn(false);
    }
    route.learn(true);
    CHECK(route.create_first());
  }
}
