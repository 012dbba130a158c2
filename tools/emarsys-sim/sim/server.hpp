// Serves a Simulator over HTTP/1.1, or HTTPS when a certificate is
// configured: one thread per connection doing synchronous Beast reads and
// writes, keep-alive honoured, request bodies capped at 12 MB; one log line
// per request on stderr. Carries out Response::delivery: a slow fault waits
// in that connection's thread only; a reset fault closes the socket with an
// RST and writes nothing.
//
// Threading: run() accepts on the calling thread; connection threads call
// Simulator::handle concurrently (it serialises them). The Server and the
// Simulator must outlive run().
#pragma once

#include <cstdint>
#include <memory>

#include "sim/config.hpp"
#include "sim/simulator.hpp"

namespace emsync::sim {

class Server {
 public:
  // Binds and listens at once (so port() is known) and installs the
  // SIGINT/SIGTERM handlers. Throws std::exception when it cannot.
  Server(const Config& config, Simulator& simulator);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;

  // Serves until SIGINT, SIGTERM or stop(), then closes every open
  // connection and returns once their threads have finished.
  void run();

  // Makes run() return as a signal would; callable from any thread (tests).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace emsync::sim
