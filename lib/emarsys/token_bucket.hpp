// A token bucket that paces requests to Emarsys' per-API-user rate limit and
// follows the server's X-Ratelimit-* headers [pure: the caller passes `now`].
//
// reserve() always takes a token and says when the caller may send; tokens
// may go negative, so concurrent callers queue up at 1/rate intervals. A hold
// (nothing remaining until X-Ratelimit-Reset, or a 429) voids the
// reservations made before it: their callers reserve again (voided()), so a
// queue of waiters never sends into a hold, and when the hold ends the bucket
// restarts with one token (no burst). Not thread-safe (one io_context thread
// uses it).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace emsync::emarsys {

// An X-Ratelimit-Remaining or -Reset header value: decimal digits with an
// optional '-', saturated to the int64 range (a 30-digit Remaining is
// INT64_MAX); nullopt (the header is ignored) for anything else.
std::optional<std::int64_t> parse_ratelimit_header(std::string_view text);

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // A reservation: send at `at`, unless voided() says a hold began since.
  struct Slot {
    Clock::time_point at;
    std::uint64_t holds = 0;  // holds begun before it was made
  };

  // REQUIRES: rate_per_minute > 0, burst >= 1. Starts full.
  TokenBucket(int rate_per_minute, int burst, Clock::time_point now);

  // From `now` on, refills at the new rate up to the new burst.
  // REQUIRES: rate_per_minute > 0, burst >= 1.
  void set_rate(int rate_per_minute, int burst, Clock::time_point now);

  // Takes one token; the time at which the request may be sent (`now` when a
  // token was available and no hold is active).
  Slot reserve(Clock::time_point now);
  // True when a hold began after `slot` was reserved: reserve again.
  bool voided(const Slot& slot) const { return slot.holds != m_holds; }

  // Corrects the bucket from X-Ratelimit-Remaining and X-Ratelimit-Reset (Unix
  // epoch seconds) of one reply, while `in_flight` other requests are on the
  // wire (they may use up what remains): never more tokens than remain after
  // those, and with nothing left, no request before the reset (at most 60 s
  // away). While a hold is active, a stale Remaining is ignored. Any values
  // are safe: a reset far in the past or future counts as now or 60 s away.
  void observe(std::optional<std::int64_t> remaining, std::optional<std::int64_t> reset_epoch,
               int in_flight, Clock::time_point now,
               std::chrono::system_clock::time_point now_system);

  // No request before `until` (e.g. after a 429). A hold that begins or is
  // extended voids every reservation made so far; no effect when `until` is
  // not later than both `now` and the current hold.
  void hold_until(Clock::time_point until, Clock::time_point now);

  double tokens() const { return m_tokens; }
  // The end of the current hold (in the past when none is active).
  Clock::time_point hold_end() const { return m_hold_until; }

 private:
  void refill(Clock::time_point now);

  double m_per_second;
  double m_burst;
  double m_tokens;
  Clock::time_point m_last;        // refilled up to here; the hold's end during a hold
  Clock::time_point m_hold_until;
  std::uint64_t m_holds = 0;
};

}  // namespace emsync::emarsys
