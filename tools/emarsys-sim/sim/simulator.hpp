// The simulated Emarsys account behind one HTTP entry point: routes
// /oauth2/token, /api/v2 (WSSE) and /api/v3 (OAuth bearer) calls through
// fault injection, authentication, per-user rate limiting and the endpoint
// handlers, records them in the request log, and serves /sim/ test control.
// No I/O: the server moves the bytes (as Response::delivery says) and
// writes the log line.
//
// Thread-safe: handle() may be called from any number of connection threads;
// one mutex serialises all requests.
#pragma once

#include <mutex>

#include "sim/config.hpp"
#include "sim/http.hpp"
#include "sim/store.hpp"

namespace emsync::sim {

class Simulator {
 public:
  explicit Simulator(Config config);

  // `now` is the wall-clock time of the request (WSSE Created, token expiry,
  // rate-limit windows, list timestamps).
  Response handle(const Request& request, Clock::time_point now);

 private:
  // Returns the response; `note` gets the user or a failure reason.
  Response route(const Request& request, const Target& target, Clock::time_point now,
                 std::string& note);
  // POST /oauth2/token, unless a fault (token_endpoint) answers instead.
  Response handle_token(const Request& request, const Target& target, Clock::time_point now,
                        std::string& note);
  // An /api call: the fault draw, then serve_api, then the request log.
  Response handle_api(const Request& request, const Target& target, Clock::time_point now,
                      std::string& note);
  // Authentication, rate limiting and the endpoint; adds the user to `entry`.
  Response serve_api(const Request& request, const Target& target, Clock::time_point now,
                     Json& entry, std::string& note);

  const Config m_config;
  std::mutex m_mutex;
  State m_state;  // guarded by m_mutex
};

}  // namespace emsync::sim
