#include <catch2/catch.hpp>

#include "emarsys/url.hpp"

using namespace emsync::emarsys;

TEST_CASE("url parses scheme, host, default port and base path", "[emarsys][url]") {
  auto url = parse_url("https://api.emarsys.net/api/v2/", "api_url");
  REQUIRE(url);
  CHECK(url->tls);
  CHECK(url->host == "api.emarsys.net");
  CHECK(url->port == "443");
  CHECK(url->path == "/api/v2");
  CHECK(url->host_header() == "api.emarsys.net");
  CHECK(url->text() == "https://api.emarsys.net/api/v2");
}

TEST_CASE("url parses an explicit port and IPv6 literals", "[emarsys][url]") {
  auto url = parse_url("http://127.0.0.1:8080", "api_url");
  REQUIRE(url);
  CHECK_FALSE(url->tls);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == "8080");
  CHECK(url->path.empty());
  CHECK(url->host_header() == "127.0.0.1:8080");
  auto v6 = parse_url("https://[::1]:8443/api/v3", "api_url");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->host_header() == "[::1]:8443");
}

TEST_CASE("url rejects other schemes, credentials and bad ports", "[emarsys][url]") {
  for (const char* text : {"ftp://x", "api.emarsys.net", "https://u:p@host/", "https://host:x/",
                           "https://host/?a=1", "https://:443/", "https://[::1/"}) {
    auto url = parse_url(text, "api_url");
    REQUIRE_FALSE(url);
    CHECK(url.error().code == emsync::Errc::invalid_input);
    CHECK(url.error().message.find("api_url") != std::string::npos);
  }
}

TEST_CASE("url errors mask user info", "[emarsys][url]") {
  auto url = parse_url("https://user:hunter2@host/", "api_url");
  REQUIRE_FALSE(url);
  CHECK(url.error().message.find("hunter2") == std::string::npos);
}
