// Fixed-window rate limiting (see rate_limiter.hpp).
#include "sim/rate_limiter.hpp"

#include <algorithm>

namespace emsync::sim {

RateLimiter::RateLimiter(int limit, std::chrono::milliseconds window)
    : m_limit(limit), m_window(window) {}

RateDecision RateLimiter::admit(const std::string& user, Clock::time_point now) {
  Window& window = m_windows[user];
  if (window.count == 0 || now >= window.start + m_window) {
    window = Window{now, 0};
  }
  ++window.count;
  const auto end = std::chrono::ceil<std::chrono::seconds>(window.start + m_window);
  return RateDecision{window.count <= m_limit, m_limit, std::max(0, m_limit - window.count),
                      end.time_since_epoch().count()};
}

void RateLimiter::reset() { m_windows.clear(); }

}  // namespace emsync::sim
