#include "admin/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <utility>
#include <vector>

#include "admin/unix_socket.hpp"

namespace emsync::admin {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using Socket = asio::local::stream_protocol::socket;
using namespace asio::experimental::awaitable_operators;

// Expected failures (EOF, a closed socket) come back as error codes.
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// Completion handler for detached coroutines: logs instead of losing an exception.
auto log_exception(const char* what) {
  return [what](const std::exception_ptr& error) {
    if (!error) {
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("admin: {} failed: {}", what, e.what());
    }
  };
}

// A path with nothing listening can be replaced; anything else cannot.
Result<void> remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return ok();
    }
    return make_error(Errc::io_error, "cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return make_error(Errc::invalid_input, path + " exists and is not a socket; not replacing it");
  }
  auto probe = detail::connect_unix(path, std::chrono::seconds(1));
  if (probe) {
    return make_error(Errc::io_error,
                      "another process listens on " + path + " (is emsyncd already running?)");
  }
  if (probe.error().code != Errc::not_found || ::unlink(path.c_str()) != 0) {
    return make_error(
        Errc::io_error,
        "cannot remove stale socket " + path + ": " +
            (probe.error().code == Errc::not_found ? std::strerror(errno) : probe.error().message));
  }
  return ok();
}

// The peer's uid, gid and pid (SO_PEERCRED) and supplementary groups
// (SO_PEERGROUPS, Linux 4.13), as they were when it connected.
Peer read_peer(Socket& socket) {
  Peer peer;
  const int fd = socket.native_handle();
  ucred cred{};
  socklen_t size = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) {
    return peer;
  }
  peer.uid = static_cast<int>(cred.uid);
  peer.gid = static_cast<int>(cred.gid);
  peer.pid = static_cast<int>(cred.pid);
  std::vector<gid_t> groups(32);
  for (;;) {
    size = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &size) == 0) {
      groups.resize(size / sizeof(gid_t));
      break;
    }
    if (errno != ERANGE || size / sizeof(gid_t) <= groups.size()) {
      groups.clear();  // unknown: only uid and primary gid count
      break;
    }
    groups.resize(size / sizeof(gid_t));  // ERANGE sets the size needed
  }
  peer.groups.assign(groups.begin(), groups.end());
  return peer;
}

// The encoded response, or an "internal" failure if it would break the line limit.
std::string encode_bounded(const Response& response) {
  std::string line = encode_response(response);
  if (line.size() > k_max_message_bytes) {
    line = encode_response(Response::failure(
        k_internal, "the response (" + std::to_string(line.size()) + " bytes) exceeds the " +
                        std::to_string(k_max_message_bytes) + "-byte limit; narrow the request"));
  }
  return line;
}

}  // namespace

struct detail::ServerState {
  ServerState(asio::any_io_executor executor, std::string path, Handler handler,
              ServerLimits limits, ReservedFor reserved_for)
      : executor(executor),
        path(std::move(path)),
        handler(std::move(handler)),
        limits(limits),
        reserved_for(std::move(reserved_for)),
        acceptor(executor) {}

  asio::any_io_executor executor;
  std::string path;
  Handler handler;
  ServerLimits limits;
  ReservedFor reserved_for;
  asio::local::stream_protocol::acceptor acceptor;
  ino_t socket_inode = 0;  // of the file start() bound, 0 when not bound
  std::map<std::uint64_t, std::shared_ptr<Socket>> connections;
  std::uint64_t next_connection_id = 0;
};

namespace {

using detail::ServerState;
using StatePtr = std::shared_ptr<ServerState>;

awaitable<Response> handle_line(ServerState& state, std::string_view line, const Peer& peer) {
  auto request = decode_request(line);
  if (!request) {
    co_return undecodable_request_response(request.error());
  }
  request->peer = peer;
  std::string method = request->method;
  try {
    co_return co_await state.handler(std::move(*request));
  } catch (const std::exception& e) {
    spdlog::error("admin: method '{}' failed: {}", method, e.what());
  }
  co_return internal_failure(method);
}

// Reads requests and writes responses until EOF, an error, idle timeout or stop().
awaitable<void> serve_requests(ServerState& state, Socket& socket, const Peer& peer) {
  std::string buffer;
  asio::steady_timer idle(state.executor);
  for (;;) {
    idle.expires_after(state.limits.idle_timeout);
    auto read =
        co_await (asio::async_read_until(socket, asio::dynamic_buffer(buffer, k_max_message_bytes),
                                         '\n', use_nothrow) ||
                  idle.async_wait(use_nothrow));
    if (read.index() == 1) {
      co_return;  // idle
    }
    auto [error, line_size] = std::get<0>(read);
    if (error == asio::error::not_found) {  // the buffer filled up without a '\n'
      co_await asio::async_write(
          socket,
          asio::buffer(encode_response(Response::failure(
              "invalid_input",
              "request line longer than " + std::to_string(k_max_message_bytes) + " bytes"))),
          use_nothrow);
      co_return;
    }
    if (error) {
      co_return;  // EOF, reset or closed by stop()
    }
    Response response = co_await handle_line(state, {buffer.data(), line_size}, peer);
    buffer.erase(0, line_size);
    const std::string line = encode_bounded(response);
    idle.expires_after(state.limits.idle_timeout);  // a client that does not read
    auto written = co_await (asio::async_write(socket, asio::buffer(line), use_nothrow) ||
                             idle.async_wait(use_nothrow));
    if (written.index() == 1) {
      co_return;  // the client did not read its response in time
    }
    auto [write_error, write_size] = std::get<0>(written);
    if (write_error) {
      co_return;
    }
  }
}

awaitable<void> serve_connection(StatePtr state, std::uint64_t id, std::shared_ptr<Socket> socket,
                                 Peer peer) {
  try {
    co_await serve_requests(*state, *socket, peer);
  } catch (const std::exception& e) {
    spdlog::warn("admin: connection closed after an error: {}", e.what());
  }
  state->connections.erase(id);
  boost::system::error_code ignored;
  socket->close(ignored);
}

// Over the limit: reply with an error without reading, then close. The reply
// is tiny, so the blocking write cannot stall on a fresh socket.
void reject(Socket& socket, std::size_t limit) {
  boost::system::error_code ignored;
  asio::write(socket,
              asio::buffer(encode_response(Response::failure(
                  to_string(Errc::transient), "emsyncd serves at most " + std::to_string(limit) +
                                                  " admin connections at once; retry later"))),
              ignored);
  socket.close(ignored);
}

awaitable<void> accept_loop(StatePtr state) {
  asio::steady_timer backoff(state->executor);
  while (state->acceptor.is_open()) {
    auto [error, socket] = co_await state->acceptor.async_accept(use_nothrow);
    if (error == asio::error::operation_aborted || !state->acceptor.is_open()) {
      co_return;
    }
    if (error) {  // e.g. EMFILE: log and back off instead of spinning
      spdlog::warn("admin: accept on {} failed: {}", state->path, error.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    Peer peer = read_peer(socket);
    const std::size_t open = state->connections.size();
    const bool reserved = state->reserved_for && state->reserved_for(peer);
    if (open >=
        state->limits.max_connections + (reserved ? state->limits.reserved_connections : 0)) {
      reject(socket, state->limits.max_connections);
      continue;
    }
    // Counted from now on, before the next accept.
    auto shared = std::make_shared<Socket>(std::move(socket));
    const std::uint64_t id = state->next_connection_id++;
    state->connections.emplace(id, shared);
    asio::co_spawn(state->executor, serve_connection(state, id, shared, std::move(peer)),
                   log_exception("admin connection"));
  }
}

// Mode 0660 is set before listen(), so no connection is accepted under the
// umask's mode; the inode lets stop() leave a successor's socket alone.
Result<void> bind_and_listen(ServerState& s) {
  const asio::local::stream_protocol::endpoint endpoint(s.path);
  boost::system::error_code error;
  s.acceptor.open(endpoint.protocol(), error);
  if (!error) {
    s.acceptor.bind(endpoint, error);
  }
  struct stat st {};
  if (!error && ::lstat(s.path.c_str(), &st) == 0) {
    s.socket_inode = st.st_ino;
  }
  if (!error && ::chmod(s.path.c_str(), 0660) != 0) {
    error.assign(errno, boost::system::system_category());
  }
  if (!error) {
    s.acceptor.listen(asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    return make_error(Errc::io_error, "cannot listen on " + s.path + ": " + error.message());
  }
  return ok();
}

}  // namespace

Server::Server(asio::any_io_executor executor, std::string socket_path, Handler handler,
               ServerLimits limits, ReservedFor reserved_for)
    : m_state(std::make_shared<detail::ServerState>(std::move(executor), std::move(socket_path),
                                                    std::move(handler), limits,
                                                    std::move(reserved_for))) {}

Server::~Server() { stop(); }

Result<void> Server::start() {
  detail::ServerState& s = *m_state;
  if (s.path.size() > detail::max_socket_path_length()) {
    return make_error(Errc::invalid_input, "socket path " + s.path + " is too long");
  }
  EMSYNC_TRY(remove_stale_socket(s.path));
  if (auto listening = bind_and_listen(s); !listening) {
    stop();
    return listening;
  }
  asio::co_spawn(s.executor, accept_loop(m_state), log_exception("admin accept loop"));
  spdlog::info("admin: listening on {}", s.path);
  return ok();
}

void Server::stop() {
  detail::ServerState& s = *m_state;
  boost::system::error_code ignored;
  s.acceptor.close(ignored);
  for (auto& [id, socket] : s.connections) {
    socket->close(ignored);
  }
  struct stat st {};
  if (s.socket_inode != 0 && ::lstat(s.path.c_str(), &st) == 0 && st.st_ino == s.socket_inode) {
    ::unlink(s.path.c_str());
  }
  s.socket_inode = 0;
}

}  // namespace emsync::admin
