// OAuth 2.0 client-credentials pieces that need no I/O (emarsys-api.md §2.2)
// [pure: the caller passes `now`].
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync::emarsys {

struct AccessToken {
  std::string value;
  std::chrono::seconds expires_in{0};
};

// Longer lifetimes are cut to this (Emarsys gives 3600 s).
inline constexpr std::chrono::seconds k_max_token_lifetime{86400};

// The token endpoint's reply: 200 {"access_token","token_type":"Bearer",
// "expires_in"} (expires_in a number or numeric string, at least 0, at most
// k_max_token_lifetime once saturated). The body is parsed within
// reply_json_limits(k_small_reply_limit) (reply.hpp). A 400/401 is
// auth_failed ("check the client_id and secret"), 429 rate_limited, 5xx
// transient, anything else protocol_error. `token_url` names the endpoint.
Result<AccessToken> parse_token_reply(std::string_view token_url, int status,
                                      std::string_view body);

// The body and Basic header of a token request.
std::string token_request_body();
std::string basic_authorization(std::string_view client_id, std::string_view client_secret);

// Caches one token until 60 s before it expires (half its lifetime if shorter) and paces fetches to
// at most two per minute (Emarsys allows 2/min and 10/hour per client_id).
class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;

  // The cached token if it is still good at `now`.
  std::optional<std::string> get(Clock::time_point now) const;
  void store(AccessToken token, Clock::time_point now);
  // Drops the cached token (after the API refused it).
  void invalidate() { m_token.reset(); }

  // How long to wait before the next fetch may start; records the fetch.
  Clock::duration reserve_fetch(Clock::time_point now);

 private:
  std::optional<std::string> m_token;
  Clock::time_point m_good_until;
  std::deque<Clock::time_point> m_fetches;  // start times of the last two fetches
};

}  // namespace emsync::emarsys
