// Thread-per-connection Beast server for the simulator (see server.hpp).
//
// Shutdown: on SIGINT/SIGTERM (or stop()) the acceptor closes and every
// tracked connection socket is shut down (::shutdown wakes its thread's
// blocking read or write; a slow-fault pause is woken too), then run() waits
// until the connection threads are gone.
#include "sim/server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>

namespace emsync::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

constexpr std::uint64_t k_body_limit = 12 * 1024 * 1024;

// Takes the body (a batch is half a megabyte; the message keeps the rest).
Request to_request(http::request<http::string_body>& message) {
  Request out;
  out.method = std::string(message.method_string());
  out.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(message.body());
  return out;
}

http::response<http::string_body> to_message(const Response& response, unsigned version,
                                             bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "emarsys-sim");
  out.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) {
    out.set(name, value);
  }
  out.body() = response.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// "PUT /api/v2/contact -> 200 0.4ms user=acme001" (one fprintf: lines stay
// whole); "-> reset" when a fault drops the reply.
void log_request(const http::request<http::string_body>& request, const Response& response,
                 std::chrono::steady_clock::duration took) {
  const std::string status =
      response.delivery == Delivery::reset ? "reset" : std::to_string(response.status);
  std::fprintf(stderr, "%s %s -> %s %.1fms%s%s\n", std::string(request.method_string()).c_str(),
               std::string(request.target()).c_str(), status.c_str(),
               std::chrono::duration<double, std::milli>(took).count(),
               response.log_note.empty() ? "" : " ", response.log_note.c_str());
}

}  // namespace

struct Server::Impl {
  Impl(const Config& config, Simulator& sim);

  void accept_next();
  void start_connection(tcp::socket socket);
  template <class Stream>
  void serve_stream(Stream& stream);
  template <class Stream>
  bool serve_requests(Stream& stream);
  bool track(int fd);
  void untrack(int fd);
  bool pause(std::chrono::milliseconds delay);
  void stop();

  Simulator& simulator;
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::optional<asio::ssl::context> tls;

  std::mutex mutex;
  std::condition_variable idle;
  std::condition_variable stop_requested;
  std::set<int> open_fds;  // guarded by mutex
  int live_threads = 0;    // guarded by mutex
  bool stopping = false;   // guarded by mutex
};

Server::Impl::Impl(const Config& config, Simulator& sim)
    : simulator(sim), acceptor(io), signals(io, SIGINT, SIGTERM) {
  const tcp::endpoint endpoint(asio::ip::make_address(config.bind), config.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
  if (!config.tls_cert.empty()) {
    tls.emplace(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3);
    tls->use_certificate_chain_file(config.tls_cert);
    tls->use_private_key_file(config.tls_key, asio::ssl::context::pem);
  }
}

void Server::Impl::accept_next() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      return;
    }
    if (ec) {
      std::fprintf(stderr, "accept failed: %s\n", ec.message().c_str());
    } else {
      start_connection(std::move(socket));
    }
    accept_next();
  });
}

void Server::Impl::start_connection(tcp::socket socket) {
  {
    std::lock_guard lock(mutex);
    ++live_threads;
  }
  // The socket lives on the heap and dies inside the thread's body: a socket
  // still owned by the thread object once live_threads drops would outlive
  // the io_context that run()'s caller may destroy right then.
  auto owned = std::make_unique<tcp::socket>(std::move(socket));
  std::thread([this, owned = std::move(owned)]() mutable {
    if (tls) {
      TlsStream stream(std::move(*owned), *tls);
      serve_stream(stream);
    } else {
      serve_stream(*owned);
    }
    owned.reset();
    std::lock_guard lock(mutex);
    --live_threads;
    idle.notify_all();
  }).detach();
}

template <class Stream>
void Server::Impl::serve_stream(Stream& stream) {
  tcp::socket& socket = beast::get_lowest_layer(stream);
  const int fd = socket.native_handle();
  if (!track(fd)) {
    return;
  }
  beast::error_code ec;
  bool reset = false;
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      std::fprintf(stderr, "TLS handshake failed: %s\n", ec.message().c_str());
    } else {
      reset = serve_requests(stream);
      if (!reset) {
        stream.shutdown(ec);
      }
    }
  } else {
    reset = serve_requests(stream);
    if (!reset) {
      stream.shutdown(tcp::socket::shutdown_send, ec);
    }
  }
  untrack(fd);  // before the fd is closed (and may be reused)
  if (reset) {
    // A reset fault: no close_notify, no FIN; a zero linger makes close() send RST.
    socket.set_option(tcp::socket::linger(true, 0), ec);
    socket.close(ec);
  }
}

// Serves requests until the peer closes, an error, or a reset fault (returns true).
template <class Stream>
bool Server::Impl::serve_requests(Stream& stream) {
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(k_body_limit);
    beast::error_code ec;
    http::read_header(stream, buffer, parser, ec);
    if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      http::write(stream, go_on, ec);
    }
    if (!ec) {
      http::read(stream, buffer, parser, ec);
    }
    const auto started = std::chrono::steady_clock::now();
    Response response;
    bool keep_alive = parser.get().keep_alive();
    if (ec == http::error::body_limit) {
      response = envelope(413, 1001, "The request payload exceeds the maximum size");
      response.log_note = "(body over 12 MB, connection closed)";
      keep_alive = false;
    } else if (ec) {
      return false;  // peer closed, or a malformed request
    } else {
      response = simulator.handle(to_request(parser.get()), Clock::now());
    }
    log_request(parser.get(), response, std::chrono::steady_clock::now() - started);
    if (response.delivery == Delivery::reset) {
      return true;
    }
    if (response.delivery == Delivery::delayed && !pause(response.delay)) {
      return false;  // the server stops
    }
    auto message = to_message(response, parser.get().version(), keep_alive);
    http::write(stream, message, ec);
    if (ec || !keep_alive) {
      return false;
    }
  }
}

bool Server::Impl::track(int fd) {
  std::lock_guard lock(mutex);
  if (stopping) {
    return false;
  }
  open_fds.insert(fd);
  return true;
}

void Server::Impl::untrack(int fd) {
  std::lock_guard lock(mutex);
  open_fds.erase(fd);
}

// A slow-response fault: this connection's thread waits, the others go on;
// stop() cuts the wait short (false).
bool Server::Impl::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex);
  return !stop_requested.wait_for(lock, delay, [this] { return stopping; });
}

void Server::Impl::stop() {
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);  // for stop() without a signal: nothing keeps io.run() going
  std::lock_guard lock(mutex);
  stopping = true;
  for (const int fd : open_fds) {
    ::shutdown(fd, SHUT_RDWR);
  }
  stop_requested.notify_all();
}

Server::Server(const Config& config, Simulator& simulator)
    : m_impl(std::make_unique<Impl>(config, simulator)) {}

Server::~Server() = default;

std::uint16_t Server::port() const { return m_impl->acceptor.local_endpoint().port(); }

void Server::stop() {
  asio::post(m_impl->io, [this] { m_impl->stop(); });
}

void Server::run() {
  m_impl->signals.async_wait([this](const beast::error_code&, int) { m_impl->stop(); });
  m_impl->accept_next();
  m_impl->io.run();
  std::unique_lock lock(m_impl->mutex);
  m_impl->idle.wait(lock, [this] { return m_impl->live_threads == 0; });
}

}  // namespace emsync::sim
