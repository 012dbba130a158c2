// The rate limit of one Emarsys API user, shared by every Client of that
// user [pure: the caller passes `now`].
//
// Emarsys limits requests per API user (emarsys-api.md §7), not per
// connection or destination: two destinations with the same credentials
// must draw from one budget, or together they send twice the limit and
// collect 429s. A SharedRateLimiter is one TokenBucket plus the rates of
// the Clients that joined it: it paces at the LOWEST of those rates (two
// destinations of one user that disagree get the stricter limit), and each
// response's X-Ratelimit-* headers or 429 hold every Client of the user.
//
// RateLimiters hands out one limiter per API user (host and port of
// api_url, plus the WSSE user name or OAuth client_id), made at its clock's
// time (a ManualClock in tests). Its owner decides the sharing scope: the
// daemon's Service makes one per config load, seeded with the limiters of
// the Clients it keeps. There is no global.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/clock.hpp"
#include "emarsys/token_bucket.hpp"

namespace emsync::emarsys {

// "host:port user", the identity Emarsys counts requests by; api_url as
// given when it does not parse (the Client reports that error).
std::string api_user_key(const std::string& api_url, const std::string& user);

class SharedRateLimiter {
 public:
  using Clock = TokenBucket::Clock;
  // Used until a Client joins: Emarsys' documented limit.
  static constexpr int k_default_rate_per_minute = 1000;

  SharedRateLimiter(std::string key, Clock::time_point now);

  const std::string& key() const { return m_key; }
  // A Client with this rate_limit_per_minute starts or stops using the
  // limiter. REQUIRES: rate_per_minute > 0; leave() only what was joined.
  void join(int rate_per_minute, Clock::time_point now);
  void leave(int rate_per_minute, Clock::time_point now);
  // The lowest rate joined, or the default when none is.
  int rate_per_minute() const;

  TokenBucket& bucket() { return m_bucket; }

  // Requests of this user on the wire, for TokenBucket::observe().
  void request_started() { ++m_in_flight; }
  void request_finished() { --m_in_flight; }
  int in_flight() const { return m_in_flight; }

 private:
  void apply(Clock::time_point now);

  std::string m_key;
  std::multiset<int> m_rates;
  TokenBucket m_bucket;
  int m_in_flight = 0;
};

class RateLimiters {
 public:
  // `clock` must outlive the RateLimiters.
  explicit RateLimiters(const emsync::Clock& clock = system_clock()) : m_clock(&clock) {}

  // The limiter of the API user, made on first use.
  std::shared_ptr<SharedRateLimiter> of(const std::string& api_url, const std::string& user);
  // Makes `limiter` the one of its user, unless that user has one already
  // (e.g. a Client kept over a config reload). Null is ignored.
  void adopt(std::shared_ptr<SharedRateLimiter> limiter);

 private:
  const emsync::Clock* m_clock;
  std::map<std::string, std::shared_ptr<SharedRateLimiter>> m_by_key;
};

}  // namespace emsync::emarsys
