#include "emarsys/token_bucket.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace emsync::emarsys {
namespace {

// The documented window is one minute; a reset further away than this is
// treated as clock skew or a bogus header.
constexpr auto k_max_hold = std::chrono::seconds(60);

}  // namespace

std::optional<std::int64_t> parse_ratelimit_header(std::string_view text) {
  const bool negative = text.starts_with('-');
  const std::string_view digits = text.substr(negative ? 1 : 0);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) {
    return negative ? std::numeric_limits<std::int64_t>::min()
                    : std::numeric_limits<std::int64_t>::max();  // out of range: saturated
  }
  return value;
}

TokenBucket::TokenBucket(int rate_per_minute, int burst, Clock::time_point now)
    : m_per_second(rate_per_minute / 60.0),
      m_burst(burst),
      m_tokens(burst),
      m_last(now),
      m_hold_until(now) {}

void TokenBucket::set_rate(int rate_per_minute, int burst, Clock::time_point now) {
  refill(now);
  m_per_second = rate_per_minute / 60.0;
  m_burst = burst;
  m_tokens = std::min(m_tokens, m_burst);
}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= m_last) {
    return;  // also during a hold: m_last is its end
  }
  const std::chrono::duration<double> elapsed = now - m_last;
  m_tokens = std::min(m_burst, m_tokens + elapsed.count() * m_per_second);
  m_last = now;
}

TokenBucket::Slot TokenBucket::reserve(Clock::time_point now) {
  refill(now);
  m_tokens -= 1.0;
  Clock::time_point at = std::max(now, m_last);
  if (m_tokens < 0) {
    at += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(-m_tokens / m_per_second));
  }
  return Slot{at, m_holds};
}

void TokenBucket::observe(std::optional<std::int64_t> remaining,
                          std::optional<std::int64_t> reset_epoch, int in_flight,
                          Clock::time_point now,
                          std::chrono::system_clock::time_point now_system) {
  if (!remaining) {
    return;
  }
  const std::int64_t others = std::max(in_flight, 0);
  const std::int64_t left = *remaining > others ? *remaining - others : 0;
  if (left <= 0 && reset_epoch) {
    // Clamped in seconds first: a far-off epoch would overflow nanoseconds.
    const std::int64_t now_epoch =
        std::chrono::floor<std::chrono::seconds>(now_system.time_since_epoch()).count();
    const std::int64_t reset_clamped =
        std::clamp<std::int64_t>(*reset_epoch, now_epoch - 1, now_epoch + k_max_hold.count() + 1);
    const auto reset = std::chrono::system_clock::time_point(std::chrono::seconds(reset_clamped));
    const auto until_reset =
        std::clamp<Clock::duration>(std::chrono::duration_cast<Clock::duration>(reset - now_system),
                                    Clock::duration{0}, k_max_hold);
    if (until_reset > Clock::duration{0}) {
      hold_until(now + until_reset, now);
      return;
    }
  }
  if (now < m_hold_until) {
    return;  // sent before the hold began: the hold already waits for a fresh window
  }
  refill(now);
  m_tokens = std::min(m_tokens, static_cast<double>(left));
}

void TokenBucket::hold_until(Clock::time_point until, Clock::time_point now) {
  if (until <= now || until <= m_hold_until) {
    return;
  }
  m_hold_until = until;
  ++m_holds;
  // Earlier reservations are void; from `until` on, one request at once,
  // then the rate: no burst into a window whose state is unknown.
  m_tokens = 1.0;
  m_last = until;
}

}  // namespace emsync::emarsys
