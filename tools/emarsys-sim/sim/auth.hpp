// Authentication as Emarsys does it: WSSE UsernameToken headers on /api/v2,
// OAuth 2.0 client-credentials bearer tokens on /api/v3, and the token
// endpoint POST /oauth2/token that issues them (emarsys-api.md §2).
//
// Not thread-safe: the Simulator calls it under its one mutex.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "sim/config.hpp"
#include "sim/http.hpp"
#include "sim/time_text.hpp"

namespace emsync::sim {

// The parameters of `UsernameToken Username="..", PasswordDigest="..",
// Nonce="..", Created=".."` (any order, key names case-insensitive).
struct WsseToken {
  std::string username;
  std::string password_digest;
  std::string nonce;
  std::string created;
};

std::optional<WsseToken> parse_wsse_header(std::string_view value);

// base64(lowercase_hex(sha1(nonce + created + secret)))
std::string wsse_digest(std::string_view nonce, std::string_view created, std::string_view secret);

// Who made an /api call, or why they could not be authenticated.
struct AuthOutcome {
  std::string user;   // the WSSE user or OAuth client id, when ok
  std::string error;  // empty when ok; else a reason for the log
  bool ok() const { return error.empty(); }
};

class Authenticator {
 public:
  // `config` must outlive this.
  explicit Authenticator(const Config& config);

  // The value of an X-WSSE header: known user, right digest, Created within
  // ±5 minutes of `now` (and an unseen nonce with --reject-nonce-replay).
  AuthOutcome check_wsse(std::string_view header, Clock::time_point now);

  // The value of an Authorization header: "Bearer <token>" with a token this
  // simulator issued and that has not expired at `now`.
  AuthOutcome check_bearer(std::string_view header, Clock::time_point now) const;

  // POST /oauth2/token: client id and secret in a Basic Authorization header,
  // form body grant_type=client_credentials. Counted per presented client id.
  Response issue_token(const Request& request, Clock::time_point now);

  // {"<client id>": number of token requests} since the last reset.
  Json token_requests() const;

  // Forgets the token request counts and the seen nonces. Issued tokens stay
  // valid, so a client's cached token survives a test's POST /sim/reset.
  void reset();

 private:
  struct IssuedToken {
    std::string client_id;
    Clock::time_point expires;
  };

  const Config& m_config;
  std::map<std::string, IssuedToken> m_tokens;
  std::map<std::string, int> m_token_requests;
  std::set<std::string> m_seen_nonces;  // "user\nnonce"
};

}  // namespace emsync::sim
