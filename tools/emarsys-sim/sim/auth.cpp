// WSSE verification and OAuth token issuing (see auth.hpp).
#include "sim/auth.hpp"

#include <algorithm>
#include <cctype>

#include "core/crypto.hpp"

namespace emsync::sim {
namespace {

constexpr auto k_wsse_max_skew = std::chrono::minutes(5);

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Strips a case-insensitive auth scheme ("Basic", "Bearer") and the blanks
// after it; nullopt when `header` does not start with it.
std::optional<std::string_view> after_scheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || lower(header.substr(0, scheme.size())) != scheme ||
      !is_space(header[scheme.size()])) {
    return std::nullopt;
  }
  header.remove_prefix(scheme.size());
  while (!header.empty() && is_space(header.front())) {
    header.remove_prefix(1);
  }
  return header;
}

Response invalid_client() {
  return json_response(401, Json{{"error", "invalid_client"},
                                 {"error_description", "Client authentication failed"}});
}

}  // namespace

std::optional<WsseToken> parse_wsse_header(std::string_view value) {
  const std::optional<std::string_view> params = after_scheme(value, "usernametoken");
  if (!params) {
    return std::nullopt;
  }
  std::map<std::string, std::string> pairs;
  std::string_view rest = *params;
  while (true) {
    while (!rest.empty() && (is_space(rest.front()) || rest.front() == ',')) {
      rest.remove_prefix(1);
    }
    if (rest.empty()) {
      break;
    }
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    std::string key = lower(rest.substr(0, eq));
    key.erase(std::remove_if(key.begin(), key.end(), is_space), key.end());
    rest.remove_prefix(eq + 1);
    const bool quoted = !rest.empty() && rest.front() == '"';
    if (quoted) {
      rest.remove_prefix(1);
    }
    const std::size_t end = quoted ? rest.find('"') : rest.find_first_of(", \t");
    if (quoted && end == std::string_view::npos) {
      return std::nullopt;
    }
    pairs[key] = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + (quoted ? 1 : 0));
  }
  WsseToken token{pairs["username"], pairs["passworddigest"], pairs["nonce"], pairs["created"]};
  if (token.username.empty() || token.password_digest.empty() || token.nonce.empty() ||
      token.created.empty()) {
    return std::nullopt;
  }
  return token;
}

std::string wsse_digest(std::string_view nonce, std::string_view created, std::string_view secret) {
  std::string input;
  input.append(nonce).append(created).append(secret);
  return base64_encode(sha1_hex(input));
}

Authenticator::Authenticator(const Config& config) : m_config(config) {}

AuthOutcome Authenticator::check_wsse(std::string_view header, Clock::time_point now) {
  if (header.empty()) {
    return {"", "no X-WSSE header"};
  }
  const std::optional<WsseToken> token = parse_wsse_header(header);
  if (!token) {
    return {"", "malformed X-WSSE header"};
  }
  const auto user = m_config.wsse_users.find(token->username);
  if (user == m_config.wsse_users.end()) {
    return {"", "unknown WSSE user '" + token->username + "'"};
  }
  const std::optional<Clock::time_point> created = parse_iso8601(token->created);
  if (!created) {
    return {"", "bad Created '" + token->created + "'"};
  }
  if (*created > now + k_wsse_max_skew || *created < now - k_wsse_max_skew) {
    return {"", "Created '" + token->created + "' is more than 5 minutes off"};
  }
  if (token->password_digest != wsse_digest(token->nonce, token->created, user->second)) {
    return {"", "wrong PasswordDigest"};
  }
  if (m_config.reject_nonce_replay &&
      !m_seen_nonces.insert(token->username + "\n" + token->nonce).second) {
    return {"", "nonce replayed"};
  }
  return {token->username, ""};
}

AuthOutcome Authenticator::check_bearer(std::string_view header, Clock::time_point now) const {
  const std::optional<std::string_view> token = after_scheme(header, "bearer");
  if (!token) {
    return {"", "no Bearer token"};
  }
  const auto issued = m_tokens.find(std::string(*token));
  if (issued == m_tokens.end()) {
    return {"", "unknown token"};
  }
  if (now >= issued->second.expires) {
    return {"", "expired token"};
  }
  return {issued->second.client_id, ""};
}

Response Authenticator::issue_token(const Request& request, Clock::time_point now) {
  const std::optional<std::string_view> basic =
      after_scheme(request.header("authorization"), "basic");
  const std::optional<std::string> decoded = basic ? base64_decode(*basic) : std::nullopt;
  const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    return invalid_client();
  }
  const std::string client_id = decoded->substr(0, colon);
  ++m_token_requests[client_id];
  const auto client = m_config.oauth_clients.find(client_id);
  if (client == m_config.oauth_clients.end() || client->second != decoded->substr(colon + 1)) {
    return invalid_client();
  }
  if (parse_form(request.body)["grant_type"] != "client_credentials") {
    return json_response(400, Json{{"error", "unsupported_grant_type"},
                                   {"error_description", "Only client_credentials is supported"}});
  }
  std::erase_if(m_tokens, [now](const auto& entry) { return entry.second.expires <= now; });
  const std::string token = random_hex(32);
  m_tokens[token] = IssuedToken{client_id, now + m_config.token_ttl};
  return json_response(200, Json{{"access_token", token},
                                 {"token_type", "Bearer"},
                                 {"expires_in", m_config.token_ttl.count()}});
}

Json Authenticator::token_requests() const { return Json(m_token_requests); }

void Authenticator::reset() {
  m_token_requests.clear();
  m_seen_nonces.clear();
}

}  // namespace emsync::sim
