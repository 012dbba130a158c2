// The admin server: PROTOCOL.md over an AF_UNIX stream socket.
//
// One coroutine per connection reads request lines, awaits the Handler and
// writes each response before reading the next request. Limits: lines of
// k_max_message_bytes (a longer one gets an invalid_input reply and the
// connection is closed); ServerLimits::max_connections at once, plus
// ServerLimits::reserved_connections for the peers `reserved_for` accepts
// (operators), so that nobody else can crowd them out (extra connections get
// a `transient` reply and are closed); ServerLimits::idle_timeout to send a
// complete request (also between requests, not while the Handler runs) and
// to read a response. A handler exception becomes an "internal" reply; no
// exception leaves a connection.
//
// Threading: start(), stop() and every Handler call run on the executor,
// which must not run handlers concurrently (an io_context run by one thread,
// or a strand). The executor's context must outlive the Server; connection
// coroutines keep the server's internal state alive until they finish.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "admin/protocol.hpp"
#include "core/result.hpp"

namespace emsync::admin {

namespace detail {
struct ServerState;
}

// Serves one decoded request; Request::peer names the client.
using Handler = std::function<boost::asio::awaitable<Response>(Request)>;
// Whether a peer may use a reserved connection slot.
using ReservedFor = std::function<bool(const Peer&)>;

struct ServerLimits {
  std::size_t max_connections = 64;
  // A connection with no complete request for this long is closed. A handler
  // that takes longer (run with wait) is not affected.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(5);
  // Connections beyond max_connections, for the peers ReservedFor accepts.
  std::size_t reserved_connections = 4;
};

class Server {
 public:
  // Without `reserved_for`, nobody gets the reserved slots.
  Server(boost::asio::any_io_executor executor, std::string socket_path, Handler handler,
         ServerLimits limits = {}, ReservedFor reserved_for = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Removes a stale socket file (a socket nobody listens on; anything else at
  // the path is an error), binds, sets mode 0660 before listening, and spawns
  // the accept loop. Fails with Errc::io_error (bind, listen, a live daemon
  // already on the path) or Errc::invalid_input (path not a socket, too long).
  Result<void> start();
  // Closes the acceptor and every connection and removes the socket file if
  // it is still the one start() created. Idempotent.
  void stop();

 private:
  std::shared_ptr<detail::ServerState> m_state;
};

}  // namespace emsync::admin
