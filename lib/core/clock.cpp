#include "core/clock.hpp"

#include <cassert>

namespace emsync {

namespace {

class SystemClock final : public Clock {
 public:
  UnixMillis wall() const override { return now_millis(); }
  SteadyTime steady() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

ManualClock::ManualClock(UnixMillis wall) : m_wall(wall) {}

void ManualClock::advance(std::chrono::milliseconds by) {
  assert(by.count() >= 0);
  m_wall += by.count();
  m_steady += by;
}

}  // namespace emsync
