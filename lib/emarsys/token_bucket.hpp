// A token bucket that paces requests to Emarsys' per-API-user rate limit and
// follows the server's X-Ratelimit-* headers [pure: the caller passes `now`].
//
// reserve() always takes a token and says how long the caller must wait
// before sending; tokens may go negative, so concurrent callers queue up at
// 1/rate intervals. Not thread-safe (one io_context thread uses it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace emsync::emarsys {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: rate_per_minute > 0, burst >= 1. Starts full.
  TokenBucket(int rate_per_minute, int burst, Clock::time_point now);

  // Takes one token; returns the wait before the request may be sent (zero
  // when a token was available and no hold is active).
  Clock::duration reserve(Clock::time_point now);

  // Corrects the bucket from X-Ratelimit-Remaining and X-Ratelimit-Reset (Unix
  // epoch seconds): never more tokens than the server says remain, and with
  // nothing remaining, no request before the reset (at most 60 s away).
  void observe(std::optional<std::int64_t> remaining, std::optional<std::int64_t> reset_epoch,
               Clock::time_point now, std::chrono::system_clock::time_point now_system);

  // No request before `until` (e.g. after a 429 with a known reset).
  void hold_until(Clock::time_point until);

  double tokens() const { return m_tokens; }
  // The end of the current hold (in the past when none is active).
  Clock::time_point hold_end() const { return m_hold_until; }

 private:
  void refill(Clock::time_point now);

  double m_per_second;
  double m_burst;
  double m_tokens;
  Clock::time_point m_last;
  Clock::time_point m_hold_until;
};

}  // namespace emsync::emarsys
