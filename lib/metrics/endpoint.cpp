#include "metrics/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>

namespace emsync::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t k_max_connections = 64;
constexpr std::size_t k_max_request_bytes = 8 * 1024;
// To send a complete request (also the next one on a kept-alive connection),
// and to read the response.
constexpr auto k_io_timeout = std::chrono::seconds(5);

// A served connection and when its current wait (for a request, or for its
// client to read the response) began.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  std::chrono::steady_clock::time_point waiting_since = std::chrono::steady_clock::now();
};

}  // namespace

struct detail::EndpointState {
  EndpointState(asio::any_io_executor ex, std::string host, std::uint16_t port,
                EndpointHandlers handlers)
      : executor(std::move(ex)),
        host(std::move(host)),
        port(port),
        handlers(std::move(handlers)),
        acceptor(executor) {}

  std::string address() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
  }

  asio::any_io_executor executor;
  std::string host;
  std::uint16_t port;
  EndpointHandlers handlers;
  tcp::acceptor acceptor;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections;
  std::uint64_t next_connection_id = 0;
};

namespace {

using StatePtr = std::shared_ptr<detail::EndpointState>;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response answer(detail::EndpointState& state, const Request& request) {
  Response response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(http::field::server, "emsyncd");
  const auto target = std::string_view(request.target().data(), request.target().size());
  const auto path = target.substr(0, target.find('?'));
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET, HEAD");
    response.body() = "only GET and HEAD are served\n";
  } else if (path == "/metrics") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = state.handlers.metrics();
  } else if (path == "/healthz") {
    const Health health = state.handlers.health();
    response.result(health.ok ? http::status::ok : http::status::service_unavailable);
    response.body() = (health.ok ? std::string("ok") : health.reason) + "\n";
  } else {
    response.result(http::status::not_found);
    response.body() = "not found; try /metrics or /healthz\n";
  }
  if (path != "/metrics" || response.result() != http::status::ok) {
    response.set(http::field::content_type, "text/plain; charset=utf-8");
  }
  response.prepare_payload();
  if (request.method() == http::verb::head) {
    response.body().clear();  // Content-Length stays that of the GET
  }
  return response;
}

// Starts the deadline of the connection's next wait.
void start_wait(Connection& connection) {
  connection.waiting_since = std::chrono::steady_clock::now();
  connection.stream.expires_after(k_io_timeout);
}

asio::awaitable<void> serve(detail::EndpointState& state, Connection& connection) {
  beast::tcp_stream& stream = connection.stream;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(k_max_request_bytes);
    parser.header_limit(k_max_request_bytes);
    start_wait(connection);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (read_error) {
      co_return;  // EOF, timeout, an oversized or malformed request, stop()
    }
    const Request& request = parser.get();
    Response response = answer(state, request);
    const bool keep_alive = response.keep_alive();
    start_wait(connection);
    if (request.method() == http::verb::head) {
      http::response_serializer<http::string_body> serializer(response);
      auto [header_error, header_bytes] =
          co_await http::async_write_header(stream, serializer, use_nothrow);
      if (header_error) {
        co_return;
      }
    } else {
      auto [write_error, written] = co_await http::async_write(stream, response, use_nothrow);
      if (write_error) {
        co_return;
      }
    }
    if (!keep_alive) {
      co_return;
    }
  }
}

void close_stream(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

// `connection` stays shared: its map entry may go (evicted) while it is served.
asio::awaitable<void> serve_connection(StatePtr state, std::uint64_t id,
                                       std::shared_ptr<Connection> connection) {
  co_await serve(*state, *connection);
  state->connections.erase(id);
  close_stream(connection->stream);
}

// At the limit, the connection that has waited longest gives way: a client
// holding idle connections cannot lock out a scrape or a health check.
void evict_longest_waiting(detail::EndpointState& state) {
  const auto oldest = std::min_element(state.connections.begin(), state.connections.end(),
                                       [](const auto& a, const auto& b) {
                                         return a.second->waiting_since < b.second->waiting_since;
                                       });
  close_stream(oldest->second->stream);
  state.connections.erase(oldest);
}

asio::awaitable<void> accept_loop(StatePtr state) {
  asio::steady_timer backoff(state->executor);
  while (state->acceptor.is_open()) {
    auto [error, socket] = co_await state->acceptor.async_accept(use_nothrow);
    if (error == asio::error::operation_aborted || !state->acceptor.is_open()) {
      co_return;
    }
    if (error) {  // e.g. EMFILE: back off instead of spinning
      spdlog::warn("metrics endpoint {}: accept failed: {}", state->address(), error.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    if (state->connections.size() >= k_max_connections) {
      evict_longest_waiting(*state);
    }
    // Counted from now on, before the next accept.
    auto connection = std::make_shared<Connection>(std::move(socket));
    const std::uint64_t id = state->next_connection_id++;
    state->connections.emplace(id, connection);
    asio::co_spawn(state->executor, serve_connection(state, id, std::move(connection)),
                   asio::detached);
  }
}

}  // namespace

HttpEndpoint::HttpEndpoint(asio::any_io_executor executor, std::string host, std::uint16_t port,
                           EndpointHandlers handlers)
    : m_state(std::make_shared<detail::EndpointState>(std::move(executor), std::move(host), port,
                                                      std::move(handlers))) {}

HttpEndpoint::~HttpEndpoint() { stop(); }

Result<void> HttpEndpoint::start() {
  detail::EndpointState& s = *m_state;
  boost::system::error_code error;
  const auto address = asio::ip::make_address(s.host, error);
  if (!error) {
    const tcp::endpoint endpoint(address, s.port);
    s.acceptor.open(endpoint.protocol(), error);
    if (!error) {
      s.acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    }
    if (!error) {
      s.acceptor.bind(endpoint, error);
    }
    if (!error) {
      s.acceptor.listen(asio::socket_base::max_listen_connections, error);
    }
  }
  if (error) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    return make_error(Errc::io_error, "cannot serve metrics on " + s.address() + ": " +
                                          error.message() +
                                          "; set metrics_listen to a free address, or to \"\" "
                                          "to turn the endpoint off");
  }
  asio::co_spawn(s.executor, accept_loop(m_state), asio::detached);
  return ok();
}

void HttpEndpoint::stop() {
  boost::system::error_code ignored;
  m_state->acceptor.close(ignored);
  for (auto& [id, connection] : m_state->connections) {
    connection->stream.socket().close(ignored);
  }
}

}  // namespace emsync::metrics
