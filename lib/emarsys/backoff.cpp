#include "emarsys/backoff.hpp"

#include <algorithm>

namespace emsync::emarsys {

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap, double draw) {
  // Doubling stops once the cap is reached, so large attempts cannot overflow.
  auto ceiling = std::max(base, std::chrono::milliseconds(0));
  for (int i = 1; i < attempt && ceiling < cap; ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, cap);
  const double clamped = std::clamp(draw, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
      static_cast<double>(ceiling.count()) * clamped));
}

}  // namespace emsync::emarsys
