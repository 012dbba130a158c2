// A Simulator driven in-process with explicit times, for the sim unit tests:
// requests are built here and never touch a socket.
#pragma once

#include <string>

#include "sim/auth.hpp"
#include "core/crypto.hpp"
#include "sim/simulator.hpp"

namespace emsync::sim::test {

// "2027-01-15T08:00:00Z" for `t` (whole seconds).
inline std::string iso(Clock::time_point t) {
  std::string text = format_datetime(t);
  text[10] = 'T';
  return text + "Z";
}

inline std::string wsse_header(const std::string& user, const std::string& secret,
                               const std::string& created, const std::string& nonce) {
  return "UsernameToken Username=\"" + user + "\", PasswordDigest=\"" +
         wsse_digest(nonce, created, secret) + "\", Nonce=\"" + nonce + "\", Created=\"" + created +
         "\"";
}

// The value of an extra header of `response`, or "".
inline std::string header(const Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

struct SimFixture {
  static Config default_config() {
    Config config;
    config.wsse_users["acme001"] = "s3cret";
    config.oauth_clients["client"] = "csecret";
    return config;
  }

  explicit SimFixture(Config c = default_config()) : config(std::move(c)), sim(config) {}

  Response raw(const std::string& method, const std::string& target, const std::string& body,
               std::map<std::string, std::string> headers) {
    return sim.handle(Request{method, target, std::move(headers), body}, now);
  }

  // An /api/v2 call with a valid WSSE header created at `now`.
  Response api(const std::string& method, const std::string& path, const std::string& body = "") {
    const std::string nonce = random_hex(16);
    return raw(method, "/api/v2" + path, body,
               {{"x-wsse", wsse_header("acme001", "s3cret", iso(now), nonce)}});
  }

  Json api_json(const std::string& method, const std::string& path, const std::string& body = "") {
    return Json::parse(api(method, path, body).body);
  }

  Json control(const std::string& method, const std::string& path, const std::string& body = "") {
    return Json::parse(raw(method, path, body, {}).body);
  }

  Config config;
  Simulator sim;
  Clock::time_point now = Clock::time_point(std::chrono::seconds(1800000000));
};

}  // namespace emsync::sim::test
