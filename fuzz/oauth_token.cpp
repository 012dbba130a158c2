// The OAuth token reply (lib/emarsys/oauth_token.hpp) and what the client does
// with a token it accepted: cache it (TokenCache).
//
// Input: one byte choosing the HTTP status, then the body.
// Invariants: only a 200 gives a token, and then one whose access_token and
// expires_in, written back as a token reply, parse to the same token; a
// cached token is good right after it is stored exactly when it does not
// expire at once (expires_in > 0).
#include <iterator>
#include <nlohmann/json.hpp>

#include "check.hpp"
#include "emarsys/oauth_token.hpp"

namespace {

using namespace emsync;
using namespace emsync::emarsys;

constexpr int k_statuses[] = {200, 201, 302, 400, 401, 403, 429, 500, 503};
constexpr std::string_view k_url = "https://auth.example.com/oauth2/token";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto reply = fuzz::as_reply(data, size, k_statuses);
  if (!reply) {
    return 0;
  }
  const auto [status, body] = *reply;

  auto token = parse_token_reply(k_url, status, body);
  if (!token) {
    FUZZ_CHECK(token.error().http_status == status);
    return 0;
  }
  FUZZ_CHECK(status == 200);

  const nlohmann::json written = {{"access_token", token->value},
                                  {"token_type", "Bearer"},
                                  {"expires_in", token->expires_in.count()}};
  auto again = parse_token_reply(k_url, 200, written.dump());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->value == token->value && again->expires_in == token->expires_in);

  TokenCache cache;
  const auto now = TokenCache::Clock::now();
  const bool lasts = token->expires_in.count() > 0;
  cache.store(std::move(*token), now);
  FUZZ_CHECK(cache.get(now).has_value() == lasts);
  return 0;
}
