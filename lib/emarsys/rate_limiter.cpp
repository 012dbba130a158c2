#include "emarsys/rate_limiter.hpp"

#include <algorithm>

#include "core/url.hpp"

namespace emsync::emarsys {
namespace {

// Small bursts only: a burst is sent over a few connections at once.
int burst_for(int rate_per_minute) { return std::clamp(rate_per_minute / 60, 1, 10); }

}  // namespace

std::string api_user_key(const std::string& api_url, const std::string& user) {
  const auto url = parse_url(api_url);  // host in lower case
  const std::string origin = url ? url->host + ":" + url->port : api_url;
  return origin + " " + user;
}

SharedRateLimiter::SharedRateLimiter(std::string key, Clock::time_point now)
    : m_key(std::move(key)),
      m_bucket(k_default_rate_per_minute, burst_for(k_default_rate_per_minute), now) {}

void SharedRateLimiter::join(int rate_per_minute, Clock::time_point now) {
  m_rates.insert(rate_per_minute);
  apply(now);
}

void SharedRateLimiter::leave(int rate_per_minute, Clock::time_point now) {
  if (auto it = m_rates.find(rate_per_minute); it != m_rates.end()) {
    m_rates.erase(it);
  }
  apply(now);
}

int SharedRateLimiter::rate_per_minute() const {
  return m_rates.empty() ? k_default_rate_per_minute : *m_rates.begin();
}

void SharedRateLimiter::apply(Clock::time_point now) {
  const int rate = rate_per_minute();
  m_bucket.set_rate(rate, burst_for(rate), now);
}

std::shared_ptr<SharedRateLimiter> RateLimiters::of(const std::string& api_url,
                                                    const std::string& user) {
  std::string key = api_user_key(api_url, user);
  auto& limiter = m_by_key[key];
  if (!limiter) {
    limiter = std::make_shared<SharedRateLimiter>(std::move(key), m_clock->steady());
  }
  return limiter;
}

void RateLimiters::adopt(std::shared_ptr<SharedRateLimiter> limiter) {
  if (limiter) {
    std::string key = limiter->key();
    m_by_key.try_emplace(std::move(key), std::move(limiter));
  }
}

}  // namespace emsync::emarsys
