// The one URL check, shared by --check-config and the Emarsys client.
#include <catch2/catch.hpp>

#include "core/url.hpp"

using emsync::parse_url;

TEST_CASE("url parses scheme, host, default port and base path", "[core][url]") {
  auto url = parse_url("https://api.emarsys.net/api/v2/");
  REQUIRE(url);
  CHECK(url->tls);
  CHECK(url->host == "api.emarsys.net");
  CHECK(url->port == "443");
  CHECK(url->path == "/api/v2");
  CHECK(url->host_header() == "api.emarsys.net");
  CHECK(url->text() == "https://api.emarsys.net/api/v2");
}

TEST_CASE("url parses an explicit port and IPv6 literals", "[core][url]") {
  auto url = parse_url("http://127.0.0.1:8080");
  REQUIRE(url);
  CHECK_FALSE(url->tls);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == "8080");
  CHECK(url->path.empty());
  CHECK(url->host_header() == "127.0.0.1:8080");
  auto v6 = parse_url("https://[::1]:8443/api/v3");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->host_header() == "[::1]:8443");
}

TEST_CASE("url takes scheme and host in any case, plain http to loopback hosts only",
          "[core][url]") {
  auto upper = parse_url("HTTP://LocalHost:1/x");
  REQUIRE(upper);
  CHECK_FALSE(upper->tls);
  CHECK(upper->host == "localhost");
  CHECK(upper->text() == "http://localhost:1/x");
  for (const char* text : {"http://127.0.0.1:9000/api/v2", "http://localhost/api",
                           "http://[::1]:8080", "HTTPS://API.emarsys.net"}) {
    CAPTURE(text);
    CHECK(parse_url(text));
  }
  for (const char* text :
       {"http://api.emarsys.net/api/v2", "http://localhost.evil.com/", "http://127.0.0.2/"}) {
    CAPTURE(text);
    auto url = parse_url(text);
    REQUIRE_FALSE(url);
    CHECK_THAT(url.error().message, Catch::StartsWith("uses plain http:// to '"));
  }
}

TEST_CASE("url names each problem", "[core][url]") {
  constexpr const char* k_bad_authority =
      "has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the port "
      "must be 1-65535)";
  const std::pair<const char*, const char*> cases[] = {
      {"ftp://x", "must be an http:// or https:// URL"},
      {"api.emarsys.net", "must be an http:// or https:// URL"},
      {"https://u:p@host/", "must not contain a user name or password"},
      {"https://host/?a=1", "must not contain a query or a fragment"},
      {"https://host#top", "must not contain a query or a fragment"},
      {"https://host:x/", "has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the port must be 1-65535)"},
      {"https://host:0/", "has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the port must be 1-65535)"},
      {"https://host:65536/", "has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the port must be 1-65535)"},
      {"https://[::1/", "has an invalid host or port (a name, an IPv4 address or a bracketed IPv6 address; the port must be 1-65535)"},
      {"https://:[:1]:443/a/", k_bad_authority},  // found by fuzz_config
      {"https://s[::1]:443/a/", k_bad_authority},  // found by fuzz_config
      {"https://[evil.example]/", k_bad_authority},
      {"https://host\r\nX-Injected: 1/", k_bad_authority},
      {"https://ho st/", k_bad_authority},
      {"https://host/a b", "has a path with spaces or control characters"},
      {"https://host/a\r\nX-Injected: 1", "has a path with spaces or control characters"},
      {"https://:443/", "has no host"},
      {"https://", "has no host"},
  };
  for (const auto& [text, problem] : cases) {
    CAPTURE(text);
    auto url = parse_url(text);
    REQUIRE_FALSE(url);
    CHECK(url.error().code == emsync::Errc::invalid_input);
    CHECK(url.error().message == problem);
  }
  CHECK(parse_url("https://host:65535/"));
  CHECK(parse_url("https://[2001:db8::7]:8443/api"));
  CHECK(parse_url("https://[::ffff:127.0.0.1]/api"));
}

TEST_CASE("url errors never quote the URL", "[core][url]") {
  auto url = parse_url("https://user:hunter2@host/");
  REQUIRE_FALSE(url);
  CHECK(url.error().message.find("hunter2") == std::string::npos);
}
