#include "emarsys/oauth_token.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/crypto.hpp"
#include "core/json_limits.hpp"
#include "emarsys/reply.hpp"
#include "emarsys/reply_data.hpp"

namespace emsync::emarsys {
namespace {

constexpr auto k_refresh_early = std::chrono::seconds(60);
constexpr auto k_fetch_window = std::chrono::seconds(60);
constexpr std::size_t k_fetches_per_window = 2;

Error token_error(Errc code, std::string_view token_url, int status, std::string_view advice) {
  Error error = make_error(code, "OAuth token request to " + std::string(token_url) +
                                     " answered HTTP " + std::to_string(status) + "; " +
                                     std::string(advice));
  error.http_status = status;
  return error;
}

Result<AccessToken> token_from_json(std::string_view token_url, std::string_view body) {
  auto parsed = parse_json_bounded(body, reply_json_limits(k_small_reply_limit));
  if (!parsed && parsed.error().code == Errc::invalid_input) {  // a limit; not the text
    return token_error(Errc::protocol_error, token_url, 200,
                       "the reply was refused (" + parsed.error().message + "); check token_url");
  }
  const nlohmann::json json = parsed ? std::move(*parsed) : nlohmann::json();
  const auto token = json.is_object() ? json.find("access_token") : json.end();
  const auto expires = json.is_object() ? json.find("expires_in") : json.end();
  // -1: missing or not an int64.
  const std::int64_t seconds =
      json.is_object() && expires != json.end() ? json_int(*expires).value_or(-1) : -1;
  if (!json.is_object() || token == json.end() || !token->is_string() || seconds < 0) {
    return token_error(Errc::protocol_error, token_url, 200,
                       "the reply has no access_token and non-negative integer expires_in; "
                       "check token_url");
  }
  return AccessToken{token->get<std::string>(),
                     std::chrono::seconds(std::min(seconds, k_max_token_lifetime.count()))};
}

}  // namespace

Result<AccessToken> parse_token_reply(std::string_view token_url, int status,
                                      std::string_view body) {
  if (status == 200) {
    return token_from_json(token_url, body);
  }
  if (status == 400 || status == 401 || status == 403) {
    return token_error(Errc::auth_failed, token_url, status,
                       "the token was refused, check the OAuth client_id and client secret");
  }
  if (status == 429) {
    return token_error(Errc::rate_limited, token_url, status,
                       "too many token requests (2 a minute, 10 an hour are allowed)");
  }
  if (status >= 500) {
    return token_error(Errc::transient, token_url, status, "the token service is failing");
  }
  return token_error(Errc::protocol_error, token_url, status, "unexpected status; check token_url");
}

std::string token_request_body() { return "grant_type=client_credentials"; }

std::string basic_authorization(std::string_view client_id, std::string_view client_secret) {
  std::string credentials;
  credentials.append(client_id).append(":").append(client_secret);
  return "Basic " + base64_encode(credentials);
}

std::optional<std::string> TokenCache::get(Clock::time_point now) const {
  if (m_token && now < m_good_until) {
    return m_token;
  }
  return std::nullopt;
}

void TokenCache::store(AccessToken token, Clock::time_point now) {
  // Short-lived tokens (as a simulator may hand out) are renewed at half-life.
  m_good_until = now + token.expires_in - std::min<std::chrono::seconds>(k_refresh_early,
                                                                          token.expires_in / 2);
  m_token = std::move(token.value);
}

TokenCache::Clock::duration TokenCache::reserve_fetch(Clock::time_point now) {
  Clock::time_point start = now;
  if (m_fetches.size() >= k_fetches_per_window) {
    start = std::max(now, m_fetches.front() + k_fetch_window);
    m_fetches.pop_front();
  }
  m_fetches.push_back(start);
  return start - now;
}

}  // namespace emsync::emarsys
