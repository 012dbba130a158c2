// A small HTTP/1.1 client for one origin over a pool of up to `connections`
// keep-alive connections: plain TCP for http://, TLS (peer and host name
// verified, SNI) for https://.
//
// Concurrent send()s use up to `connections` connections at once (opened on
// demand, kept open, the most recently used reused first); further ones
// queue in order for the next free connection. Per connection (see
// http_connection.hpp): every step (resolve+connect, handshake, write, read)
// has `timeout` as its deadline, and a request that fails on a reused
// connection before any response arrived (the server closed it while idle)
// is resent once on a fresh connection. A response body is read up to the
// request's response_limit and no further.
//
// Errors: Errc::timeout, Errc::transient (resolve, connect, reset),
// Errc::io_error (TLS setup or certificate verification: not retryable),
// Errc::protocol_error (malformed response, or a body over response_limit:
// the message names the limit; the connection is closed), Errc::cancelled
// (not sent: stop_queued() was called). Messages name the origin and the
// step, never headers or bodies.
//
// Threading: use from coroutines on the executor passed in. The HttpClient
// must outlive every send().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/url.hpp"

namespace emsync::emarsys {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "PUT", "POST"
  std::string target;  // origin-form: "/api/v2/contact?create_if_not_exists=0"
  Headers headers;     // Host, Content-Length and User-Agent are added
  std::string body;
  // The most body bytes the response may have (see reply.hpp for the
  // Emarsys calls' limits).
  std::uint64_t response_limit = 64 * 1024;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // The first header named `name`, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

class HttpClient {
 public:
  // `origin` supplies scheme, host and port (its path is ignored). `ca_file`
  // is a PEM bundle; without it the system store is used.
  // REQUIRES: connections >= 1.
  HttpClient(boost::asio::any_io_executor executor, Url origin,
             std::optional<std::string> ca_file, std::chrono::milliseconds timeout,
             int connections = 1);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request);

  // For shutdown: send()s waiting for a free connection, and every later
  // one, fail with Errc::cancelled; those on the wire finish. Irreversible.
  void stop_queued();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace emsync::emarsys
