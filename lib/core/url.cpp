#include "core/url.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace emsync {
namespace {

constexpr std::array<std::string_view, 3> k_loopback_hosts = {"127.0.0.1", "localhost", "::1"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

Error url_error(std::string problem) { return make_error(Errc::invalid_input, std::move(problem)); }

bool is_port(std::string_view port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && port.size() <= 5 && ec == std::errc() &&
         end == port.data() + port.size() && value >= 1 && value <= 65535;
}

bool is_in(char c, std::string_view allowed) { return allowed.find(c) != std::string_view::npos; }

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A DNS name or an IPv4 address: letters, digits, '.', '-', '_'.
bool is_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) { return is_alnum(c) || is_in(c, ".-_"); });
}

// What may stand between the brackets of an IPv6 literal: hex digits, ':'
// (at least one) and '.' (an embedded IPv4 address).
bool is_v6_literal(std::string_view host) {
  const bool chars = std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
           is_in(c, ":.");
  });
  return chars && host.find(':') != std::string_view::npos;
}

// Printable ASCII without spaces: nothing that could end the request line
// or a header it is written into.
bool is_path(std::string_view path) {
  return std::all_of(path.begin(), path.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Splits "host[:port]" or "[v6]:port" into url.host/url.port; the host is a
// name, an IPv4 address or a bracketed IPv6 literal, so that text() prints
// what parses back to the same parts.
bool split_authority(std::string_view authority, Url& url) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = authority.substr(1, close - 1);
    if (!is_v6_literal(host)) {
      return false;
    }
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
  if (!authority.starts_with('[') && !is_host_name(host)) {
    return false;
  }
  url.host = std::string(host);
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return true;
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

Result<Url> parse_url(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  const std::string scheme =
      scheme_end == std::string_view::npos ? "" : lower(text.substr(0, scheme_end));
  if (scheme != "https" && scheme != "http") {
    return url_error("must be an http:// or https:// URL");
  }
  url.tls = scheme == "https";
  const std::string_view rest = text.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, std::min(slash, rest.find_first_of("?#")));
  if (authority.find('@') != std::string_view::npos) {
    return url_error("must not contain a user name or password");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return url_error("must not contain a query or a fragment");
  }
  if (!split_authority(authority, url)) {
    return url_error(
        "has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the "
        "port must be 1-65535)");
  }
  if (url.host.empty()) {
    return url_error("has no host");
  }
  url.host = lower(url.host);
  const bool loopback = std::find(k_loopback_hosts.begin(), k_loopback_hosts.end(), url.host) !=
                        k_loopback_hosts.end();
  if (!url.tls && !loopback) {
    return url_error("uses plain http:// to '" + url.host +
                     "'; http is only allowed for loopback hosts (127.0.0.1, localhost, "
                     "[::1]); use https://");
  }
  if (slash != std::string_view::npos) {
    if (!is_path(rest.substr(slash))) {
      return url_error("has a path with spaces or control characters");
    }
    url.path = std::string(rest.substr(slash));
    while (url.path.ends_with('/')) {
      url.path.pop_back();
    }
  }
  return url;
}

}  // namespace emsync
