// Parsing of the configured base URLs: scheme://host[:port][/base/path] [pure].
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync::emarsys {

struct Url {
  bool tls = true;     // https (else http)
  std::string host;    // without IPv6 brackets
  std::string port;    // "443"/"80" when not given
  std::string path;    // "" or "/api/v2" (no trailing slash)

  // "host[:port]" as sent in the Host header (brackets kept for IPv6).
  std::string host_header() const;
  // scheme://host:port/path, for messages and logs (no credentials possible).
  std::string text() const;
};

// Accepts http and https only; rejects user info, queries and fragments.
// Errors name `what` (e.g. "api_url") and the problem.
Result<Url> parse_url(std::string_view text, std::string_view what);

}  // namespace emsync::emarsys
