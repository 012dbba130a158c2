#include <catch2/catch.hpp>

#include "emarsys/backoff.hpp"

using namespace emsync::emarsys;
using std::chrono::milliseconds;

TEST_CASE("backoff doubles per attempt and scales by the draw", "[emarsys][backoff]") {
  const milliseconds base{200};
  const milliseconds cap{30000};
  CHECK(backoff_delay(1, base, cap, 0.5) == milliseconds(100));
  CHECK(backoff_delay(2, base, cap, 0.5) == milliseconds(200));
  CHECK(backoff_delay(3, base, cap, 0.5) == milliseconds(400));
  CHECK(backoff_delay(3, base, cap, 0.0) == milliseconds(0));
  CHECK(backoff_delay(3, base, cap, 0.999) == milliseconds(799));
}

TEST_CASE("backoff never exceeds the cap, even for huge attempts", "[emarsys][backoff]") {
  const milliseconds base{200};
  const milliseconds cap{30000};
  CHECK(backoff_delay(9, base, cap, 0.5) == milliseconds(15000));
  CHECK(backoff_delay(1000, base, cap, 0.5) == milliseconds(15000));
  CHECK(backoff_delay(1000, base, cap, 0.9999) < cap);
}
