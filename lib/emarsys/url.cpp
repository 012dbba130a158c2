#include "emarsys/url.hpp"

#include <algorithm>

namespace emsync::emarsys {
namespace {

// The URL as shown in errors: user info (possibly a password) is masked.
std::string redacted(std::string_view text) {
  const auto at = text.find('@');
  const auto start = text.find("://");
  if (at == std::string_view::npos || start == std::string_view::npos || start > at) {
    return std::string(text);
  }
  return std::string(text.substr(0, start + 3)) + "***" + std::string(text.substr(at));
}

Error url_error(std::string_view what, std::string_view text, std::string_view problem) {
  return make_error(Errc::invalid_input, std::string(what) + " '" + redacted(text) + "' " +
                                             std::string(problem) +
                                             "; expected https://host[:port][/path]");
}

bool is_port(std::string_view port) {
  return !port.empty() && port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits "host[:port]" or "[v6]:port" into url.host/url.port.
bool split_authority(std::string_view authority, Url& url) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && (!rest.starts_with(':') || !is_port(port = rest.substr(1)))) {
      return false;
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (!is_port(port)) {
      return false;
    }
  }
  url.host = std::string(host);
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return !url.host.empty();
}

}  // namespace

std::string Url::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string name = v6 ? "[" + host + "]" : host;
  const bool default_port = port == (tls ? "443" : "80");
  return default_port ? name : name + ":" + port;
}

std::string Url::text() const {
  return std::string(tls ? "https://" : "http://") + host_header() + path;
}

Result<Url> parse_url(std::string_view text, std::string_view what) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    url.tls = false;
    rest.remove_prefix(7);
  } else {
    return url_error(what, text, "does not start with https:// or http://");
  }
  if (rest.find_first_of("?#@") != std::string_view::npos) {
    return url_error(what, text, "must not contain user info, a query or a fragment");
  }
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  if (!split_authority(authority, url)) {
    return url_error(what, text, "has an invalid host or port");
  }
  if (slash != std::string_view::npos) {
    url.path = std::string(rest.substr(slash));
    while (url.path.ends_with('/')) {
      url.path.pop_back();
    }
  }
  return url;
}

}  // namespace emsync::emarsys
