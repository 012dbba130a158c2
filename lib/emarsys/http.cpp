#include "emarsys/http.hpp"

#include <strings.h>

#include <vector>

#include "emarsys/async_semaphore.hpp"
#include "emarsys/http_connection.hpp"

namespace emsync::emarsys {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

BeastRequest build_request(HttpRequest& in, const Url& origin) {
  BeastRequest request(http::string_to_verb(in.method), in.target, 11);
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
       std::chrono::milliseconds step_timeout, int connections)
      : origin(ex, std::move(url), std::move(ca), step_timeout),
        free_slots(ex, static_cast<std::size_t>(connections)) {}

  // An idle connection (the most recently used: likely still open), or a new one.
  std::unique_ptr<HttpConnection> take() {
    if (idle.empty()) {
      return std::make_unique<HttpConnection>(origin);
    }
    auto connection = std::move(idle.back());
    idle.pop_back();
    return connection;
  }

  HttpOrigin origin;
  AsyncSemaphore free_slots;  // one per connection: in use or in `idle`
  std::vector<std::unique_ptr<HttpConnection>> idle;
};

HttpClient::HttpClient(asio::any_io_executor executor, Url origin,
                       std::optional<std::string> ca_file, std::chrono::milliseconds timeout,
                       int connections)
    : m_impl(std::make_unique<Impl>(std::move(executor), std::move(origin), std::move(ca_file),
                                    timeout, connections)) {}

HttpClient::~HttpClient() = default;

asio::awaitable<Result<HttpResponse>> HttpClient::send(HttpRequest in) {
  auto slot = co_await m_impl->free_slots.acquire();
  if (!slot) {
    co_return make_error(Errc::cancelled, "request to " + m_impl->origin.url().text() +
                                              " not sent: the client is stopping");
  }
  const BeastRequest request = build_request(in, m_impl->origin.url());
  auto connection = m_impl->take();
  auto response = co_await connection->send(request, in.response_limit);
  m_impl->idle.push_back(std::move(connection));
  co_return response;
}

void HttpClient::stop_queued() { m_impl->free_slots.close(); }

}  // namespace emsync::emarsys
