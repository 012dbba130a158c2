// One keep-alive HTTP/1.1 connection of an HttpClient (see http.hpp), which
// keeps a pool of these. Plain TCP for http://, TLS (peer and host name
// verified, SNI) for https://. Every step has the origin's timeout as its
// deadline; a request that fails on a reused connection before any response
// arrived (the server closed it while idle) is resent once on a fresh one.
// Internal to http.cpp: it brings Beast in.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "core/url.hpp"
#include "emarsys/http.hpp"

namespace emsync::emarsys {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
struct HttpExchange;  // what one request/response exchange produced

// What the connections of one HttpClient share.
class HttpOrigin {
 public:
  HttpOrigin(boost::asio::any_io_executor executor, Url url, std::optional<std::string> ca_file,
             std::chrono::milliseconds timeout);

  const boost::asio::any_io_executor& executor() const { return m_executor; }
  const Url& url() const { return m_url; }
  std::chrono::milliseconds timeout() const { return m_timeout; }
  // The TLS client context, made (CA bundle loaded) on the first https connect.
  Result<boost::asio::ssl::context*> tls_context();

 private:
  boost::asio::any_io_executor m_executor;
  Url m_url;
  std::optional<std::string> m_ca_file;
  std::chrono::milliseconds m_timeout;
  std::optional<boost::asio::ssl::context> m_tls_context;
};

class HttpConnection {
 public:
  explicit HttpConnection(HttpOrigin& origin);  // connects on the first send()
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // One exchange at a time (the caller's pool sees to that). A response
  // body over `body_limit` bytes is Errc::protocol_error, read no further.
  boost::asio::awaitable<Result<HttpResponse>> send(const BeastRequest& request,
                                                    std::uint64_t body_limit);

 private:
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  bool connected() const { return m_plain || m_tls; }
  void close();
  boost::asio::awaitable<Result<void>> open();
  boost::asio::awaitable<Result<void>> start_tls(boost::beast::tcp_stream stream);
  boost::asio::awaitable<HttpExchange> exchange(const BeastRequest& request,
                                                std::uint64_t body_limit);

  HttpOrigin& m_origin;
  std::unique_ptr<boost::beast::tcp_stream> m_plain;
  std::unique_ptr<TlsStream> m_tls;
  boost::beast::flat_buffer m_buffer;
};

}  // namespace emsync::emarsys
