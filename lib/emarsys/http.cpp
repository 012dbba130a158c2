#include "emarsys/http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <strings.h>

#include "emarsys/async_mutex.hpp"

namespace emsync::emarsys {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t k_body_limit = 16 * 1024 * 1024;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Request = http::request<http::string_body>;

// What one request/response exchange produced; `step` names the failed step.
struct Exchange {
  error_code ec;
  const char* step = "";
  HttpResponse response;
  bool keep_alive = false;
};

Errc errc_for(const error_code& ec) {
  if (ec == beast::error::timeout) {
    return Errc::timeout;
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    return Errc::io_error;  // certificate or TLS setup: retrying will not help
  }
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
      ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return Errc::protocol_error;  // a malformed or oversized response
  }
  return Errc::transient;
}

Error transport_error(const Url& origin, std::string_view step, const error_code& ec) {
  const Errc code = errc_for(ec);
  std::string message = std::string(step) + " " + origin.text() + " failed: " + ec.message();
  if (code == Errc::timeout) {
    message += "; no progress within request_timeout";
  }
  if (code == Errc::io_error) {
    message += "; check ca_file and that the server certificate names " + origin.host;
  }
  return make_error(code, std::move(message));
}

// The server closed an idle keep-alive connection before answering.
bool is_stale_connection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

Request build_request(HttpRequest& in, const Url& origin) {
  Request request(http::string_to_verb(in.method), in.target, 11);
  request.set(http::field::host, origin.host_header());
  request.set(http::field::user_agent, "emsync/" EMSYNC_VERSION);
  for (auto& [name, value] : in.headers) {
    request.set(name, value);
  }
  request.body() = std::move(in.body);
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

template <class Stream>
asio::awaitable<Exchange> exchange_on(Stream& stream, beast::flat_buffer& buffer,
                                      const Request& request, std::chrono::milliseconds timeout) {
  Exchange out;
  beast::get_lowest_layer(stream).expires_after(timeout);
  std::tie(out.ec, std::ignore) = co_await http::async_write(stream, request, use_tuple);
  if (out.ec) {
    out.step = "sending a request to";
    co_return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(k_body_limit);
  beast::get_lowest_layer(stream).expires_after(timeout);
  std::tie(out.ec, std::ignore) = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (out.ec) {
    out.step = "reading the response from";
    co_return out;
  }
  auto message = parser.release();
  out.keep_alive = message.keep_alive();
  out.response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    out.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.response.body = std::move(message.body());
  co_return out;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  Impl(asio::any_io_executor ex, Url url, std::optional<std::string> ca,
       std::chrono::milliseconds step_timeout)
      : executor(std::move(ex)),
        origin(std::move(url)),
        ca_file(std::move(ca)),
        timeout(step_timeout),
        mutex(executor) {}

  bool connected() const { return plain || tls; }
  void close();
  Result<ssl::context*> context();
  asio::awaitable<Result<void>> open();
  asio::awaitable<Result<void>> start_tls(beast::tcp_stream stream);
  asio::awaitable<Exchange> exchange(const Request& request);

  asio::any_io_executor executor;
  Url origin;
  std::optional<std::string> ca_file;
  std::chrono::milliseconds timeout;
  AsyncMutex mutex;                      // one request at a time on the connection
  std::optional<ssl::context> ssl_context;  // made on the first https connect
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
};

void HttpClient::Impl::close() {
  plain.reset();
  tls.reset();  // no TLS close_notify: the next request simply reconnects
  buffer.consume(buffer.size());
}

Result<ssl::context*> HttpClient::Impl::context() {
  if (ssl_context) {
    return &*ssl_context;
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (ca_file) {
    ctx.load_verify_file(*ca_file, ec);
  } else {
    ctx.set_default_verify_paths(ec);
  }
  if (ec) {
    return make_error(Errc::io_error, "cannot load the CA certificates " +
                                          (ca_file ? "from '" + *ca_file + "'" : "of the system") +
                                          ": " + ec.message() + "; check ca_file");
  }
  ssl_context.emplace(std::move(ctx));
  return &*ssl_context;
}

asio::awaitable<Result<void>> HttpClient::Impl::open() {
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(origin.host, origin.port, use_tuple);
  if (resolve_ec) {
    co_return transport_error(origin, "DNS lookup of", resolve_ec);
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_ec) {
    co_return transport_error(origin, "connecting to", connect_ec);
  }
  if (!origin.tls) {
    plain = std::make_unique<beast::tcp_stream>(std::move(stream));
    co_return ok();
  }
  co_return co_await start_tls(std::move(stream));
}

asio::awaitable<Result<void>> HttpClient::Impl::start_tls(beast::tcp_stream stream) {
  auto ctx = context();
  if (!ctx) {
    co_return ctx.error();
  }
  auto tls_stream = std::make_unique<TlsStream>(std::move(stream), *ctx.value());
  // SNI is for host names only (RFC 6066); the name check covers IP literals too.
  if (!is_ip_literal(origin.host)) {
    SSL_set_tlsext_host_name(tls_stream->native_handle(), origin.host.c_str());
  }
  tls_stream->set_verify_callback(ssl::host_name_verification(origin.host));
  beast::get_lowest_layer(*tls_stream).expires_after(timeout);
  auto [ec] = co_await tls_stream->async_handshake(ssl::stream_base::client, use_tuple);
  if (ec) {
    co_return transport_error(origin, "TLS handshake with", ec);
  }
  tls = std::move(tls_stream);
  co_return ok();
}

asio::awaitable<Exchange> HttpClient::Impl::exchange(const Request& request) {
  // No co_await inside ?: here: GCC 12 destroys such temporaries twice.
  Exchange out;
  if (tls) {
    out = co_await exchange_on(*tls, buffer, request, timeout);
  } else {
    out = co_await exchange_on(*plain, buffer, request, timeout);
  }
  if (out.ec || !out.keep_alive) {
    close();
  }
  co_return out;
}

HttpClient::HttpClient(asio::any_io_executor executor, Url origin,
                       std::optional<std::string> ca_file, std::chrono::milliseconds timeout)
    : m_impl(std::make_unique<Impl>(std::move(executor), std::move(origin), std::move(ca_file),
                                    timeout)) {}

HttpClient::~HttpClient() = default;

asio::awaitable<Result<HttpResponse>> HttpClient::send(HttpRequest in) {
  auto guard = co_await m_impl->mutex.lock();
  const Request request = build_request(in, m_impl->origin);
  // At most two rounds: the second only after a reused connection went stale.
  for (int round = 0;; ++round) {
    const bool reused = m_impl->connected();
    if (!reused) {
      auto opened = co_await m_impl->open();
      if (!opened) {
        co_return opened.error();
      }
    }
    auto out = co_await m_impl->exchange(request);
    if (!out.ec) {
      co_return std::move(out.response);
    }
    if (!reused || round > 0 || !is_stale_connection(out.ec)) {
      co_return transport_error(m_impl->origin, out.step, out.ec);
    }
  }
}

}  // namespace emsync::emarsys
