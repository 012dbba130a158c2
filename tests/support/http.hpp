// A blocking HTTP/1.1 client for tests (e.g. reading the Emarsys simulator's
// /sim/state). Plain TCP only; one request per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace emsync::test {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Sends `method` (e.g. "GET", "POST") for `target` (e.g. "/sim/state") to
// host:port, with `body` as application/json when not empty, and reads the
// whole response. Throws std::runtime_error naming the URL when the
// connection fails or the exchange takes longer than `timeout`.
HttpResponse http_request(const std::string& method, const std::string& host, std::uint16_t port,
                          const std::string& target, const std::string& body = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released), for a server a test starts.
std::uint16_t free_loopback_port();

}  // namespace emsync::test
