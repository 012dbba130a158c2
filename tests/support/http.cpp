#include "support/http.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace emsync::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Request = http::request<http::string_body>;

// One exchange; the deadline covers connect, write and read together
// (tcp_stream's timeout applies to its async operations only).
asio::awaitable<HttpResponse> exchange(Request request, std::string host, std::uint16_t port,
                                       std::chrono::milliseconds timeout) {
  const auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  const auto endpoints =
      co_await resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
  stream.expires_after(timeout);
  co_await stream.async_connect(endpoints, asio::use_awaitable);
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return HttpResponse{static_cast<int>(response.result_int()), std::move(response.body())};
}

}  // namespace

HttpResponse http_request(const std::string& method, const std::string& host, std::uint16_t port,
                          const std::string& target, const std::string& body,
                          std::chrono::milliseconds timeout) {
  const std::string url = method + " http://" + host + ":" + std::to_string(port) + target;
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    throw std::invalid_argument(url + ": unknown HTTP method");
  }
  Request request(verb, target, 11);
  request.set(http::field::host, host + ":" + std::to_string(port));
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();

  asio::io_context context;
  auto response =
      asio::co_spawn(context, exchange(std::move(request), host, port, timeout), asio::use_future);
  context.run();
  try {
    return response.get();
  } catch (const std::exception& e) {
    throw std::runtime_error(url + ": " + e.what());
  }
}

std::uint16_t free_loopback_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace emsync::test
