#include "emarsys/token_bucket.hpp"

#include <algorithm>

namespace emsync::emarsys {
namespace {

// The documented window is one minute; a reset further away than this is
// treated as clock skew or a bogus header.
constexpr auto k_max_hold = std::chrono::seconds(60);

}  // namespace

TokenBucket::TokenBucket(int rate_per_minute, int burst, Clock::time_point now)
    : m_per_second(rate_per_minute / 60.0),
      m_burst(burst),
      m_tokens(burst),
      m_last(now),
      m_hold_until(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= m_last) {
    return;
  }
  const std::chrono::duration<double> elapsed = now - m_last;
  m_tokens = std::min(m_burst, m_tokens + elapsed.count() * m_per_second);
  m_last = now;
}

TokenBucket::Clock::duration TokenBucket::reserve(Clock::time_point now) {
  refill(now);
  m_tokens -= 1.0;
  Clock::duration wait{0};
  if (m_tokens < 0) {
    wait = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(-m_tokens / m_per_second));
  }
  return std::max(wait, m_hold_until - now);
}

void TokenBucket::observe(std::optional<std::int64_t> remaining,
                          std::optional<std::int64_t> reset_epoch, Clock::time_point now,
                          std::chrono::system_clock::time_point now_system) {
  if (!remaining) {
    return;
  }
  refill(now);
  m_tokens = std::min(m_tokens, static_cast<double>(*remaining));
  if (*remaining > 0 || !reset_epoch) {
    return;
  }
  const auto reset = std::chrono::system_clock::time_point(std::chrono::seconds(*reset_epoch));
  const auto until_reset = std::clamp<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(reset - now_system), Clock::duration{0},
      k_max_hold);
  hold_until(now + until_reset);
}

void TokenBucket::hold_until(Clock::time_point until) {
  m_hold_until = std::max(m_hold_until, until);
}

}  // namespace emsync::emarsys
