#include "emarsys/http_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace emsync::emarsys {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

// `step` names the failed step.
struct HttpExchange {
  error_code ec;
  const char* step = "";
  HttpResponse response;
  bool keep_alive = false;
};

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

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

template <class Stream>
asio::awaitable<HttpExchange> exchange_on(Stream& stream, beast::flat_buffer& buffer,
                                          const BeastRequest& request,
                                          std::chrono::milliseconds timeout,
                                          std::uint64_t body_limit) {
  HttpExchange out;
  beast::get_lowest_layer(stream).expires_after(timeout);
  std::tie(out.ec, std::ignore) = co_await http::async_write(stream, request, use_tuple);
  if (out.ec) {
    out.step = "sending a request to";
    co_return out;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
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

HttpOrigin::HttpOrigin(asio::any_io_executor executor, Url url, std::optional<std::string> ca_file,
                       std::chrono::milliseconds timeout)
    : m_executor(std::move(executor)),
      m_url(std::move(url)),
      m_ca_file(std::move(ca_file)),
      m_timeout(timeout) {}

Result<ssl::context*> HttpOrigin::tls_context() {
  if (m_tls_context) {
    return &*m_tls_context;
  }
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (m_ca_file) {
    ctx.load_verify_file(*m_ca_file, ec);
  } else {
    ctx.set_default_verify_paths(ec);
  }
  if (ec) {
    return make_error(Errc::io_error,
                      "cannot load the CA certificates " +
                          (m_ca_file ? "from '" + *m_ca_file + "'" : "of the system") + ": " +
                          ec.message() + "; check ca_file");
  }
  m_tls_context.emplace(std::move(ctx));
  return &*m_tls_context;
}

HttpConnection::HttpConnection(HttpOrigin& origin) : m_origin(origin) {}

HttpConnection::~HttpConnection() = default;

void HttpConnection::close() {
  m_plain.reset();
  m_tls.reset();  // no TLS close_notify: the next request simply reconnects
  m_buffer.consume(m_buffer.size());
}

asio::awaitable<Result<void>> HttpConnection::open() {
  const Url& url = m_origin.url();
  tcp::resolver resolver(m_origin.executor());
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, url.port, use_tuple);
  if (resolve_ec) {
    co_return transport_error(url, "DNS lookup of", resolve_ec);
  }
  beast::tcp_stream stream(m_origin.executor());
  stream.expires_after(m_origin.timeout());
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_ec) {
    co_return transport_error(url, "connecting to", connect_ec);
  }
  if (!url.tls) {
    m_plain = std::make_unique<beast::tcp_stream>(std::move(stream));
    co_return ok();
  }
  co_return co_await start_tls(std::move(stream));
}

asio::awaitable<Result<void>> HttpConnection::start_tls(beast::tcp_stream stream) {
  auto ctx = m_origin.tls_context();
  if (!ctx) {
    co_return ctx.error();
  }
  const Url& url = m_origin.url();
  auto tls_stream = std::make_unique<TlsStream>(std::move(stream), *ctx.value());
  // SNI is for host names only (RFC 6066); the name check covers IP literals too.
  if (!is_ip_literal(url.host)) {
    SSL_set_tlsext_host_name(tls_stream->native_handle(), url.host.c_str());
  }
  tls_stream->set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(*tls_stream).expires_after(m_origin.timeout());
  auto [ec] = co_await tls_stream->async_handshake(ssl::stream_base::client, use_tuple);
  if (ec) {
    co_return transport_error(url, "TLS handshake with", ec);
  }
  m_tls = std::move(tls_stream);
  co_return ok();
}

asio::awaitable<HttpExchange> HttpConnection::exchange(const BeastRequest& request,
                                                       std::uint64_t body_limit) {
  // No co_await inside ?: here: GCC 12 destroys such temporaries twice.
  HttpExchange out;
  if (m_tls) {
    out = co_await exchange_on(*m_tls, m_buffer, request, m_origin.timeout(), body_limit);
  } else {
    out = co_await exchange_on(*m_plain, m_buffer, request, m_origin.timeout(), body_limit);
  }
  if (out.ec || !out.keep_alive) {
    close();
  }
  co_return out;
}

asio::awaitable<Result<HttpResponse>> HttpConnection::send(const BeastRequest& request,
                                                           std::uint64_t body_limit) {
  // At most two rounds: the second only after a reused connection went stale.
  for (int round = 0;; ++round) {
    const bool reused = connected();
    if (!reused) {
      auto opened = co_await open();
      if (!opened) {
        co_return opened.error();
      }
    }
    auto out = co_await exchange(request, body_limit);
    if (!out.ec) {
      co_return std::move(out.response);
    }
    if (!reused || round > 0 || !is_stale_connection(out.ec)) {
      if (out.ec == http::error::body_limit) {
        co_return make_error(Errc::protocol_error,
                             "reading the response from " + m_origin.url().text() +
                                 " failed: its body is over the " + std::to_string(body_limit) +
                                 "-byte limit of this request, so it was not read further");
      }
      co_return transport_error(m_origin.url(), out.step, out.ec);
    }
  }
}

}  // namespace emsync::emarsys
