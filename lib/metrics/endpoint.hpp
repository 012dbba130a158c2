// metrics::HttpEndpoint: what a Prometheus server and a load balancer probe,
// served over plain HTTP/1.1 on a TCP address (loopback by default):
//
//   GET /metrics  200, the text exposition (Content-Type text/plain; version=0.0.4)
//   GET /healthz  200 "ok", or 503 with a one-line reason (e.g. the state DB
//                 cannot be written)
//   anything else 404 (405 for a method other than GET/HEAD)
//
// It runs on the daemon's io_context, so a /healthz answer also shows the
// event loop is alive. Limits: requests of at most 8 KiB; 5 s to send a
// complete request (also the next one on a kept-alive connection) and 5 s to
// read the response, else the connection is closed; 64 connections at once:
// a new one beyond that closes the one that has waited longest, so idle
// connections cannot lock out a scrape or a health check.
//
// Threading: start(), stop() and the handlers run on the executor (one
// thread), so handlers must be quick and must not block.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "metrics/health.hpp"

namespace emsync::metrics {

struct EndpointHandlers {
  std::function<std::string()> metrics;  // the text exposition
  std::function<Health()> health;
};

namespace detail {
struct EndpointState;
}

class HttpEndpoint {
 public:
  HttpEndpoint(boost::asio::any_io_executor executor, std::string host, std::uint16_t port,
               EndpointHandlers handlers);
  ~HttpEndpoint();  // stop()
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Binds (SO_REUSEADDR) and starts accepting. Errc::io_error names the
  // address and says how to choose another.
  Result<void> start();
  // Closes the listener and every connection. Idempotent.
  void stop();

 private:
  std::shared_ptr<detail::EndpointState> m_state;
};

}  // namespace emsync::metrics
