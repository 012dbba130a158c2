#include "emarsys/wsse.hpp"

#include <ctime>

#include "core/crypto.hpp"
#include "core/hardening.hpp"

namespace emsync::emarsys {

std::string wsse_digest(std::string_view nonce, std::string_view created, std::string_view secret) {
  std::string text;
  text.reserve(nonce.size() + created.size() + secret.size());
  text.append(nonce).append(created).append(secret);
  std::string digest = base64_encode(sha1_hex(text));
  wipe(text);
  return digest;
}

std::string wsse_header(std::string_view user, std::string_view secret, std::string_view nonce,
                        std::string_view created) {
  std::string out = "UsernameToken Username=\"";
  out.append(user).append("\", PasswordDigest=\"").append(wsse_digest(nonce, created, secret));
  out.append("\", Nonce=\"").append(nonce).append("\", Created=\"").append(created).append("\"");
  return out;
}

std::string wsse_nonce() { return random_hex(16); }

std::string wsse_created(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, n);
}

}  // namespace emsync::emarsys
