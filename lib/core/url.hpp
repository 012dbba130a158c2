// The one check of a configured base URL, scheme://host[:port][/base/path]
// [pure]: `--check-config` (config) and the Emarsys client at run time
// (emarsys) both call parse_url(), so what one accepts the other does.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync {

struct Url {
  bool tls = true;   // https (else http)
  std::string host;  // without IPv6 brackets
  std::string port;  // "443"/"80" when not given
  std::string path;  // "" or "/api/v2" (no trailing slash)

  // "host[:port]" as sent in the Host header (brackets kept for IPv6).
  std::string host_header() const;
  // scheme://host:port/path, for messages and logs (no credentials possible).
  std::string text() const;
};

// Accepts http and https (in any case) with a host and an optional port
// (1-65535) and path; rejects user info, queries and fragments, and plain
// http to anything but a loopback host (127.0.0.1, localhost, [::1]).
// Errors are Errc::invalid_input whose message is the problem alone, for the
// caller to prefix with the URL's name: "must not contain a user name or
// password". They never quote the URL (it may hold a password).
Result<Url> parse_url(std::string_view text);

}  // namespace emsync
